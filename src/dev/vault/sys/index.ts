/** The sys/ backend: mounts, policies, leases and the ui mounts lookup; anything else is "unsupported path". */
import { route, type Route } from "../context.js";
import { unsupportedPath } from "../wire/reply.js";
import type { LogicalRequest } from "../wire/request.js";
import { leasesRoute } from "./leases.js";
import { mountsRoute } from "./mounts.js";
import { policiesRoute } from "./policies.js";
import { uiMountsRoute } from "./ui-mounts.js";

/** Picks the handler for a path under sys/ (`rest` excludes "sys/"). */
export function sysRoute(rest: string, req: LogicalRequest): Route {
  return uiMountsRoute(rest, req) ?? mountsRoute(rest, req) ?? policiesRoute(rest, req) ?? leasesRoute(rest, req) ?? route(req, unsupportedPath);
}
