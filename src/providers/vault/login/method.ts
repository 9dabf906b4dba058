/**
 * One interface for every way envject logs in to Vault (docs/contract/authentication.md#login-methods). A login method turns the
 * `vault.auth` settings into a `POST auth/<path>/login` body, reading its credential afresh each
 * time (projected service-account tokens and CI tokens rotate); VaultSession sends it, reads the
 * `auth` block and keeps the token alive exactly as for AppRole. Adding a method (GCP, Azure) is
 * one file here and one line in registry.ts (and its name and settings in config/vault-auth.ts).
 *
 * A method never logs its credential: every secret it reads goes into `secrets`, which the session
 * adds to the logger's redactor before sending, so no JWT, signature or token reaches a message.
 */
import { AuthError, ConfigError, type SourceLocation } from "../../../errors.js";
import type { Located, VaultAuthField } from "../../../config/model.js";
import type { Logger } from "../../../log/logger.js";

/** The `vault.auth` settings as the mapping gave them, with the environment for fallbacks. */
export interface LoginInput {
  settings: Partial<Record<VaultAuthField, Located<string>>>;
  environ: NodeJS.ProcessEnv;
  /** The `aws:` section's region, for the aws method's STS endpoint. */
  awsRegion?: string;
  /** Where `vault.auth.method` was written: a missing required setting is reported there. */
  methodOrigin?: SourceLocation;
}

/** What one login sends, and what in it is secret. */
export interface LoginRequest {
  body: Record<string, unknown>;
  /** Credential strings in the body (JWT, signature, secret_id…): redacted from every log line. */
  secrets: string[];
}

export interface LoginContext {
  logger: Logger;
  /** Epoch ms the login may not outlast. */
  deadline?: number;
}

/** A configured way to log in: where, and how to build the request. */
export interface LoginMethod {
  /** The `vault.auth.method` name: `approle`, `kubernetes`… */
  readonly name: string;
  /** For messages: "AppRole", "Kubernetes", "JWT", "AWS IAM", "TLS certificate". */
  readonly title: string;
  /** The auth mount without slashes (`kubernetes`, or the `path` setting). */
  readonly path: string;
  /**
   * Builds the login request, reading the credential now. Throws AuthError (77) when the credential
   * cannot be had (a missing token file, no AWS credentials), naming where it looked; never with
   * the credential in the message.
   */
  request(ctx: LoginContext): Promise<LoginRequest>;
}

/** A login method's entry in the registry: the settings it reads, and how to build it. */
export interface LoginMethodSpec {
  readonly name: string;
  /** The `vault.auth` keys this method reads (besides `method`; `path` is always allowed). */
  readonly fields: readonly VaultAuthField[];
  /** Checks the settings (ConfigError 65 / AuthError 77 for what is missing) and builds the method. */
  create(input: LoginInput): LoginMethod;
}

/** The auth mount: `path`, else the method's name. */
export function authPath(input: LoginInput, fallback: string): string {
  const path = input.settings.path?.value.replace(/^\/+|\/+$/g, "");
  return path || fallback;
}

/** A setting's value (trimmed; empty counts as absent). */
export function settingValue(input: LoginInput, key: VaultAuthField): string | undefined {
  const value = input.settings[key]?.value.trim();
  return value ? value : undefined;
}

/** A variable of envject's environment (empty counts as absent). */
export function environValue(input: LoginInput, name: string): string | undefined {
  const value = input.environ[name]?.trim();
  return value ? value : undefined;
}

export function settingLocation(input: LoginInput, key: VaultAuthField): SourceLocation | undefined {
  return input.settings[key]?.origin;
}

/** A required setting: 65 at the `method:` line when it is missing. */
export function requireSetting(input: LoginInput, key: VaultAuthField, method: string, hint = ""): string {
  const value = settingValue(input, key);
  if (value === undefined) throw new ConfigError(`vault.auth.${key} is required for method ${method}${hint}`, input.settings[key]?.origin ?? input.methodOrigin);
  return value;
}

/**
 * Reads a credential file (a service-account token, a CI token, a Vault Agent sink) afresh.
 * 77 naming the file when it is missing, unreadable or empty; the contents are never in a message.
 */
export async function readCredentialFile(file: string, what: string): Promise<string> {
  const { readFile } = await import("node:fs/promises");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "does not exist" : code === "EACCES" ? "is not readable by envject" : code === "EISDIR" ? "is a directory" : `cannot be read (${code ?? "error"})`;
    throw new AuthError(`the ${what} file ${file} ${why}`);
  }
  const value = text.trim();
  if (value === "") throw new AuthError(`the ${what} file ${file} is empty`);
  return value;
}
