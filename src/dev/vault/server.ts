/**
 * HTTP plumbing: one node:http (or node:https) server on 127.0.0.1, reading each request body
 * (32 MiB cap, as Vault's default max_request_size), sending /__double/ to the control surface
 * and /v1/ through latency, faults, the Vault pipeline and the request log. Every answer carries
 * `Content-Type: application/json` and `Cache-Control: no-store`, as Vault's do. Over HTTPS it asks
 * every client for a certificate without requiring one (Vault's tls_disable_client_certs=false),
 * and hands the presented chain to the handlers (auth/cert) unverified.
 */
import { X509Certificate } from "node:crypto";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import type { Connection } from "./context.js";
import { handleControl } from "./control.js";
import type { DoubleState } from "./state.js";
import { nowMs } from "./time/clock.js";
import { handleVaultCall } from "./vault.js";
import { goEncode, struct } from "./wire/json.js";
import { errorReply, type Reply } from "./wire/reply.js";

const MAX_BODY = 32 * 1024 * 1024;

export interface TlsMaterial {
  key: string | Buffer;
  cert: string | Buffer;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** Starts listening on 127.0.0.1 with a kernel-chosen port (or `port`). */
export async function listen(state: DoubleState, tls?: TlsMaterial, port = 0): Promise<RunningServer> {
  const timers = new Set<NodeJS.Timeout>();
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    serve(state, req, res, timers).catch((error: unknown) => {
      if (!res.headersSent) write(res, errorReply(500, `double: ${(error as Error).message}`));
      else res.destroy();
    });
  };
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert, requestCert: true, rejectUnauthorized: false }, onRequest) : http.createServer(onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `${tls ? "https" : "http"}://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function serve(state: DoubleState, req: http.IncomingMessage, res: http.ServerResponse, timers: Set<NodeJS.Timeout>): Promise<void> {
  const url = new URL(req.url ?? "/", "http://double.invalid");
  const body = await readBody(req);
  if (body === "too-large") return write(res, errorReply(413, "http: request body too large"));
  const method = req.method ?? "GET";

  if (url.pathname.startsWith("/__double/")) {
    const { status, body: answer } = handleControl(state, method, url.pathname.slice("/__double/".length), body, nowMs());
    return write(res, { kind: "raw", status, text: goEncode(answer) });
  }
  if (!url.pathname.startsWith("/v1/")) return write(res, errorReply(404));

  let path: string;
  try {
    path = decodeURIComponent(url.pathname.slice("/v1/".length));
  } catch {
    return write(res, errorReply(400));
  }
  const record = (status: number, namespace: string, tokenAccessor: string | null) =>
    state.record({
      time: new Date().toISOString(),
      method,
      path,
      query: Object.fromEntries(
        [...new Set(url.searchParams.keys())].map((k) => {
          const all = url.searchParams.getAll(k);
          return [k, all.length === 1 ? all[0]! : all];
        }),
      ),
      status,
      namespace,
      token_accessor: tokenAccessor,
    });
  const nsHeader = typeof req.headers["x-vault-namespace"] === "string" ? req.headers["x-vault-namespace"] : "";

  const delay = state.latencyFor(path);
  if (delay > 0) {
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, delay);
      timers.add(t);
    });
  }
  const fault = state.takeFault(path, method);
  if (fault?.mode === "hang") {
    // Read, logged, never answered: the socket stays open until the client gives up or close().
    record(0, nsHeader.replace(/^\/+|\/+$/g, ""), null);
    return;
  }
  if (fault && fault.mode === "error") {
    record(fault.status, nsHeader.replace(/^\/+|\/+$/g, ""), null);
    if (fault.status === 0) {
      req.socket.destroy();
      return;
    }
    return write(res, { kind: "raw", status: fault.status, text: goEncode(fault.body ?? struct({ errors: ["internal error"] })) }, nsHeader);
  }

  const outcome = handleVaultCall(state, { method, path, query: url.searchParams, headers: req.headers, body, connection: connectionOf(req) }, nowMs());
  if (fault?.mode === "reset_mid_body") {
    // The real answer's head and half its body, then a reset (the operation itself took effect).
    record(0, outcome.namespace, outcome.tokenAccessor);
    return writeHalfThenReset(res, outcome.reply, nsHeader);
  }
  record(outcome.reply.status, outcome.namespace, outcome.tokenAccessor);
  write(res, outcome.reply, nsHeader);
}

/** TLS or not, and the certificate chain the client presented (leaf first, as sent, not verified). */
function connectionOf(req: http.IncomingMessage): Connection {
  const socket = req.socket as Partial<TLSSocket>;
  if (!socket.encrypted || typeof socket.getPeerCertificate !== "function") return { tls: false, peerCertificates: [] };
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  let current: Partial<import("node:tls").DetailedPeerCertificate> | undefined = socket.getPeerCertificate(true);
  while (current?.raw && !seen.has(current.fingerprint256 ?? "")) {
    seen.add(current.fingerprint256 ?? "");
    chain.push(new X509Certificate(current.raw));
    current = current.issuerCertificate;
  }
  return { tls: true, peerCertificates: chain };
}

function readBody(req: http.IncomingMessage): Promise<Buffer | "too-large"> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(tooLarge ? "too-large" : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function write(res: http.ServerResponse, reply: Reply, nsHeader = ""): void {
  const text = replyText(reply);
  res.writeHead(reply.status, replyHeaders(reply, text, nsHeader));
  res.end(reply.status === 204 ? undefined : text);
}

/** The head of `reply` (announcing its full length) and the first half of its body, then the socket is destroyed. */
function writeHalfThenReset(res: http.ServerResponse, reply: Reply, nsHeader: string): void {
  const bytes = Buffer.from(replyText(reply), "utf8");
  res.writeHead(reply.status, replyHeaders(reply, bytes.toString("utf8"), nsHeader));
  // At least one byte short of the whole, and at least one byte sent when there is a body.
  const cut = bytes.length === 0 ? 0 : Math.max(1, Math.min(bytes.length - 1, Math.floor(bytes.length / 2)));
  res.flushHeaders();
  res.write(bytes.subarray(0, cut), () => res.socket?.destroy());
}

function replyText(reply: Reply): string {
  return reply.kind === "json" ? goEncode(reply.body) : reply.kind === "raw" ? reply.text : "";
}

function replyHeaders(reply: Reply, text: string, nsHeader: string): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = { "Cache-Control": "no-store", "Content-Type": "application/json" };
  // Vault echoes the namespace header on every answer.
  if (nsHeader !== "") headers["X-Vault-Namespace"] = nsHeader;
  if (reply.status !== 204 && reply.status !== 304) headers["Content-Length"] = Buffer.byteLength(text);
  return headers;
}
