/**
 * Lease management: renew (body or URL lease id; CalculateTTL capped by the role's max_ttl from
 * issue time), revoke (204, also for unknown ids), revoke-prefix, lookup, and the sudo-only
 * lookup listing. The legacy sys/renew and sys/revoke paths behave the same.
 */
import { route, type HandlerContext, type Route } from "../context.js";
import { listChildren } from "../store/listing.js";
import type { LeaseEntry } from "../store/leases.js";
import { remainingTtl } from "../auth/issue.js";
import { rfc3339Nano } from "../time/clock.js";
import { calculateTtl } from "../time/ttl.js";
import { boolField, durationField, stringField } from "../wire/fields.js";
import { errorReply, noContent, notFound, ok, unsupportedOperation, type Reply } from "../wire/reply.js";
import type { LogicalRequest } from "../wire/request.js";

/** Routes lease paths; `rest` starts after "sys/". */
export function leasesRoute(rest: string, req: LogicalRequest): Route | undefined {
  const op = req.operation;
  const m = /^(?:leases\/)?(renew|revoke|revoke-prefix|lookup)(?:\/(.*))?$/.exec(rest);
  if (!m || (m[1] !== "renew" && m[1] !== "revoke" && !rest.startsWith("leases/"))) return undefined;
  const action = m[1]!;
  const suffix = m[2] ?? "";
  if (action === "lookup" && op === "list") {
    return { capability: "list", sudo: true, handle: (ctx) => listLeases(ctx, suffix) };
  }
  if (op !== "update") return route(req, unsupportedOperation);
  switch (action) {
    case "renew":
      return route(req, (ctx) => renew(ctx, suffix || stringField(ctx.req.data, "lease_id")));
    case "revoke":
      return route(req, (ctx) => revoke(ctx, suffix || stringField(ctx.req.data, "lease_id")));
    case "revoke-prefix":
      return { capability: "update", sudo: true, handle: (ctx) => revokePrefix(ctx, suffix) };
    default:
      return route(req, (ctx) => lookup(ctx, stringField(ctx.req.data, "lease_id")));
  }
}

/** A lease of this namespace, with its state now. */
function find(ctx: HandlerContext, id: string): { lease: LeaseEntry; state: string } | undefined {
  const lease = ctx.state.leases.get(id);
  if (!lease || lease.namespace !== ctx.ns.path) return undefined;
  return { lease, state: ctx.state.leases.status(lease, ctx.nowMs, ctx.state.tokens).state };
}

function renew(ctx: HandlerContext, id: string): Reply {
  if (id === "") return errorReply(400, "lease_id must be specified");
  const found = find(ctx, id);
  if (!found || found.state === "revoked") return errorReply(400, "lease not found");
  if (found.state === "expired") return errorReply(400, "lease expired");
  const lease = found.lease;
  if (!lease.renewable) return errorReply(400, "lease is not renewable");
  const result = calculateTtl({
    increment: durationField(ctx.req.data, "increment"),
    backendTtl: lease.backendTtl,
    period: 0,
    backendMaxTtl: lease.backendMaxTtl,
    explicitMaxTtl: 0,
    startMs: lease.issueMs,
    nowMs: ctx.nowMs,
    systemDefaultTtl: ctx.state.config.defaultTtl,
    systemMaxTtl: ctx.state.config.maxTokenTtl,
  });
  if (!result.ok) return errorReply(400, result.error);
  lease.expireMs = ctx.nowMs + result.ttl * 1000;
  lease.lastRenewalMs = ctx.nowMs;
  lease.renewals += 1;
  return ok({ leaseId: lease.id, renewable: true, leaseDuration: result.ttl, warnings: result.warnings, mountType: "system" });
}

function revoke(ctx: HandlerContext, id: string): Reply {
  if (id === "") return errorReply(400, "lease_id must be specified");
  const found = find(ctx, id);
  if (found) ctx.state.leases.revoke(found.lease, ctx.nowMs);
  // sync=false asks for background revocation: 202 with an empty body (the double revokes at once).
  if (!boolField(ctx.req.data, "sync", true)) return { kind: "raw", status: 202, text: "" };
  return noContent();
}

function revokePrefix(ctx: HandlerContext, prefix: string): Reply {
  for (const lease of ctx.state.leases.all()) {
    if (lease.namespace === ctx.ns.path && lease.id.startsWith(prefix)) ctx.state.leases.revoke(lease, ctx.nowMs);
  }
  return noContent();
}

function lookup(ctx: HandlerContext, id: string): Reply {
  if (id === "") return errorReply(400, "lease_id must be specified");
  const found = find(ctx, id);
  if (!found || found.state !== "active") return errorReply(400, "invalid lease");
  const lease = found.lease;
  return ok({
    data: {
      expire_time: rfc3339Nano(lease.expireMs),
      id: lease.id,
      issue_time: rfc3339Nano(lease.issueMs),
      last_renewal: lease.lastRenewalMs === null ? null : rfc3339Nano(lease.lastRenewalMs),
      renewable: lease.renewable,
      ttl: remainingTtl(lease.expireMs, ctx.nowMs),
    },
    mountType: "system",
  });
}

function listLeases(ctx: HandlerContext, prefix: string): Reply {
  const active = ctx.state.leases.all().filter((l) => l.namespace === ctx.ns.path && ctx.state.leases.status(l, ctx.nowMs, ctx.state.tokens).state === "active");
  const keys = listChildren(
    active.map((l) => l.id),
    prefix,
  );
  return keys.length === 0 ? notFound() : ok({ data: { keys }, mountType: "system" });
}
