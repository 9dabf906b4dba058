/**
 * The interface every secret store implements (vals' model): the reference grammar knows nothing
 * about HTTP, and a provider knows nothing about the grammar's text form or the CLI. Adding a
 * backend is a new folder under `src/providers/` plus one line in the registry.
 */
import type { SecretRef } from "../config/reference.js";

/** A lease on a dynamic secret (Vault): renewable until its max TTL, revoked when envject ends. */
export interface Lease {
  id: string;
  /** Seconds the lease was granted for when read (or last renewed). */
  durationSeconds: number;
  renewable: boolean;
  /** `Date.now()` when the lease was granted or last renewed. */
  obtainedAt: number;
}

/** One secret as read from a store: the whole document, before any field is taken out of it. */
export interface SecretDocument {
  /**
   * `map`: a key/value document (Vault KV, dynamic secrets) — `data` is the object.
   * `string`: an AWS SecretString — `data` is the string (parsed as JSON only when a field is asked).
   * `binary`: an AWS SecretBinary — `data` is the base64 text.
   */
  kind: "map" | "string" | "binary";
  data: Record<string, unknown> | string;
  /** What `check` shows: a KV v2 version number, an AWS VersionId; undefined for KV v1. */
  version?: string;
  /** Short description of where it was read, for logs and `check`: "kv-v2 secret/data/myapp/db". */
  source: string;
  lease?: Lease;
}

/** Options for one read. */
export interface ReadOptions {
  /** Epoch ms after which retryable failures are given up (→ UnavailableError, exit 69). */
  deadline: number;
}

export interface SecretProvider {
  readonly name: "vault" | "aws";
  /**
   * Reads the secret a reference designates (ignoring its field). Throws typed errors only:
   * AuthError (77), NotFoundError (78), UnavailableError (69, once `deadline` has passed),
   * ConfigError (65). Messages name the path, never a value.
   */
  read(ref: SecretRef, options: ReadOptions): Promise<SecretDocument>;
  /** Revokes what envject holds (leases), best effort; never throws. */
  revokeLeases(leases: Lease[]): Promise<void>;
  /** Releases sockets and timers. */
  close(): Promise<void>;
}
