/**
 * What a backend handler sees: the request (path relative to its namespace), the matched mount
 * and the rest of the path inside it, the caller's token when valid, and the double's state.
 */
import type { X509Certificate } from "node:crypto";
import { Acl } from "./acl.js";
import type { DoubleState, Namespace } from "./state.js";
import type { MountEntry } from "./store/mounts.js";
import type { Capability, Policy } from "./store/policies.js";
import type { TokenEntry } from "./store/tokens.js";
import type { Reply } from "./wire/reply.js";
import type { LogicalRequest, Operation } from "./wire/request.js";

export interface HandlerContext {
  state: DoubleState;
  ns: Namespace;
  req: LogicalRequest;
  mount: MountEntry;
  /** The namespace part that came from the request path rather than the header ("admin/" or ""). */
  pathNamespace: string;
  /** Path inside the mount ("myapp/db" under "secret/data/" is rest "data/myapp/db"). */
  rest: string;
  /** The caller's token when it is valid (always set for authenticated routes). */
  token: TokenEntry | undefined;
  nowMs: number;
  /** The connection the request came on: TLS or not, and the client's certificate chain (leaf first) when it sent one. */
  connection?: Connection;
}

export interface Connection {
  tls: boolean;
  peerCertificates: X509Certificate[];
}

export interface Route {
  /** The capability the ACL must grant on the request path; null for unauthenticated routes. */
  capability: Capability | null;
  /** Also require sudo (sys/leases/revoke-prefix, sys/leases/lookup/ listing). */
  sudo?: boolean;
  handle(ctx: HandlerContext): Reply;
}

/** Which capability an operation needs; updates need `create` when the target does not exist yet. */
export function capabilityFor(operation: Operation, exists?: boolean): Capability {
  switch (operation) {
    case "read":
      return "read";
    case "list":
      return "list";
    case "delete":
      return "delete";
    case "patch":
      return "patch";
    default:
      return exists === false ? "create" : "update";
  }
}

/** A route needing the operation's capability (update, unless the caller passes existence). */
export function route(req: LogicalRequest, handle: (ctx: HandlerContext) => Reply, exists?: boolean): Route {
  return { capability: capabilityFor(req.operation, exists), handle };
}

/** The ACL of a token: its policies, looked up in the token's own namespace. */
export function aclFor(state: DoubleState, token: TokenEntry): Acl {
  const home = state.namespaces.get(token.namespace);
  const isRoot = token.namespace === "" && token.policies.includes("root");
  const policies = (home ? token.policies.map((p) => home.policies.get(p)) : []).filter((p): p is Policy => p !== undefined);
  return new Acl(policies, isRoot);
}

/**
 * The path as the token's ACL sees it: relative to the token's namespace. A root-namespace token
 * in namespace "admin" is checked against "admin/secret/data/x".
 */
export function aclPath(ns: Namespace, token: TokenEntry, path: string): string {
  const below = ns.path === token.namespace ? "" : ns.path.slice(token.namespace === "" ? 0 : token.namespace.length + 1);
  return below ? `${below}/${path}` : path;
}

/** True when a token of namespace `tokenNs` may be used in namespace `ns` (same or a descendant). */
export function tokenUsableIn(tokenNs: string, ns: string): boolean {
  return tokenNs === "" || ns === tokenNs || ns.startsWith(`${tokenNs}/`);
}
