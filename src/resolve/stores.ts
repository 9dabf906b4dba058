/**
 * The secret stores of one envject session, for the CLI and the library alike: providers
 * created on first use behind one reader (which reads each secret once), and their release —
 * leases revoked (unless kept for the caller) and connections closed.
 */
import { type Clock, systemClock } from "../clock.js";
import type { Mapping } from "../config/model.js";
import type { Logger } from "../log/logger.js";
import { providerFactories } from "../providers/registry.js";
import { ProviderSet } from "./provider-set.js";
import { SecretReader } from "./reader.js";

export interface Stores {
  providers: ProviderSet;
  reader: SecretReader;
}

export interface StoreOptions {
  mapping: Mapping;
  /** `--vault-addr`. */
  vaultAddr?: string;
  environ: NodeJS.ProcessEnv;
  logger: Logger;
  /** How long reads may retry unreachable stores (`--start-timeout`). */
  startTimeoutMs: number;
  /** Time for the start-up deadline and the reader's lease expiry (default: the system clock). */
  clock?: Clock;
}

/** Prepares (but does not contact) the stores a mapping may need. */
export function openStores(options: StoreOptions): Stores {
  const providers = new ProviderSet(providerFactories(options));
  const clock = options.clock ?? systemClock;
  return { providers, reader: new SecretReader(providers, { deadline: clock.now() + options.startTimeoutMs, startTimeoutMs: options.startTimeoutMs, clock }) };
}

/** Revokes the leases taken (unless `keepLeases`) and closes every store connection. Never throws. */
export async function releaseStores(stores: Stores, options: { keepLeases?: boolean } = {}): Promise<void> {
  if (!options.keepLeases) {
    for (const provider of await stores.providers.active()) await provider.revokeLeases(stores.reader.leases(provider.name));
  }
  await stores.providers.close();
}
