/**
 * The control surface under /__double/ (no Vault API has these): seal/unseal, faults, latency,
 * denials, configuration, namespaces, the AWS identities the double's stand-in STS knows, and
 * read-only views of the request log, leases and tokens. Bodies are JSON; no authentication.
 * Views never include a token id, a secret value, a secret access key or a session token.
 */
import { base62 } from "./ids.js";
import type { DoubleState, ForbiddenStyle } from "./state.js";
import { awsIdentities, type AwsIdentity } from "./store/aws.js";
import { rfc3339Nano } from "./time/clock.js";
import { struct } from "./wire/json.js";
import { faultStatusAndCount, parseControlBody } from "../shared/control-body.js";

export interface ControlAnswer {
  status: number;
  body: unknown;
}

type Body = Record<string, unknown>;

const bad = (message: string): ControlAnswer => ({ status: 400, body: struct({ error: message }) });
const done = (body: unknown = struct({ ok: true })): ControlAnswer => ({ status: 200, body });

/** Serves one control request; `path` is relative to /__double/. */
export function handleControl(state: DoubleState, method: string, path: string, raw: Buffer, nowMs: number): ControlAnswer {
  const parsed = parseControlBody(raw);
  if ("error" in parsed) return bad(parsed.error);
  const body: Body = parsed.body;
  const key = `${method} ${path.replace(/\/+$/, "")}`;
  switch (key) {
    case "POST seal":
      state.sealed = true;
      return done(struct({ sealed: true }));
    case "POST unseal":
      state.sealed = false;
      return done(struct({ sealed: false }));
    case "GET faults":
      return done(state.faults.map((f) => struct({ path_prefix: f.pathPrefix, method: f.method, mode: f.mode, status: f.status, remaining: f.remaining })));
    case "POST faults":
      return addFault(state, body);
    case "DELETE faults":
      state.faults = [];
      return done();
    case "GET latency":
      return done(state.latencies.map((l) => struct({ path_prefix: l.pathPrefix, ms: l.ms })));
    case "POST latency":
      return addLatency(state, body);
    case "DELETE latency":
      state.latencies = [];
      return done();
    case "GET deny":
      return done(state.denials.map((d) => struct({ path: d.path, for: d.for })));
    case "POST deny":
      return addDenial(state, body);
    case "DELETE deny":
      state.denials = typeof body.path === "string" ? state.denials.filter((d) => d.path !== body.path) : [];
      return done();
    case "GET requests":
      return done(state.requests.map((r) => struct({ ...r })));
    case "DELETE requests":
      state.requests = [];
      return done();
    case "GET config":
      return done(configView(state));
    case "POST config":
      return setConfig(state, body);
    case "GET namespaces":
      return done([...state.namespaces.values()].filter((n) => n.path !== "").map((n) => struct({ path: `${n.path}/`, id: n.id })));
    case "POST namespaces": {
      if (typeof body.path !== "string" || body.path.replace(/\//g, "") === "") return bad('"path" must be a non-empty string');
      const ns = state.createNamespace(body.path);
      return done(struct({ path: `${ns.path}/`, id: ns.id }));
    }
    case "GET leases":
      return done(leasesView(state, nowMs));
    case "GET tokens":
      return done(tokensView(state, nowMs));
    case "GET aws/identities":
      return done([...awsIdentities(state).values()].map(identityView));
    case "POST aws/identities":
      return addAwsIdentity(state, body);
    case "DELETE aws/identities":
      awsIdentities(state).clear();
      return done();
    default:
      return { status: 404, body: struct({ error: `unknown control endpoint: ${method} /__double/${path}` }) };
  }
}

function addFault(state: DoubleState, body: Body): ControlAnswer {
  const checked = faultStatusAndCount(body, 100);
  if ("error" in checked) return bad(checked.error);
  const { status, count, mode } = checked;
  state.faults.push({
    mode,
    pathPrefix: typeof body.path_prefix === "string" ? body.path_prefix.replace(/^\/+/, "").replace(/^v1\//, "") : "",
    method: typeof body.method === "string" ? body.method.toUpperCase() : null,
    status,
    remaining: count,
    body: body.body,
  });
  return done();
}

function addLatency(state: DoubleState, body: Body): ControlAnswer {
  if (typeof body.ms !== "number" || body.ms < 0) return bad('"ms" must be a non-negative number');
  const pathPrefix = typeof body.path_prefix === "string" ? body.path_prefix.replace(/^\/+/, "").replace(/^v1\//, "") : "";
  state.latencies = state.latencies.filter((l) => l.pathPrefix !== pathPrefix);
  if (body.ms > 0) state.latencies.push({ pathPrefix, ms: body.ms });
  return done();
}

function addDenial(state: DoubleState, body: Body): ControlAnswer {
  if (typeof body.path !== "string") return bad('"path" must be a string');
  const who = body.for ?? "all";
  if (typeof who !== "string" || who === "") return bad('"for" must be "all", "non-root" or a token accessor');
  state.denials.push({ path: body.path.replace(/^\/+/, ""), for: who });
  return done();
}

function addAwsIdentity(state: DoubleState, body: Body): ControlAnswer {
  for (const field of ["access_key_id", "secret_access_key", "arn"]) {
    if (typeof body[field] !== "string" || body[field] === "") return bad(`"${field}" must be a non-empty string`);
  }
  if (body.session_token !== undefined && typeof body.session_token !== "string") return bad('"session_token" must be a string');
  const arn = body.arn as string;
  const m = /^arn:[^:]+:(iam|sts)::(\d{12}):(user|role|assumed-role)\/(.+)$/.exec(arn);
  if (!m) return bad('"arn" must look like arn:aws:iam::<12 digits>:user/<name> or arn:aws:sts::<12 digits>:assumed-role/<role>/<session>');
  const session = m[3] === "assumed-role" ? m[4]!.split("/")[1] : undefined;
  if (m[3] === "assumed-role" && !session) return bad('an assumed-role "arn" needs a session: assumed-role/<role>/<session>');
  const unique = `${m[3] === "user" ? "AIDA" : "AROA"}${base62(17)
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, "X")}`;
  const identity: AwsIdentity = {
    accessKeyId: body.access_key_id as string,
    secretAccessKey: body.secret_access_key as string,
    arn,
    account: m[2]!,
    userId: typeof body.user_id === "string" ? body.user_id : session ? `${unique}:${session}` : unique,
    ...(typeof body.session_token === "string" && body.session_token !== "" ? { sessionToken: body.session_token } : {}),
  };
  awsIdentities(state).set(identity.accessKeyId, identity);
  return done(identityView(identity));
}

function identityView(i: AwsIdentity): unknown {
  return struct({ access_key_id: i.accessKeyId, arn: i.arn, account: i.account, user_id: i.userId, temporary: i.sessionToken !== undefined });
}

const STYLES: ForbiddenStyle[] = ["plain", "multierror", "invalid-token"];

function setConfig(state: DoubleState, body: Body): ControlAnswer {
  if (body.forbidden_style !== undefined) {
    if (!STYLES.includes(body.forbidden_style as ForbiddenStyle)) return bad(`"forbidden_style" must be one of ${STYLES.join(", ")}`);
    state.config.forbiddenStyle = body.forbidden_style as ForbiddenStyle;
  }
  if (body.ui_mounts !== undefined) {
    if (body.ui_mounts !== "enabled" && body.ui_mounts !== "404") return bad('"ui_mounts" must be "enabled" or "404"');
    state.config.uiMounts = body.ui_mounts;
  }
  for (const [field, key] of [
    ["max_token_ttl", "maxTokenTtl"],
    ["default_ttl", "defaultTtl"],
  ] as const) {
    if (body[field] === undefined) continue;
    const value = body[field];
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1) return bad(`"${field}" must be a positive number of seconds`);
    state.config[key] = value;
  }
  if (body.version !== undefined) {
    if (typeof body.version !== "string") return bad('"version" must be a string');
    state.config.version = body.version;
  }
  return done(configView(state));
}

function configView(state: DoubleState): unknown {
  const c = state.config;
  return struct({ forbidden_style: c.forbiddenStyle, ui_mounts: c.uiMounts, max_token_ttl: c.maxTokenTtl, default_ttl: c.defaultTtl, version: c.version, sealed: state.sealed });
}

function leasesView(state: DoubleState, nowMs: number): unknown {
  return state.leases.all().map((l) => {
    const status = state.leases.status(l, nowMs, state.tokens);
    return struct({
      lease_id: l.id,
      namespace: l.namespace,
      mount: l.mountPath,
      role: l.role,
      username: l.username,
      state: status.state,
      reason: status.reason,
      token_accessor: l.tokenAccessor,
      issue_time: rfc3339Nano(l.issueMs),
      expire_time: rfc3339Nano(l.expireMs),
      ended_time: status.endedMs === null ? null : rfc3339Nano(status.endedMs),
      renewals: l.renewals,
    });
  });
}

function tokensView(state: DoubleState, nowMs: number): unknown {
  return state.tokens.all().map((t) => {
    const end = state.tokens.endOf(t);
    const ended = end !== undefined && end.atMs <= nowMs;
    return struct({
      accessor: t.accessor,
      namespace: t.namespace,
      policies: t.policies,
      display_name: t.displayName,
      path: t.path,
      state: ended ? (end.cause.includes("expired") ? "expired" : "revoked") : "active",
      reason: ended ? end.cause : null,
      issue_time: rfc3339Nano(t.issueMs),
      expire_time: t.expireMs === null ? null : rfc3339Nano(t.expireMs),
      renewable: t.renewable,
      num_uses: t.numUses,
    });
  });
}
