/**
 * Request-field readers with Vault's framework field types (TypeDurationSecond, TypeCommaStringSlice,
 * TypeCommaIntSlice, TypeBool, TypeInt). JSON null counts as "not given". A value that cannot be
 * converted raises FieldError, which the router turns into Vault's 400.
 */
import { DurationError, parseDurationSeconds } from "../time/duration.js";
import { parseGoBool } from "./request.js";

/** A request field that cannot be converted; the message is Vault-shaped and names the field. */
export class FieldError extends Error {}

type Data = Record<string, unknown>;

function fail(name: string, raw: unknown, reason?: string): never {
  const shown = typeof raw === "string" ? raw : JSON.stringify(raw);
  throw new FieldError(`Field validation failed: error converting input ${shown} for field "${name}"${reason ? `: ${reason}` : ""}`);
}

/** True when the field is present and not null. */
export function has(data: Data, name: string): boolean {
  return data[name] !== undefined && data[name] !== null;
}

/** TypeString (numbers and booleans are converted, as Vault's weak decoding does). */
export function stringField(data: Data, name: string, fallback = ""): string {
  const raw = data[name];
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw === "string") return raw;
  if (typeof raw === "number" || typeof raw === "boolean") return String(raw);
  return fail(name, raw);
}

/** TypeBool: booleans, Go bool strings ("true", "1", "f"…), numbers. */
export function boolField(data: Data, name: string, fallback: boolean): boolean {
  const raw = data[name];
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw === "boolean") return raw;
  if (typeof raw === "string") {
    const b = parseGoBool(raw);
    if (b !== undefined) return b;
  }
  if (typeof raw === "number") return raw !== 0;
  return fail(name, raw);
}

/** TypeInt: numbers or integer strings, truncated. */
export function intField(data: Data, name: string, fallback = 0): number {
  const raw = data[name];
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw === "number" && Number.isFinite(raw)) return Math.trunc(raw);
  if (typeof raw === "string" && /^\s*-?\d+\s*$/.test(raw)) return Number.parseInt(raw, 10);
  return fail(name, raw);
}

/** TypeDurationSecond: integer seconds or a Go duration string. */
export function durationField(data: Data, name: string, fallback = 0): number {
  const raw = data[name];
  if (raw === undefined || raw === null) return fallback;
  try {
    return parseDurationSeconds(raw);
  } catch (error) {
    if (error instanceof DurationError) return fail(name, raw, error.message);
    throw error;
  }
}

/** TypeCommaStringSlice: a list, or one comma-separated string ("default,app"). */
export function stringListField(data: Data, name: string): string[] | undefined {
  const raw = data[name];
  if (raw === undefined || raw === null) return undefined;
  const items = Array.isArray(raw) ? raw : typeof raw === "string" ? raw.split(",") : fail(name, raw);
  return items.map((x) => String(x).trim()).filter((x) => x !== "");
}

/** TypeCommaIntSlice: a list of numbers/strings, or "1,2". */
export function intListField(data: Data, name: string): number[] {
  const raw = data[name];
  if (raw === undefined || raw === null) return [];
  const items = Array.isArray(raw) ? raw : typeof raw === "string" ? raw.split(",") : [raw];
  return items.map((x) => {
    const n = typeof x === "number" ? x : Number.parseInt(String(x).trim(), 10);
    return Number.isFinite(n) ? Math.trunc(n) : fail(name, raw);
  });
}

/** TypeMap: a JSON object. */
export function mapField(data: Data, name: string): Record<string, unknown> | undefined {
  const raw = data[name];
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === "object" && !Array.isArray(raw)) return raw as Record<string, unknown>;
  return fail(name, raw);
}

/** TypeKVPairs / map[string]string: values are weakly converted to strings. */
export function stringMapField(data: Data, name: string): Record<string, string> | undefined {
  const map = mapField(data, name);
  if (!map) return undefined;
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, typeof v === "string" ? v : v === null ? "" : JSON.stringify(v)]));
}
