/**
 * A small typed client that steers the Vault double over HTTP, the way a user steers Vault:
 * secrets, mounts, policies, tokens, auth methods (AppRole, AWS, cert, kubernetes, jwt) and
 * database roles through the Vault API, and the double's own /__double/ control surface. Used by
 * tests and the demo; any answer of 400 or more
 * from the Vault API throws VaultDoubleError (status and Vault's `errors`, never a secret value).
 */
import http from "node:http";
import https from "node:https";
import type { RequestRecord } from "./state.js";

export interface VaultDoubleClientOptions {
  /** Sent as X-Vault-Namespace on every Vault API call. */
  namespace?: string;
  /** CA to trust when the double serves HTTPS. */
  ca?: string | Buffer;
  /** A TLS client certificate and its key, presented on every HTTPS call (for auth/cert). */
  clientCert?: { cert: string | Buffer; key: string | Buffer };
}

export interface HttpAnswer {
  status: number;
  /** Parsed JSON, or undefined for an empty body. */
  body: unknown;
  /** The body exactly as sent. */
  text: string;
  headers: http.IncomingHttpHeaders;
}

/** A Vault API answer of 400 or more: method, path, status and Vault's `errors` list. */
export class VaultDoubleError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly errors: string[],
  ) {
    super(`${method} /v1/${path} answered ${status}${errors.length > 0 ? `: ${errors.join("; ")}` : ""}`);
    this.name = "VaultDoubleError";
  }
}

export interface TokenOptions {
  policies?: string[];
  /** Seconds or a duration string ("1h"). */
  ttl?: number | string;
  explicit_max_ttl?: number | string;
  renewable?: boolean;
  period?: number | string;
  num_uses?: number;
  no_parent?: boolean;
  no_default_policy?: boolean;
  meta?: Record<string, string>;
  display_name?: string;
}

export interface AuthInfo {
  client_token: string;
  accessor: string;
  policies: string[];
  lease_duration: number;
  renewable: boolean;
  metadata?: Record<string, string> | null;
  entity_id?: string;
}

export interface AppRoleOptions {
  policies?: string[];
  token_ttl?: number | string;
  token_max_ttl?: number | string;
  secret_id_num_uses?: number;
  secret_id_ttl?: number | string;
  token_num_uses?: number;
  token_period?: number | string;
}

export interface AwsClientConfigOptions {
  /** Required value of X-Vault-AWS-IAM-Server-ID (and it must be signed). */
  iam_server_id_header_value?: string;
  /** The STS endpoint Vault would call; its region is the one signatures must be scoped to. */
  sts_endpoint?: string;
  sts_region?: string;
}

export interface AwsRoleOptions {
  /** Exact ARNs, or ending in "*" (matched against the full ARN). */
  bound_iam_principal_arn: string[];
  auth_type?: "iam";
  resolve_aws_unique_ids?: boolean;
  policies?: string[];
  token_ttl?: number | string;
  token_max_ttl?: number | string;
  token_num_uses?: number;
  token_period?: number | string;
}

export interface CertRoleOptions {
  /** PEM of a CA (or a chain) or of one leaf certificate. */
  certificate: string;
  allowed_common_names?: string[];
  allowed_names?: string[];
  display_name?: string;
  policies?: string[];
  token_ttl?: number | string;
  token_max_ttl?: number | string;
  token_num_uses?: number;
  token_period?: number | string;
}

export interface AwsIdentitySpec {
  access_key_id: string;
  secret_access_key: string;
  /** Temporary credentials: requests must carry exactly this X-Amz-Security-Token. */
  session_token?: string;
  /** arn:aws:iam::<acct>:user/<name> or arn:aws:sts::<acct>:assumed-role/<role>/<session>. */
  arn: string;
  /** GetCallerIdentity's UserId; generated when absent. */
  user_id?: string;
}

export interface AwsIdentityView {
  access_key_id: string;
  arn: string;
  account: string;
  user_id: string;
  temporary: boolean;
}

/** The token_* fields every plugin role takes (seconds or duration strings). `policies` is sent as token_policies. */
export interface TokenRoleOptions {
  policies?: string[];
  token_ttl?: number | string;
  token_max_ttl?: number | string;
  token_explicit_max_ttl?: number | string;
  token_period?: number | string;
  token_num_uses?: number;
  token_no_default_policy?: boolean;
}

/** `auth/<mount>/config` of a kubernetes mount. */
export interface KubernetesAuthConfig {
  /** Default "https://kubernetes.default.svc" (stored only: the double calls no Kubernetes). */
  kubernetes_host?: string;
  kubernetes_ca_cert?: string;
  /** PEM public keys or certificates the double verifies service-account JWTs with (without them every login is 403). */
  pem_keys?: string[];
  issuer?: string;
  disable_iss_validation?: boolean;
  /**
   * Default true when no kubernetes_ca_cert is given: Vault outside a pod refuses the config
   * otherwise (it would read the pod's CA file).
   */
  disable_local_ca_jwt?: boolean;
  token_reviewer_jwt?: string;
}

export interface KubernetesRoleOptions extends TokenRoleOptions {
  /** Names (or "*", or globs such as "app-*"). */
  bound_service_account_names: string[] | string;
  bound_service_account_namespaces: string[] | string;
  audience?: string;
  alias_name_source?: "serviceaccount_uid" | "serviceaccount_name";
}

/** `auth/<mount>/config` of a jwt mount (the double takes local keys only). */
export interface JwtAuthConfig {
  jwt_validation_pubkeys: string[];
  bound_issuer?: string;
  default_role?: string;
  jwt_supported_algs?: string[];
}

export interface JwtRoleOptions extends TokenRoleOptions {
  /** Default "jwt" here (Vault's own default is "oidc", which login refuses). */
  role_type?: "jwt" | "oidc";
  user_claim: string;
  bound_audiences?: string[];
  bound_subject?: string;
  bound_claims?: Record<string, string | number | boolean | (string | number | boolean)[]>;
  bound_claims_type?: "string" | "glob";
  claim_mappings?: Record<string, string>;
  user_claim_json_pointer?: boolean;
  groups_claim?: string;
  /** Seconds; 0 = default (150/150/60), -1 = none. */
  expiration_leeway?: number | string;
  not_before_leeway?: number | string;
  clock_skew_leeway?: number | string;
  allowed_redirect_uris?: string[];
}

export interface FaultSpec {
  /** Prefix of the path after /v1/ ("" = every request). */
  path_prefix?: string;
  /**
   * "error" (default): answer `status`. "hang": read the request and never answer (until the
   * double closes). "reset_mid_body": send the real answer's head and half its body, then reset.
   */
  mode?: "error" | "hang" | "reset_mid_body";
  /** HTTP status to answer, or 0 to drop the connection (mode "error" only). */
  status?: number;
  /** How many matching requests fail (default 1). */
  count?: number;
  /** JSON body to send instead of {"errors":["internal error"]}. */
  body?: unknown;
  /** Only requests with this method. */
  method?: string;
}

export interface DoubleConfigPatch {
  forbidden_style?: "plain" | "multierror" | "invalid-token";
  ui_mounts?: "enabled" | "404";
  max_token_ttl?: number;
  default_ttl?: number;
  version?: string;
}

/** One line of the double's request log, as `GET /__double/requests` answers it. */
export type RequestLogEntry = RequestRecord;

export interface LeaseView {
  lease_id: string;
  namespace: string;
  mount: string;
  role: string;
  username: string;
  state: "active" | "expired" | "revoked";
  reason: string | null;
  token_accessor: string;
  issue_time: string;
  expire_time: string;
  ended_time: string | null;
  renewals: number;
}

export interface TokenView {
  accessor: string;
  namespace: string;
  policies: string[];
  display_name: string;
  path: string;
  state: "active" | "expired" | "revoked";
  reason: string | null;
  issue_time: string;
  expire_time: string | null;
  renewable: boolean;
  num_uses: number;
}

export interface MountLocation {
  /** Mount path without trailing slash ("secret", "team/kv"). */
  mount: string;
  /** Path inside the mount. */
  rest: string;
  type: string;
  /** "1" or "2" for KV mounts, null otherwise. */
  version: string | null;
}

interface Envelope {
  data?: Record<string, unknown> | null;
  auth?: AuthInfo | null;
  errors?: string[];
}

/** Steers one double: Vault API calls with `token` (and the namespace header), plus the control surface. */
export class VaultDoubleClient {
  private readonly base: URL;

  constructor(
    readonly url: string,
    readonly token: string,
    private readonly options: VaultDoubleClientOptions = {},
  ) {
    this.base = new URL(url);
  }

  /** The same double, another token. */
  withToken(token: string): VaultDoubleClient {
    return new VaultDoubleClient(this.url, token, this.options);
  }

  /** The same double and token, presenting a TLS client certificate (or none, with undefined). */
  withClientCert(clientCert: { cert: string | Buffer; key: string | Buffer } | undefined): VaultDoubleClient {
    return new VaultDoubleClient(this.url, this.token, { ...this.options, clientCert });
  }

  /** The same double and token, in a namespace. */
  withNamespace(namespace: string): VaultDoubleClient {
    return new VaultDoubleClient(this.url, this.token, { ...this.options, namespace });
  }

  /** Nothing is pooled (each call uses its own connection); kept so callers can be uniform. */
  close(): void {}

  /** One raw call; `path` is the Vault path after /v1/ or a URL path starting with "/". */
  async request(method: string, path: string, body?: unknown, query?: Record<string, string>, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    const target = new URL(path.startsWith("/") ? path : `/v1/${path}`, this.base);
    for (const [k, v] of Object.entries(query ?? {})) target.searchParams.set(k, v);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const h: http.OutgoingHttpHeaders = { ...headers };
    if (!path.startsWith("/")) {
      if (this.token) h["X-Vault-Token"] = this.token;
      if (this.options.namespace) h["X-Vault-Namespace"] = this.options.namespace;
    }
    if (payload) {
      h["Content-Type"] ??= "application/json";
      h["Content-Length"] = payload.length;
    }
    const mod = target.protocol === "https:" ? https : http;
    return new Promise<HttpAnswer>((resolve, reject) => {
      const req = mod.request(target, { method, headers: h, agent: false, ...(this.options.ca ? { ca: this.options.ca } : {}), ...(this.options.clientCert ?? {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown;
          if (text.trim() !== "") {
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = undefined;
            }
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text, headers: res.headers });
        });
      });
      req.on("error", reject);
      req.end(payload);
    });
  }

  /** A Vault API call that must succeed; returns the parsed envelope (undefined for 204). */
  async api(method: string, path: string, body?: unknown, query?: Record<string, string>): Promise<Envelope | undefined> {
    const answer = await this.request(method, path, body, query);
    if (answer.status >= 400) {
      const errors = (answer.body as Envelope | undefined)?.errors;
      throw new VaultDoubleError(method, path, answer.status, Array.isArray(errors) ? errors : []);
    }
    return answer.body as Envelope | undefined;
  }

  // ---- secrets -------------------------------------------------------------------------------

  /**
   * Which mount serves a logical path (mount included, e.g. "secret/myapp/db"). When discovery is
   * unavailable (403, or 404 under control `ui_mounts: "404"`) the first segment is taken as the
   * mount and the version is unknown (null).
   */
  async locate(path: string): Promise<MountLocation> {
    const clean = path.replace(/^\/+|\/+$/g, "");
    const answer = await this.request("GET", `sys/internal/ui/mounts/${clean}`);
    if (answer.status === 403 || answer.status === 404) {
      const first = clean.split("/")[0]!;
      return { mount: first, rest: clean.slice(first.length + 1), type: "unknown", version: null };
    }
    if (answer.status >= 400) throw new VaultDoubleError("GET", `sys/internal/ui/mounts/${clean}`, answer.status, (answer.body as Envelope | undefined)?.errors ?? []);
    const data = (answer.body as Envelope | undefined)?.data as { path?: string; type?: string; options?: { version?: string } | null } | undefined;
    const mount = String(data?.path ?? "").replace(/\/+$/, "");
    return {
      mount,
      rest: clean === mount ? "" : clean.slice(mount.length + 1),
      type: String(data?.type ?? ""),
      version: data?.type === "kv" ? (data.options?.version ?? "1") : null,
    };
  }

  /** Writes a KV v2 secret (full logical path, e.g. "secret/myapp/db"); returns the new version. */
  async writeKv2(path: string, data: Record<string, unknown>, opts: { cas?: number } = {}): Promise<{ version: number }> {
    const { mount, rest } = await this.locate(path);
    const body: Record<string, unknown> = { data };
    if (opts.cas !== undefined) body.options = { cas: opts.cas };
    const env = await this.api("POST", `${mount}/data/${rest}`, body);
    return { version: Number(env?.data?.version) };
  }

  /** Reads a KV v2 secret (latest, or `version`). */
  async readKv2(path: string, version?: number): Promise<{ data: Record<string, unknown>; metadata: Record<string, unknown> }> {
    const { mount, rest } = await this.locate(path);
    const env = await this.api("GET", `${mount}/data/${rest}`, undefined, version ? { version: String(version) } : undefined);
    return env!.data as { data: Record<string, unknown>; metadata: Record<string, unknown> };
  }

  /** Writes a KV v1 secret (flat map). */
  async writeKv1(path: string, data: Record<string, unknown>): Promise<void> {
    await this.api("POST", path.replace(/^\/+/, ""), data);
  }

  /** Writes a secret to whatever KV version serves the path. */
  async writeSecret(path: string, data: Record<string, unknown>): Promise<void> {
    const where = await this.locate(path);
    if (where.version === "2") await this.writeKv2(path, data);
    else await this.writeKv1(path, data);
  }

  /** Soft-deletes the latest version of a KV v2 secret (DELETE data/). */
  async deleteKv2Latest(path: string): Promise<void> {
    const { mount, rest } = await this.locate(path);
    await this.api("DELETE", `${mount}/data/${rest}`);
  }

  async deleteVersions(path: string, versions: number[]): Promise<void> {
    await this.versionsCall("delete", path, versions);
  }

  async undeleteVersions(path: string, versions: number[]): Promise<void> {
    await this.versionsCall("undelete", path, versions);
  }

  /** Destroys KV v2 versions permanently (metadata stays). */
  async destroyVersions(path: string, versions: number[]): Promise<void> {
    await this.versionsCall("destroy", path, versions);
  }

  /** Removes a KV v2 secret entirely (DELETE metadata/). */
  async deleteKv2Metadata(path: string): Promise<void> {
    const { mount, rest } = await this.locate(path);
    await this.api("DELETE", `${mount}/metadata/${rest}`);
  }

  private async versionsCall(action: string, path: string, versions: number[]): Promise<void> {
    const { mount, rest } = await this.locate(path);
    await this.api("POST", `${mount}/${action}/${rest}`, { versions });
  }

  // ---- mounts, policies, tokens, auth --------------------------------------------------------

  /** Enables a secrets engine at `path` ("team/kv"): kv (version "1" or "2") or database. */
  async enableMount(path: string, type: "kv" | "database", version?: "1" | "2"): Promise<void> {
    await this.api("POST", `sys/mounts/${path.replace(/^\/+|\/+$/g, "")}`, { type, ...(version ? { options: { version } } : {}) });
  }

  async disableMount(path: string): Promise<void> {
    await this.api("DELETE", `sys/mounts/${path.replace(/^\/+|\/+$/g, "")}`);
  }

  /** Writes an ACL policy: raw policy text, or `{ "secret/data/*": ["read"] }`. */
  async writePolicy(name: string, rules: string | Record<string, string[]>): Promise<void> {
    const text = typeof rules === "string" ? rules : JSON.stringify({ path: Object.fromEntries(Object.entries(rules).map(([p, caps]) => [p, { capabilities: caps }])) });
    await this.api("PUT", `sys/policies/acl/${name}`, { policy: text });
  }

  /** Creates a token and returns its auth block (token, accessor, policies, TTL). */
  async createTokenAuth(opts: TokenOptions = {}): Promise<AuthInfo> {
    const env = await this.api("POST", "auth/token/create", opts);
    return env!.auth as AuthInfo;
  }

  /** Creates a token and returns the token string. */
  async createToken(opts: TokenOptions = {}): Promise<string> {
    return (await this.createTokenAuth(opts)).client_token;
  }

  async revokeToken(token: string): Promise<void> {
    await this.api("POST", "auth/token/revoke", { token });
  }

  /** Revokes a token by its accessor (`auth/token/revoke-accessor`): for tokens a test never sees, such as an AppRole login's. */
  async revokeAccessor(accessor: string): Promise<void> {
    await this.api("POST", "auth/token/revoke-accessor", { accessor });
  }

  /** Creates (or updates) an AppRole and returns its role_id and a fresh secret_id. */
  async createAppRole(name: string, opts: AppRoleOptions = {}, mount = "approle"): Promise<{ roleId: string; secretId: string }> {
    const { policies, ...rest } = opts;
    await this.api("POST", `auth/${mount}/role/${name}`, { ...rest, ...(policies ? { token_policies: policies } : {}) });
    const roleEnv = await this.api("GET", `auth/${mount}/role/${name}/role-id`);
    return { roleId: String(roleEnv?.data?.role_id), secretId: await this.newSecretId(name, mount) };
  }

  async newSecretId(role: string, mount = "approle"): Promise<string> {
    const env = await this.api("POST", `auth/${mount}/role/${role}/secret-id`, {});
    return String(env?.data?.secret_id);
  }

  /** Logs in with AppRole and returns the auth block. */
  async loginAppRole(roleId: string, secretId: string, mount = "approle"): Promise<AuthInfo> {
    const env = await this.api("POST", `auth/${mount}/login`, { role_id: roleId, secret_id: secretId });
    return env!.auth as AuthInfo;
  }

  /** Writes `auth/<mount>/config/client` of an AWS auth mount (the double ignores access keys). */
  async writeAwsClientConfig(config: AwsClientConfigOptions, mount = "aws"): Promise<void> {
    await this.api("POST", `auth/${mount}/config/client`, config);
  }

  /** Writes an IAM-type AWS auth role (`auth_type: "iam"` unless given). */
  async writeAwsRole(name: string, opts: AwsRoleOptions, mount = "aws"): Promise<void> {
    const { policies, ...rest } = opts;
    await this.api("POST", `auth/${mount}/role/${name}`, { auth_type: "iam", ...rest, ...(policies ? { token_policies: policies } : {}) });
  }

  /** Writes a cert auth role (`certs/<name>`): a CA or leaf PEM and its constraints. */
  async writeCertRole(name: string, opts: CertRoleOptions, mount = "cert"): Promise<void> {
    const { policies, ...rest } = opts;
    await this.api("POST", `auth/${mount}/certs/${name}`, { ...rest, ...(policies ? { token_policies: policies } : {}) });
  }

  /** Enables an auth method at `auth/<path>` (type approle, kubernetes, jwt or oidc). */
  async enableAuth(path: string, type: "approle" | "kubernetes" | "jwt" | "oidc" | (string & {}), opts: { description?: string } = {}): Promise<void> {
    await this.api("POST", `sys/auth/${path.replace(/^\/+|\/+$/g, "")}`, { type, ...opts });
  }

  async disableAuth(path: string): Promise<void> {
    await this.api("DELETE", `sys/auth/${path.replace(/^\/+|\/+$/g, "")}`);
  }

  /** Writes `auth/<mount>/config` of a kubernetes mount. */
  async writeKubernetesConfig(config: KubernetesAuthConfig = {}, mount = "kubernetes"): Promise<void> {
    const body = { kubernetes_host: "https://kubernetes.default.svc", ...config };
    if (body.kubernetes_ca_cert === undefined && body.disable_local_ca_jwt === undefined) body.disable_local_ca_jwt = true;
    await this.api("POST", `auth/${mount}/config`, body);
  }

  /** Writes a kubernetes role; returns Vault's warnings (one when no audience is set). */
  async writeKubernetesRole(name: string, role: KubernetesRoleOptions, mount = "kubernetes"): Promise<string[]> {
    const { policies, ...rest } = role;
    const env = await this.api("POST", `auth/${mount}/role/${name}`, { ...rest, ...(policies ? { token_policies: policies } : {}) });
    return (env as { warnings?: string[] | null } | undefined)?.warnings ?? [];
  }

  /** Logs in with a service-account JWT (no token sent) and returns the auth block. */
  async loginKubernetes(role: string, jwt: string, mount = "kubernetes"): Promise<AuthInfo> {
    const env = await this.withToken("").api("POST", `auth/${mount}/login`, { role, jwt });
    return env!.auth as AuthInfo;
  }

  /** Writes `auth/<mount>/config` of a jwt mount. */
  async writeJwtConfig(config: JwtAuthConfig, mount = "jwt"): Promise<void> {
    await this.api("POST", `auth/${mount}/config`, config);
  }

  /** Writes a jwt role (role_type "jwt" unless given); returns Vault's warnings. */
  async writeJwtRole(name: string, role: JwtRoleOptions, mount = "jwt"): Promise<string[]> {
    const { policies, ...rest } = role;
    const env = await this.api("POST", `auth/${mount}/role/${name}`, { role_type: "jwt", ...rest, ...(policies ? { token_policies: policies } : {}) });
    return (env as { warnings?: string[] | null } | undefined)?.warnings ?? [];
  }

  /** Logs in with a JWT (no token sent) and returns the auth block. */
  async loginJwt(role: string, jwt: string, mount = "jwt"): Promise<AuthInfo> {
    const env = await this.withToken("").api("POST", `auth/${mount}/login`, { role, jwt });
    return env!.auth as AuthInfo;
  }

  /** Creates a database role (TTLs in seconds or duration strings). */
  async createDatabaseRole(name: string, opts: { default_ttl?: number | string; max_ttl?: number | string } = {}, mount = "database"): Promise<void> {
    await this.api("POST", `${mount}/roles/${name}`, { db_name: "double", creation_statements: ['CREATE ROLE "{{name}}"'], ...opts });
  }

  // ---- control surface -----------------------------------------------------------------------

  private async control<T>(method: string, path: string, body?: unknown): Promise<T> {
    const answer = await this.request(method, `/__double/${path}`, body);
    if (answer.status >= 400) throw new Error(`/__double/${path}: ${answer.status} ${answer.text.trim()}`);
    return answer.body as T;
  }

  async seal(): Promise<void> {
    await this.control("POST", "seal");
  }

  async unseal(): Promise<void> {
    await this.control("POST", "unseal");
  }

  /** The next `count` matching /v1/ requests fail with `status` (0 = connection dropped). */
  async fault(spec: FaultSpec): Promise<void> {
    await this.control("POST", "faults", spec);
  }

  async clearFaults(): Promise<void> {
    await this.control("DELETE", "faults");
  }

  /** Delays matching /v1/ requests by `ms` until cleared (ms 0 clears that prefix). */
  async latency(spec: { ms: number; path_prefix?: string }): Promise<void> {
    await this.control("POST", "latency", spec);
  }

  async clearLatency(): Promise<void> {
    await this.control("DELETE", "latency");
  }

  /** Denies a path prefix ("secret/metadata/") for every token ("all", root included), "non-root", or one accessor. */
  async deny(spec: { path: string; for?: string }): Promise<void> {
    await this.control("POST", "deny", spec);
  }

  async clearDenials(): Promise<void> {
    await this.control("DELETE", "deny");
  }

  async requests(): Promise<RequestLogEntry[]> {
    return this.control<RequestLogEntry[]>("GET", "requests");
  }

  async clearRequests(): Promise<void> {
    await this.control("DELETE", "requests");
  }

  async config(patch: DoubleConfigPatch): Promise<Record<string, unknown>> {
    return this.control<Record<string, unknown>>("POST", "config", patch);
  }

  /** Creates a namespace (with a kv v2 `secret/` mount). */
  async createNamespace(path: string): Promise<{ path: string; id: string }> {
    return this.control<{ path: string; id: string }>("POST", "namespaces", { path });
  }

  async leases(): Promise<LeaseView[]> {
    return this.control<LeaseView[]>("GET", "leases");
  }

  async tokens(): Promise<TokenView[]> {
    return this.control<TokenView[]>("GET", "tokens");
  }

  /** Teaches the double's stand-in STS a key pair and the principal it belongs to (the answer never repeats the secret). */
  async addAwsIdentity(identity: AwsIdentitySpec): Promise<AwsIdentityView> {
    return this.control<AwsIdentityView>("POST", "aws/identities", identity);
  }

  async awsIdentities(): Promise<AwsIdentityView[]> {
    return this.control<AwsIdentityView[]>("GET", "aws/identities");
  }

  async clearAwsIdentities(): Promise<void> {
    await this.control("DELETE", "aws/identities");
  }
}
