/**
 * The body of a request to a double's /__double/ control surface: empty, or one JSON object.
 * Shared by the Vault and AWS doubles, which answer a bad body with their own 400 shape.
 */
export type ControlBody = Record<string, unknown>;

/** The parsed body (an empty object for an empty body), or what is wrong with it. */
export function parseControlBody(raw: Buffer): { body: ControlBody } | { error: string } {
  const text = raw.toString("utf8").trim();
  if (text === "") return { body: {} };
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return { error: "body must be a JSON object" };
    return { body: parsed as ControlBody };
  } catch (error) {
    return { error: `body is not JSON: ${(error as Error).message}` };
  }
}

/**
 * How a fault answers. `error`: the given status (0 = drop the connection before answering).
 * `hang`: the request is read and never answered, until the client gives up or the double
 * closes. `reset_mid_body`: the real answer's status line, headers (with the full
 * Content-Length) and the first half of its body are sent, then the socket is destroyed.
 */
export type FaultMode = "error" | "hang" | "reset_mid_body";

const MODES: readonly FaultMode[] = ["error", "hang", "reset_mid_body"];

/**
 * The `mode` (default `error`), `status` (for `error`: 0 = drop the connection, else an HTTP
 * status from `lowest` to 599; the other modes take none and log 0) and `count` (default 1) of a
 * fault to inject, or what is wrong with them.
 */
export function faultStatusAndCount(body: ControlBody, lowest: number): { status: number; count: number; mode: FaultMode } | { error: string } {
  const mode = body.mode ?? "error";
  if (!MODES.includes(mode as FaultMode)) return { error: `"mode" must be one of ${MODES.join(", ")}` };
  const count = body.count ?? 1;
  if (typeof count !== "number" || !Number.isInteger(count) || count < 1) return { error: '"count" must be a positive integer' };
  if (mode !== "error") {
    if (body.status !== undefined) return { error: `"status" does not go with mode "${mode as string}"` };
    return { status: 0, count, mode: mode as FaultMode };
  }
  const status = body.status;
  if (typeof status !== "number" || !Number.isInteger(status) || (status !== 0 && (status < lowest || status > 599))) {
    return { error: `"status" must be 0 (drop the connection) or an HTTP ${lowest === 400 ? "error status (400-599)" : "status code"}` };
  }
  return { status, count, mode: "error" };
}
