/**
 * One API request through the double, in the order the real service applies its checks: latency,
 * injected faults, rejected access keys, unknown operation, control denials, then the operation.
 * Returns what to answer (or that the connection must be dropped) and the request-log line.
 */
import { accessDenied, rejectedKey } from "./access.js";
import type { OpContext } from "./ops/context.js";
import { OPERATIONS, secretIdsOf } from "./ops/index.js";
import type { DoubleState, Fault, RequestLogEntry } from "./state.js";
import type { RegionStore } from "./store/region.js";
import type { Secret } from "./store/secret.js";
import { AwsError, defaultMessage, frontDoor, layerOf } from "./wire/errors.js";
import type { AwsRequest } from "./wire/request.js";
import { nowMs } from "./wire/time.js";

/** What to send: an answer; nothing, the socket destroyed (`drop`); nothing ever (`hang`); or half an answer, then a reset (`truncate`). */
export type Outcome = { kind: "answer"; status: number; body: unknown } | { kind: "drop" } | { kind: "hang" } | { kind: "truncate"; status: number; body: unknown };

/** True when `a` and `b` name the same secret of `store` (or are the same text). */
function sameSecret(store: RegionStore, a: string, b: string): boolean {
  if (a === b) return true;
  const sa = store.resolve(a);
  return sa !== undefined && sa === store.resolve(b);
}

/** Which ids from control rules cover this request: `ruleId` matches when any named secret is the same. */
function refersTo(store: RegionStore, named: string[]): (ruleId: string) => boolean {
  return (ruleId) => named.some((id) => sameSecret(store, id, ruleId));
}

/** Serves one parsed request; `wait` sleeps (so close() can cut it short). */
export async function runRequest(state: DoubleState, req: AwsRequest, wait: (ms: number) => Promise<void>): Promise<{ outcome: Outcome; log: RequestLogEntry }> {
  const at = nowMs();
  const secretIds = secretIdsOf(req.action, req.input);
  const log: RequestLogEntry = { action: req.action, region: req.region, accessKeyId: req.accessKeyId, secretIds, status: 200, at };
  const store = state.region(req.region);
  const named = refersTo(store, secretIds);

  const delay = state.latencyFor(req.action);
  if (delay > 0) await wait(delay);

  const fault = state.takeFault(req.action, named);
  if (fault?.mode === "hang") {
    log.status = 0;
    return { outcome: { kind: "hang" }, log };
  }
  if (fault?.mode === "error") return { outcome: faultOutcome(fault, log), log };

  const { status, body, errorType } = answer(state, req, store, named);
  if (fault?.mode === "reset_mid_body") {
    // The real answer (the operation took effect), cut off halfway through its body.
    log.status = 0;
    return { outcome: { kind: "truncate", status, body }, log };
  }
  log.status = status;
  if (errorType !== undefined) log.errorType = errorType;
  return { outcome: { kind: "answer", status, body }, log };
}

function faultOutcome(fault: Fault, log: RequestLogEntry): Outcome {
  log.status = fault.status;
  if (fault.status === 0) return { kind: "drop" };
  const error = new AwsError(fault.type, fault.message ?? defaultMessage(fault.type), fault.status, layerOf(fault.type));
  log.errorType = fault.type;
  return { kind: "answer", status: fault.status, body: error.body() };
}

function answer(state: DoubleState, req: AwsRequest, store: RegionStore, named: (id: string) => boolean): { status: number; body: unknown; errorType?: string } {
  try {
    const rejection = state.rejectedKeys.get(req.accessKeyId);
    if (rejection) throw rejectedKey(rejection);
    const operation = OPERATIONS[req.action];
    if (!operation) throw frontDoor("UnknownOperationException", `The operation ${req.action} is not emulated by this AWS Secrets Manager double.`);
    if (state.isDenied(req.action, named)) {
      const first = secretIdsOf(req.action, req.input)[0];
      const resource = req.action === "BatchGetSecretValue" || first === undefined ? "*" : (store.resolve(first)?.arn ?? first);
      throw accessDenied(state.accountId, req.action, resource);
    }
    const ctx: OpContext = {
      state,
      store,
      region: req.region,
      accountId: state.accountId,
      nowMs: nowMs(),
      denied: (action: string, secret: Secret | undefined, rawId: string) => state.isDenied(action, (ruleId) => ruleId === rawId || (secret !== undefined && store.resolve(ruleId) === secret)),
    };
    return { status: 200, body: operation(ctx, req.input) };
  } catch (error) {
    if (!(error instanceof AwsError)) throw error;
    return { status: error.status, body: error.body(), errorType: error.type };
  }
}
