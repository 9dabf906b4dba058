/**
 * One /v1/ request through the double, in Vault's order: health and seal-status first (they work
 * sealed and refuse namespaces), then request parsing (405/400/415), the seal (503), the
 * namespace (header, then path prefix), the token (403 in the configured style), control
 * denials, the ACL (403 multierror), and finally the mount's backend — or 404 "no handler for
 * route" when no mount serves the path.
 */
import type { IncomingHttpHeaders } from "node:http";
import { aclFor, aclPath, capabilityFor, tokenUsableIn, type Connection, type HandlerContext } from "./context.js";
import { backendRoute } from "./router.js";
import type { DoubleState } from "./state.js";
import { health, sealStatus } from "./sys/health.js";
import { forbiddenForToken } from "./sys/forbidden.js";
import { FieldError } from "./wire/fields.js";
import { errorReply, multierror, permissionDenied, type Reply } from "./wire/reply.js";
import { parseLogicalRequest } from "./wire/request.js";

export interface VaultCall {
  method: string;
  /** Path after /v1/, percent-decoded. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** TLS state and the client certificate chain, for auth/cert. */
  connection?: Connection;
}

export interface VaultOutcome {
  reply: Reply;
  /** Namespace the request ran in ("" = root; the raw header when it named no namespace). */
  namespace: string;
  tokenAccessor: string | null;
}

const RESTRICTED_IN_NAMESPACES = new Set(["sys/health", "sys/seal-status", "sys/seal", "sys/unseal", "sys/init", "sys/step-down"]);

/** Answers one /v1/ call; also says which namespace it ran in and which token (by accessor) it used, for the request log. */
export function handleVaultCall(state: DoubleState, call: VaultCall, nowMs: number): VaultOutcome {
  const nsHeader = typeof call.headers["x-vault-namespace"] === "string" ? call.headers["x-vault-namespace"].replace(/^\/+|\/+$/g, "") : "";
  const bare = call.path.replace(/\/+$/, "");
  if (RESTRICTED_IN_NAMESPACES.has(bare)) {
    const reply = nsHeader !== "" ? errorReply(400, "operation unavailable in namespaces") : special(state, bare, call, nowMs);
    return { reply, namespace: nsHeader, tokenAccessor: null };
  }
  const parsed = parseLogicalRequest(call.method, call.path, call.query, call.headers, call.body);
  if (!parsed.ok) return { reply: parsed.reply, namespace: nsHeader, tokenAccessor: null };
  const req = parsed.request;
  if (state.sealed) return { reply: errorReply(503, "Vault is sealed"), namespace: nsHeader, tokenAccessor: null };

  const headerNs = state.namespaces.get(req.namespaceHeader);
  if (!headerNs) return { reply: permissionDenied(), namespace: req.namespaceHeader, tokenAccessor: null };
  const { ns, rel, pathNamespace } = state.descend(headerNs, req.path);
  req.path = rel;

  let token = state.tokens.valid(req.token, nowMs);
  if (token && !tokenUsableIn(token.namespace, ns.path)) token = undefined;
  const outcome = (reply: Reply): VaultOutcome => ({ reply, namespace: ns.path, tokenAccessor: token?.accessor ?? null });

  const mount = ns.mounts.match(rel);
  const route = mount ? backendRoute(mount, rel.slice(Math.min(mount.path.length, rel.length)), req) : undefined;
  const authenticated = route?.capability !== null;
  if (authenticated && !token) return outcome(forbiddenForToken(state));
  if (state.denied(`${ns.path === "" ? "" : `${ns.path}/`}${rel}`, token)) return outcome(permissionDenied());

  let lastUse = false;
  if (authenticated && token) {
    const acl = aclFor(state, token);
    const path = aclPath(ns, token, rel);
    const capability = route?.capability ?? capabilityFor(req.operation);
    if (!acl.allows(path, capability) || (route?.sudo && !acl.allows(path, "sudo"))) return outcome(permissionDenied());
    lastUse = state.tokens.use(token);
  }
  if (!mount || !route) return outcome(errorReply(404, `no handler for route "${rel}". route entry not found.`));

  const ctx: HandlerContext = { state, ns, req, mount, pathNamespace, rest: rel.slice(Math.min(mount.path.length, rel.length)), token, nowMs, connection: call.connection };
  let reply: Reply;
  try {
    reply = route.handle(ctx);
  } catch (error) {
    if (!(error instanceof FieldError)) throw error;
    reply = errorReply(400, error.message);
  }
  if (lastUse && token) state.tokens.revoke(token, nowMs, "uses-exhausted");
  return outcome(reply);
}

function special(state: DoubleState, path: string, call: VaultCall, nowMs: number): Reply {
  if (path === "sys/health") {
    if (call.method !== "GET" && call.method !== "HEAD") return errorReply(405);
    return health(state, call.method, call.query, nowMs);
  }
  if (path === "sys/seal-status") return call.method === "GET" ? sealStatus(state) : errorReply(405);
  // seal, unseal, init, step-down are operator endpoints the double does not serve over /v1/.
  return errorReply(404, multierror("unsupported path"));
}
