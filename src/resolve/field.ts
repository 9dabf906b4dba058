/**
 * Taking a field out of a secret once it has been read (docs/contract/references.md#fields-and-values): a key or JSON pointer into
 * a Vault map or an AWS SecretString parsed as JSON, the single key of a one-key map, or the whole
 * string. Messages name the reference and keys, never a value: they go to logs and `check` output.
 */
import { ConfigError, NotFoundError } from "../errors.js";
import { type Field, escapePointerToken } from "../config/reference.js";
import type { SecretDocument } from "../providers/provider.js";
import { closestKey } from "../suggest.js";

/** How many key names a "not found" message lists before it says "and N more". */
const LISTED_KEYS = 20;

/** Takes `field` out of a read secret and returns the variable's string value; throws
 *  NotFoundError(78) for a missing key/pointer (message lists available keys at that level, never
 *  values), ConfigError(65) when no field is given and a map secret has ≠1 keys (message lists the
 *  keys and says to add #KEY), ConfigError when a field is asked of an AWS SecretString that is not
 *  JSON (message names the secret, never the content). `label` names the reference for messages. */
export function extractField(doc: SecretDocument, field: Field | undefined, label: string): string {
  if (field === undefined) {
    if (doc.kind !== "map") return typeof doc.data === "string" ? doc.data : stringifySecretValue(doc.data);
    const data = asObject(doc.data);
    const keys = Object.keys(data);
    if (keys.length === 1) return stringifySecretValue(data[keys[0]!]);
    const which = keys.length === 0 ? "has no keys" : `has ${keys.length} keys (${listKeys(keys)})`;
    throw new ConfigError(`${label} ${which}; add #KEY to the reference to choose one`);
  }
  return stringifySecretValue(lookup(structured(doc, label, "#field cannot be used"), field, label));
}

/** Also exported: the object at `field` (or the whole map) for `expand:` — throws like above,
 *  and ConfigError when the target is not an object. */
export function extractObject(doc: SecretDocument, field: Field | undefined, label: string): Record<string, unknown> {
  const root = structured(doc, label, field === undefined ? "it cannot be expanded" : "#field cannot be used");
  const target = field === undefined ? root : lookup(root, field, label);
  if (!isPlainObject(target)) {
    const at = field === undefined ? "" : ` at ${describeLocation(field)}`;
    throw new ConfigError(`${label}${at} is ${kindOf(target)}, not an object, so its keys cannot be expanded into variables`);
  }
  return target;
}

/** Strings as is; numbers/booleans via String(); null → ""; objects/arrays → JSON.stringify. */
export function stringifySecretValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "";
  if (typeof value !== "object") return String(value);
  try {
    // Secrets come from JSON, so this is the normal path; bigint cannot come from JSON but must not throw.
    const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
    if (typeof text === "string") return text;
  } catch {
    // A cycle or a throwing toJSON: fall through to a description that cannot throw.
  }
  return Object.prototype.toString.call(value);
}

/** The document as a JSON-like value to look into; ConfigError for binary and non-JSON strings. */
function structured(doc: SecretDocument, label: string, consequence: string): unknown {
  if (doc.kind === "map") return asObject(doc.data);
  if (doc.kind === "binary") throw new ConfigError(`secret ${label} is binary (SecretBinary), so ${consequence}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(doc.data));
  } catch {
    throw new ConfigError(`secret ${label} is not JSON, so ${consequence}`);
  }
  if (parsed === null || typeof parsed !== "object") throw new ConfigError(`secret ${label} is JSON ${kindOf(parsed)}, not an object, so ${consequence}`);
  return parsed;
}

/** Walks a key or pointer; NotFoundError naming the level where it failed and the keys there. */
function lookup(root: unknown, field: Field, label: string): unknown {
  const tokens = field.kind === "key" ? [field.key] : field.tokens;
  let current = root;
  for (let depth = 0; depth < tokens.length; depth++) {
    const token = tokens[depth]!;
    const level = field.kind === "key" || depth === 0 ? "at the top level" : `at ${pointerText(tokens.slice(0, depth))}`;
    if (Array.isArray(current)) {
      const index = /^(0|[1-9]\d*)$/.test(token) ? Number(token) : -1;
      if (index < 0 || index >= current.length) {
        throw new NotFoundError(`${label}: no index ${JSON.stringify(token)} ${level} (an array of ${current.length})`);
      }
      current = current[index];
    } else if (isPlainObject(current)) {
      if (!Object.hasOwn(current, token)) {
        const keys = Object.keys(current);
        const available = keys.length === 0 ? "it has no keys" : `available: ${listKeys(keys)}`;
        const hint = closestKey(token, keys);
        const meant = hint === undefined ? "" : `; did you mean ${fieldText(field, depth, hint)}?`;
        throw new NotFoundError(`${label}: no key ${JSON.stringify(token)} ${level} (${available})${meant}`);
      }
      current = current[token];
    } else {
      throw new NotFoundError(`${label}: no key ${JSON.stringify(token)} ${level}, which is ${kindOf(current)}, not an object`);
    }
  }
  return current;
}

function asObject(data: SecretDocument["data"]): Record<string, unknown> {
  // A provider bug (a string in a map document) must not surface as a TypeError deep in a lookup.
  return isPlainObject(data) ? data : {};
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Sorted key names, at most LISTED_KEYS of them. */
function listKeys(keys: string[]): string {
  const sorted = [...keys].sort();
  const shown = sorted.slice(0, LISTED_KEYS).map((k) => JSON.stringify(k));
  return sorted.length > LISTED_KEYS ? `${shown.join(", ")} and ${sorted.length - LISTED_KEYS} more` : shown.join(", ");
}

/** The field as written with its token at `depth` replaced by `key`: `#password`, `#/db/host`. */
function fieldText(field: Field, depth: number, key: string): string {
  if (field.kind === "key") return `#${key}`;
  return `#${pointerText(field.tokens.map((t, i) => (i === depth ? key : t)))}`;
}

function describeLocation(field: Field): string {
  return field.kind === "key" ? `key ${JSON.stringify(field.key)}` : pointerText(field.tokens);
}

function pointerText(tokens: string[]): string {
  return tokens.length === 0 ? "the top level" : tokens.map((t) => `/${escapePointerToken(t)}`).join("");
}

/** "a string", "a number", "an array", "null" — for messages; never the value itself. */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  const type = typeof value;
  return type === "object" || type === "undefined" ? `an ${type}` : `a ${type}`;
}
