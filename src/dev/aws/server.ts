/**
 * HTTP plumbing: one node:http server on 127.0.0.1 that sends /__double/ to the control surface
 * and everything else through the awsJson1_1 envelope checks and the request pipeline. Every API
 * answer has `Content-Type: application/x-amz-json-1.1` and an `x-amzn-RequestId` UUID.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { handleControl } from "./control.js";
import { runRequest } from "./pipeline.js";
import type { DoubleState } from "./state.js";
import { frontDoor } from "./wire/errors.js";
import { JSON_11, parseRequest, RefusedRequest } from "./wire/request.js";
import { nowMs } from "./wire/time.js";

// Secrets are at most 64 KiB; a few of them base64-encoded in one body stay far below this.
const MAX_BODY = 4 * 1024 * 1024;

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** Starts listening on 127.0.0.1 (port 0 = kernel-chosen). */
export async function listen(state: DoubleState, port = 0): Promise<RunningServer> {
  const timers = new Set<NodeJS.Timeout>();
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });
  const server = http.createServer((req, res) => {
    serve(state, req, res, wait).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, { __type: "InternalServiceError", Message: `double: ${(error as Error).message}` });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function serve(state: DoubleState, req: http.IncomingMessage, res: http.ServerResponse, wait: (ms: number) => Promise<void>): Promise<void> {
  const body = await readBody(req);
  const path = new URL(req.url ?? "/", "http://double.invalid").pathname;
  const method = req.method ?? "GET";
  if (path.startsWith("/__double/")) {
    const answer = handleControl(state, method, path.slice("/__double/".length), body ?? Buffer.alloc(0));
    res.writeHead(answer.status, { "Content-Type": "application/json" });
    res.end(`${JSON.stringify(answer.body)}\n`);
    return;
  }
  const at = nowMs();
  const refuse = (status: number, type: string, message: string) => {
    state.record({ action: "", region: "", secretIds: [], status, errorType: type, at });
    sendJson(res, status, frontDoor(type, message, status).body());
  };
  if (body === undefined) return refuse(413, "RequestEntityTooLargeException", "Request body too large.");
  if (method !== "POST") return refuse(405, "MethodNotAllowedException", `The AWS JSON protocol uses POST only, not ${method}.`);
  if (path !== "/") return refuse(404, "UnknownOperationException", `The AWS JSON protocol posts to "/", not "${path}".`);

  const parsed = parseRequest(req, body);
  if (parsed instanceof RefusedRequest) {
    const e = parsed.error;
    state.record({ action: parsed.action, region: parsed.region, ...(parsed.accessKeyId ? { accessKeyId: parsed.accessKeyId } : {}), secretIds: [], status: e.status, errorType: e.type, at });
    return sendJson(res, e.status, e.body());
  }
  const { outcome, log } = await runRequest(state, parsed, wait);
  state.record(log);
  if (outcome.kind === "drop") {
    req.socket.destroy();
    return;
  }
  // Read, logged, never answered: the socket stays open until the client gives up or close().
  if (outcome.kind === "hang") return;
  if (outcome.kind === "truncate") return sendHalfThenReset(res, outcome.status, outcome.body);
  sendJson(res, outcome.status, outcome.body);
}

/** The body, or undefined when it exceeds the cap. */
function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on("end", () => resolve(size > MAX_BODY ? undefined : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": JSON_11, "x-amzn-RequestId": randomUUID(), "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/** The head of the answer (announcing its full length) and the first half of its body, then the socket is destroyed. */
function sendHalfThenReset(res: http.ServerResponse, status: number, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body), "utf8");
  res.writeHead(status, { "Content-Type": JSON_11, "x-amzn-RequestId": randomUUID(), "Content-Length": bytes.length });
  res.flushHeaders();
  res.write(bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2))), () => res.socket?.destroy());
}
