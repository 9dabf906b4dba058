/**
 * What the configuration loaders produce: the mapping file's settings and every variable binding
 * (from `env`, `expand`, `files` and `--env-file` files), each with the place it was written so an
 * error can name file, line, column and key. Values here are references or literals, never
 * resolved secrets.
 */
import type { SourceLocation } from "../errors.js";
import type { Field, SecretRef, ValueSpec } from "./reference.js";

/** One variable to produce: `NAME: <value>` from a mapping `env`/`files` section or a .env line. */
export interface Binding {
  name: string;
  spec: ValueSpec;
  origin: SourceLocation;
}

/**
 * An `expand:` entry: every key of the secret (or of the object a field points to) becomes a
 * variable. With a folder `ref` (`ref.folder`), every secret directly under it does: one variable
 * each (its `field`), or one per key without `field`.
 */
export interface ExpandEntry {
  ref: SecretRef;
  /** Prepended to each upper-cased, sanitised key ("" when absent). */
  prefix: string;
  /** `field:` of a folder entry: what each secret of the folder gives. */
  field?: Field;
  origin: SourceLocation;
}

/** A setting with the place it came from (for messages). */
export interface Located<T> {
  value: T;
  origin: SourceLocation;
}

import type { VaultAuthField, VaultAuthMethod } from "./vault-auth.js";
export type { VaultAuthField, VaultAuthMethod };

/** `vault:` section, after `${NAME}` expansion. Absent keys stay undefined (environment fallbacks apply later). */
export interface VaultFileSettings {
  address?: Located<string>;
  namespace?: Located<string>;
  mount?: Located<string>;
  caCert?: Located<string>;
  auth?: {
    method?: Located<VaultAuthMethod>;
    /**
     * Every other `vault.auth` key as written (after `${NAME}` expansion; file paths made absolute
     * against the mapping file). Which ones a method reads is its own business
     * (src/providers/vault/login/); `path` is the auth mount, as the Vault CLI's `-path`.
     */
    settings: Partial<Record<VaultAuthField, Located<string>>>;
  };
  /**
   * Environment variables the credentials (`auth.token`, `auth.role_id`, `auth.secret_id`, `auth.jwt`) were
   * expanded from with `${NAME}`: they are envject's credentials, so the child does not inherit
   * them (like VAULT_TOKEN).
   */
  credentialVariables?: string[];
}

/** `aws:` section, after `${NAME}` expansion. */
export interface AwsFileSettings {
  region?: Located<string>;
}

/** A loaded mapping file. A missing default `envject.yaml` gives an empty mapping with `file` undefined. */
export interface Mapping {
  file?: string;
  vault: VaultFileSettings;
  aws: AwsFileSettings;
  env: Binding[];
  expand: ExpandEntry[];
  files: Binding[];
}
