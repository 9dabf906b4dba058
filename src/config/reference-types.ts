/**
 * What a reference is, once parsed: the types only, with no imports, so the parser
 * (reference-syntax.ts), the templates (template.ts) and the model can all name them without
 * depending on each other. Parsing lives in reference.ts.
 */

/** What to take out of a secret: a top-level key, or a JSON pointer into nested values. */
export type Field =
  | { kind: "key"; key: string }
  /** `#/a/b/0`: RFC 6901 tokens, already unescaped (`~1` → `/`, `~0` → `~`). */
  | { kind: "pointer"; tokens: string[] };

export interface VaultRef {
  provider: "vault";
  /**
   * Logical path as typed for `vault kv get`, mount included, no leading/trailing slash:
   * `secret/myapp/db`. With `?mount=` the written path is relative to the mount (as
   * `vault kv get -mount=secret myapp/db`), and this is the mount joined with it.
   */
  path: string;
  /**
   * The mount when the user named it: `?mount=NAME` (may contain slashes, e.g. `team/kv`; no
   * leading/trailing slash), or the configured mount for vault_secret_var(). `path` starts with it.
   * Undefined when the mount is to be discovered from the path.
   */
  mount?: string;
  /** `?version=N` (KV v2 pin), N >= 1. */
  version?: number;
  field?: Field;
  /**
   * An `expand:` folder (`vault://airflow/connections/`): `path` names a folder, and what is read
   * is the list of the secrets directly under it (SecretDocument.names).
   */
  folder?: true;
  /** The reference as written (for messages; never contains a value). */
  raw: string;
}

export interface AwsRef {
  provider: "aws";
  /** Secret name or ARN (full or partial) as GetSecretValue's SecretId. */
  secretId: string;
  /** `?region=`, or the region of an ARN. */
  region?: string;
  versionStage?: string;
  versionId?: string;
  field?: Field;
  /** An `expand:` folder (`aws-sm://airflow/connections/`): `secretId` is the name prefix, `/` included. */
  folder?: true;
  raw: string;
}

export type SecretRef = VaultRef | AwsRef;

export type TemplatePart = { kind: "text"; text: string } | { kind: "ref"; ref: SecretRef } | { kind: "env"; name: string };

export type ValueSpec = { kind: "literal"; value: string } | { kind: "ref"; ref: SecretRef } | { kind: "template"; parts: TemplatePart[] };

export interface ParseContext {
  /** Default KV mount for vault_secret_var() paths (config `vault.mount`, VAULT_MOUNT_POINT, "secret"). */
  defaultMount: string;
}
