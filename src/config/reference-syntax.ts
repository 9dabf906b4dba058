/**
 * The text form of a reference (docs/contract/references.md#grammar): schemes, paths, queries, fields, ARNs and
 * percent-escapes, turned into SecretRef values. Pure: no I/O. The template parser uses the body
 * parsers here for vault('…') and aws('…'); reference.ts builds ValueSpecs on top of it.
 */
import { ConfigError } from "../errors.js";
import type { AwsRef, Field, ParseContext, SecretRef, VaultRef } from "./reference-types.js";

const VAULT_SCHEMES = ["vault://", "ref+vault://"] as const;
const AWS_SCHEMES = ["aws-sm://", "ref+awssecrets://"] as const;

/** Parses one whole-string reference; undefined when `text` does not start with a reference
 *  scheme (vault://, ref+vault://, aws-sm://, ref+awssecrets://, arn:…:secretsmanager:…);
 *  ConfigError when it does but is malformed. */
export function parseReference(text: string, ctx: ParseContext): SecretRef | undefined {
  void ctx; // part of the contract so that a future grammar rule may use the configured mount
  const vault = VAULT_SCHEMES.find((scheme) => text.startsWith(scheme));
  const aws = AWS_SCHEMES.find((scheme) => text.startsWith(scheme));
  if (vault === undefined && aws === undefined && !isSecretsManagerArn(text)) return undefined;
  // `vault://secret/{{ env_var('ENV') }}/db` is a template mistaken for a reference: say so.
  if (text.includes("{{")) {
    throw invalid(text, "a reference cannot contain {{ }}; write the value as text with calls in it, e.g. {{ vault('secret/app#key') }}");
  }
  if (vault !== undefined) return parseVaultBody(text.slice(vault.length), text);
  if (aws !== undefined) return parseAwsBody(text.slice(aws.length), text);
  return parseArnReference(text, text);
}

/** VAULTREF without its scheme: `PATH ["?" QUERY] ["#" FIELD]`. `raw` is what the user wrote. */
export function parseVaultBody(body: string, raw: string): VaultRef {
  const parts = splitReference(body, raw);
  const query = parseQuery(parts.query, ["version", "mount"], raw);
  const relative = normaliseVaultPath(decodePercent(parts.main, "the path", raw), "path", raw);
  const ref: VaultRef = { provider: "vault", path: relative, raw };
  const mount = query.get("mount");
  if (mount !== undefined) {
    ref.mount = normaliseVaultPath(mount, "mount", raw);
    ref.path = `${ref.mount}/${relative}`;
  }
  const version = query.get("version");
  if (version !== undefined) {
    const n = Number(version);
    if (!/^\d+$/.test(version) || n < 1 || !Number.isSafeInteger(n)) {
      throw invalid(raw, `${quote(`version=${version}`)} must be a whole number of at least 1`);
    }
    ref.version = n;
  }
  if (parts.field !== undefined) ref.field = parseField(parts.field, raw);
  return ref;
}

/** AWSREF without its scheme: `NAME ["?" QUERY] ["#" FIELD]`; NAME may be an ARN. */
export function parseAwsBody(body: string, raw: string): AwsRef {
  const parts = splitReference(body, raw);
  const query = parseQuery(parts.query, ["version_stage", "version_id", "region"], raw);
  const name = decodePercent(parts.main, "the secret name", raw);
  if (name === "") throw invalid(raw, "the secret name is empty");
  const ref: AwsRef = { provider: "aws", secretId: name, raw };
  let arnRegion: string | undefined;
  if (name.startsWith("arn:")) {
    const arn = arnParts(name);
    if (typeof arn === "string") throw invalid(raw, `${arn}; expected arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME`);
    arnRegion = arn.region;
  } else if (!SECRET_NAME.test(name)) {
    throw invalid(raw, `secret name ${quote(name)} may contain only letters, digits and / _ + = . @ -`);
  }
  const region = query.get("region");
  if (region !== undefined && !REGION.test(region)) throw invalid(raw, `region=${quote(region)} is not a region name such as eu-west-1`);
  if (region !== undefined && arnRegion !== undefined && region !== arnRegion) {
    throw invalid(raw, `region=${region} contradicts the ARN's region ${arnRegion}`);
  }
  if (region ?? arnRegion) ref.region = region ?? arnRegion;
  const stage = query.get("version_stage");
  if (stage !== undefined) ref.versionStage = stage;
  const id = query.get("version_id");
  if (id !== undefined) ref.versionId = id;
  if (parts.field !== undefined) ref.field = parseField(parts.field, raw);
  return ref;
}

/** True when `text` starts like a Secrets Manager ARN (so it is a reference, valid or not). */
export function isSecretsManagerArn(text: string): boolean {
  return text.startsWith("arn:") && text.split(":", 3)[2] === "secretsmanager";
}

/** ARNREF: `arn:…:secretsmanager:REGION:ACCOUNT:secret:NAME ["#" FIELD]` (no query). */
export function parseArnReference(text: string, raw: string): AwsRef {
  rejectUnsafeCharacters(text, raw);
  const hash = text.indexOf("#");
  const arn = hash < 0 ? text : text.slice(0, hash);
  const parts = arnParts(arn);
  if (typeof parts === "string") {
    const hint = arn.includes("?") ? "; to pass a query write aws-sm://ARN?…" : "";
    throw new ConfigError(
      `malformed Secrets Manager ARN ${quote(raw)}: ${parts}${hint}; expected arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME` + ` (write literal:${shorten(raw)} to pass it through as text)`,
    );
  }
  const ref: AwsRef = { provider: "aws", secretId: arn, region: parts.region, raw };
  if (hash >= 0) ref.field = parseField(text.slice(hash + 1), raw);
  return ref;
}

/** A Vault path or mount: percent-decoded already; strips one leading and one trailing `/`. */
export function normaliseVaultPath(text: string, what: "path" | "mount", raw: string): string {
  let path = text.startsWith("/") ? text.slice(1) : text;
  if (path.endsWith("/")) path = path.slice(0, -1);
  if (path === "") throw invalid(raw, `the Vault ${what} is empty`);
  // Raw whitespace was refused before decoding; a space written as %20 is deliberate (Vault allows it).
  if (UNSAFE.test(path.replaceAll(" ", ""))) throw invalid(raw, `the Vault ${what} contains whitespace or a control character`);
  for (const segment of path.split("/")) {
    if (segment === "") throw invalid(raw, `the Vault ${what} ${quote(path)} has an empty segment (//)`);
    if (segment === "." || segment === "..") throw invalid(raw, `the Vault ${what} ${quote(path)} has a ${quote(segment)} segment`);
  }
  return path;
}

const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]+$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const PARTITION = /^aws(-[a-z]+)*$/;
const ACCOUNT = /^\d{12}$/;
const UNSAFE = /[\s\p{Cc}]/u;

/** The parts of an ARN, or a short description of what is wrong with it. */
export function arnParts(arn: string): { partition: string; region: string; account: string; name: string } | string {
  const p = arn.split(":");
  if (p.length !== 7 || p[0] !== "arn" || p[2] !== "secretsmanager" || p[5] !== "secret") {
    return "it does not have the seven ':'-separated parts of a secret ARN";
  }
  const [, partition = "", , region = "", account = "", , name = ""] = p;
  if (!PARTITION.test(partition)) return `${quote(partition)} is not an AWS partition`;
  if (!REGION.test(region)) return `${quote(region)} is not a region name such as eu-west-1`;
  if (!ACCOUNT.test(account)) return `${quote(account)} is not a 12-digit account id`;
  if (name === "") return "the secret name is empty";
  if (!SECRET_NAME.test(name)) return `secret name ${quote(name)} may contain only letters, digits and / _ + = . @ -`;
  return { partition, region, account, name };
}

/** Splits `MAIN ["?" QUERY] ["#" FIELD]`: the first `#` starts the field, the first `?` before it the query. */
function splitReference(body: string, raw: string): { main: string; query?: string; field?: string } {
  rejectUnsafeCharacters(body, raw);
  const hash = body.indexOf("#");
  const beforeField = hash < 0 ? body : body.slice(0, hash);
  const q = beforeField.indexOf("?");
  const out: { main: string; query?: string; field?: string } = { main: q < 0 ? beforeField : beforeField.slice(0, q) };
  if (q >= 0) out.query = beforeField.slice(q + 1);
  if (hash >= 0) out.field = body.slice(hash + 1);
  return out;
}

function rejectUnsafeCharacters(text: string, raw: string): void {
  if (UNSAFE.test(text)) throw invalid(raw, "it contains whitespace or a control character (write a space in a path or key as %20)");
}

/** `k=v&k=v`, values percent-decoded; unknown, duplicate and empty parameters are errors. */
function parseQuery(query: string | undefined, allowed: readonly string[], raw: string): Map<string, string> {
  const out = new Map<string, string>();
  if (query === undefined) return out;
  if (query === "") throw invalid(raw, "nothing after '?'");
  for (const pair of query.split("&")) {
    if (pair === "") throw invalid(raw, "empty query parameter (stray '&')");
    const eq = pair.indexOf("=");
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (!allowed.includes(key)) throw invalid(raw, `unknown query parameter ${quote(key)} (known: ${allowed.join(", ")})`);
    if (out.has(key)) throw invalid(raw, `query parameter ${quote(key)} is given twice`);
    const value = eq < 0 ? "" : decodePercent(pair.slice(eq + 1), `the value of ${key}`, raw);
    if (value === "") throw invalid(raw, `query parameter ${quote(key)} has no value`);
    out.set(key, value);
  }
  return out;
}

/** FIELD: `/…` is an RFC 6901 pointer (split first, then each token decoded and unescaped), else a key. */
export function parseField(text: string, raw: string): Field {
  if (text === "") throw invalid(raw, "nothing after '#': name a key (#password) or a JSON pointer (#/a/b)");
  if (!text.startsWith("/")) return { kind: "key", key: decodePercent(text, "the field", raw) };
  const tokens = text
    .slice(1)
    .split("/")
    .map((token) => {
      const decoded = decodePercent(token, "the field", raw);
      if (/~(?![01])/.test(decoded)) throw invalid(raw, `JSON pointer token ${quote(decoded)} has a '~' not followed by 0 or 1 (write ~0 for '~', ~1 for '/')`);
      return decoded.replace(/~1/g, "/").replace(/~0/g, "~");
    });
  return { kind: "pointer", tokens };
}

function decodePercent(text: string, what: string, raw: string): string {
  if (!text.includes("%")) return text;
  if (/%(?![0-9A-Fa-f]{2})/.test(text)) throw invalid(raw, `${what} has a '%' not followed by two hex digits (write %25 for '%')`);
  try {
    return decodeURIComponent(text);
  } catch {
    throw invalid(raw, `the percent-escapes in ${what} are not valid UTF-8`);
  }
}

/** Percent-encodes `%`, braces (`{{` is refused in a reference), whitespace, control characters and `special`. */
export function percentEncode(text: string, special: string): string {
  // Most text has nothing to encode: one scan instead of a string built a character at a time.
  if (!mayNeedEncoding(text, special)) return text;
  let out = "";
  for (const ch of text) out += special.includes(ch) || ch === "{" || ch === "}" || UNSAFE.test(ch) ? encodeURIComponent(ch) : ch;
  return out;
}

/** Whether `text` has a character percentEncode() could encode (false means it gives `text` back as it is). */
function mayNeedEncoding(text: string, special: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Printable ASCII other than the braces is kept unless it is one of `special`; anything else is looked at closely.
    if (c <= 0x20 || c >= 0x7f || c === 0x7b || c === 0x7d || special.includes(text[i]!)) return true;
  }
  return false;
}

function invalid(raw: string, what: string): ConfigError {
  return new ConfigError(`invalid reference ${quote(raw)}: ${what}`);
}

function quote(text: string): string {
  return JSON.stringify(shorten(text));
}

function shorten(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
