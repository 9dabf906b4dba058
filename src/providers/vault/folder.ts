/**
 * Listing an `expand:` folder in Vault (docs/contract/mapping.md#expand-folders): KV v2 `LIST <mount>/metadata/<folder>`,
 * KV v1 `LIST <mount>/<folder>`, sent as `GET …?list=true` (what the Vault CLI and hvac's strict
 * mode send). Only the secrets directly under the folder count: keys ending in `/` are
 * sub-folders and are skipped. A missing folder (404) lists nothing: Vault answers an empty
 * folder and a missing one alike.
 */
import { type SecretDocument, folderStamp } from "../provider.js";
import { errorForStatus } from "./errors.js";
import type { VaultEnvelope, VaultHttpClient, VaultResponse } from "./http.js";

/** GET `<path>?list=true` — the raw answer. `path` is the API path (`secret/metadata/app`, `kv1/app`). */
export function requestList(client: VaultHttpClient, token: string, path: string, deadline?: number): Promise<VaultResponse> {
  return client.request({ method: "GET", path, token, query: { list: "true" }, deadline });
}

/** Interprets a LIST answer as a folder document: `names` the secrets directly under it, sorted. */
export function folderDocument(res: VaultResponse, client: VaultHttpClient, apiPath: string, engine: string): SecretDocument {
  let keys: unknown[] = [];
  if (res.status === 200) {
    const data = (res.body as VaultEnvelope | undefined)?.data as { keys?: unknown } | undefined;
    keys = Array.isArray(data?.keys) ? data.keys : [];
  } else if (res.status !== 404) {
    throw errorForStatus(res, `listing ${apiPath}`, client.address);
  }
  const names = keys.filter((k): k is string => typeof k === "string" && k !== "" && !k.endsWith("/")).sort();
  return { kind: "map", data: {}, names, source: `${engine} list ${apiPath}`, stamp: folderStamp(names) };
}
