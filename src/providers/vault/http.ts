/**
 * A small typed Vault HTTP client on node:http/node:https: one keep-alive agent per client, TLS
 * always verified (against a custom CA when given; `skipVerify` only from VAULT_SKIP_VERIFY),
 * per-request timeout, the namespace header on every call, and one redirect hop for standby nodes.
 * It makes exactly one attempt per call; retrying is the caller's decision (see providers/retry.ts).
 * Transport failures become UnavailableError; HTTP statuses are returned, not thrown, so callers
 * can read Vault's 404 bodies (deleted KV versions carry metadata).
 */
import http from "node:http";
import https from "node:https";
import { urlToHttpOptions } from "node:url";
import { UnavailableError } from "../../errors.js";
import { formatDuration } from "../../config/duration.js";

export interface VaultHttpOptions {
  /** Base address, e.g. `https://vault.example.com:8200` (a path prefix is kept). */
  address: string;
  namespace?: string;
  /** PEM bundle to verify the server against (replaces the system CAs, as the Vault CLI does). */
  ca?: string | Buffer;
  /** Only from VAULT_SKIP_VERIFY=1|true. */
  skipVerify?: boolean;
  timeoutMs?: number;
  /** A TLS client certificate (PEM) presented on every connection: the cert login method, VAULT_CLIENT_CERT/KEY. */
  clientCert?: { cert: string | Buffer; key: string | Buffer };
}

export interface VaultRequest {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** API path without the `/v1/` prefix, e.g. `secret/data/myapp/db`. Segments are sent as given. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  token?: string;
  /** Epoch ms: the request may not outlast it (so --start-timeout bounds a hung Vault too). */
  deadline?: number;
}

export interface VaultResponse {
  status: number;
  /** Parsed JSON body, or undefined for an empty body (204). */
  body: unknown;
  headers: http.IncomingHttpHeaders;
}

/** The standard envelope of a logical response (fields envject reads). */
export interface VaultEnvelope {
  request_id?: string;
  lease_id?: string;
  renewable?: boolean;
  lease_duration?: number;
  data?: unknown;
  warnings?: string[] | null;
  auth?: VaultAuthBlock | null;
  errors?: string[];
}

export interface VaultAuthBlock {
  client_token: string;
  accessor?: string;
  policies?: string[];
  lease_duration: number;
  renewable: boolean;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * Where one request goes: its URL (to resolve a redirect against), its path for messages, its
 * Host header, and Node's request options for it (no headers yet).
 */
interface Target {
  href: string;
  protocol: string;
  pathname: string;
  host: string;
  options: http.RequestOptions;
}

/** A path that reaches Vault as written: only characters encodeURIComponent keeps, no `.`/`..` segment for a URL to resolve. */
const PLAIN_PATH = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9\-_.!~*'()/]*$/;

function targetOf(url: URL): Target {
  return { href: url.href, protocol: url.protocol, pathname: url.pathname, host: url.host, options: urlToHttpOptions(url) };
}

export class VaultHttpClient {
  readonly address: string;
  private readonly base: URL;
  /** The base address's protocol, host name and port, for the requests whose URL need not be built (see targetFor). */
  private readonly baseOptions: Pick<http.RequestOptions, "protocol" | "hostname" | "port"> | undefined;
  private readonly agent: http.Agent;
  private readonly timeoutMs: number;

  constructor(private readonly options: VaultHttpOptions) {
    this.base = new URL(options.address);
    if (this.base.protocol !== "http:" && this.base.protocol !== "https:") {
      throw new TypeError(`unsupported Vault address scheme ${this.base.protocol}`);
    }
    this.address = this.base.origin + this.base.pathname.replace(/\/+$/, "");
    // An address with credentials, a query or a fragment in it goes through URL every time, as ever.
    const plainBase = this.base.username === "" && this.base.password === "" && this.base.search === "" && this.base.hash === "";
    if (plainBase) {
      const { protocol, hostname, port } = urlToHttpOptions(this.base);
      this.baseOptions = { protocol, hostname, port };
    }
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.agent =
      this.base.protocol === "https:"
        ? new https.Agent({
            keepAlive: true,
            ca: options.ca,
            cert: options.clientCert?.cert,
            key: options.clientCert?.key,
            rejectUnauthorized: !options.skipVerify,
            maxSockets: 32,
          })
        : new http.Agent({ keepAlive: true, maxSockets: 32 });
    this.agent.on("free", (socket: import("node:net").Socket) => idleSince.set(socket, Date.now()));
  }

  /** Sends one request and returns its status and parsed body; throws UnavailableError on transport failure. */
  async request(req: VaultRequest): Promise<VaultResponse> {
    let target = this.targetFor(req);
    for (let hop = 0; ; hop++) {
      const res = await this.send(target, req).catch((error: unknown) => {
        // A kept-alive socket the server closed just as the request went out (Node's documented
        // keep-alive race): the request never reached Vault, so it goes once more on a new socket.
        if (error instanceof StaleSocket) return this.send(target, req, true);
        throw error;
      });
      // A standby that cannot forward answers 307 with the active node's address. The token goes
      // along, so only a redirect keeping the protocol is followed: never from https to http.
      if ((res.status === 307 || res.status === 308) && hop < 2 && typeof res.headers.location === "string") {
        const next = new URL(res.headers.location, target.href);
        if (next.protocol !== target.protocol) {
          throw new UnavailableError(`Vault at ${this.address} redirected ${req.method} ${target.pathname} to ${next.protocol}//${next.host}, another protocol; not followed`, {
            retryable: false,
          });
        }
        target = targetOf(next);
        continue;
      }
      return res;
    }
  }

  /** Closes idle keep-alive sockets so the process can exit. */
  close(): void {
    this.agent.destroy();
  }

  /**
   * Where `req` goes. A plain path (the usual one) is joined as text: what URL would make of it,
   * without parsing a URL per request; any other goes through URL.
   */
  private targetFor(req: VaultRequest): Target {
    const path = req.path.replace(/^\/+/, "");
    if (this.baseOptions === undefined || !PLAIN_PATH.test(path)) return targetOf(this.urlFor(req));
    const pathname = `${this.base.pathname.replace(/\/+$/, "")}/v1/${path}`;
    const search = req.query === undefined ? "" : new URLSearchParams(req.query).toString();
    const full = search === "" ? pathname : `${pathname}?${search}`;
    const { protocol, hostname, port } = this.baseOptions;
    return { href: this.base.origin + full, protocol: this.base.protocol, pathname, host: this.base.host, options: { protocol, hostname, port, path: full } };
  }

  private urlFor(req: VaultRequest): URL {
    const url = new URL(this.base.href);
    // Each segment is percent-encoded, so a key containing `%`, `?`, `#` or a space reaches Vault intact.
    const path = req.path.replace(/^\/+/, "").split("/").map(encodeURIComponent).join("/");
    url.pathname = `${this.base.pathname.replace(/\/+$/, "")}/v1/${path}`;
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
    return url;
  }

  /** This request's timeout: the client's, shortened to what is left before `deadline` (at least 250 ms). */
  private timeoutFor(req: VaultRequest): number {
    if (req.deadline === undefined) return this.timeoutMs;
    return Math.min(this.timeoutMs, Math.max(250, req.deadline - Date.now()));
  }

  private send(target: Target, req: VaultRequest, retried = false): Promise<VaultResponse> {
    const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    const fields = ["X-Vault-Request", "true", "Accept", "application/json"];
    if (req.token) fields.push("X-Vault-Token", req.token);
    if (this.options.namespace) fields.push("X-Vault-Namespace", this.options.namespace);
    if (payload) fields.push("Content-Type", "application/json", "Content-Length", String(payload.length));
    // As a list, Node writes the headers as they are, without a setHeader() per header; the Host
    // header it would add comes last, as it would. A URL with credentials (a redirect's, at most)
    // needs the object form, for Node to turn them into an Authorization header.
    const headers: http.OutgoingHttpHeaders | string[] = target.options.auth === undefined ? [...fields, "Host", target.host] : headerObject(fields);
    const what = `${req.method} ${target.pathname}`;
    const mod = target.protocol === "https:" ? https : http;
    return new Promise<VaultResponse>((resolve, reject) => {
      let answered = false;
      const request = mod.request({ ...target.options, method: req.method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            request.destroy();
            reject(new UnavailableError(`Vault at ${this.address}: response to ${what} is larger than 16 MiB`, { retryable: false }));
            return;
          }
          chunks.push(chunk);
        });
        res.on("error", (error) => reject(transportError(error, this.address, what)));
        res.on("end", () => {
          const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)).toString("utf8");
          let body: unknown;
          if (text.trim() !== "") {
            try {
              body = JSON.parse(text);
            } catch {
              // A proxy's HTML error page: keep the status, drop the body (retry decisions use the status).
              body = undefined;
              if (res.statusCode! < 300) {
                reject(new UnavailableError(`Vault at ${this.address} answered ${what} with a body that is not JSON`, { retryable: false }));
                return;
              }
            }
          }
          resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
        });
      });
      // One absolute deadline for the whole exchange: a socket timeout would start only once
      // connected, and restart with every byte (a dropped SYN or a trickling server would outlast it).
      const timeoutMs = this.timeoutFor(req);
      const timer = setTimeout(() => {
        request.destroy(Object.assign(new Error(`no answer within ${formatDuration(timeoutMs)}`), { code: "ETIMEDOUT" }));
      }, timeoutMs);
      request.on("close", () => clearTimeout(timer));
      request.on("error", (error: Error & { code?: string }) => {
        // Only a socket that sat idle long enough for a server's keep-alive timeout to end it: a
        // connection dropped right after a request on a busy socket is the store's failure.
        const idle = request.socket ? Date.now() - (idleSince.get(request.socket) ?? Date.now()) : 0;
        const stale = !retried && request.reusedSocket && idle >= STALE_AFTER_IDLE_MS && (error.code === "ECONNRESET" || error.code === "EPIPE") && !answered;
        reject(stale ? new StaleSocket() : transportError(error, this.address, what));
      });
      request.on("response", () => (answered = true));
      request.end(payload);
    });
  }
}

function headerObject(fields: string[]): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (let i = 0; i < fields.length; i += 2) out[fields[i]!] = fields[i + 1]!;
  return out;
}

/** When each kept-alive socket last went back to the pool. */
const idleSince = new WeakMap<object, number>();
/** Servers keep idle connections for seconds at least (Node 5 s, nginx 75 s, Go/Vault minutes). */
const STALE_AFTER_IDLE_MS = 1000;

/** A request lost to a kept-alive socket the server had closed: safe to send once more, on a new socket. */
class StaleSocket extends Error {}

/** OpenSSL's certificate verification codes, and Node's TLS/SSL error codes; EPROTO is a handshake with a plain-http server. */
const TLS_FAILURE = /^(EPROTO$|ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED|SELF_SIGNED_|INVALID_CA|INVALID_PURPOSE|HOSTNAME_MISMATCH)/;

/** Maps a socket/TLS error to UnavailableError; TLS failures are not retried (a retry cannot fix them). */
function transportError(error: Error & { code?: string }, address: string, what: string): UnavailableError {
  const code = error.code ?? "";
  if (TLS_FAILURE.test(code)) {
    const problem =
      code === "EPROTO" || code.startsWith("ERR_SSL_")
        ? `TLS handshake failed (${code}); is the address https:// while Vault serves plain http?`
        : `TLS certificate could not be verified (${code}); give the CA with vault.ca_cert or VAULT_CACERT`;
    return new UnavailableError(`Vault at ${address}: ${problem}`, { cause: error, retryable: false });
  }
  const reason = code ? `${code}${error.message && !error.message.includes(code) ? ` ${error.message}` : ""}` : error.message;
  return new UnavailableError(`Vault at ${address} could not be reached (${what}: ${reason})`, { cause: error, retryable: true });
}
