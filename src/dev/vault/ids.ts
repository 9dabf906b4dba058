/** Random identifiers shaped like Vault's: UUIDs, base62 strings, `hvs.` tokens. */
import { randomBytes, randomUUID } from "node:crypto";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A random base62 string of `length` characters (rejection sampling keeps it unbiased). */
export function base62(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

/** A random RFC 4122 v4 UUID, as Vault's request_id, role_id and secret_id are. */
export function uuid(): string {
  return randomUUID();
}

/** Eight lowercase hex characters, for mount accessors (`kv_1a2b3c4d`). */
export function hex8(): string {
  return randomBytes(4).toString("hex");
}
