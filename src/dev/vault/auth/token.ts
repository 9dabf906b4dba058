/**
 * The token auth method (auth/token/): create, lookup-self, lookup, renew-self, renew,
 * revoke-self, revoke, revoke-accessor. Any token whose ACL grants `auth/token/create` may create tokens with any
 * policies (Vault's parent-subset and sudo rules are not enforced).
 */
import { route, type HandlerContext, type Route } from "../context.js";
import type { TokenEntry } from "../store/tokens.js";
import { boolField, durationField, has, intField, stringField, stringListField, stringMapField } from "../wire/fields.js";
import { errorReply, noContent, ok, unsupportedOperation, unsupportedPath, type Reply } from "../wire/reply.js";
import type { LogicalRequest } from "../wire/request.js";
import { authBlock, issueToken, lookupData, renewToken, sanitizePolicies } from "./issue.js";

const MOUNT_TYPE = "token";

/** Picks the handler for a path under auth/token/. */
export function tokenRoute(rest: string, req: LogicalRequest): Route {
  const op = req.operation;
  const only = (wanted: LogicalRequest["operation"][], handle: (ctx: HandlerContext) => Reply): Route => route(req, wanted.includes(op) ? handle : unsupportedOperation);
  switch (rest) {
    case "create":
    case "create-orphan":
      return only(["update"], (ctx) => create(ctx, rest === "create-orphan"));
    case "lookup-self":
      return only(["read", "update"], (ctx) => ok({ data: lookupData(ctx.token!, ctx.nowMs), mountType: MOUNT_TYPE }));
    case "lookup":
      return only(["read", "update"], (ctx) => withToken(ctx, (t) => ok({ data: lookupData(t, ctx.nowMs), mountType: MOUNT_TYPE })));
    case "renew-self":
      return only(["update"], (ctx) => renewToken(ctx.state, ctx.token!, durationField(ctx.req.data, "increment"), ctx.nowMs));
    case "renew":
      return only(["update"], (ctx) => withToken(ctx, (t) => renewToken(ctx.state, t, durationField(ctx.req.data, "increment"), ctx.nowMs)));
    case "revoke-self":
      return only(["update"], (ctx) => {
        ctx.state.tokens.revoke(ctx.token!, ctx.nowMs);
        return noContent();
      });
    case "revoke":
      return only(["update"], (ctx) =>
        withToken(ctx, (t) => {
          ctx.state.tokens.revoke(t, ctx.nowMs);
          return noContent();
        }),
      );
    case "revoke-accessor":
      return only(["update"], (ctx) => {
        const accessor = stringField(ctx.req.data, "accessor");
        if (accessor === "") return errorReply(400, "missing accessor");
        const entry = ctx.state.tokens.getByAccessor(accessor);
        if (!entry || !ctx.state.tokens.valid(entry.id, ctx.nowMs)) return errorReply(400, "invalid accessor");
        ctx.state.tokens.revoke(entry, ctx.nowMs);
        return noContent();
      });
    default:
      return route(req, unsupportedPath);
  }
}

/** Resolves the `token` field; an unknown or ended token is Vault's 400 "bad token"-style answer. */
function withToken(ctx: HandlerContext, handle: (t: TokenEntry) => Reply): Reply {
  const id = stringField(ctx.req.data, "token");
  if (id === "") return errorReply(400, "missing token ID");
  const entry = ctx.state.tokens.valid(id, ctx.nowMs);
  if (!entry) return errorReply(403, "bad token");
  return handle(entry);
}

function create(ctx: HandlerContext, orphan: boolean): Reply {
  const d = ctx.req.data;
  const parent = ctx.token!;
  const requested = stringListField(d, "policies");
  const noDefault = boolField(d, "no_default_policy", false);
  // Without a policies field the child inherits the parent's policies.
  const policies = sanitizePolicies(requested ?? parent.policies.filter((p) => p !== "default" || !noDefault), !noDefault);
  const name = stringField(d, "display_name")
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-");
  const result = issueToken(
    ctx.state,
    {
      ns: ctx.ns,
      policies,
      meta: stringMapField(d, "meta") ?? null,
      displayName: name === "" ? "token" : `token-${name}`,
      path: orphan ? "auth/token/create-orphan" : "auth/token/create",
      parent: orphan || boolField(d, "no_parent", false) ? null : parent,
      renewable: boolField(d, "renewable", true),
      ttl: durationField(d, has(d, "ttl") ? "ttl" : "lease"),
      explicitMaxTtl: durationField(d, "explicit_max_ttl"),
      period: durationField(d, "period"),
      numUses: intField(d, "num_uses"),
      backendTtl: 0,
      backendMaxTtl: 0,
      entityId: parent.entityId,
      ...(has(d, "id") ? { id: stringField(d, "id") } : {}),
    },
    ctx.nowMs,
  );
  if (!result.ok) return result.reply;
  const entry = result.entry;
  const ttl = entry.expireMs === null ? 0 : entry.creationTtl;
  return ok({ auth: authBlock(entry, ttl), warnings: result.warnings, mountType: MOUNT_TYPE });
}
