/**
 * Go's encoding/json, byte for byte, for the values the double sends. Vault builds most bodies
 * from Go maps (keys sorted by their UTF-8 bytes, integer-like keys included) and a few structs
 * (fields in declaration order); the encoder escapes `<`, `>`, `&`, U+2028 and U+2029, and uses
 * `\uXXXX` for every control character except `\n`, `\r`, `\t`. JSON.stringify does none of
 * that, and a JS object cannot even hold "10" before "9", hence this encoder.
 */

const STRUCTS = new WeakSet<object>();

/** Marks `value` as a Go struct: its keys keep their insertion order and undefined fields are omitted. */
export function struct<T extends object>(value: T): T {
  STRUCTS.add(value);
  return value;
}

/** Encodes like Go's json.Marshal (no trailing newline). */
export function goMarshal(value: unknown): string {
  return encode(value);
}

/** Encodes like Go's json.Encoder.Encode: json.Marshal plus a trailing newline. */
export function goEncode(value: unknown): string {
  return `${encode(value)}\n`;
}

function encode(value: unknown): string {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "string":
      return quote(value);
    case "number":
      return Number.isFinite(value) ? JSON.stringify(value) : "null";
    case "bigint":
      return value.toString();
    case "boolean":
      return value ? "true" : "false";
    case "object":
      break;
    default:
      return "null";
  }
  if (Array.isArray(value)) return `[${value.map(encode).join(",")}]`;
  const obj = value as Record<string, unknown>;
  const isStruct = STRUCTS.has(obj);
  const keys = isStruct ? Object.keys(obj).filter((k) => obj[k] !== undefined) : Object.keys(obj).sort(byUtf8);
  return `{${keys.map((k) => `${quote(k)}:${encode(obj[k])}`).join(",")}}`;
}

/** Go sorts map keys by byte value; UTF-16 order differs for characters above U+FFFF. */
function byUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

const SHORT: Record<string, string> = { '"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const code = s.charCodeAt(i);
    const short = SHORT[ch];
    if (short !== undefined) out += short;
    else if (code < 0x20 || ch === "<" || ch === ">" || ch === "&" || code === 0x2028 || code === 0x2029) {
      out += `\\u${code.toString(16).padStart(4, "0")}`;
    } else if (code >= 0xd800 && code <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += ch + s[i + 1];
        i++;
      } else out += "\\ufffd"; // Go replaces invalid UTF-8 (a lone surrogate) with U+FFFD
    } else if (code >= 0xdc00 && code <= 0xdfff) out += "\\ufffd";
    else out += ch;
  }
  return `${out}"`;
}
