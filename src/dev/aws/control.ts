/**
 * The control surface under /__double/ (no AWS API posts there): faults, latency, denials,
 * rejected access keys and the request log. JSON in and out, no authentication; errors are
 * `{"error":"…"}` with 400 (bad input) or 404 (unknown endpoint). Nothing here returns a secret value.
 */
import { REJECTION_TYPES } from "./access.js";
import type { DoubleState, RejectionType } from "./state.js";
import { faultStatusAndCount, parseControlBody } from "../shared/control-body.js";

export interface ControlAnswer {
  status: number;
  body: unknown;
}

type Body = Record<string, unknown>;

const bad = (message: string): ControlAnswer => ({ status: 400, body: { error: message } });
const done = (body: unknown = { ok: true }): ControlAnswer => ({ status: 200, body });
const optionalString = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** Serves one control request; `path` is relative to /__double/. */
export function handleControl(state: DoubleState, method: string, path: string, raw: Buffer): ControlAnswer {
  const parsed = parseControlBody(raw);
  if ("error" in parsed) return bad(parsed.error);
  const body: Body = parsed.body;
  switch (`${method} ${path.replace(/\/+$/, "")}`) {
    case "GET requests":
      return done(state.requests);
    case "DELETE requests":
      state.requests = [];
      return done();
    case "GET faults":
      return done(state.faults);
    case "POST faults":
      return addFault(state, body);
    case "DELETE faults":
      state.faults = [];
      return done();
    case "GET latency":
      return done(state.latencies);
    case "POST latency":
      return addLatency(state, body);
    case "DELETE latency":
      state.latencies = [];
      return done();
    case "GET deny":
      return done(state.denials);
    case "POST deny":
      if (typeof body.action !== "string" || body.action === "") return bad('"action" must be an operation name, e.g. "GetSecretValue"');
      state.denials.push({ action: body.action, secretId: optionalString(body.secretId) });
      return done();
    case "DELETE deny":
      state.denials = [];
      return done();
    case "GET access-keys":
      return done(Object.fromEntries(state.rejectedKeys));
    case "POST access-keys":
      return rejectKey(state, body);
    case "DELETE access-keys":
      state.rejectedKeys.clear();
      return done();
    default:
      return { status: 404, body: { error: `unknown control endpoint: ${method} /__double/${path}` } };
  }
}

function addFault(state: DoubleState, body: Body): ControlAnswer {
  const checked = faultStatusAndCount(body, 400);
  if ("error" in checked) return bad(checked.error);
  const { status, count, mode } = checked;
  const type = optionalString(body.type) ?? (status >= 500 ? "InternalServiceError" : "ThrottlingException");
  state.faults.push({ action: optionalString(body.action), secretId: optionalString(body.secretId), mode, status, type, message: optionalString(body.message), remaining: count });
  return done();
}

function addLatency(state: DoubleState, body: Body): ControlAnswer {
  if (typeof body.ms !== "number" || !(body.ms >= 0)) return bad('"ms" must be a non-negative number');
  const action = optionalString(body.action);
  state.latencies = state.latencies.filter((l) => l.action !== action);
  if (body.ms > 0) state.latencies.push({ action, ms: body.ms });
  return done();
}

function rejectKey(state: DoubleState, body: Body): ControlAnswer {
  if (typeof body.accessKeyId !== "string" || body.accessKeyId === "") return bad('"accessKeyId" must be a non-empty string');
  if (!REJECTION_TYPES.includes(body.type as RejectionType)) return bad(`"type" must be one of ${REJECTION_TYPES.join(", ")}`);
  state.rejectedKeys.set(body.accessKeyId, body.type as RejectionType);
  return done();
}
