/**
 * The reference grammar (docs/contract/references.md#grammar) as a pure module: no I/O, no HTTP. It turns a string value
 * from the mapping file or a .env file into a ValueSpec: a literal, a single reference, or a
 * template mixing text, references and env_var() lookups. Every failure is a ConfigError.
 *
 * Percent-escapes (`%XX`, UTF-8) are decoded in a Vault path, a query value, an AWS name and a
 * field, so any character can be expressed (`%23` for `#`, `%20` for a space); raw whitespace and
 * control characters are rejected, because in a config file they are almost always a typo.
 */
import { arnParts, parseReference, percentEncode } from "./reference-syntax.js";
import { parseTemplate } from "./template.js";

export { parseReference };

export type { AwsRef, Field, ParseContext, SecretRef, TemplatePart, ValueSpec, VaultRef } from "./reference-types.js";
import type { ParseContext, SecretRef, ValueSpec, Field } from "./reference-types.js";

/** The prefix that keeps a value literal (docs/contract/mapping.md#literal-values); it is removed, nothing after it is parsed. */
export const LITERAL_PREFIX = "literal:";

/** Classifies a mapping/.env value: `literal:` prefix → literal (prefix removed, nothing else
 *  parsed); a whole-string reference → ref; contains `{{` → template; else literal. */
export function parseValue(text: string, ctx: ParseContext): ValueSpec {
  if (text.startsWith(LITERAL_PREFIX)) return { kind: "literal", value: text.slice(LITERAL_PREFIX.length) };
  const ref = parseReference(text, ctx);
  if (ref) return { kind: "ref", ref };
  if (text.includes("{{")) return { kind: "template", parts: parseTemplate(text, ctx) };
  return { kind: "literal", value: text };
}

/** Identity of the secret a reference reads, ignoring its field: two refs with the same identity
 *  are fetched once. Vault: mount(if explicit)+path+version; AWS: region+secretId+stage+versionId. */
export function secretIdentity(ref: SecretRef): string {
  // The full path already names the mount; an explicit mount only steers the fallback when mount
  // discovery is denied, so `vault://secret/db` and `vault_secret_var('db', …)` are one read.
  if (ref.folder) return JSON.stringify([ref.provider, "folder", ref.provider === "vault" ? ref.path : ref.secretId, ref.provider === "aws" ? (ref.region ?? null) : null]);
  if (ref.provider === "vault") return JSON.stringify(["vault", ref.path, ref.version ?? null]);
  // GetSecretValue reads AWSCURRENT when neither stage nor id is given: the same secret as asking for it.
  const stage = ref.versionStage ?? (ref.versionId === undefined ? "AWSCURRENT" : null);
  return JSON.stringify(["aws", ref.region ?? null, ref.secretId, stage, ref.versionId ?? null]);
}

/** Every reference a value uses, in order of appearance (duplicates kept). */
export function refsOf(spec: ValueSpec): SecretRef[] {
  switch (spec.kind) {
    case "literal":
      return [];
    case "ref":
      return [spec.ref];
    case "template":
      return spec.parts.flatMap((part) => (part.kind === "ref" ? [part.ref] : []));
  }
}

/** Canonical display form for messages/check output, e.g. `vault://secret/myapp/db#password`
 *  (never a value). parseReference() reads it back to an equal reference (apart from `raw`). */
export function describeRef(ref: SecretRef): string {
  const query: string[] = [];
  let text: string;
  if (ref.provider === "vault") {
    let path = ref.path;
    if (ref.mount !== undefined) {
      // `?mount=` makes the written path relative to the mount (Vault CLI's -mount).
      if (path.startsWith(`${ref.mount}/`)) path = path.slice(ref.mount.length + 1);
      query.push(`mount=${percentEncode(ref.mount, "%&#")}`);
    }
    if (ref.version !== undefined) query.push(`version=${ref.version}`);
    text = `vault://${percentEncode(path, "%?#")}${ref.folder ? "/" : ""}`;
  } else {
    const arn = ref.secretId.startsWith("arn:") ? arnParts(ref.secretId) : undefined;
    const arnRegion = typeof arn === "object" ? arn.region : undefined;
    // An ARN alone says everything (its region included): show it as written in a mapping.
    if (arnRegion !== undefined && ref.region === arnRegion && ref.versionStage === undefined && ref.versionId === undefined) {
      text = ref.secretId;
    } else {
      if (ref.versionStage !== undefined) query.push(`version_stage=${percentEncode(ref.versionStage, "%&#")}`);
      if (ref.versionId !== undefined) query.push(`version_id=${percentEncode(ref.versionId, "%&#")}`);
      if (ref.region !== undefined && ref.region !== arnRegion) query.push(`region=${percentEncode(ref.region, "%&#")}`);
      text = `aws-sm://${percentEncode(ref.secretId, "%?#")}`;
    }
  }
  if (query.length > 0) text += `?${query.join("&")}`;
  if (ref.field) text += `#${describeField(ref.field)}`;
  return text;
}

/**
 * The form users read in messages and `check`: like describeRef, but a Vault reference is shown
 * by its full logical path (`vault://secret/myapp/db#password` for `vault_secret_var('myapp/db',
 * 'password')`), since the mount only steers the fallback when discovery is denied.
 */
export function displayRef(ref: SecretRef): string {
  return describeRef(ref.provider === "vault" && ref.mount !== undefined ? { ...ref, mount: undefined } : ref);
}

/** `#…` text for a field (without the `#`): a key, or an RFC 6901 pointer, percent-encoded where needed. */
export function describeField(field: Field): string {
  if (field.kind === "pointer") return field.tokens.map((t) => `/${percentEncode(escapePointerToken(t), "%")}`).join("");
  const key = percentEncode(field.key, "%");
  // A key starting with "/" would read back as a pointer.
  return key.startsWith("/") ? `%2F${key.slice(1)}` : key;
}

/** RFC 6901 escaping of one pointer token: `~` → `~0`, `/` → `~1`. */
export function escapePointerToken(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}
