/**
 * A loopback double of the HashiCorp Vault HTTP API for envject's tests and demo: in memory,
 * single process, listening on 127.0.0.1 with a kernel-chosen port. See README.md beside this
 * file for what is emulated and for the /__double/ control surface.
 */
import { base62 } from "./ids.js";
import { listen } from "./server.js";
import { DoubleState } from "./state.js";
import { nowMs } from "./time/clock.js";

export interface VaultDoubleOptions {
  /** The root token; default: a random "hvs.root-…". */
  rootToken?: string;
  /** Serve HTTPS with this key and certificate instead of HTTP. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Port to listen on; default 0 (the kernel picks a free one). Tests keep the default. */
  port?: number;
}

export interface VaultDouble {
  /** Base address, e.g. `http://127.0.0.1:41234` (no trailing slash, no /v1). */
  url: string;
  rootToken: string;
  close(): Promise<void>;
}

/** Starts a double with the default mounts (secret/ kv v2, kv/ kv v1, database/, auth approle/) and nothing written. */
export async function startVaultDouble(options: VaultDoubleOptions = {}): Promise<VaultDouble> {
  const rootToken = options.rootToken ?? `hvs.root-${base62(20)}`;
  const state = new DoubleState(rootToken, nowMs());
  const server = await listen(state, options.tls, options.port ?? 0);
  return { url: server.url, rootToken, close: () => server.close() };
}
