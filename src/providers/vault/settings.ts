/**
 * Where the Vault connection settings come from (PRODUCT.md §2): the command line, then the
 * mapping file, then the Vault CLI's own environment variables, then defaults. Credentials are
 * chosen by `vault.auth.method`, else inferred (token XOR AppRole, then ~/.vault-token). Called
 * only when a Vault reference exists, so AWS-only users are never asked for Vault credentials.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { AuthError, ConfigError, formatLocation } from "../../errors.js";
import { parseDuration } from "../../config/duration.js";
import type { Located, VaultFileSettings } from "../../config/model.js";
import { defaultMountFor } from "../../config/mapping.js";

export type VaultAuthSettings =
  | { method: "token"; token: string; source: string }
  | { method: "approle"; roleId: string; secretId: string; path: string };

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
  auth: VaultAuthSettings;
}

export interface VaultSettingsInput {
  file: VaultFileSettings;
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
    defaultAddressHint: addressSource === DEFAULT_ADDRESS_SOURCE ? defaultAddressHint(environ) : undefined,
    namespace: namespace || undefined,
    mount,
    caCertPath,
    caCertSource,
    skipVerify: isSkipVerify(environ.VAULT_SKIP_VERIFY),
    timeoutMs,
    auth: resolveAuth(file, environ),
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
  if (nonEmpty(env.VAULT_ADDR)) return [env.VAULT_ADDR!, "VAULT_ADDR"];
  if (nonEmpty(env.VAULT_URL)) return [env.VAULT_URL!, "VAULT_URL"];
  return [DEFAULT_VAULT_ADDRESS, DEFAULT_ADDRESS_SOURCE];
}

/**
 * What to say of a default address: that nothing set one, and how to. VAULT_AGENT_ADDR is named
 * when it is set, because the Vault CLI would use it and envject does not read it (yet).
 */
function defaultAddressHint(env: NodeJS.ProcessEnv): string {
  const agent = nonEmpty(env.VAULT_AGENT_ADDR) ? "; envject does not read VAULT_AGENT_ADDR" : "";
  return `the default address${agent}; set VAULT_ADDR or vault.address`;
}

function resolveAuth(file: VaultFileSettings, env: NodeJS.ProcessEnv): VaultAuthSettings {
  const a = file.auth ?? {};
  const path = trimSlashes(a.path?.value || "approle");
  const fileToken = a.token?.value;
  const roleId = a.roleId?.value || nonEmpty(env.VAULT_ROLE_ID);
  const secretId = a.secretId?.value || nonEmpty(env.VAULT_SECRET_ID);
  const approle = (): VaultAuthSettings => {
    const missing = [!roleId && "VAULT_ROLE_ID (or vault.auth.role_id)", !secretId && "VAULT_SECRET_ID (or vault.auth.secret_id)"].filter(Boolean);
    if (missing.length > 0) throw new AuthError(`AppRole login needs ${missing.join(" and ")}, which ${missing.length > 1 ? "are" : "is"} not set`);
    return { method: "approle", roleId: roleId!, secretId: secretId!, path };
  };
  const token = (): VaultAuthSettings => {
    if (fileToken) return { method: "token", token: fileToken, source: describe(a.token!) };
    if (nonEmpty(env.VAULT_TOKEN)) return { method: "token", token: env.VAULT_TOKEN!.trim(), source: "VAULT_TOKEN" };
    const fromFile = readTokenFile(env);
    if (fromFile) return fromFile;
    throw new AuthError("Vault token auth needs a token: set VAULT_TOKEN (or vault.auth.token), or log in with `vault login` to write ~/.vault-token");
  };

  if (a.method) return a.method.value === "approle" ? approle() : token();

  // Settings in the file are explicit and decide before the environment does.
  const fileApprole = Boolean(a.roleId || a.secretId);
  if (fileToken && fileApprole) {
    throw new ConfigError("both a token and AppRole credentials are configured; keep one, or choose with vault.auth.method", a.token!.origin);
  }
  if (fileToken) return token();
  if (fileApprole) return approle();

  const hasToken = Boolean(nonEmpty(env.VAULT_TOKEN));
  const hasRole = Boolean(nonEmpty(env.VAULT_ROLE_ID));
  const hasSecret = Boolean(nonEmpty(env.VAULT_SECRET_ID));
  if (hasToken && hasRole && hasSecret) {
    throw new ConfigError(
      "both VAULT_TOKEN and VAULT_ROLE_ID/VAULT_SECRET_ID are set; unset one, or choose with vault.auth.method in the mapping file",
    );
  }
  if (hasToken) return token();
  // A half-configured AppRole is an error, never a silent fall back to a stale ~/.vault-token.
  if (hasRole || hasSecret) return approle();
  const fromFile = readTokenFile(env);
  if (fromFile) return fromFile;
  throw new AuthError(
    "no Vault credentials: set VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID (AppRole), or configure vault.auth in the mapping file",
  );
}

function readTokenFile(env: NodeJS.ProcessEnv): VaultAuthSettings | undefined {
  const home = nonEmpty(env.HOME) ?? homedir();
  const path = join(home, ".vault-token");
  try {
    const token = readFileSync(path, "utf8").trim();
    return token ? { method: "token", token, source: path } : undefined;
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

function trimSlashes(s: string): string {
  return s.replace(/^\/+|\/+$/g, "");
}
