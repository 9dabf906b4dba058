/**
 * The kubernetes auth method (hashicorp/vault-plugin-auth-kubernetes): config, roles
 * (bound_service_account_names / _namespaces with `*` and globs, audience, alias_name_source,
 * token_* and the deprecated names hvac still sends), and login.
 *
 * Deviation: real Vault confirms the service-account JWT with the Kubernetes TokenReview API.
 * There is no Kubernetes here, so the double verifies the signature itself against the config's
 * `pem_keys` (a real, deprecated field the plugin still verifies with) and trusts the claims;
 * without pem_keys every login that passes the claim checks ends in 403 "permission denied", as a
 * TokenReview that cannot be made does.
 */
import { existsSync, readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { route, type HandlerContext, type Route } from "../context.js";
import { uuid } from "../ids.js";
import type { KubernetesConfig, KubernetesRole, KubernetesStore } from "../store/kubernetes.js";
import { boolField, has, stringField, stringListField } from "../wire/fields.js";
import { errorReply, noContent, notFound, ok, okOrNoContent, unsupportedOperation, unsupportedPath, type Reply } from "../wire/reply.js";
import type { LogicalRequest } from "../wire/request.js";
import { listContainsGlob, parsePublicKeyPem, unverifiedClaims, validateClaims, verifySignature, type SignatureResult } from "./jwt-verify.js";
import { emptyTokenParams, issueLoginToken, parseTokenFields, quotedDuration, tokenData, upgradeLegacyFields } from "./token-params.js";

const MOUNT_TYPE = "kubernetes";
const LOCAL_CA_CERT = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
/** The algorithms Kubernetes signs service-account tokens with (the plugin's allowedSigningAlgs). */
const ALLOWED_ALGS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512"];
const ALIAS_SOURCES = ["serviceaccount_uid", "serviceaccount_name"];
/** framework.GenericNameRegex. */
const ROLE_PATH = /^role\/(\w(?:[\w.-]*\w)?)$/;

/** Picks the handler for a path under a kubernetes auth mount. */
export function kubernetesRoute(store: KubernetesStore, rest: string, req: LogicalRequest): Route {
  const op = req.operation;
  if (rest === "login") {
    return { capability: null, handle: op === "update" ? (ctx) => login(store, ctx) : unsupportedOperation };
  }
  if (rest === "config") {
    if (op === "read") return route(req, () => readConfig(store));
    if (op === "update") return route(req, (ctx) => writeConfig(store, ctx));
    return route(req, unsupportedOperation);
  }
  if (rest === "role/" || rest === "role") {
    if (op !== "list") return route(req, unsupportedOperation);
    return route(req, () => {
      const keys = [...store.roles.keys()].sort();
      return keys.length === 0 ? notFound() : ok({ data: { keys }, mountType: MOUNT_TYPE });
    });
  }
  const m = ROLE_PATH.exec(rest);
  if (!m) return route(req, unsupportedPath);
  const name = m[1]!;
  switch (op) {
    case "read":
      return route(req, () => readRole(store, name));
    case "update":
      return route(req, (ctx) => writeRole(store, name, ctx), store.roles.has(name.toLowerCase()));
    case "delete":
      return route(req, () => {
        store.roles.delete(name.toLowerCase());
        return noContent();
      });
    default:
      return route(req, unsupportedOperation);
  }
}

// ---- config --------------------------------------------------------------------------------------

function readConfig(store: KubernetesStore): Reply {
  const c = store.config;
  if (!c) return notFound();
  return ok({
    data: {
      disable_iss_validation: c.disableIssValidation,
      disable_local_ca_jwt: c.disableLocalCaJwt,
      issuer: c.issuer,
      kubernetes_ca_cert: c.kubernetesCaCert,
      kubernetes_host: c.kubernetesHost,
      pem_keys: c.pemKeys,
      token_reviewer_jwt_set: c.tokenReviewerJwtSet,
      use_annotations_as_alias_metadata: c.useAnnotationsAsAliasMetadata,
    },
    mountType: MOUNT_TYPE,
  });
}

function writeConfig(store: KubernetesStore, ctx: HandlerContext): Reply {
  const d = ctx.req.data;
  const host = stringField(d, "kubernetes_host");
  if (host === "") return errorReply(400, "no host provided");
  const caCert = stringField(d, "kubernetes_ca_cert");
  if (caCert !== "" && !/-----BEGIN [^\r\n-]*-----[\s\S]*?-----END [^\r\n-]*-----/.test(caCert)) {
    return errorReply(400, "The provided CA PEM data contains no valid certificates");
  }
  const config: KubernetesConfig = {
    kubernetesHost: host,
    kubernetesCaCert: caCert,
    pemKeys: stringListField(d, "pem_keys") ?? [],
    publicKeys: [],
    issuer: stringField(d, "issuer"),
    disableIssValidation: boolField(d, "disable_iss_validation", true),
    disableLocalCaJwt: boolField(d, "disable_local_ca_jwt", false),
    tokenReviewerJwtSet: stringField(d, "token_reviewer_jwt") !== "",
    useAnnotationsAsAliasMetadata: boolField(d, "use_annotations_as_alias_metadata", false),
  };
  for (const pem of config.pemKeys) {
    const parsed = parsePublicKeyPem(pem, "kubernetes");
    if ("error" in parsed) return errorReply(400, parsed.error);
    config.publicKeys.push(parsed.key);
  }
  // updateTLSConfig: without a CA in the config the plugin reads the pod's own CA file, and
  // fails outside a pod unless disable_local_ca_jwt is set.
  if (caCert === "" && !config.disableLocalCaJwt) {
    if (!existsSync(LOCAL_CA_CERT)) return errorReply(400, `open ${LOCAL_CA_CERT}: no such file or directory`);
    try {
      readFileSync(LOCAL_CA_CERT);
    } catch (error) {
      return errorReply(400, `open ${LOCAL_CA_CERT}: ${(error as NodeJS.ErrnoException).code === "EACCES" ? "permission denied" : "no such file or directory"}`);
    }
  }
  store.config = config;
  return noContent();
}

// ---- roles ---------------------------------------------------------------------------------------

function newRole(): KubernetesRole {
  return {
    ...emptyTokenParams(),
    boundServiceAccountNames: [],
    boundServiceAccountNamespaces: [],
    boundServiceAccountNamespaceSelector: "",
    audience: "",
    aliasNameSource: "",
  };
}

/** makeNsLabelSelector: a JSON or YAML object (a metav1.LabelSelector) without matchExpressions. */
function validSelector(text: string): boolean {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch {
    return false;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const expressions = (value as Record<string, unknown>).matchExpressions;
  return expressions === undefined || expressions === null;
}

function writeRole(store: KubernetesStore, name: string, ctx: HandlerContext): Reply {
  const d = ctx.req.data;
  const key = name.toLowerCase();
  const existing = store.roles.get(key);
  // The plugin edits a copy it loaded from storage and stores it only when every check passes.
  const role: KubernetesRole = existing ? structuredClone(existing) : newRole();
  const tokenError = parseTokenFields(role, d);
  if (tokenError) return errorReply(400, tokenError);
  upgradeLegacyFields(role, d);
  const systemMax = ctx.state.config.maxTokenTtl;
  if (role.tokenPeriod > systemMax) {
    return errorReply(400, `token period of '${quotedDuration(role.tokenPeriod)}' is greater than the backend's maximum lease TTL of '${quotedDuration(systemMax)}'`);
  }
  if (role.tokenMaxTtl > 0 && role.tokenTtl > role.tokenMaxTtl) return errorReply(400, "token ttl should not be greater than token max ttl");
  const warnings: string[] = [];
  if (role.tokenMaxTtl > systemMax) {
    warnings.push("max_ttl is greater than the system or backend mount's maximum TTL value; issued tokens' max TTL value will be truncated");
  }

  if (has(d, "bound_service_account_names")) role.boundServiceAccountNames = stringListField(d, "bound_service_account_names") ?? [];
  const names = role.boundServiceAccountNames;
  if (names.length === 0) return errorReply(400, `"bound_service_account_names" can not be empty`);
  if (names.length > 1 && names.includes("*")) return errorReply(400, `can not mix "*" with values`);

  if (has(d, "bound_service_account_namespaces")) role.boundServiceAccountNamespaces = stringListField(d, "bound_service_account_namespaces") ?? [];
  role.boundServiceAccountNamespaceSelector = stringField(d, "bound_service_account_namespace_selector");
  const namespaces = role.boundServiceAccountNamespaces;
  const selector = role.boundServiceAccountNamespaceSelector;
  if (namespaces.length === 0 && selector === "") {
    return errorReply(400, `"bound_service_account_namespaces" can not be empty if "bound_service_account_namespace_selector" is not set`);
  }
  if (selector !== "" && !validSelector(selector)) return errorReply(400, `invalid "bound_service_account_namespace_selector" configured`);
  if (namespaces.length > 1 && namespaces.includes("*")) return errorReply(400, `can not mix "*" with values`);

  if (has(d, "audience")) role.audience = stringField(d, "audience");
  if (role.audience.trim() === "") {
    warnings.push(
      `Role ${name} does not have an audience configured. While audiences are not required, consider specifying one if your use case would benefit from additional JWT claim verification.`,
    );
  }
  if (has(d, "alias_name_source")) {
    const source = stringField(d, "alias_name_source");
    role.aliasNameSource = role.aliasNameSource === "" && source === "" ? "serviceaccount_uid" : source;
  } else if (role.aliasNameSource === "") role.aliasNameSource = "serviceaccount_uid";
  if (!ALIAS_SOURCES.includes(role.aliasNameSource)) return errorReply(400, `invalid alias_name_source, must be one of: ${ALIAS_SOURCES.join(", ")}`);

  store.roles.set(key, role);
  return okOrNoContent(warnings, MOUNT_TYPE);
}

function readRole(store: KubernetesStore, name: string): Reply {
  const role = store.roles.get(name.toLowerCase());
  if (!role) return notFound();
  const data: Record<string, unknown> = {
    alias_name_source: role.aliasNameSource,
    bound_service_account_names: role.boundServiceAccountNames,
    bound_service_account_namespace_selector: role.boundServiceAccountNamespaceSelector,
    bound_service_account_namespaces: role.boundServiceAccountNamespaces,
    ...tokenData(role),
  };
  if (role.audience !== "") data.audience = role.audience;
  return ok({ data, mountType: MOUNT_TYPE });
}

// ---- login ---------------------------------------------------------------------------------------

/** The plugin's serviceAccount, decoded from the claims the way mapstructure.Decode does. */
interface ServiceAccount {
  name: string;
  uid: string;
  secretName: string;
  namespace: string;
  projected: { namespace: string; serviceaccount: { name: string; uid: string } | null } | null;
}

/** Go's reflect type name for a decoded JSON value, as mapstructure prints it. */
function goType(value: unknown): string {
  if (Array.isArray(value)) return "[]interface {}";
  if (typeof value === "object" && value !== null) return "map[string]interface {}";
  return typeof value === "number" ? "float64" : typeof value === "boolean" ? "bool" : "string";
}

/** mapstructure.Decode(claims, &serviceAccount{}): the account, or its "N error(s) decoding" text. */
function decodeServiceAccount(claims: Record<string, unknown>): ServiceAccount | string {
  const errors: string[] = [];
  const str = (value: unknown, name: string): string => {
    if (value === undefined || value === null) return "";
    if (typeof value === "string") return value;
    errors.push(`'${name}' expected type 'string', got unconvertible type '${goType(value)}', value: '${typeof value === "object" ? JSON.stringify(value) : String(value)}'`);
    return "";
  };
  const ref = (value: unknown, name: string): { name: string; uid: string } | null => {
    if (value === undefined || value === null) return null;
    if (typeof value !== "object" || Array.isArray(value)) {
      errors.push(`'${name}' expected a map, got '${Array.isArray(value) ? "slice" : typeof value === "number" ? "float64" : typeof value}'`);
      return null;
    }
    const o = value as Record<string, unknown>;
    return { name: str(o.name, `${name}.name`), uid: str(o.uid, `${name}.uid`) };
  };
  const sa: ServiceAccount = {
    name: str(claims["kubernetes.io/serviceaccount/service-account.name"], "kubernetes.io/serviceaccount/service-account.name"),
    uid: str(claims["kubernetes.io/serviceaccount/service-account.uid"], "kubernetes.io/serviceaccount/service-account.uid"),
    secretName: str(claims["kubernetes.io/serviceaccount/secret.name"], "kubernetes.io/serviceaccount/secret.name"),
    namespace: str(claims["kubernetes.io/serviceaccount/namespace"], "kubernetes.io/serviceaccount/namespace"),
    projected: null,
  };
  const aud = claims.aud;
  if (aud !== undefined && aud !== null) {
    if (!Array.isArray(aud)) errors.push(`'aud': source data must be an array or slice, got ${typeof aud === "number" ? "float64" : typeof aud === "object" ? "map" : typeof aud}`);
    else aud.forEach((a, i) => str(a, `aud[${i}]`));
  }
  for (const t of ["exp", "iat"]) {
    const v = claims[t];
    if (v !== undefined && v !== null && typeof v !== "number") errors.push(`'${t}' expected type 'int64', got unconvertible type '${goType(v)}', value: '${String(v)}'`);
  }
  const k = claims["kubernetes.io"];
  if (k !== undefined && k !== null) {
    if (typeof k !== "object" || Array.isArray(k)) errors.push(`'kubernetes.io' expected a map, got '${Array.isArray(k) ? "slice" : typeof k === "number" ? "float64" : typeof k}'`);
    else {
      const o = k as Record<string, unknown>;
      ref(o.pod, "kubernetes.io.pod");
      sa.projected = { namespace: str(o.namespace, "kubernetes.io.namespace"), serviceaccount: ref(o.serviceaccount, "kubernetes.io.serviceaccount") };
    }
  }
  if (errors.length > 0)
    return `${errors.length} error(s) decoding:\n\n${errors
      .map((e) => `* ${e}`)
      .sort()
      .join("\n")}`;
  return sa;
}

/** The projected token's values win over the legacy claims (the plugin's name()/namespace()/uid()). */
const saName = (sa: ServiceAccount) => (sa.projected?.serviceaccount ? sa.projected.serviceaccount.name : sa.name);
const saNamespace = (sa: ServiceAccount) => (sa.projected ? sa.projected.namespace : sa.namespace);
const saUid = (sa: ServiceAccount) => (sa.projected?.serviceaccount ? sa.projected.serviceaccount.uid : sa.uid);

function login(store: KubernetesStore, ctx: HandlerContext): Reply {
  const d = ctx.req.data;
  const roleName = stringField(d, "role");
  if (roleName === "") return errorReply(400, "missing role");
  const jwtStr = stringField(d, "jwt");
  if (jwtStr === "") return errorReply(400, "missing jwt");
  const role = store.roles.get(roleName.toLowerCase());
  if (!role) return errorReply(400, `invalid role name "${roleName}"`);
  const config = store.config;
  if (!config) return errorReply(500, "could not load backend configuration");

  // parseAndValidateJWT: cap's validator against pem_keys (or unverified without them).
  const verified: SignatureResult = config.publicKeys.length > 0 ? verifySignature(jwtStr, config.publicKeys) : unverifiedClaims(jwtStr, ALLOWED_ALGS);
  if (!verified.ok) return errorReply(403, "permission denied");
  const claimError = validateClaims(
    verified.jws,
    verified.claims,
    {
      issuer: !config.disableIssValidation && config.issuer !== "" ? config.issuer : undefined,
      audiences: role.audience !== "" ? [role.audience] : undefined,
      signingAlgorithms: ALLOWED_ALGS,
      allowMissingTimes: true,
    },
    ctx.nowMs,
  );
  if (claimError) return errorReply(403, claimError);
  const sa = decodeServiceAccount(verified.claims);
  if (typeof sa === "string") return errorReply(500, sa);

  const names = role.boundServiceAccountNames;
  if ((names.length > 1 || names[0] !== "*") && !listContainsGlob(names, saName(sa))) return errorReply(403, "service account name not authorized");
  const namespaces = role.boundServiceAccountNamespaces;
  // A namespace selector needs the Kubernetes API to read namespace labels: it never matches here.
  const nsAllowed = namespaces.length > 0 && (namespaces[0] === "*" || listContainsGlob(namespaces, saNamespace(sa)));
  if (!nsAllowed) return errorReply(403, "namespace not authorized");

  let aliasName: string;
  if (role.aliasNameSource === "serviceaccount_name") {
    if (saNamespace(sa) === "" || saName(sa) === "") return errorReply(500, "service account namespace and name must be set");
    aliasName = `${saNamespace(sa)}/${saName(sa)}`;
  } else {
    if (saUid(sa) === "") return errorReply(500, "could not parse UID from claims");
    aliasName = saUid(sa);
  }
  // Where real Vault now asks the TokenReview API: without pem_keys nothing vouched for the token.
  if (config.publicKeys.length === 0) return errorReply(403, "permission denied");
  if (saUid(sa) === "") return errorReply(500, "could not parse UID from claims");

  let entityId = store.entities.get(aliasName);
  if (!entityId) {
    entityId = uuid();
    store.entities.set(aliasName, entityId);
  }
  return issueLoginToken(
    ctx.state,
    {
      ns: ctx.ns,
      mountPath: ctx.mount.path,
      params: role,
      displayName: `${saNamespace(sa)}-${saName(sa)}`,
      meta: {
        role: roleName,
        service_account_name: saName(sa),
        service_account_namespace: saNamespace(sa),
        service_account_secret_name: sa.secretName,
        service_account_uid: saUid(sa),
      },
      entityId,
    },
    ctx.nowMs,
  );
}
