/**
 * The jwt auth method (hashicorp/vault-plugin-auth-jwt), also mounted as type `oidc`: config with
 * `jwt_validation_pubkeys` (keys given locally — the double fetches nothing, so `jwks_url`,
 * `jwks_pairs` and `oidc_discovery_url` answer the 400 Vault gives for an unreachable URL), roles
 * (role_type, bound_audiences, bound_subject, bound_claims with string/glob matching,
 * claim_mappings, user_claim, leeways, token_*), and `login {role, jwt}` with the plugin's checks
 * in its order and its exact messages. The OIDC browser flow (oidc/auth_url, oidc/callback) is not
 * served.
 */
import { route, type HandlerContext, type Route } from "../context.js";
import { uuid } from "../ids.js";
import type { JwtConfig, JwtRole, JwtStore } from "../store/jwt.js";
import { boolField, durationField, has, mapField, stringField, stringListField, stringMapField } from "../wire/fields.js";
import { errorReply, noContent, notFound, ok, okOrNoContent, unsupportedOperation, unsupportedPath, type Reply } from "../wire/reply.js";
import type { LogicalRequest } from "../wire/request.js";
import { CAP_ALGORITHMS, glob, goValue, jsonPointer, parsePublicKeyPem, unsupportedAlgorithm, validateClaims, verifySignature } from "./jwt-verify.js";
import { emptyTokenParams, issueLoginToken, parseTokenFields, quotedDuration, tokenData, upgradeLegacyFields } from "./token-params.js";

/** framework.GenericNameRegex. */
const ROLE_PATH = /^role\/(\w(?:[\w.-]*\w)?)$/;

/** Picks the handler for a path under a jwt or oidc auth mount. */
export function jwtRoute(store: JwtStore, mountType: string, rest: string, req: LogicalRequest): Route {
  const op = req.operation;
  if (rest === "login") {
    return { capability: null, handle: op === "update" ? (ctx) => login(store, ctx) : unsupportedOperation };
  }
  if (rest === "config") {
    if (op === "read") return route(req, () => readConfig(store, mountType));
    if (op === "update") return route(req, (ctx) => writeConfig(store, ctx));
    return route(req, unsupportedOperation);
  }
  if (rest === "role/" || rest === "role") {
    if (op !== "list") return route(req, unsupportedOperation);
    return route(req, () => {
      const keys = [...store.roles.keys()].sort();
      return keys.length === 0 ? notFound() : ok({ data: { keys }, mountType });
    });
  }
  const m = ROLE_PATH.exec(rest);
  if (!m) return route(req, unsupportedPath);
  // The name field is TypeLowerCaseString: "CI" and "ci" are one role.
  const name = m[1]!.toLowerCase();
  switch (op) {
    case "read":
      return route(req, () => readRole(store, name, mountType));
    case "update":
      return route(req, (ctx) => writeRole(store, name, mountType, ctx), store.roles.has(name));
    case "delete":
      return route(req, () => {
        store.roles.delete(name);
        return noContent();
      });
    default:
      return route(req, unsupportedOperation);
  }
}

// ---- config --------------------------------------------------------------------------------------

function readConfig(store: JwtStore, mountType: string): Reply {
  if (!store.config) return notFound();
  return ok({ data: { ...store.config.fields }, mountType });
}

function writeConfig(store: JwtStore, ctx: HandlerContext): Reply {
  const d = ctx.req.data;
  const list = (name: string) => stringListField(d, name) ?? [];
  const pairs = d.jwks_pairs;
  const fields: JwtConfig["fields"] = {
    oidc_discovery_url: stringField(d, "oidc_discovery_url"),
    oidc_discovery_ca_pem: stringField(d, "oidc_discovery_ca_pem"),
    oidc_client_id: stringField(d, "oidc_client_id"),
    oidc_response_mode: stringField(d, "oidc_response_mode"),
    oidc_response_types: list("oidc_response_types"),
    jwks_url: stringField(d, "jwks_url"),
    jwks_ca_pem: stringField(d, "jwks_ca_pem"),
    jwks_pairs: Array.isArray(pairs) ? pairs : [],
    default_role: stringField(d, "default_role").toLowerCase(),
    jwt_validation_pubkeys: list("jwt_validation_pubkeys"),
    jwt_supported_algs: list("jwt_supported_algs"),
    bound_issuer: stringField(d, "bound_issuer"),
    provider_config: mapField(d, "provider_config") ?? {},
    namespace_in_state: has(d, "namespace_in_state") ? boolField(d, "namespace_in_state", true) : (store.config?.fields.namespace_in_state ?? true),
    unsupported_critical_cert_extensions: list("unsupported_critical_cert_extensions"),
  };
  const clientSecret = stringField(d, "oidc_client_secret");
  const methods = [fields.oidc_discovery_url !== "", fields.jwt_validation_pubkeys.length > 0, fields.jwks_url !== "", fields.jwks_pairs.length > 0].filter(Boolean).length;
  if (methods !== 1) return errorReply(400, "exactly one of 'jwt_validation_pubkeys', 'jwks_url', 'jwks_pairs' or 'oidc_discovery_url' must be set");
  if ((fields.oidc_client_id !== "") !== (clientSecret !== "")) return errorReply(400, "both 'oidc_client_id' and 'oidc_client_secret' must be set for OIDC");
  // The double reaches no network: a discovery or JWKS URL is what an unreachable one is to Vault.
  if (fields.oidc_discovery_url !== "") return errorReply(400, "error checking oidc discovery URL");
  if (fields.oidc_client_id !== "") return errorReply(400, "'oidc_discovery_url' must be set for OIDC");
  if (fields.jwks_ca_pem !== "" && fields.jwks_pairs.length > 0) return errorReply(400, "CA PEMs must be provided as part of the 'jwks_pairs' when using multiple JWKS URLs");
  if (fields.jwks_pairs.length > 0 && fields.bound_issuer !== "") return errorReply(400, "Bound issuer is not supported for use with 'jwks_pairs'");
  if (fields.jwks_url !== "") return errorReply(400, `error checking jwks URL ${fields.jwks_url}`);
  if (fields.jwks_pairs.length > 0) return errorReply(400, "error checking jwks_ca_pem");
  const publicKeys = [];
  for (const pem of fields.jwt_validation_pubkeys) {
    const parsed = parsePublicKeyPem(pem, "jwt");
    if ("error" in parsed) return errorReply(400, `error parsing public key: ${parsed.error}`);
    publicKeys.push(parsed.key);
  }
  const badAlg = unsupportedAlgorithm(fields.jwt_supported_algs);
  if (badAlg) return errorReply(400, `invalid jwt_supported_algs: ${badAlg}`);
  const types = fields.oidc_response_types;
  if (!types.every((t) => t === "code" || t === "id_token")) {
    return errorReply(400, `invalid response_types [${types.join(" ")}]. 'code' and 'id_token' are allowed`);
  }
  const mode = fields.oidc_response_mode;
  if (mode === "" || mode === "query") {
    if (types.includes("id_token")) return errorReply(400, "query response_mode may not be used with an id_token response_type");
  } else if (mode !== "form_post") return errorReply(400, `invalid response_mode: "${mode}"`);
  store.config = { fields, publicKeys };
  return noContent();
}

// ---- roles ---------------------------------------------------------------------------------------

function newRole(): JwtRole {
  return {
    ...emptyTokenParams(),
    roleType: "oidc",
    expirationLeeway: 0,
    notBeforeLeeway: 0,
    clockSkewLeeway: 0,
    boundAudiences: null,
    boundSubject: "",
    boundClaimsType: "string",
    boundClaims: null,
    claimMappings: null,
    userClaim: "",
    userClaimJsonPointer: false,
    groupsClaim: "",
    oidcScopes: null,
    allowedRedirectUris: null,
    verboseOidcLogging: false,
    maxAge: 0,
  };
}

/** normalizeList: a claim value as a list, or undefined when it is not a string, bool, number or list. */
function normalizeList(raw: unknown): unknown[] | undefined {
  if (Array.isArray(raw)) return raw as unknown[];
  if (typeof raw === "string" || typeof raw === "boolean" || typeof raw === "number") return [raw];
  return undefined;
}

function writeRole(store: JwtStore, name: string, mountType: string, ctx: HandlerContext): Reply {
  const d = ctx.req.data;
  const existing = store.roles.get(name);
  const role: JwtRole = existing ? structuredClone(existing) : newRole();
  // An update without role_type turns the role into an oidc one, as the plugin does.
  const roleType = stringField(d, "role_type") || "oidc";
  if (roleType !== "jwt" && roleType !== "oidc") return errorReply(400, `invalid 'role_type': ${roleType}`);
  role.roleType = roleType;
  const tokenError = parseTokenFields(role, d);
  if (tokenError) return errorReply(400, tokenError);
  upgradeLegacyFields(role, d);
  const systemMax = ctx.state.config.maxTokenTtl;
  if (role.tokenPeriod > systemMax) {
    return errorReply(400, `'period' of '${quotedDuration(role.tokenPeriod)}' is greater than the backend's maximum lease TTL of '${quotedDuration(systemMax)}'`);
  }
  if (has(d, "expiration_leeway")) role.expirationLeeway = durationField(d, "expiration_leeway");
  if (has(d, "not_before_leeway")) role.notBeforeLeeway = durationField(d, "not_before_leeway");
  if (has(d, "clock_skew_leeway")) role.clockSkewLeeway = durationField(d, "clock_skew_leeway");
  if (has(d, "bound_audiences")) role.boundAudiences = stringListField(d, "bound_audiences") ?? [];
  if (has(d, "bound_subject")) role.boundSubject = stringField(d, "bound_subject");
  if (has(d, "verbose_oidc_logging")) role.verboseOidcLogging = boolField(d, "verbose_oidc_logging", false);
  if (has(d, "max_age")) role.maxAge = durationField(d, "max_age");

  const claimsType = stringField(d, "bound_claims_type", "string");
  if (claimsType !== "string" && claimsType !== "glob") return errorReply(400, `invalid 'bound_claims_type': ${claimsType}`);
  role.boundClaimsType = claimsType;
  if (has(d, "bound_claims")) {
    role.boundClaims = mapField(d, "bound_claims") ?? {};
    if (claimsType === "glob") {
      for (const value of Object.values(role.boundClaims)) {
        const values = normalizeList(value);
        if (!values) return errorReply(400, `claim is not a string or list: ${goValue(value)}`);
        const notString = values.find((v) => typeof v !== "string");
        if (notString !== undefined) return errorReply(400, `claim is not a string: ${goValue(notString)}`);
      }
    }
  }
  if (has(d, "claim_mappings")) {
    const mappings = stringMapField(d, "claim_mappings") ?? {};
    const targets = new Set<string>();
    for (const target of Object.values(mappings)) {
      if (target === "role") return errorReply(400, `metadata key "role" is reserved and may not be a mapping destination`);
      if (targets.has(target)) return errorReply(400, `multiple keys are mapped to metadata key "${target}"`);
      targets.add(target);
    }
    role.claimMappings = mappings;
  }
  if (has(d, "user_claim")) role.userClaim = stringField(d, "user_claim");
  if (role.userClaim === "") return errorReply(400, "a user claim must be defined on the role");
  if (has(d, "user_claim_json_pointer")) role.userClaimJsonPointer = boolField(d, "user_claim_json_pointer", false);
  if (has(d, "groups_claim")) role.groupsClaim = stringField(d, "groups_claim");
  if (has(d, "oidc_scopes")) role.oidcScopes = stringListField(d, "oidc_scopes") ?? [];
  if (has(d, "allowed_redirect_uris")) role.allowedRedirectUris = stringListField(d, "allowed_redirect_uris") ?? [];
  if (role.roleType === "oidc" && (role.allowedRedirectUris ?? []).length === 0) {
    return errorReply(400, "'allowed_redirect_uris' must be set if 'role_type' is 'oidc' or unspecified.");
  }
  if (roleType !== "oidc") {
    const bound = (role.boundAudiences ?? []).length > 0 || role.tokenBoundCidrs.length > 0 || role.boundSubject !== "" || Object.keys(role.boundClaims ?? {}).length > 0;
    if (!bound) return errorReply(400, "must have at least one bound constraint when creating/updating a role");
  }
  if (role.tokenMaxTtl > 0 && role.tokenTtl > role.tokenMaxTtl) return errorReply(400, "ttl should not be greater than max ttl");
  const warnings: string[] = [];
  if (role.tokenMaxTtl > systemMax) {
    warnings.push("token max ttl is greater than the system or backend mount's maximum TTL value; issued tokens' max TTL value will be truncated");
  }
  if (role.verboseOidcLogging) {
    warnings.push("verbose_oidc_logging has been enabled for this role. This is not recommended in production since sensitive information may be present in OIDC responses.");
  }
  store.roles.set(name, role);
  return okOrNoContent(warnings, mountType);
}

function readRole(store: JwtStore, name: string, mountType: string): Reply {
  const role = store.roles.get(name);
  if (!role) return notFound();
  return ok({
    data: {
      allowed_redirect_uris: role.allowedRedirectUris,
      bound_audiences: role.boundAudiences,
      bound_claims: role.boundClaims,
      bound_claims_type: role.boundClaimsType,
      bound_subject: role.boundSubject,
      claim_mappings: role.claimMappings,
      clock_skew_leeway: role.clockSkewLeeway,
      expiration_leeway: role.expirationLeeway,
      groups_claim: role.groupsClaim,
      max_age: role.maxAge,
      not_before_leeway: role.notBeforeLeeway,
      oidc_scopes: role.oidcScopes,
      role_type: role.roleType,
      user_claim: role.userClaim,
      user_claim_json_pointer: role.userClaimJsonPointer,
      verbose_oidc_logging: role.verboseOidcLogging,
      ...tokenData(role),
    },
    mountType,
  });
}

// ---- login ---------------------------------------------------------------------------------------

/** getClaim: a plain name or a JSON pointer ("/a/b"); numbers come back as integer strings (json.Number). */
function getClaim(claims: Record<string, unknown>, claim: string): unknown {
  const value = claim.startsWith("/") ? jsonPointer(claims, claim) : claims[claim];
  return typeof value === "number" ? new GoNumber(Math.trunc(value)) : value;
}

/** A json.Number: compares by its text, not as a float. */
class GoNumber {
  constructor(readonly value: number) {}
  toString(): string {
    return String(this.value);
  }
}

/**
 * Go's interface equality as matchFound uses it: a json.Number (a top-level numeric claim, or any
 * number in the request's bound_claims) equals only a json.Number with the same text; a number
 * inside a list claim stays a float64 and so never equals a bound value.
 */
function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof GoNumber || b instanceof GoNumber) return a instanceof GoNumber && b instanceof GoNumber && a.toString() === b.toString();
  return a === b;
}

/** The request's bound values, numbers as json.Number (Vault decodes request bodies with UseNumber). */
function requestValues(raw: unknown): unknown[] | undefined {
  const list = normalizeList(raw);
  return list?.map((v) => (typeof v === "number" ? new GoNumber(v) : v));
}

/** validateBoundClaims: null, or the error text. */
function validateBoundClaims(type: string, bound: Record<string, unknown>, claims: Record<string, unknown>): string | null {
  for (const [claim, expected] of Object.entries(bound)) {
    const actual = getClaim(claims, claim);
    if (actual === undefined || actual === null) return `claim "${claim}" is missing`;
    const actVals = actual instanceof GoNumber ? [actual] : normalizeList(actual);
    if (!actVals) return `received claim is not a string, bool, int or list: ${goValue(actual)}`;
    const expVals = requestValues(expected);
    if (!expVals) return `bound claim is not a string, bool, int or list: ${goValue(expected)}`;
    let found = false;
    for (const e of expVals) {
      for (const a of actVals) {
        if (type === "glob") {
          // The plugin's format string is "…: %expVal": a %e verb on a non-float, then "xpVal".
          if (typeof e !== "string")
            return `received claim is not a glob string: %!e(${e instanceof GoNumber ? "json.Number" : typeof e === "boolean" ? "bool" : "[]interface {}"}=${goValue(e)})xpVal`;
          if (typeof a === "string" && glob(e, a)) found = true;
        } else if (sameValue(e, a)) found = true;
        if (found) break;
      }
      if (found) break;
    }
    if (!found) return `claim "${claim}" does not match any associated bound claim values`;
  }
  return null;
}

function login(store: JwtStore, ctx: HandlerContext): Reply {
  const config = store.config;
  if (!config) return errorReply(400, "could not load configuration");
  const d = ctx.req.data;
  const roleName = stringField(d, "role").toLowerCase() || config.fields.default_role;
  if (roleName === "") return errorReply(400, "missing role");
  const role = store.roles.get(roleName);
  if (!role) return errorReply(400, `role "${roleName}" could not be found`);
  if (role.roleType === "oidc") return errorReply(400, "role with oidc role_type is not allowed");
  const token = stringField(d, "jwt");
  if (token === "") return errorReply(400, "missing token");

  const verified = verifySignature(token, config.publicKeys);
  if (!verified.ok) return errorReply(400, `error validating token: ${verified.error}`);
  const supported = config.fields.jwt_supported_algs;
  const claimError = validateClaims(
    verified.jws,
    verified.claims,
    {
      issuer: config.fields.bound_issuer || undefined,
      subject: role.boundSubject || undefined,
      audiences: role.boundAudiences ?? undefined,
      signingAlgorithms: supported.length > 0 ? supported : CAP_ALGORITHMS,
      expirationLeeway: role.expirationLeeway,
      notBeforeLeeway: role.notBeforeLeeway,
      clockSkewLeeway: role.clockSkewLeeway,
    },
    ctx.nowMs,
  );
  if (claimError) return errorReply(400, `error validating token: ${claimError}`);
  const claims = verified.claims;

  // No bound audiences: any audience in the token is refused.
  if ((role.boundAudiences ?? []).length === 0) {
    const aud = claims.aud;
    if ((Array.isArray(aud) && aud.length > 0) || (typeof aud === "string" && aud !== "")) {
      return errorReply(400, "audience claim found in JWT but no audiences bound to the role");
    }
  }

  // createIdentity: the alias from user_claim, metadata from claim_mappings, group names.
  const userRaw = role.userClaimJsonPointer ? getClaim(claims, role.userClaim) : claims[role.userClaim];
  if (userRaw === undefined || userRaw === null) return errorReply(400, `claim "${role.userClaim}" not found in token`);
  if (typeof userRaw !== "string") return errorReply(400, `claim "${role.userClaim}" could not be converted to string`);
  const metadata: Record<string, string> = {};
  for (const [source, target] of Object.entries(role.claimMappings ?? {})) {
    const value = getClaim(claims, source);
    if (value === undefined || value === null) continue;
    if (typeof value !== "string") return errorReply(400, `error converting claim '${source}' to string`);
    metadata[target] = value;
  }
  metadata.role = roleName;
  if (role.groupsClaim !== "") {
    const groups = getClaim(claims, role.groupsClaim);
    if (groups === undefined || groups === null) return errorReply(400, `failed to fetch groups: "${role.groupsClaim}" claim not found in token`);
    const list = groups instanceof GoNumber ? [groups] : normalizeList(groups);
    if (!list) return errorReply(400, `"${role.groupsClaim}" claim could not be converted to string list`);
    const bad = list.find((g) => typeof g !== "string");
    if (bad !== undefined) return errorReply(400, `value ${goValue(bad)} in groups claim could not be parsed as string`);
  }

  const boundError = validateBoundClaims(role.boundClaimsType, role.boundClaims ?? {}, claims);
  if (boundError) return errorReply(400, `error validating claims: ${boundError}`);

  let entityId = store.entities.get(userRaw);
  if (!entityId) {
    entityId = uuid();
    store.entities.set(userRaw, entityId);
  }
  return issueLoginToken(ctx.state, { ns: ctx.ns, mountPath: ctx.mount.path, params: role, displayName: userRaw, meta: metadata, entityId }, ctx.nowMs);
}
