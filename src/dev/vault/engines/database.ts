/**
 * The database secrets engine, without a database: roles carry default_ttl/max_ttl, and
 * `creds/<role>` mints a fresh username/password under a renewable lease owned by the calling
 * token. Connection configs are accepted and stored but never used.
 */
import { route, type HandlerContext, type Route } from "../context.js";
import { base62 } from "../ids.js";
import type { DatabaseStore } from "../store/database.js";
import { calculateTtl } from "../time/ttl.js";
import { durationField, stringField, stringListField } from "../wire/fields.js";
import { errorReply, noContent, notFound, ok, unsupportedOperation, unsupportedPath, type Reply } from "../wire/reply.js";
import type { LogicalRequest } from "../wire/request.js";

const MOUNT_TYPE = "database";

/** Picks the handler for a path inside a database mount. */
export function databaseRoute(store: DatabaseStore, rest: string, req: LogicalRequest): Route {
  const op = req.operation;
  if ((rest === "roles/" || rest === "config/") && op === "list") {
    const names = rest === "roles/" ? store.roles.keys() : store.connections.keys();
    return route(req, () => {
      const keys = [...names].sort();
      return keys.length === 0 ? notFound() : ok({ data: { keys }, mountType: MOUNT_TYPE });
    });
  }
  const m = /^(roles|creds|config)\/([^/]+)$/.exec(rest);
  if (!m) return route(req, unsupportedPath);
  const [, kind, name] = m as unknown as [string, "roles" | "creds" | "config", string];
  if (kind === "creds") return route(req, op === "read" ? (ctx) => issueCredentials(store, name, ctx) : unsupportedOperation);
  const table = kind === "roles" ? store.roles : store.connections;
  switch (op) {
    case "read":
      return route(req, () => (kind === "roles" ? readRole(store, name) : store.connections.has(name) ? ok({ data: store.connections.get(name), mountType: MOUNT_TYPE }) : notFound()));
    case "update":
      return route(
        req,
        (ctx) => {
          if (kind === "config") {
            // The connection password is write-only in Vault; never echo it back.
            const { password: _password, ...details } = ctx.req.data;
            store.connections.set(name, details);
          } else
            store.roles.set(name, {
              name,
              dbName: stringField(ctx.req.data, "db_name"),
              defaultTtl: durationField(ctx.req.data, "default_ttl"),
              maxTtl: durationField(ctx.req.data, "max_ttl"),
              creationStatements: stringListField(ctx.req.data, "creation_statements") ?? [],
            });
          return noContent();
        },
        table.has(name),
      );
    case "delete":
      return route(req, () => {
        table.delete(name);
        return noContent();
      });
    default:
      return route(req, unsupportedOperation);
  }
}

function readRole(store: DatabaseStore, name: string): Reply {
  const role = store.roles.get(name);
  if (!role) return notFound();
  return ok({
    data: {
      creation_statements: role.creationStatements,
      credential_type: "password",
      db_name: role.dbName,
      default_ttl: role.defaultTtl,
      max_ttl: role.maxTtl,
      renew_statements: [],
      revocation_statements: [],
      rollback_statements: [],
    },
    mountType: MOUNT_TYPE,
  });
}

/** Vault's default username template: v-<display name ≤8>-<role ≤8>-<random 20>-<unix time>, at most 63 characters. */
function username(displayName: string, role: string, nowMs: number): string {
  return `v-${displayName.slice(0, 8)}-${role.slice(0, 8)}-${base62(20)}-${Math.floor(nowMs / 1000)}`.slice(0, 63);
}

function issueCredentials(store: DatabaseStore, name: string, ctx: HandlerContext): Reply {
  const role = store.roles.get(name);
  if (!role) return errorReply(400, `unknown role: ${name}`);
  const token = ctx.token!;
  const ttl = calculateTtl({
    increment: 0,
    backendTtl: role.defaultTtl,
    period: 0,
    backendMaxTtl: role.maxTtl,
    explicitMaxTtl: 0,
    startMs: ctx.nowMs,
    nowMs: ctx.nowMs,
    systemDefaultTtl: ctx.state.config.defaultTtl,
    systemMaxTtl: ctx.state.config.maxTokenTtl,
  });
  if (!ttl.ok) return errorReply(400, ttl.error);
  const leaseId = `${ctx.mount.path}creds/${name}/${base62(24)}${ctx.ns.path === "" ? "" : `.${ctx.ns.id}`}`;
  const user = username(token.displayName, name, ctx.nowMs);
  const password = `A1a-${base62(16)}`;
  ctx.state.leases.add({
    id: leaseId,
    namespace: ctx.ns.path,
    mountPath: ctx.mount.path,
    mountUuid: ctx.mount.uuid,
    role: name,
    username: user,
    password,
    tokenId: token.id,
    tokenAccessor: token.accessor,
    issueMs: ctx.nowMs,
    expireMs: ctx.nowMs + ttl.ttl * 1000,
    renewable: true,
    backendTtl: role.defaultTtl,
    backendMaxTtl: role.maxTtl,
    lastRenewalMs: null,
    renewals: 0,
    revokedMs: null,
    revokeReason: null,
  });
  return ok({ leaseId, renewable: true, leaseDuration: ttl.ttl, data: { password, username: user }, warnings: ttl.warnings, mountType: MOUNT_TYPE });
}
