/**
 * sys/internal/ui/mounts/<path>: which mount serves a logical path and what engine it is (what
 * the `vault kv` CLI and envconsul use to tell KV v1 from v2). Unauthenticated route that checks
 * the token itself: the mount is shown when the token has any capability under it, and "no such
 * mount" looks exactly like "not allowed" (403 preflight message) so mounts cannot be enumerated.
 */
import { aclFor, aclPath, tokenUsableIn, type HandlerContext, type Route } from "../context.js";
import { mountInfo } from "../store/mounts.js";
import { errorReply, notFound, ok, unsupportedOperation, type Reply } from "../wire/reply.js";
import type { LogicalRequest } from "../wire/request.js";
import { forbiddenForToken } from "./forbidden.js";

/** Routes internal/ui/mounts[/<path>]; `rest` starts after "sys/". */
export function uiMountsRoute(rest: string, req: LogicalRequest): Route | undefined {
  const m = /^internal\/ui\/mounts(?:\/(.*))?$/.exec(rest);
  if (!m) return undefined;
  return { capability: null, handle: req.operation === "read" ? (ctx) => read(ctx, m[1] ?? "") : unsupportedOperation };
}

function read(ctx: HandlerContext, path: string): Reply {
  if (ctx.state.config.uiMounts === "404") return notFound();
  const token = ctx.token;
  if (!token) return forbiddenForToken(ctx.state);
  const acl = aclFor(ctx.state, token);
  if (path === "" || path === "/") return listVisible(ctx, acl);
  const requested = `${path.replace(/^\/+/, "").replace(/\/+$/, "")}/`;
  const denied = errorReply(403, `preflight capability check returned 403, please ensure client's policies grant access to path "${requested}"`);
  // A path may name a child namespace first; Vault then reports the mount with that prefix.
  const { ns, rel, pathNamespace } = ctx.state.descend(ctx.ns, requested);
  if (!tokenUsableIn(token.namespace, ns.path)) return denied;
  const entry = ns.mounts.match(rel);
  if (!entry || entry.path === "sys/" || entry.path.startsWith("auth/")) return denied;
  if (!acl.hasMountAccess(aclPath(ns, token, entry.path))) return denied;
  return ok({ data: mountInfo(entry, `${ctx.pathNamespace}${pathNamespace}${entry.path}`), mountType: "system" });
}

function listVisible(ctx: HandlerContext, acl: ReturnType<typeof aclFor>): Reply {
  const secret: Record<string, unknown> = {};
  const auth: Record<string, unknown> = {};
  for (const entry of ctx.ns.mounts.all()) {
    if (entry.path === "sys/" || !acl.hasMountAccess(aclPath(ctx.ns, ctx.token!, entry.path))) continue;
    if (entry.path.startsWith("auth/")) auth[entry.path.slice("auth/".length)] = mountInfo(entry);
    else secret[entry.path] = mountInfo(entry);
  }
  return ok({ data: { auth, secret }, mountType: "system" });
}
