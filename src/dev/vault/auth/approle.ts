/**
 * The AppRole auth method: roles (token_policies, token_ttl, token_max_ttl, secret_id_num_uses,
 * secret_id_ttl…), role-id, secret-id generation, and login. Login needs no token and answers
 * 400 "invalid role or secret ID" for any wrong pair.
 */
import { route, type HandlerContext, type Route } from "../context.js";
import { uuid } from "../ids.js";
import type { AppRole, AppRoleStore } from "../store/approle.js";
import { boolField, durationField, has, intField, stringField, stringListField } from "../wire/fields.js";
import { errorReply, noContent, notFound, ok, unsupportedOperation, unsupportedPath, type Reply } from "../wire/reply.js";
import type { LogicalRequest } from "../wire/request.js";
import { authBlock, issueToken, sanitizePolicies } from "./issue.js";

const MOUNT_TYPE = "approle";

/** Picks the handler for a path under an AppRole mount. */
export function approleRoute(store: AppRoleStore, rest: string, req: LogicalRequest): Route {
  const op = req.operation;
  if (rest === "login") {
    return { capability: null, handle: op === "update" ? (ctx) => login(store, ctx) : unsupportedOperation };
  }
  if (rest === "role/" && op === "list") {
    return route(req, () => {
      const keys = [...store.roles.keys()].sort();
      return keys.length === 0 ? notFound() : ok({ data: { keys }, mountType: MOUNT_TYPE });
    });
  }
  const m = /^role\/([^/]+)(?:\/(role-id|secret-id))?$/.exec(rest);
  if (!m) return route(req, unsupportedPath);
  const name = m[1]!;
  if (m[2] === "role-id") {
    if (op === "read") return route(req, () => (store.roles.has(name) ? ok({ data: { role_id: store.roles.get(name)!.roleId }, mountType: MOUNT_TYPE }) : notFound()));
    if (op === "update") return route(req, (ctx) => setRoleId(store, name, ctx));
    return route(req, unsupportedOperation);
  }
  if (m[2] === "secret-id") {
    if (op === "update") return route(req, (ctx) => generateSecretId(store, name, ctx));
    return route(req, unsupportedOperation);
  }
  switch (op) {
    case "read":
      return route(req, () => readRole(store, name));
    case "update":
      return route(req, (ctx) => writeRole(store, name, ctx), store.roles.has(name));
    case "delete":
      return route(req, () => {
        store.roles.delete(name);
        return noContent();
      });
    default:
      return route(req, unsupportedOperation);
  }
}

function writeRole(store: AppRoleStore, name: string, ctx: HandlerContext): Reply {
  const d = ctx.req.data;
  const role: AppRole = store.roles.get(name) ?? {
    name,
    roleId: uuid(),
    tokenPolicies: [],
    tokenTtl: 0,
    tokenMaxTtl: 0,
    tokenExplicitMaxTtl: 0,
    tokenPeriod: 0,
    tokenNumUses: 0,
    tokenNoDefaultPolicy: false,
    secretIdNumUses: 0,
    secretIdTtl: 0,
    bindSecretId: true,
    entityId: uuid(),
  };
  const policies = stringListField(d, "token_policies") ?? stringListField(d, "policies");
  if (policies) role.tokenPolicies = policies;
  if (has(d, "token_ttl")) role.tokenTtl = durationField(d, "token_ttl");
  if (has(d, "token_max_ttl")) role.tokenMaxTtl = durationField(d, "token_max_ttl");
  if (has(d, "token_explicit_max_ttl")) role.tokenExplicitMaxTtl = durationField(d, "token_explicit_max_ttl");
  if (has(d, "token_period")) role.tokenPeriod = durationField(d, "token_period");
  if (has(d, "token_num_uses")) role.tokenNumUses = intField(d, "token_num_uses");
  if (has(d, "token_no_default_policy")) role.tokenNoDefaultPolicy = boolField(d, "token_no_default_policy", false);
  if (has(d, "secret_id_num_uses")) role.secretIdNumUses = intField(d, "secret_id_num_uses");
  if (has(d, "secret_id_ttl")) role.secretIdTtl = durationField(d, "secret_id_ttl");
  if (has(d, "bind_secret_id")) role.bindSecretId = boolField(d, "bind_secret_id", true);
  if (role.tokenMaxTtl > 0 && role.tokenTtl > role.tokenMaxTtl) return errorReply(400, "token_ttl should not be greater than token_max_ttl");
  store.roles.set(name, role);
  return noContent();
}

function readRole(store: AppRoleStore, name: string): Reply {
  const role = store.roles.get(name);
  if (!role) return notFound();
  return ok({
    data: {
      bind_secret_id: role.bindSecretId,
      policies: role.tokenPolicies,
      secret_id_num_uses: role.secretIdNumUses,
      secret_id_ttl: role.secretIdTtl,
      token_explicit_max_ttl: role.tokenExplicitMaxTtl,
      token_max_ttl: role.tokenMaxTtl,
      token_no_default_policy: role.tokenNoDefaultPolicy,
      token_num_uses: role.tokenNumUses,
      token_period: role.tokenPeriod,
      token_policies: role.tokenPolicies,
      token_ttl: role.tokenTtl,
      token_type: "default",
    },
    mountType: MOUNT_TYPE,
  });
}

function setRoleId(store: AppRoleStore, name: string, ctx: HandlerContext): Reply {
  const role = store.roles.get(name);
  if (!role) return errorReply(400, `role "${name}" does not exist`);
  const roleId = stringField(ctx.req.data, "role_id");
  if (roleId === "") return errorReply(400, "missing role_id");
  role.roleId = roleId;
  return noContent();
}

function generateSecretId(store: AppRoleStore, name: string, ctx: HandlerContext): Reply {
  const role = store.roles.get(name);
  if (!role) return errorReply(400, `role "${name}" does not exist`);
  const secretId = uuid();
  const accessor = uuid();
  store.secretIds.set(secretId, {
    secretId,
    accessor,
    role: name,
    usesLeft: role.secretIdNumUses,
    expireMs: role.secretIdTtl > 0 ? ctx.nowMs + role.secretIdTtl * 1000 : null,
    createdMs: ctx.nowMs,
  });
  return ok({
    data: { secret_id: secretId, secret_id_accessor: accessor, secret_id_num_uses: role.secretIdNumUses, secret_id_ttl: role.secretIdTtl },
    mountType: MOUNT_TYPE,
  });
}

function login(store: AppRoleStore, ctx: HandlerContext): Reply {
  const roleId = stringField(ctx.req.data, "role_id").trim();
  if (roleId === "") return errorReply(400, "missing role_id");
  const role = store.roleById(roleId);
  if (!role) return errorReply(400, "invalid role or secret ID");
  if (role.bindSecretId) {
    const secretId = stringField(ctx.req.data, "secret_id").trim();
    if (secretId === "") return errorReply(400, "missing secret_id");
    const entry = store.secretIds.get(secretId);
    const expired = entry?.expireMs != null && entry.expireMs <= ctx.nowMs;
    if (!entry || entry.role !== role.name || expired) {
      if (entry && expired) store.secretIds.delete(secretId);
      return errorReply(400, "invalid role or secret ID");
    }
    if (entry.usesLeft > 0) {
      entry.usesLeft -= 1;
      if (entry.usesLeft === 0) store.secretIds.delete(secretId);
    }
  }
  const result = issueToken(
    ctx.state,
    {
      ns: ctx.ns,
      policies: sanitizePolicies(role.tokenPolicies, !role.tokenNoDefaultPolicy),
      meta: { role_name: role.name },
      displayName: "approle",
      path: `${ctx.mount.path}login`,
      parent: null,
      renewable: true,
      ttl: 0,
      explicitMaxTtl: role.tokenExplicitMaxTtl,
      period: role.tokenPeriod,
      numUses: role.tokenNumUses,
      backendTtl: role.tokenTtl,
      backendMaxTtl: role.tokenMaxTtl,
      entityId: role.entityId,
    },
    ctx.nowMs,
  );
  if (!result.ok) return result.reply;
  // Login responses come from an unauthenticated request: core leaves mount_type empty.
  return ok({ auth: authBlock(result.entry, result.entry.creationTtl), warnings: result.warnings, mountType: "" });
}
