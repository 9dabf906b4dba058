/**
 * ACL policy management: sys/policies/acl/<name> (current API, `{"policy": "<text>"}`) and the
 * legacy sys/policy/<name> that hvac 0.11 uses (injected response, accepts `policy` or `rules`).
 * "default" can be rewritten but not deleted; "root" can be neither.
 */
import { route, type HandlerContext, type Route } from "../context.js";
import { parsePolicy } from "../store/policies.js";
import { stringField } from "../wire/fields.js";
import { errorReply, injected, noContent, notFound, ok, unsupportedOperation, type Reply } from "../wire/reply.js";
import type { LogicalRequest } from "../wire/request.js";

/** Routes policy paths; `rest` starts after "sys/". */
export function policiesRoute(rest: string, req: LogicalRequest): Route | undefined {
  const current = /^policies\/acl(?:\/(.*))?$/.exec(rest);
  const legacy = /^policy(?:\/(.*))?$/.exec(rest);
  const m = current ?? legacy;
  if (!m) return undefined;
  const isLegacy = !current;
  const name = (m[1] ?? "").replace(/\/$/, "").toLowerCase();
  const op = req.operation;
  if (name === "") {
    if (op === "list" || (isLegacy && op === "read")) return route(req, (ctx) => list(ctx, isLegacy));
    return route(req, unsupportedOperation);
  }
  switch (op) {
    case "read":
      return route(req, (ctx) => read(ctx, name, isLegacy));
    case "update":
      return route(req, (ctx) => write(ctx, name, isLegacy));
    case "delete":
      return route(req, (ctx) => remove(ctx, name));
    default:
      return route(req, unsupportedOperation);
  }
}

function list(ctx: HandlerContext, legacy: boolean): Reply {
  const keys = ctx.ns.policies.names();
  return legacy ? injected(200, { data: { keys, policies: keys }, mountType: "system" }) : ok({ data: { keys, policies: keys }, mountType: "system" });
}

function read(ctx: HandlerContext, name: string, legacy: boolean): Reply {
  const policy = ctx.ns.policies.get(name);
  if (!policy) return name === "root" && ctx.ns.path === "" ? ok({ data: { name: "root", policy: "" }, mountType: "system" }) : notFound();
  if (legacy) return injected(200, { data: { name: policy.name, rules: policy.text }, mountType: "system" });
  return ok({ data: { name: policy.name, policy: policy.text }, mountType: "system" });
}

function write(ctx: HandlerContext, name: string, legacy: boolean): Reply {
  if (name === "root") return errorReply(400, "cannot update root policy");
  const text = stringField(ctx.req.data, "policy") || (legacy ? stringField(ctx.req.data, "rules") : "");
  if (text === "") return errorReply(400, "'policy' parameter not supplied or empty");
  const parsed = parsePolicy(name, text);
  if (!parsed.ok) return errorReply(400, parsed.error);
  ctx.ns.policies.put(parsed.policy);
  return noContent();
}

function remove(ctx: HandlerContext, name: string): Reply {
  if (name === "root") return errorReply(400, "cannot delete root policy");
  if (name === "default") return errorReply(400, "cannot delete default policy");
  ctx.ns.policies.delete(name);
  return noContent();
}
