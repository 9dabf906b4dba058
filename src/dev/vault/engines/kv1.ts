/**
 * The KV version 1 engine (the plugin's passthrough backend): flat keys, writes answer 204, reads
 * carry the mount's default TTL as an advisory `lease_duration` (or the secret's own `ttl`/`lease`
 * key) with an empty `lease_id`.
 */
import { route, type HandlerContext, type Route } from "../context.js";
import type { KvV1Store } from "../store/kv.js";
import { DurationError, parseDurationSeconds } from "../time/duration.js";
import { errorReply, noContent, notFound, ok, unsupportedOperation, type Reply } from "../wire/reply.js";
import type { LogicalRequest } from "../wire/request.js";

/** Picks the handler for a path inside a KV v1 mount. */
export function kv1Route(store: KvV1Store, rest: string, req: LogicalRequest): Route {
  switch (req.operation) {
    case "list":
      return route(req, () => {
        const keys = store.list(rest);
        return keys.length === 0 ? notFound() : ok({ data: { keys }, mountType: "kv" });
      });
    case "read":
      return route(req, (ctx) => read(store, rest, ctx));
    case "update":
      return route(req, (ctx) => write(store, rest, ctx), store.has(rest));
    case "delete":
      return route(req, () => {
        store.delete(rest);
        return noContent();
      });
    default:
      return route(req, unsupportedOperation);
  }
}

function read(store: KvV1Store, key: string, ctx: HandlerContext): Reply {
  const data = store.get(key);
  if (!data) return notFound();
  let ttl = ctx.state.config.defaultTtl;
  const hint = data.ttl ?? data.lease;
  if (hint !== undefined) {
    try {
      ttl = parseDurationSeconds(hint);
    } catch (error) {
      if (!(error instanceof DurationError)) throw error;
    }
  }
  return ok({ leaseDuration: ttl, data, mountType: "kv" });
}

function write(store: KvV1Store, key: string, ctx: HandlerContext): Reply {
  if (Object.keys(ctx.req.data).length === 0) return errorReply(400, "missing data fields");
  store.put(key, ctx.req.data);
  return noContent();
}
