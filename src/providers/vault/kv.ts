/**
 * Reading one secret from Vault once: KV v2 (`<mount>/data/<rest>`, with version pin and the
 * deleted/destroyed 404s), and plain reads (KV v1, and every other engine, whose answer may carry
 * a lease). No retries here: typed errors go up to the provider, which retries what can be.
 */
import { type Clock, systemClock } from "../../clock.js";
import { ConfigError, NotFoundError } from "../../errors.js";
import type { Lease, SecretDocument } from "../provider.js";
import { errorForStatus } from "./errors.js";
import type { VaultEnvelope, VaultHttpClient, VaultResponse } from "./http.js";
import { dataStamp, versionStamp } from "./stamp.js";

interface Kv2Metadata {
  version?: number;
  created_time?: string;
  deletion_time?: string;
  destroyed?: boolean;
}

const VERSIONED_PATH_WARNING = "Invalid path for a versioned K/V secrets engine";

/** GET `<mount>/data/<rest>[?version=N]` — the raw answer, for probing. */
export function requestKv2(client: VaultHttpClient, token: string, mount: string, rest: string, version: number | undefined, deadline?: number): Promise<VaultResponse> {
  return client.request({
    method: "GET",
    path: `${mount}/data/${rest}`,
    token,
    query: version !== undefined ? { version: String(version) } : undefined,
    deadline,
  });
}

/** GET `<path>` — the raw answer, for probing. */
export function requestPlain(client: VaultHttpClient, token: string, path: string, deadline?: number): Promise<VaultResponse> {
  return client.request({ method: "GET", path, token, deadline });
}

/**
 * Interprets a KV v2 data read; throws NotFoundError for missing, deleted or destroyed versions.
 * The stamp is the version read and when it was written (see versionStamp), none when `version`
 * pins one (a pinned version never changes).
 */
export function kv2Document(res: VaultResponse, client: VaultHttpClient, mount: string, rest: string, version?: number): SecretDocument {
  const apiPath = `${mount}/data/${rest}`;
  const logical = `${mount}/${rest}`;
  const envelope = res.body as VaultEnvelope | undefined;
  const inner = envelope?.data as { data?: unknown; metadata?: Kv2Metadata } | undefined | null;
  if (res.status === 200 && inner && isObject(inner.data)) {
    const read = inner.metadata?.version;
    return {
      kind: "map",
      data: inner.data,
      version: read !== undefined ? String(read) : undefined,
      source: `kv-v2 ${apiPath}`,
      stamp: version === undefined && read !== undefined ? versionStamp(read, inner.metadata?.created_time) : undefined,
    };
  }
  const which = version !== undefined ? `version ${version} of ${logical}` : `the current version of ${logical}`;
  if (res.status === 404 && inner?.metadata) {
    const m = inner.metadata;
    const n = m.version !== undefined ? ` (version ${m.version})` : "";
    if (m.destroyed) throw new NotFoundError(`${which}${version === undefined ? n : ""} was destroyed`);
    throw new NotFoundError(`${which}${version === undefined ? n : ""} was deleted${m.deletion_time ? ` at ${m.deletion_time}` : ""}; undelete it or write a new version`);
  }
  if (res.status === 404 || res.status === 200 || res.status === 204) {
    throw new NotFoundError(version !== undefined ? `${which} does not exist` : `no secret at ${logical} (KV v2 mount ${mount})`);
  }
  throw errorForStatus(res, `reading ${apiPath}`, client.address);
}

/**
 * Interprets a plain read (KV v1, dynamic secrets); a non-empty lease_id becomes a Lease. Only
 * KV v1 data gets a stamp (its hash): a leased secret is renewed, not polled, and another
 * engine's read may mint new values each time.
 */
export function plainDocument(res: VaultResponse, client: VaultHttpClient, path: string, engine: string, clock: Pick<Clock, "now"> = systemClock): SecretDocument {
  const envelope = res.body as VaultEnvelope | undefined;
  if (res.status === 200 && envelope && isObject(envelope.data)) {
    const lease: Lease | undefined = envelope.lease_id
      ? {
          id: envelope.lease_id,
          durationSeconds: envelope.lease_duration ?? 0,
          renewable: envelope.renewable ?? false,
          obtainedAt: clock.now(),
        }
      : undefined;
    const stamp = engine === "kv-v1" && !lease ? dataStamp(envelope.data) : undefined;
    return { kind: "map", data: envelope.data, source: `${engine} ${path}`, lease, stamp };
  }
  if (res.status === 404 || res.status === 200 || res.status === 204) throw new NotFoundError(`no secret at ${path}`);
  throw errorForStatus(res, `reading ${path}`, client.address);
}

/** True when a plain read hit a KV v2 mount (Vault answers a v1-style path there with this warning). */
export function isVersionedMountAnswer(res: VaultResponse): boolean {
  const warnings = (res.body as VaultEnvelope | undefined)?.warnings;
  return res.status === 404 && Array.isArray(warnings) && warnings.some((w) => typeof w === "string" && w.startsWith(VERSIONED_PATH_WARNING));
}

/** True when a KV v2 read answered with the metadata envelope (the path is a KV v2 secret, version deleted/destroyed). */
export function isKv2Envelope(res: VaultResponse): boolean {
  const inner = (res.body as VaultEnvelope | undefined)?.data as { metadata?: unknown } | undefined | null;
  return isObject(inner) && isObject(inner.metadata);
}

export function versionNotSupported(path: string, engine: string): ConfigError {
  return new ConfigError(`?version= pins a KV v2 version, but ${path} is served by ${engine}`);
}

/**
 * The logical rest of a KV v2 path written with its API segment (`data/myapp/db` or
 * `metadata/myapp/db` → `myapp/db`), or undefined when `rest` does not start with one. A
 * reference names the logical path, as `vault kv get` does; the API adds `data/` itself.
 */
export function withoutApiSegment(rest: string): string | undefined {
  const match = /^(?:data|metadata)\/(.+)$/.exec(rest);
  return match?.[1];
}

/**
 * What a not-found read of `<mount>/data|metadata/<rest>` on a KV v2 mount adds to its message:
 * the logical reference when `exists` is true (a secret is there), else only the rule, saying
 * that the logical path is missing too when `exists` is false (undefined: the check failed).
 */
export function apiSegmentHint(mount: string, logicalRest: string, exists: boolean | undefined): string {
  const logical = `vault://${mount}/${logicalRest}`;
  if (exists === true) return `did you mean ${logical}? references use the logical path, as \`vault kv get\` does`;
  const rule = "references use the logical path, as `vault kv get` does, without `data/` or `metadata/`";
  return exists === false ? `${rule} (there is no secret at ${logical} either)` : rule;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
