/**
 * The interface every secret store implements (vals' model): the reference grammar knows nothing
 * about HTTP, and a provider knows nothing about the grammar's text form or the CLI. Adding a
 * backend is a new folder under `src/providers/` plus one line in the registry.
 */
import type { SecretRef } from "../config/reference.js";
import type { EnvjectError } from "../errors.js";

/** A lease on a dynamic secret (Vault): renewable until its max TTL, revoked when envject ends. */
export interface Lease {
  id: string;
  /** Seconds the lease was granted for when read (or last renewed). */
  durationSeconds: number;
  renewable: boolean;
  /** `Date.now()` when the lease was granted or last renewed. */
  obtainedAt: number;
  /**
   * Which login took the lease (opaque, never a token): leases end with the token that holds
   * them, so after a new login (KeepAliveEvents.onNewLogin) a lease with another holder must be
   * read again.
   */
  holder?: string;
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
  /**
   * A folder (`ref.folder`): the names of the secrets directly under it (relative to it, sorted);
   * `data` is then `{}`. Its stamp changes when a secret is added or removed.
   */
  names?: string[];
  /**
   * A folder read with its values (AWS BatchGetSecretValue with a name filter): the document of
   * each name that came back, so the reader need not read those secrets again.
   */
  members?: Map<string, SecretDocument>;
  /** What `check` shows: a KV v2 version number, an AWS VersionId; undefined for KV v1. */
  version?: string;
  /** Short description of where it was read, for logs and `check`: "kv-v2 secret/data/myapp/db". */
  source: string;
  lease?: Lease;
  /**
   * What the watcher compares (sameStamp) to notice a change, in the same form `stamp()` returns:
   * KV v2 `v<version>@<created_time>` (a secret deleted with its metadata and written again starts
   * over at version 1: the time tells it apart), KV v1 `sha256:<hex>` of the data, AWS the
   * VersionId holding the wanted stage. Undefined when there is nothing to poll: a pinned version
   * (`?version=`, `version_id`) or a leased dynamic secret (leases are renewed instead).
   */
  stamp?: string;
}

/** The stamp of a folder: its sorted names, hashed, so the watcher sees a secret added or removed. */
export function folderStamp(names: readonly string[]): string {
  // node:crypto is loaded here, at the first folder stamp, not with every provider at start.
  return `list:${process
    .getBuiltinModule("node:crypto")
    .createHash("sha256")
    .update(JSON.stringify([...names].sort()))
    .digest("hex")}`;
}

/** A KV v2 stamp: its version, and the time that version was written when known. */
const VERSION_STAMP = /^(v\d+)(@.+)?$/;

/**
 * Whether two stamps of one secret say the same thing. Equal stamps do, and nothing else does —
 * except a KV v2 stamp without the time (`v3`, from an answer that left `created_time` out) and
 * one with it (`v3@…`): they compare by the version alone, so such an answer does not make every
 * poll look like a change. Two times that differ are a change even when the numbers are equal.
 */
export function sameStamp(a: string | undefined, b: string | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  const va = VERSION_STAMP.exec(a);
  const vb = VERSION_STAMP.exec(b);
  if (!va || !vb || (va[2] !== undefined && vb[2] !== undefined)) return false;
  return va[1] === vb[1];
}

/** Options for one read. */
export interface ReadOptions {
  /** Epoch ms after which retryable failures are given up (→ UnavailableError, exit 69). */
  deadline: number;
  /** The --start-timeout `deadline` came from: named in the "retrying until" messages (nothing else depends on it). */
  startTimeoutMs?: number;
  /**
   * One attempt only (the watcher keeps its own backoff and logs outages itself): a retryable
   * failure is thrown as it is (UnavailableError with `retryable` true), and the provider logs no
   * "unavailable, retrying" line. `deadline` still bounds the request.
   */
  once?: boolean;
}

/** A login that replaced envject's earlier one. */
export interface NewLogin {
  /** The `Lease.holder` of leases taken under it. */
  holder: string;
  /** Revokes the replaced token and its leases (best effort, never throws): call it once the command no longer holds credentials read under it. */
  retireOld: () => Promise<void>;
}

/** What a provider tells the watcher about its own login while envject runs. */
export interface KeepAliveEvents {
  /**
   * A new login replaced the token that read the leased secrets (AppRole re-login): Vault revokes
   * a token's leases when it expires, so every leased secret must be read again with the new token.
   */
  onNewLogin(login: NewLogin): void;
  /** The login can no longer be kept (a given token expired or was revoked): envject ends with this error (77). */
  onFatal(error: EnvjectError): void;
  /**
   * Whether the command holds leased credentials of this store (dynamic secrets), which end with
   * the login's token: when a new login cannot be had before the token ends, only then is that
   * fatal. Absent: assumed true.
   */
  holdsLeases?(): boolean;
}

/**
 * What a store's login check found (SecretProvider.verifyLogin): `valid` — the login works, so a
 * denial is a policy; `replaced` — it did not, and a new login replaced it (onNewLogin was called);
 * `failing` — it did not and no new login could be had yet (the provider retries and reports
 * that itself, or ended envject through onFatal).
 */
export type LoginCheck = "valid" | "replaced" | "failing";

export interface SecretProvider {
  readonly name: "vault" | "aws";
  /**
   * Reads the secret a reference designates (ignoring its field). Throws typed errors only:
   * AuthError (77), NotFoundError (78), UnavailableError (69, once `deadline` has passed),
   * ConfigError (65). Messages name the path, never a value.
   */
  read(ref: SecretRef, options: ReadOptions): Promise<SecretDocument>;
  /**
   * The secret's current stamp (see SecretDocument.stamp), with as little as the store allows:
   * KV v2 `metadata/` current_version (reading the data when metadata is denied), KV v1 a read
   * of the data, AWS DescribeSecret (GetSecretValue when that is denied). Throws like read().
   */
  stamp(ref: SecretRef, options: ReadOptions): Promise<string>;
  /**
   * Extends a lease (Vault `sys/leases/renew` with `increment` seconds, the watcher asks for the
   * duration first granted) and returns it as granted (new `durationSeconds`, `obtainedAt` now):
   * a shorter duration than asked means the lease's max TTL is near. Throws
   * NotFoundError/AuthError when it cannot be renewed any more, UnavailableError when the store
   * is down. Absent for stores without leases.
   */
  renewLease?(lease: Lease, incrementSeconds: number, options: ReadOptions): Promise<Lease>;
  /** Starts keeping the provider's own login alive (Vault: renew-self at 2/3 of the TTL, AppRole re-login) until close(). */
  keepAlive?(events: KeepAliveEvents): void;
  /**
   * Checks the store's own login after its requests were denied (Vault: `auth/token/lookup-self`)
   * and acts on a login that no longer works (see LoginCheck). Throws UnavailableError when the
   * store cannot answer. Absent for stores whose denials are always policies.
   */
  verifyLogin?(): Promise<LoginCheck>;
  /**
   * After the reads at start: one error that explains every denial of this store at once, when
   * its login is the likely cause (Vault: the token could not look itself up and every read was
   * denied), so the user gets one line instead of a denial per secret. Undefined otherwise.
   */
  loginDenial?(): EnvjectError | undefined;
  /** Revokes what envject holds (leases), best effort; never throws. */
  revokeLeases(leases: Lease[]): Promise<void>;
  /** Releases sockets and timers. */
  close(): Promise<void>;
}
