/**
 * sys/mounts and sys/auth: list, enable and disable secrets engines (kv v1/v2, database) and
 * auth methods (approle, aws, cert, kubernetes, jwt, oidc). Disabling a mount drops its data and
 * revokes its leases. Both list routes are Vault's legacy "injected" routes: data keys also appear
 * at the top level.
 */
import { route, type HandlerContext, type Route } from "../context.js";
import { mountInfo, mountPath, newMount, type MountSpec } from "../store/mounts.js";
import { mapField, stringField } from "../wire/fields.js";
import { errorReply, injected, noContent, ok, unsupportedOperation, type Reply } from "../wire/reply.js";
import type { LogicalRequest } from "../wire/request.js";

const RESERVED = ["sys/", "auth/", "cubbyhole/", "identity/"];

/** Routes sys/mounts[/<path>] and sys/auth[/<path>]; `rest` starts after "sys/". */
export function mountsRoute(rest: string, req: LogicalRequest): Route | undefined {
  const tune = /^(mounts|auth)\/(.+)\/tune$/.exec(rest);
  if (tune) {
    const path = tune[1] === "auth" ? `auth/${mountPath(tune[2]!)}` : mountPath(tune[2]!);
    if (req.operation === "read") return route(req, (ctx) => readTune(ctx, path));
    // Tuning is accepted and ignored: the double has one system-wide TTL configuration.
    if (req.operation === "update") return route(req, () => noContent());
    return route(req, unsupportedOperation);
  }
  const m = /^(mounts|auth)(?:\/(.+))?$/.exec(rest);
  if (!m) return undefined;
  const auth = m[1] === "auth";
  const target = m[2];
  if (target === undefined) return route(req, req.operation === "read" ? (ctx) => list(ctx, auth) : unsupportedOperation);
  const path = auth ? `auth/${mountPath(target)}` : mountPath(target);
  switch (req.operation) {
    case "read":
      return route(req, (ctx) => {
        const entry = ctx.ns.mounts.get(path);
        return entry ? ok({ data: mountInfo(entry), mountType: "system" }) : errorReply(400, `No secret engine mount at ${path}`);
      });
    case "update":
      return route(req, (ctx) => enable(ctx, path, auth));
    case "delete":
      return route(req, (ctx) => disable(ctx, path));
    default:
      return route(req, unsupportedOperation);
  }
}

function readTune(ctx: HandlerContext, path: string): Reply {
  const entry = ctx.ns.mounts.get(path);
  if (!entry) return errorReply(400, `cannot fetch sysview for path "${path}"`);
  const info = mountInfo(entry);
  const data: Record<string, unknown> = {
    default_lease_ttl: ctx.state.config.defaultTtl,
    description: entry.description,
    force_no_cache: false,
    max_lease_ttl: ctx.state.config.maxTokenTtl,
  };
  if (info.options !== null) data.options = info.options;
  return ok({ data, mountType: "system" });
}

function list(ctx: HandlerContext, auth: boolean): Reply {
  const data: Record<string, unknown> = {};
  for (const entry of ctx.ns.mounts.all()) {
    const isAuth = entry.path.startsWith("auth/");
    if (isAuth !== auth) continue;
    data[isAuth ? entry.path.slice("auth/".length) : entry.path] = mountInfo(entry);
  }
  return injected(200, { data, mountType: "system" });
}

function spec(type: string, options: Record<string, unknown> | undefined, auth: boolean): MountSpec | string {
  if (auth) {
    if (type === "approle" || type === "aws" || type === "cert" || type === "kubernetes") return { type };
    if (type === "jwt" || type === "oidc") return { type };
    return `unknown auth method type: ${type}`;
  }
  if (type === "kv" || type === "generic") return { type: "kv", version: String(options?.version ?? "1") === "2" ? "2" : "1" };
  if (type === "kv-v2") return { type: "kv", version: "2" };
  if (type === "database") return { type: "database" };
  return `plugin not found in the catalog: ${type}`;
}

function enable(ctx: HandlerContext, path: string, auth: boolean): Reply {
  const type = stringField(ctx.req.data, "type");
  if (type === "") return errorReply(400, "backend type must be specified as a string");
  const mountSpec = spec(type, mapField(ctx.req.data, "options"), auth);
  if (typeof mountSpec === "string") return errorReply(400, mountSpec);
  const reserved = !auth && RESERVED.find((r) => path.startsWith(r));
  if (reserved) return errorReply(400, `cannot mount under "${reserved}"`);
  const clash = ctx.ns.mounts.conflict(path);
  if (clash) return errorReply(400, `path is already in use at ${clash.path}`);
  ctx.ns.mounts.add(newMount(path, mountSpec, stringField(ctx.req.data, "description") || undefined));
  return noContent();
}

function disable(ctx: HandlerContext, path: string): Reply {
  if (path === "sys/" || path === "auth/token/") return errorReply(400, `cannot unmount "${path}"`);
  const entry = ctx.ns.mounts.remove(path);
  if (entry) {
    for (const lease of ctx.state.leases.all()) {
      if (lease.mountUuid === entry.uuid) ctx.state.leases.revoke(lease, ctx.nowMs, "mount-disabled");
    }
  }
  return noContent();
}
