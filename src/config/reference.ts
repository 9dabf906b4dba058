/**
 * The reference grammar (PRODUCT.md §3) as a pure module: no I/O, no HTTP. It turns a string value
 * from the mapping file or a .env file into a ValueSpec: a literal, a single reference, or a
 * template mixing text, references and env_var() lookups. Every failure is a ConfigError.
 */

/** What to take out of a secret: a top-level key, or a JSON pointer into nested values. */
export type Field =
  | { kind: "key"; key: string }
  /** `#/a/b/0`: RFC 6901 tokens, already unescaped (`~1` → `/`, `~0` → `~`). */
  | { kind: "pointer"; tokens: string[] };

export interface VaultRef {
  provider: "vault";
  /** Logical path as typed for `vault kv get`, mount included, no leading/trailing slash: `secret/myapp/db`. */
  path: string;
  /** `?mount=NAME` (no slashes), or the configured mount for vault_secret_var(). */
  mount?: string;
  /** `?version=N` (KV v2 pin), N >= 1. */
  version?: number;
  field?: Field;
  /** The reference as written (for messages; never contains a value). */
  raw: string;
}

export interface AwsRef {
  provider: "aws";
  /** Secret name or ARN (full or partial) as GetSecretValue's SecretId. */
  secretId: string;
  region?: string;
  versionStage?: string;
  versionId?: string;
  field?: Field;
  raw: string;
}

export type SecretRef = VaultRef | AwsRef;

export type TemplatePart =
  | { kind: "text"; text: string }
  | { kind: "ref"; ref: SecretRef }
  | { kind: "env"; name: string };

export type ValueSpec =
  | { kind: "literal"; value: string }
  | { kind: "ref"; ref: SecretRef }
  | { kind: "template"; parts: TemplatePart[] };

export interface ParseContext {
  /** Default KV mount for vault_secret_var() paths (config `vault.mount`, VAULT_MOUNT_POINT, "secret"). */
  defaultMount: string;
}
