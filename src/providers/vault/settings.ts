/**
 * Where the Vault connection settings come from (docs/contract/authentication.md#vault-address): the command line, then the
 * mapping file, then the Vault CLI's own environment variables, then defaults. Credentials are
 * chosen by `vault.auth.method` (docs/contract/authentication.md#login-methods), else inferred (token XOR AppRole, then VAULT_AGENT_ADDR's
 * Agent, then ~/.vault-token). Called
 * only when a Vault reference exists, so AWS-only users are never asked for Vault credentials.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { AuthError, ConfigError, formatLocation } from "../../errors.js";
import { parseDuration } from "../../config/duration.js";
import type { Located, VaultFileSettings } from "../../config/model.js";
import { defaultMountFor } from "../../config/mapping.js";
import type { VaultAuthField } from "../../config/vault-auth.js";
import { clientCertificateFiles } from "./login/cert.js";
import type { LoginInput, LoginMethod } from "./login/method.js";
import { LOGIN_METHODS } from "./login/registry.js";

/**
 * How envject gets its Vault token: handed one (`token`), one someone else keeps alive in a file
 * (`token_file`: Vault Agent's sink; never renewed or revoked by envject), none at all (`none`:
 * a Vault Agent / proxy with auto-auth adds it), or a login of its own (AppRole, Kubernetes, JWT,
 * AWS IAM, cert: see login/), which it renews, repeats and revokes.
 */
export type VaultAuthSettings =
  | { kind: "token"; method: "token"; token: string; source: string }
  | { kind: "token_file"; method: "token_file"; file: string; source: string }
  | { kind: "none"; method: "none"; source: string }
  | { kind: "login"; method: string; login: LoginMethod };

export interface VaultSettings {
  address: string;
  /** Where the address came from, for messages: `--vault-addr`, `envject.yaml:3:12 (vault.address)`, `VAULT_ADDR`… */
  addressSource: string;
  /**
   * Set only when no setting chose the address (it is DEFAULT_VAULT_ADDRESS): what messages say
   * about that, e.g. "the default address; set VAULT_ADDR or vault.address".
   */
  defaultAddressHint?: string;
  namespace?: string;
  mount: string;
  caCertPath?: string;
  caCertSource?: string;
  skipVerify: boolean;
  timeoutMs: number;
  /** The TLS client certificate presented on every connection (method cert, or VAULT_CLIENT_CERT/KEY). */
  clientCertificate?: { cert: string; key: string };
  auth: VaultAuthSettings;
}

export interface VaultSettingsInput {
  file: VaultFileSettings;
  /** The `aws:` region, for the aws login's STS endpoint. */
  awsRegion?: string;
  /** `--vault-addr` (wins over everything). */
  addressFlag?: string;
  environ: NodeJS.ProcessEnv;
}

export const DEFAULT_VAULT_ADDRESS = "http://127.0.0.1:8200";
/** The `addressSource` of DEFAULT_VAULT_ADDRESS: no flag, mapping setting or variable gave one. */
export const DEFAULT_ADDRESS_SOURCE = "the default";

/** Resolves every setting; throws ConfigError (65) for contradictions, AuthError (77) for missing credentials. */
export function resolveVaultSettings(input: VaultSettingsInput): VaultSettings {
  const { file, environ } = input;
  const [address, addressSource] = pickAddress(input);
  try {
    const url = new URL(address);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("scheme");
  } catch {
    throw new ConfigError(`Vault address from ${addressSource} is not an http(s) URL: ${address}`);
  }
  const namespace = file.namespace?.value || nonEmpty(environ.VAULT_NAMESPACE);
  const mount = defaultMountFor({ vault: file }, environ);
  const caCertPath = file.caCert?.value || nonEmpty(environ.VAULT_CACERT);
  const caCertSource = file.caCert ? describe(file.caCert) : caCertPath ? "VAULT_CACERT" : undefined;
  const timeoutText = nonEmpty(environ.VAULT_CLIENT_TIMEOUT);
  const timeoutMs = timeoutText ? parseDuration(timeoutText) : 30_000;
  if (timeoutMs === undefined || timeoutMs <= 0) {
    throw new ConfigError(`VAULT_CLIENT_TIMEOUT is not a duration (e.g. 30s): ${timeoutText}`);
  }
  return {
    address,
    addressSource,
    defaultAddressHint: addressSource === DEFAULT_ADDRESS_SOURCE ? DEFAULT_ADDRESS_HINT : undefined,
    namespace: namespace || undefined,
    mount,
    caCertPath,
    caCertSource,
    skipVerify: isSkipVerify(environ.VAULT_SKIP_VERIFY),
    timeoutMs,
    clientCertificate: clientCertificateFiles({ settings: file.auth?.settings ?? {}, environ }, file.auth?.method?.value),
    auth: resolveAuth(file, environ, input.awsRegion),
  };
}

/** The Vault CLI's escape hatch, exactly: `1` or `true` in any case. Anything else keeps verification on. */
export function isSkipVerify(value: string | undefined): boolean {
  const v = (value ?? "").trim().toLowerCase();
  return v === "1" || v === "true";
}

function pickAddress(input: VaultSettingsInput): [string, string] {
  if (input.addressFlag) return [input.addressFlag, "--vault-addr"];
  if (input.file.address) return [input.file.address.value, describe(input.file.address)];
  const env = input.environ;
  // Like the Vault CLI: a local Vault Agent / proxy, when named, comes before VAULT_ADDR.
  if (nonEmpty(env.VAULT_AGENT_ADDR)) return [env.VAULT_AGENT_ADDR!, "VAULT_AGENT_ADDR"];
  if (nonEmpty(env.VAULT_ADDR)) return [env.VAULT_ADDR!, "VAULT_ADDR"];
  if (nonEmpty(env.VAULT_URL)) return [env.VAULT_URL!, "VAULT_URL"];
  return [DEFAULT_VAULT_ADDRESS, DEFAULT_ADDRESS_SOURCE];
}

/** What to say of a default address: that nothing set one, and how to. */
const DEFAULT_ADDRESS_HINT = "the default address; set VAULT_ADDR or vault.address";

function resolveAuth(file: VaultFileSettings, env: NodeJS.ProcessEnv, awsRegion: string | undefined): VaultAuthSettings {
  const a = file.auth ?? { settings: {} };
  const input: LoginInput = { settings: a.settings, environ: env, awsRegion, methodOrigin: a.method?.origin };
  const fileToken = a.settings.token?.value;
  const login = (name: string): VaultAuthSettings => {
    const spec = LOGIN_METHODS.get(name)!;
    checkFields(a, name, spec.fields);
    return { kind: "login", method: name, login: spec.create(input) };
  };
  const token = (): VaultAuthSettings => {
    checkFields(a, "token", ["token"]);
    if (fileToken) return { kind: "token", method: "token", token: fileToken, source: describe(a.settings.token!) };
    if (nonEmpty(env.VAULT_TOKEN)) return { kind: "token", method: "token", token: env.VAULT_TOKEN!.trim(), source: "VAULT_TOKEN" };
    const fromFile = readTokenFile(env);
    if (fromFile) return fromFile;
    throw new AuthError("Vault token auth needs a token: set VAULT_TOKEN (or vault.auth.token), or log in with `vault login` to write ~/.vault-token");
  };

  const method = a.method?.value;
  if (method === "token") return token();
  if (method === "token_file") {
    checkFields(a, "token_file", ["token_file"]);
    const path = a.settings.token_file?.value.trim();
    if (!path) throw new ConfigError("vault.auth.token_file is required for method token_file (the file a Vault Agent sink writes)", a.method!.origin);
    return { kind: "token_file", method: "token_file", file: path, source: path };
  }
  if (method === "none") {
    checkFields(a, "none", []);
    return { kind: "none", method: "none", source: nonEmpty(env.VAULT_AGENT_ADDR) ? "VAULT_AGENT_ADDR" : "vault.auth.method none" };
  }
  if (method) return login(method);

  // Without a method only token and AppRole are inferred; every other method is chosen explicitly.
  for (const key of Object.keys(a.settings) as VaultAuthField[]) {
    if (key === "token" || key === "role_id" || key === "secret_id" || key === "path") continue;
    const users = [...LOGIN_METHODS.values()].filter((m) => m.fields.includes(key)).map((m) => m.name);
    if (key === "token_file") users.push("token_file");
    throw new ConfigError(`vault.auth.${key} needs vault.auth.method (${users.join(" or ")}); only token and AppRole are inferred from the settings`, a.settings[key]!.origin);
  }
  // Settings in the file are explicit and decide before the environment does.
  const fileApprole = Boolean(a.settings.role_id || a.settings.secret_id);
  if (fileToken && fileApprole) {
    throw new ConfigError("both a token and AppRole credentials are configured; keep one, or choose with vault.auth.method", a.settings.token!.origin);
  }
  if (fileToken) return token();
  if (fileApprole) return login("approle");

  const hasToken = Boolean(nonEmpty(env.VAULT_TOKEN));
  const hasRole = Boolean(nonEmpty(env.VAULT_ROLE_ID));
  const hasSecret = Boolean(nonEmpty(env.VAULT_SECRET_ID));
  if (hasToken && hasRole && hasSecret) {
    throw new ConfigError("both VAULT_TOKEN and VAULT_ROLE_ID/VAULT_SECRET_ID are set; unset one, or choose with vault.auth.method in the mapping file");
  }
  if (hasToken) return token();
  // A half-configured AppRole is an error, never a silent fall back to a stale ~/.vault-token.
  if (hasRole || hasSecret) return login("approle");
  // A Vault Agent / proxy with auto-auth adds the token itself; a ~/.vault-token is likely for another Vault.
  if (nonEmpty(env.VAULT_AGENT_ADDR)) return { kind: "none", method: "none", source: "VAULT_AGENT_ADDR" };
  const fromFile = readTokenFile(env);
  if (fromFile) return fromFile;
  throw new AuthError(
    "no Vault credentials: set VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID (AppRole), or configure vault.auth in the mapping file (kubernetes, jwt, aws, cert, token_file; see docs/auth/)",
  );
}

/** A `vault.auth` key the chosen method does not read is a mistake worth a 65 at its place. */
function checkFields(auth: NonNullable<VaultFileSettings["auth"]>, method: string, fields: readonly VaultAuthField[]): void {
  for (const key of Object.keys(auth.settings) as VaultAuthField[]) {
    if (key === "path" || fields.includes(key)) continue;
    const allowed = fields.length > 0 ? `its settings: ${[...fields, "path"].join(", ")}` : "it takes no settings";
    throw new ConfigError(`vault.auth.${key} is not a setting of method ${method} (${allowed})`, auth.settings[key]!.origin);
  }
}

function readTokenFile(env: NodeJS.ProcessEnv): VaultAuthSettings | undefined {
  const home = nonEmpty(env.HOME) ?? homedir();
  const path = join(home, ".vault-token");
  try {
    const token = readFileSync(path, "utf8").trim();
    return token ? { kind: "token", method: "token", token, source: path } : undefined;
  } catch {
    return undefined;
  }
}

function describe(setting: Located<string>): string {
  return formatLocation(setting.origin);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== "" ? value : undefined;
}
