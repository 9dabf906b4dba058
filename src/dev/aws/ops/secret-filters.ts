/**
 * The Filters of BatchGetSecretValue (and ListSecrets): every filter must match (AND), any of a
 * filter's values may (OR). Values are prefix matches, case-sensitive except for `description`
 * and `all`; a value starting with `!` negates. `all` matches name, description, tag keys and
 * tag values.
 */
import type { Secret } from "../store/secret.js";
import { invalidParameter } from "../wire/errors.js";
import { listMember } from "./validate.js";

export interface SecretFilter {
  key: string;
  values: string[];
}

const KEYS = ["description", "name", "tag-key", "tag-value", "primary-region", "owning-service", "all"];

/** The Filters member, checked. */
export function filtersFrom(input: Record<string, unknown>): SecretFilter[] | undefined {
  const list = listMember(input, "Filters", 0, 10);
  if (list === undefined) return undefined;
  return list.map((raw) => {
    const f = raw as { Key?: unknown; Values?: unknown } | null;
    if (f === null || typeof f !== "object" || typeof f.Key !== "string" || !KEYS.includes(f.Key)) {
      throw invalidParameter(`Invalid filter key. Valid keys: ${KEYS.join(", ")}.`);
    }
    if (!Array.isArray(f.Values) || f.Values.length < 1 || f.Values.length > 10 || f.Values.some((v) => typeof v !== "string" || v === "")) {
      throw invalidParameter("Each filter needs 1 to 10 non-empty string Values.");
    }
    return { key: f.Key, values: f.Values as string[] };
  });
}

/** True when `secret` passes every filter. */
export function matchesFilters(secret: Secret, filters: SecretFilter[], region: string): boolean {
  return filters.every((f) => f.values.some((v) => (v.startsWith("!") ? !matchesOne(secret, f.key, v.slice(1), region) : matchesOne(secret, f.key, v, region))));
}

function matchesOne(secret: Secret, key: string, value: string, region: string): boolean {
  const prefix = (s: string | undefined, caseless = false) => s !== undefined && (caseless ? s.toLowerCase().startsWith(value.toLowerCase()) : s.startsWith(value));
  switch (key) {
    case "name":
      return prefix(secret.name);
    case "description":
      return prefix(secret.description, true);
    case "tag-key":
      return secret.tags.some((t) => prefix(t.Key));
    case "tag-value":
      return secret.tags.some((t) => prefix(t.Value));
    case "primary-region":
      return prefix(region);
    case "owning-service":
      return false;
    default:
      return [secret.name, secret.description, ...secret.tags.flatMap((t) => [t.Key, t.Value])].some((s) => prefix(s, true));
  }
}
