/** Random identifiers shaped like Secrets Manager's: version UUIDs and the ARN's six-character suffix. */
import { randomBytes, randomUUID } from "node:crypto";

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Six random [A-Za-z0-9] characters (rejection sampling keeps it unbiased). */
export function arnSuffix(): string {
  let out = "";
  while (out.length < 6) {
    for (const byte of randomBytes(12)) if (byte < 248 && out.length < 6) out += ALNUM[byte % 62];
  }
  return out;
}

/** A version id: a v4 UUID, as the service and the CLI's idempotency tokens are. */
export function versionId(): string {
  return randomUUID();
}
