/**
 * Shared set-up for the VaultProvider tests that watch (once, stamps, leases, keep-alive): a
 * provider on the seeded Vault double whose log lines are collected, and the double's request
 * log as the witness for "how many requests".
 */
import assert from "node:assert/strict";
import { after, afterEach, before } from "node:test";
import { type VaultRef, parseReference } from "../../../src/config/reference.js";
import { VaultProvider } from "../../../src/providers/vault/provider.js";
import type { VaultAuthSettings, VaultSettings } from "../../../src/providers/vault/settings.js";
import type { RequestLogEntry } from "../../../src/dev/vault/client.js";
import { captureLogger } from "../../support/logger.js";
import { type SeededVault, startSeededVault } from "../../support/vault-fixture.js";
import { waitFor } from "../../support/wait.js";

export interface Harness {
  provider: VaultProvider;
  lines: string[];
}

/** Settings for the double at `sv`, with root token auth unless `auth` is given. */
export function settingsFor(sv: SeededVault, auth?: VaultAuthSettings, extra: Partial<VaultSettings> = {}): VaultSettings {
  return {
    address: sv.url,
    addressSource: "test",
    mount: "secret",
    skipVerify: false,
    timeoutMs: 5000,
    auth: auth ?? { kind: "token", method: "token", token: sv.rootToken, source: "test" },
    ...extra,
  };
}

/** A fresh provider (its own caches and login), debug logs collected in `lines`; `open` gets it for closing. */
export function harness(settings: VaultSettings, open: VaultProvider[]): Harness {
  const { logger, lines } = captureLogger();
  const provider = new VaultProvider(settings, logger);
  open.push(provider);
  return { provider, lines };
}

export function ref(text: string): VaultRef {
  const r = parseReference(text, { defaultMount: "secret" });
  assert.ok(r && r.provider === "vault", `${text} is a Vault reference`);
  return r;
}

export const soon = () => Date.now() + 10_000;

/** The request log of what `action` sent (cleared first). */
export async function logSince(sv: SeededVault, action: () => Promise<unknown>): Promise<RequestLogEntry[]> {
  await sv.control.clearRequests();
  await action();
  return sv.control.requests();
}

/** Resolves once `check` is true (the shared wait, test/support/wait.ts); fails after `withinMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, withinMs = 20_000): Promise<void> {
  await waitFor(what, check, withinMs);
}

export { pause as sleep } from "../../support/wait.js";

/** A seeded Vault double for one test file, and the providers to close after it. */
export interface ProviderSuite {
  /** The double (set once the file's `before` hook has run). */
  readonly sv: SeededVault;
  /** Providers made with `harness(…, suite.open)`: closed after the file. */
  readonly open: VaultProvider[];
}

/**
 * Registers a test file's hooks: start the seeded double (then `prepare`), run `reset` after each
 * test (clear the faults, denials, seal… a test left behind), close every provider and the double.
 */
export function providerSuite(hooks: { prepare?: (sv: SeededVault) => Promise<void>; reset?: (sv: SeededVault) => Promise<void> } = {}): ProviderSuite {
  let sv: SeededVault | undefined;
  const open: VaultProvider[] = [];
  before(async () => {
    sv = await startSeededVault();
    await hooks.prepare?.(sv);
  });
  after(async () => {
    for (const p of open) await p.close();
    await sv?.close();
  });
  if (hooks.reset) afterEach(() => hooks.reset!(sv!));
  return {
    get sv() {
      assert.ok(sv, "the seeded Vault double has not started yet");
      return sv;
    },
    open,
  };
}
