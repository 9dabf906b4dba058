/**
 * Version stamps of Vault secrets, what the watcher compares to notice a change: KV v2
 * `v<N>@<created_time>` (from a data read's `metadata`, or from `metadata/` `current_version` and
 * that version's entry in `versions`), KV v1 `sha256:<hex>` of the data.
 *
 * Why the creation time: a KV v2 secret deleted with its metadata (`DELETE <mount>/metadata/…`)
 * and written again starts over at version 1, so its version number alone may come back equal to
 * the one the command's values were read from. The time that version was written does not.
 * (Not the metadata's `updated_time`: it also moves when only the metadata is edited, and a data
 * read, the fallback where metadata is denied, does not carry it.)
 */
import { createHmac, randomBytes } from "node:crypto";
import { NotFoundError } from "../../errors.js";
import { errorForStatus } from "./errors.js";
import type { VaultEnvelope, VaultHttpClient, VaultResponse } from "./http.js";

/**
 * The hash is keyed with a random per-process key: stamps are only ever compared within one
 * envject process, and a plain SHA-256 of a short secret, should a stamp reach a log line, could
 * be reversed by guessing. The form stays `sha256:<hex>`.
 */
const STAMP_KEY = randomBytes(32);

/**
 * The stamp of a KV v2 version: `v<N>@<created_time>`, or `v<N>` when the time is not known (a
 * pinned version, which is never polled, or a server that leaves it out). See sameStamp() in
 * ../provider.ts for how a stamp without the time compares.
 */
export function versionStamp(version: number | string, createdTime?: unknown): string {
  return typeof createdTime === "string" && createdTime !== "" ? `v${version}@${createdTime}` : `v${version}`;
}

/** The stamp of KV v1 data: a (keyed) SHA-256 of its canonical JSON, so key order does not matter. */
export function dataStamp(data: unknown): string {
  return `sha256:${createHmac("sha256", STAMP_KEY).update(canonicalJson(data)).digest("hex")}`;
}

/** JSON with every object's keys sorted, at every depth: equal data gives equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** GET `<mount>/metadata/<rest>` — the raw answer (a 403 means the caller reads the data instead). */
export function requestKv2Metadata(client: VaultHttpClient, token: string, mount: string, rest: string, deadline?: number): Promise<VaultResponse> {
  return client.request({ method: "GET", path: `${mount}/metadata/${rest}`, token, deadline });
}

interface Kv2VersionMetadata {
  created_time?: string;
  deletion_time?: string;
  destroyed?: boolean;
}

/**
 * The stamp a 200 metadata answer gives (`current_version`, and that version's `created_time`,
 * as a data read of it gives them). Throws NotFoundError when the
 * current version is deleted or destroyed (as a data read would), or the secret is gone (404).
 */
export function metadataStamp(res: VaultResponse, client: VaultHttpClient, mount: string, rest: string, now = Date.now()): string {
  const logical = `${mount}/${rest}`;
  if (res.status === 404) throw new NotFoundError(`no secret at ${logical} (KV v2 mount ${mount})`);
  if (res.status !== 200) throw errorForStatus(res, `reading ${mount}/metadata/${rest}`, client.address);
  const data = (res.body as VaultEnvelope | undefined)?.data as { current_version?: unknown; versions?: Record<string, Kv2VersionMetadata> } | null | undefined;
  const current = data?.current_version;
  if (typeof current !== "number" || current < 1) throw new NotFoundError(`no secret at ${logical} (KV v2 mount ${mount}: no current version)`);
  const entry = data?.versions?.[String(current)];
  if (entry?.destroyed) throw new NotFoundError(`the current version of ${logical} (version ${current}) was destroyed`);
  // A deletion time in the future (delete_version_after) is not a deletion yet: Vault still serves it.
  if (entry?.deletion_time && Date.parse(entry.deletion_time) <= now) {
    throw new NotFoundError(`the current version of ${logical} (version ${current}) was deleted at ${entry.deletion_time}; undelete it or write a new version`);
  }
  return versionStamp(current, entry?.created_time);
}
