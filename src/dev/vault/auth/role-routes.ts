/**
 * The role endpoints the aws and cert plugins share in shape: LIST of the role names (404 when
 * there are none), and read / write / delete of one role by name, lower-cased as the plugins'
 * TypeLowerCaseString does. Any other path under the role prefix is an unsupported path.
 */
import { route, type HandlerContext, type Route } from "../context.js";
import type { LogicalRequest } from "../wire/request.js";
import { noContent, notFound, ok, unsupportedOperation, unsupportedPath, type Reply } from "../wire/reply.js";

export interface RoleEndpoints {
  /** The paths a LIST of the roles is served at (`role/`, `roles/`; `certs/`). */
  listPaths: readonly string[];
  /** One role's path: its name is the first group. */
  rolePath: RegExp;
  roles: Map<string, unknown>;
  mountType: string;
  read(name: string): Reply;
  write(name: string, ctx: HandlerContext): Reply;
}

/** The route for `rest` among a plugin's role endpoints. */
export function roleRoute(rest: string, req: LogicalRequest, e: RoleEndpoints): Route {
  const op = req.operation;
  if (e.listPaths.includes(rest) && op === "list") {
    return route(req, () => {
      const keys = [...e.roles.keys()].sort();
      return keys.length === 0 ? notFound() : ok({ data: { keys }, mountType: e.mountType });
    });
  }
  const m = e.rolePath.exec(rest);
  if (!m) return route(req, unsupportedPath);
  const name = m[1]!.toLowerCase();
  switch (op) {
    case "read":
      return route(req, () => e.read(name));
    case "update":
      return route(req, (ctx) => e.write(name, ctx), e.roles.has(name));
    case "delete":
      return route(req, () => (e.roles.delete(name), noContent()));
    default:
      return route(req, unsupportedOperation);
  }
}
