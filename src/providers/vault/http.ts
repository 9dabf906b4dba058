/**
 * A small typed Vault HTTP client on the minimal HTTP/1.1 client of ./http1.ts (node:http's
 * parser, agent and events cost more than the rest of a watch poll): one pool of kept-alive
 * connections per origin, TLS always verified (against a custom CA when given; `skipVerify` only
 * from VAULT_SKIP_VERIFY), per-request timeout, the namespace header on every call, and one redirect hop for standby nodes.
 * It makes exactly one attempt per call; retrying is the caller's decision (see providers/retry.ts).
 * Transport failures become UnavailableError; HTTP statuses are returned, not thrown, so callers
 * can read Vault's 404 bodies (deleted KV versions carry metadata).
 */
import type http from "node:http";
import { urlToHttpOptions } from "node:url";
import { UnavailableError } from "../../errors.js";
import { formatDuration } from "../../config/duration.js";
import { BodyTooLarge, Http1Error, Http1Pool } from "./http1.js";

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
/** Connections per origin at most, as the node:http agent had. */
const MAX_SOCKETS = 32;

/**
 * Where one request goes: its URL (to resolve a redirect against), its path for messages, its
 * Host header, and its host name, port, path and credentials (urlToHttpOptions' fields).
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
  /** The base address's path without its trailing slashes (a prefix behind a proxy, else empty). */
  private readonly basePath: string;
  /**
   * For the requests whose URL need not be built (see targetFor): the base address's parts, read
   * off the URL once (its getters are not free). None for an address with credentials, a query
   * or a fragment, whose requests go through URL every time, as ever.
   */
  private readonly plainBase: { origin: string; protocol: string; host: string; options: Pick<http.RequestOptions, "protocol" | "hostname" | "port"> } | undefined;
  /** One pool of connections per origin (by URL host, `host[:port]`): the address's, and a redirect's. */
  private readonly pools = new Map<string, Http1Pool>();
  private readonly timeoutMs: number;

  constructor(private readonly options: VaultHttpOptions) {
    this.base = new URL(options.address);
    if (this.base.protocol !== "http:" && this.base.protocol !== "https:") {
      throw new TypeError(`unsupported Vault address scheme ${this.base.protocol}`);
    }
    this.basePath = this.base.pathname.replace(/\/+$/, "");
    this.address = this.base.origin + this.basePath;
    if (this.base.username === "" && this.base.password === "" && this.base.search === "" && this.base.hash === "") {
      const { protocol, hostname, port } = urlToHttpOptions(this.base);
      this.plainBase = { origin: this.base.origin, protocol: this.base.protocol, host: this.base.host, options: { protocol, hostname, port } };
    }
    this.timeoutMs = options.timeoutMs ?? 30_000;
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

  /** Closes the kept-alive sockets (a request in flight fails) so the process can exit. */
  close(): void {
    for (const pool of this.pools.values()) pool.close();
  }

  /** The pool for `target`'s origin, by its URL host (a redirect keeps the protocol, so every pool is of the address's). */
  private poolFor(target: Target): Http1Pool {
    const key = target.host;
    let pool = this.pools.get(key);
    if (pool === undefined) {
      const { hostname, port } = target.options;
      const https = this.base.protocol === "https:";
      pool = new Http1Pool({
        hostname: String(hostname).replace(/^\[(.*)\]$/, "$1"),
        port: Number(port ?? (https ? 443 : 80)),
        tls: https ? { ca: this.options.ca, cert: this.options.clientCert?.cert, key: this.options.clientCert?.key, rejectUnauthorized: !this.options.skipVerify } : undefined,
        maxSockets: MAX_SOCKETS,
        maxBodyBytes: MAX_BODY_BYTES,
      });
      this.pools.set(key, pool);
    }
    return pool;
  }

  /**
   * Where `req` goes. A plain path (the usual one) is joined as text: what URL would make of it,
   * without parsing a URL per request; any other goes through URL.
   */
  private targetFor(req: VaultRequest): Target {
    const path = req.path.replace(/^\/+/, "");
    const base = this.plainBase;
    if (base === undefined || !PLAIN_PATH.test(path)) return targetOf(this.urlFor(req));
    const pathname = `${this.basePath}/v1/${path}`;
    const search = req.query === undefined ? "" : new URLSearchParams(req.query).toString();
    const full = search === "" ? pathname : `${pathname}?${search}`;
    return { href: base.origin + full, protocol: base.protocol, pathname, host: base.host, options: { ...base.options, path: full } };
  }

  private urlFor(req: VaultRequest): URL {
    const url = new URL(this.base.href);
    // Each segment is percent-encoded, so a key containing `%`, `?`, `#` or a space reaches Vault intact.
    const path = req.path.replace(/^\/+/, "").split("/").map(encodeURIComponent).join("/");
    url.pathname = `${this.basePath}/v1/${path}`;
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
    return url;
  }

  /** This request's timeout: the client's, shortened to what is left before `deadline` (at least 250 ms). */
  private timeoutFor(req: VaultRequest): number {
    if (req.deadline === undefined) return this.timeoutMs;
    return Math.min(this.timeoutMs, Math.max(250, req.deadline - Date.now()));
  }

  private async send(target: Target, req: VaultRequest, retried = false): Promise<VaultResponse> {
    const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    // The head as node:http wrote it: these headers in this order, then Host, Authorization when
    // the URL has credentials (a redirect's, at most), and Connection; a PUT or POST without a
    // body as an empty chunked one.
    let head = `${req.method} ${requestPath(target.options.path)} HTTP/1.1\r\nX-Vault-Request: true\r\nAccept: application/json\r\n`;
    if (req.token) head += headerLine("X-Vault-Token", req.token);
    if (this.options.namespace) head += headerLine("X-Vault-Namespace", this.options.namespace);
    if (payload) head += `Content-Type: application/json\r\nContent-Length: ${payload.length}\r\n`;
    head += `Host: ${target.host}\r\n`;
    if (typeof target.options.auth === "string") head += `Authorization: Basic ${Buffer.from(target.options.auth).toString("base64")}\r\n`;
    head += "Connection: keep-alive\r\n";
    const emptyChunked = payload === undefined && (req.method === "PUT" || req.method === "POST");
    head += emptyChunked ? "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" : "\r\n";
    const what = `${req.method} ${target.pathname}`;
    // One absolute deadline for the whole exchange, waiting for a connection included: a socket
    // timeout would start only once connected, and restart with every byte (a dropped SYN or a
    // trickling server would outlast it).
    const timeoutMs = this.timeoutFor(req);
    let answer;
    try {
      answer = await this.poolFor(target).request(head, payload, timeoutMs, `no answer within ${formatDuration(timeoutMs)}`);
    } catch (error) {
      if (error instanceof BodyTooLarge) throw new UnavailableError(`Vault at ${this.address}: response to ${what} is larger than 16 MiB`, { retryable: false });
      const failure = error as Http1Error;
      // Only a socket that sat idle long enough for a server's keep-alive timeout to end it: a
      // connection dropped right after a request on a busy socket is the store's failure.
      const stale = !retried && failure.reusedSocket && failure.idleMs >= STALE_AFTER_IDLE_MS && (failure.code === "ECONNRESET" || failure.code === "EPIPE") && !failure.answered;
      throw stale ? new StaleSocket() : transportError(failure, this.address, what);
    }
    const text = answer.body.toString("utf8");
    let body: unknown;
    if (text.trim() !== "") {
      try {
        body = JSON.parse(text);
      } catch {
        // A proxy's HTML error page: keep the status, drop the body (retry decisions use the status).
        body = undefined;
        if (answer.status < 300) throw new UnavailableError(`Vault at ${this.address} answered ${what} with a body that is not JSON`, { retryable: false });
      }
    }
    return { status: answer.status, body, headers: answer.headers };
  }
}

/** node:http's check of a request path: nothing below `!` or above U+00FF (URL and the plain-path rule leave none). */
function requestPath(path: string | null | undefined): string {
  const value = path ?? "/";
  if (/[^\u0021-\u00ff]/.test(value)) throw Object.assign(new TypeError("Request path contains unescaped characters"), { code: "ERR_UNESCAPED_CHARACTERS" });
  return value;
}

/** One header line, refused as node:http refuses it when the value holds a character a header cannot (a line break). */
function headerLine(name: string, value: string): string {
  if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) throw Object.assign(new TypeError(`Invalid character in header content ["${name}"]`), { code: "ERR_INVALID_CHAR" });
  return `${name}: ${value}\r\n`;
}

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
