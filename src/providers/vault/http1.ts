/**
 * A minimal HTTP/1.1 client for the Vault HTTP client (./http.ts), in place of node:http, whose
 * parser, agent and stream events cost more per request than the rest of a watch poll. It does
 * what ./http.ts needs of it and nothing else, as node:http's kept-alive agent did it:
 *
 * - One pool per origin, at most `maxSockets` connections, idle ones reused last-in first-out,
 *   unref'd while idle (they never hold the process open), TCP keep-alive and no Nagle delay; a
 *   server's `Keep-Alive: timeout=N` hint closes an idle socket a second before the server would
 *   (and N ≤ 1 not at all kept); `Connection: close`, an HTTP/1.0 answer without keep-alive, or a
 *   body read to the end of the connection end it.
 * - Responses framed by Content-Length, chunked transfer coding (chunked wins over a length, and
 *   that connection is not reused) or the end of the connection; 1xx interim answers skipped;
 *   204 and 304 have no body; a head larger than 16 KiB, as node:http, is an error.
 * - One absolute deadline per request for the whole exchange, waiting for a connection included,
 *   watched by one shared timer per pool instead of a timer per request.
 * - https through node:tls, loaded only when the first https connection is made, with the
 *   verification node:https gives: the CA (the system's when none is given), the server name
 *   sent as SNI unless it is an IP address, the default checkServerIdentity against it (or the
 *   address), `rejectUnauthorized` as asked (./http.ts: only VAULT_SKIP_VERIFY turns it off),
 *   the TLS session of the last connection offered for resumption.
 *
 * It makes one attempt per call; whether a failure on a reused socket is worth another is the
 * caller's decision, from what the error tells (Http1Error).
 */
import net from "node:net";
import type { ConnectionOptions, TLSSocket } from "node:tls";

export interface Http1TlsOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized: boolean;
}

export interface Http1PoolOptions {
  /** Host name or IP address (IPv6 without brackets). */
  hostname: string;
  port: number;
  /** https when given. */
  tls?: Http1TlsOptions;
  maxSockets: number;
  /** A body larger than this fails the request with BodyTooLarge. */
  maxBodyBytes: number;
}

export interface Http1Answer {
  status: number;
  /** Lower-case names; repeated ones joined as node:http joins them (set-cookie a list). */
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/** A failed exchange: the error (its `code` as net, tls or node:http would give it) and where it happened. */
export class Http1Error extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    /** The request went out on a kept-alive socket that had served another before. */
    readonly reusedSocket: boolean,
    /** How long that socket had been idle before this request, until the failure, in ms (0 for a new socket). */
    readonly idleMs: number,
    /** The status line and headers of an answer had arrived. */
    readonly answered: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A response body over the limit: the connection is dropped. */
export class BodyTooLarge extends Error {}

/** What node:http allows a response head (--max-http-header-size). */
const MAX_HEAD_BYTES = 16 * 1024;
/** node:http's agent: TCP keep-alive probes after this long idle. */
const KEEP_ALIVE_MSECS = 1000;
/** node:http's agent closes an idle socket this long before the server's announced timeout. */
const KEEP_ALIVE_HINT_BUFFER_MS = 1000;
/** Headers of which node:http keeps the first when repeated. */
const FIRST_WINS = new Set([
  "age",
  "authorization",
  "content-length",
  "content-type",
  "etag",
  "expires",
  "from",
  "host",
  "if-modified-since",
  "if-unmodified-since",
  "last-modified",
  "location",
  "max-forwards",
  "proxy-authorization",
  "referer",
  "retry-after",
  "server",
  "user-agent",
]);

const EMPTY = Buffer.alloc(0);
/** Where plain sockets read into (a read is copied out at once, so one buffer serves them all). */
const READ_BUFFER = Buffer.alloc(64 * 1024);

let tlsModule: typeof import("node:tls") | undefined;

interface Exchange {
  /** The request head (latin1) and body. */
  head: string;
  body: Buffer | undefined;
  /** performance.now() past which the exchange fails with ETIMEDOUT. */
  deadline: number;
  timeoutMessage: string;
  resolve: (answer: Http1Answer) => void;
  reject: (error: Error) => void;
  done: boolean;
  connection: Connection | undefined;
}

/** Connections to one origin. */
export class Http1Pool {
  private readonly free: Connection[] = [];
  private readonly queue: Exchange[] = [];
  private readonly inFlight = new Set<Exchange>();
  private sockets = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private session: Buffer | undefined;

  constructor(readonly options: Http1PoolOptions) {}

  /** Sends `head` (and `body`), resolving with the answer or rejecting with Http1Error or BodyTooLarge. */
  request(head: string, body: Buffer | undefined, timeoutMs: number, timeoutMessage: string): Promise<Http1Answer> {
    return new Promise<Http1Answer>((resolve, reject) => {
      const exchange: Exchange = { head, body, deadline: performance.now() + timeoutMs, timeoutMessage, resolve, reject, done: false, connection: undefined };
      this.inFlight.add(exchange);
      if (exchange.deadline < this.timerAt) this.arm(exchange.deadline);
      const idle = this.free.pop();
      if (idle !== undefined) idle.start(exchange);
      else if (this.sockets < this.options.maxSockets) this.connect(exchange);
      else this.queue.push(exchange);
    });
  }

  /**
   * Destroys every connection, idle or busy (a busy one's request fails with ECONNRESET), as
   * node:http's Agent.destroy(): the pool stays usable, a later request opens a new connection.
   */
  close(): void {
    for (const c of [...this.free]) c.destroy();
    this.free.length = 0;
    for (const exchange of [...this.inFlight]) exchange.connection?.destroy();
  }

  /** Ends `exchange` with `error` (once). */
  fail(exchange: Exchange, error: Error): void {
    if (exchange.done) return;
    exchange.done = true;
    this.inFlight.delete(exchange);
    const queued = this.queue.indexOf(exchange);
    if (queued >= 0) this.queue.splice(queued, 1);
    exchange.reject(error);
  }

  /** Ends `exchange` with its answer (once). */
  answer(exchange: Exchange, answer: Http1Answer): void {
    if (exchange.done) return;
    exchange.done = true;
    this.inFlight.delete(exchange);
    exchange.resolve(answer);
  }

  /** A connection done with its exchange that may serve another. */
  release(connection: Connection): void {
    const next = this.queue.shift();
    if (next !== undefined) return connection.start(next);
    connection.idle();
    this.free.push(connection);
  }

  /** A connection being destroyed: out of the idle list at once, so no request picks it before it has closed. */
  unlist(connection: Connection): void {
    const at = this.free.indexOf(connection);
    if (at >= 0) this.free.splice(at, 1);
  }

  /** A connection closed (busy or idle). */
  closedConnection(connection: Connection): void {
    this.unlist(connection);
    this.dropSocket();
  }

  /** One socket fewer: a request waiting for one gets a new one. */
  private dropSocket(): void {
    this.sockets--;
    const next = this.queue.shift();
    if (next !== undefined) this.connect(next);
  }

  /** The TLS session a connection got, for the next one to resume (none after a TLS failure). */
  keepSession(session: Buffer | undefined): void {
    this.session = session;
  }

  private connect(exchange: Exchange): void {
    this.sockets++;
    const { hostname, port, tls } = this.options;
    if (tls === undefined) {
      // Reads go to one buffer and straight to the connection, not through the socket's stream
      // machinery ('data' events): the bytes are copied out before the next read.
      const onread = {
        buffer: READ_BUFFER,
        callback: (n: number, buf: Uint8Array) => {
          connection.receive(Buffer.from(buf.subarray(0, n)));
          return true;
        },
      };
      // (The callback runs only once the socket reads, after `connection` is set.)
      const connection: Connection = new Connection(this, net.connect({ host: hostname, port, onread }), false);
      connection.start(exchange);
      return;
    }
    const open = (mod: typeof import("node:tls")) => {
      const options: ConnectionOptions = { host: hostname, port, ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: tls.rejectUnauthorized, session: this.session };
      // As node:https: the host is the server name to send and to check, unless it is an IP
      // address (no SNI then; checkServerIdentity checks the address).
      if (net.isIP(hostname) === 0) options.servername = hostname;
      const socket = mod.connect(options);
      socket.on("session", (session: Buffer) => this.keepSession(session));
      const connection = new Connection(this, socket, true);
      socket.on("data", (chunk: Buffer) => connection.receive(chunk));
      connection.start(exchange);
    };
    if (tlsModule !== undefined) return open(tlsModule);
    import("node:tls").then(
      (mod) => {
        tlsModule = mod;
        // Timed out meanwhile: no connection for it.
        if (exchange.done) return this.dropSocket();
        open(mod);
      },
      (error: Error) => {
        this.fail(exchange, new Http1Error(error.message, undefined, false, 0, false, { cause: error }));
        this.dropSocket();
      },
    );
  }

  /** Arms the shared timer for `at`. */
  private arm(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.sweep(), Math.max(0, at - performance.now()));
    // The sockets of the requests in flight hold the process open, not this timer.
    this.timer.unref();
  }

  /** Fails every exchange past its deadline, and arms the timer for the next deadline. */
  private sweep(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    for (const exchange of [...this.inFlight]) {
      if (exchange.deadline <= now) {
        const connection = exchange.connection;
        const error = new Http1Error(exchange.timeoutMessage, "ETIMEDOUT", connection?.reused ?? false, connection?.idleMs() ?? 0, connection?.answered ?? false);
        this.fail(exchange, error);
        connection?.destroy();
      } else if (exchange.deadline < next) next = exchange.deadline;
    }
    if (next !== Number.POSITIVE_INFINITY) this.arm(next);
  }
}

/** One socket, serving one exchange at a time. */
class Connection {
  private exchange: Exchange | undefined;
  /** Bytes received and not yet consumed. */
  private pending: Buffer = EMPTY;
  /** The answer being read, once its head is in. */
  private response: Http1Answer | undefined;
  private bodyMode: "length" | "chunked" | "close" | "none" = "none";
  private remaining = 0;
  private chunks: Buffer[] = [];
  private size = 0;
  private chunkState: "size" | "data" | "crlf" | "trailers" = "size";
  private keepAlive = true;
  private keepAliveHintMs = 0;
  /** The socket's inactivity timeout now (the last keep-alive hint's, 0 for none). */
  private socketTimeoutMs = 0;
  private destroyed = false;
  private served = 0;
  private idleAt = 0;
  reused = false;
  answered = false;

  constructor(
    private readonly pool: Http1Pool,
    private readonly socket: net.Socket | TLSSocket,
    private readonly secure: boolean,
  ) {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEP_ALIVE_MSECS);
    socket.on("error", (error: Error & { code?: string }) => this.onError(error));
    socket.on("end", () => this.onEnd());
    socket.on("close", () => this.onClose());
    // The keep-alive hint's timeout counts from the last byte; it ends only an idle socket.
    socket.on("timeout", () => {
      if (this.exchange === undefined) this.destroy();
    });
  }

  start(exchange: Exchange): void {
    this.exchange = exchange;
    exchange.connection = this;
    this.reused = this.served > 0;
    this.answered = false;
    this.response = undefined;
    this.keepAlive = true;
    this.keepAliveHintMs = 0;
    if (this.reused) this.socket.ref();
    if (exchange.done) return this.finish();
    if (exchange.body === undefined) {
      this.socket.write(exchange.head, "latin1");
    } else {
      this.socket.cork();
      this.socket.write(exchange.head, "latin1");
      this.socket.write(exchange.body);
      this.socket.uncork();
    }
  }

  /**
   * Idle in the pool: unref'd, closed a second before the server's announced keep-alive timeout.
   * The socket's inactivity timeout stays set while it is busy (it is only changed when the hint
   * is), and the last activity was this answer's last byte: it fires that long after it.
   */
  idle(): void {
    this.socket.unref();
    if (this.keepAliveHintMs !== this.socketTimeoutMs) {
      this.socketTimeoutMs = this.keepAliveHintMs;
      this.socket.setTimeout(this.keepAliveHintMs);
    }
  }

  /** How long the socket had been idle before its request, until now (0 for a new socket). */
  idleMs(): number {
    return this.reused ? performance.now() - this.idleAt : 0;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.pool.unlist(this);
    this.socket.destroy();
  }

  private failWith(error: Error): void {
    const exchange = this.exchange;
    this.exchange = undefined;
    if (exchange) this.pool.fail(exchange, error);
    this.destroy();
  }

  private transportError(message: string, code: string | undefined, cause?: unknown): Http1Error {
    return new Http1Error(message, code, this.reused, this.idleMs(), this.answered, { cause });
  }

  private onError(error: Error & { code?: string }): void {
    if (this.secure && !this.answered && this.served === 0) this.pool.keepSession(undefined);
    if (this.exchange === undefined) return this.destroy();
    this.failWith(this.transportError(error.message, error.code, error));
  }

  private onEnd(): void {
    if (this.exchange !== undefined && this.bodyMode === "close" && this.response !== undefined) {
      // A body that ends with the connection.
      return this.complete(false);
    }
    if (this.exchange !== undefined) return this.failWith(this.transportError("socket hang up", "ECONNRESET"));
    this.destroy();
  }

  private onClose(): void {
    this.destroyed = true;
    if (this.exchange !== undefined) {
      const exchange = this.exchange;
      this.exchange = undefined;
      this.pool.fail(exchange, this.transportError("socket hang up", "ECONNRESET"));
    }
    this.pool.closedConnection(this);
  }

  /** Bytes from the socket. */
  receive(chunk: Buffer): void {
    if (this.exchange === undefined) {
      // Bytes nobody asked for: the connection cannot be trusted with another request.
      return this.destroy();
    }
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    try {
      this.parse();
    } catch (error) {
      this.failWith(error as Error);
    }
  }

  /** Consumes what `pending` holds of the answer. */
  private parse(): void {
    while (this.exchange !== undefined && this.pending.length > 0) {
      if (this.response === undefined) {
        if (!this.parseHead()) return;
        continue;
      }
      if (this.bodyMode === "length") {
        const take = Math.min(this.remaining, this.pending.length);
        this.addBody(this.pending.subarray(0, take));
        this.pending = this.pending.subarray(take);
        this.remaining -= take;
        if (this.remaining === 0) return this.complete(true);
        continue;
      }
      if (this.bodyMode === "close") {
        this.addBody(this.pending);
        this.pending = EMPTY;
        return;
      }
      if (!this.parseChunked()) return;
    }
  }

  /** Reads the status line and headers, if all there; false when more bytes are needed. */
  private parseHead(): boolean {
    const end = this.pending.indexOf("\r\n\r\n", 0, "latin1");
    if (end < 0) {
      if (this.pending.length > MAX_HEAD_BYTES) throw this.transportError("Parse Error: Header overflow", "HPE_HEADER_OVERFLOW");
      return false;
    }
    if (end > MAX_HEAD_BYTES) throw this.transportError("Parse Error: Header overflow", "HPE_HEADER_OVERFLOW");
    const lines = this.pending.toString("latin1", 0, end).split("\r\n");
    this.pending = this.pending.subarray(end + 4);
    const status = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/.exec(lines[0]!);
    if (status === null) throw this.transportError("Parse Error: Expected HTTP/", "HPE_INVALID_CONSTANT");
    const code = Number(status[2]);
    const headers: Record<string, string | string[]> = {};
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(":");
      const last = colon > 0 ? line.charCodeAt(colon - 1) : 32;
      // No name, or white space before the colon (a smuggling vector node:http refuses too).
      if (last === 32 || last === 9) throw this.transportError("Parse Error: Invalid header token", "HPE_INVALID_HEADER_TOKEN");
      addHeader(headers, line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
    }
    // An interim answer (100 Continue, 103 Early Hints): the real one follows.
    if (code >= 100 && code < 200 && code !== 101) return true;
    this.answered = true;
    this.response = { status: code, headers, body: Buffer.alloc(0) };
    this.chunks = [];
    this.size = 0;
    const connection = String(headers.connection ?? "").toLowerCase();
    this.keepAlive = status[1] === "1" ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
    const hint = typeof headers["keep-alive"] === "string" ? /^timeout=(\d+)/.exec(headers["keep-alive"])?.[1] : undefined;
    if (hint !== undefined) {
      this.keepAliveHintMs = Math.max(0, Number.parseInt(hint, 10) * 1000 - KEEP_ALIVE_HINT_BUFFER_MS);
      if (this.keepAliveHintMs === 0) this.keepAlive = false;
    }
    const te = headers["transfer-encoding"];
    const length = headers["content-length"];
    if (code === 204 || code === 304 || code === 101) {
      this.bodyMode = "none";
      this.complete(true);
      return true;
    }
    if (typeof te === "string" && /(?:^|,)\s*chunked\s*$/i.test(te)) {
      this.bodyMode = "chunked";
      this.chunkState = "size";
      // Framed twice: answered all the same, but the connection is not trusted with another request.
      if (length !== undefined) this.keepAlive = false;
    } else if (typeof length === "string") {
      if (!/^\d+$/.test(length)) throw this.transportError("Parse Error: Invalid character in Content-Length", "HPE_INVALID_CONTENT_LENGTH");
      this.bodyMode = "length";
      this.remaining = Number(length);
      if (this.remaining === 0) this.complete(true);
    } else {
      this.bodyMode = "close";
      this.keepAlive = false;
    }
    return true;
  }

  /** Reads chunks, if there; false when more bytes are needed. */
  private parseChunked(): boolean {
    for (;;) {
      if (this.chunkState === "data") {
        if (this.pending.length === 0) return false;
        const take = Math.min(this.remaining, this.pending.length);
        this.addBody(this.pending.subarray(0, take));
        this.pending = this.pending.subarray(take);
        this.remaining -= take;
        if (this.remaining > 0) return false;
        this.chunkState = "crlf";
        continue;
      }
      if (this.chunkState === "crlf") {
        if (this.pending.length < 2) return false;
        if (this.pending[0] !== 13 || this.pending[1] !== 10) throw this.transportError("Parse Error: Expected LF after chunk data", "HPE_STRICT");
        this.pending = this.pending.subarray(2);
        this.chunkState = "size";
        continue;
      }
      const eol = this.pending.indexOf("\r\n", 0, "latin1");
      if (eol < 0) {
        if (this.pending.length > MAX_HEAD_BYTES) throw this.transportError("Parse Error: Chunk size line too long", "HPE_INVALID_CHUNK_SIZE");
        return false;
      }
      const line = this.pending.toString("latin1", 0, eol);
      this.pending = this.pending.subarray(eol + 2);
      if (this.chunkState === "trailers") {
        if (line === "") {
          this.complete(true);
          return true;
        }
        continue;
      }
      const size = /^([0-9A-Fa-f]{1,8})[ \t]*(?:;.*)?$/.exec(line);
      if (size === null) throw this.transportError("Parse Error: Invalid character in chunk size", "HPE_INVALID_CHUNK_SIZE");
      this.remaining = Number.parseInt(size[1]!, 16);
      this.chunkState = this.remaining === 0 ? "trailers" : "data";
    }
  }

  private addBody(part: Buffer): void {
    if (part.length === 0) return;
    this.size += part.length;
    if (this.size > this.pool.options.maxBodyBytes) throw new BodyTooLarge();
    this.chunks.push(part);
  }

  /** The answer is complete: hand it over, and the socket back to the pool when it may serve another. */
  private complete(reusable: boolean): void {
    const exchange = this.exchange!;
    const response = this.response!;
    response.body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    this.response = undefined;
    this.exchange = undefined;
    this.served++;
    // Free from now: idle until the next exchange (none when one is waiting for it).
    this.idleAt = performance.now();
    if (this.pending.length === 0) this.pending = EMPTY;
    const again = reusable && this.keepAlive && this.pending.length === 0 && !this.destroyed;
    this.pool.answer(exchange, response);
    if (again) this.pool.release(this);
    else this.destroy();
  }

  /** An exchange that ended (timed out) before its connection was ready: the connection is not used. */
  private finish(): void {
    this.exchange = undefined;
    this.destroy();
  }
}

/** Adds a received header as node:http does: set-cookie a list, some kept first, the others joined. */
function addHeader(headers: Record<string, string | string[]>, name: string, value: string): void {
  const had = headers[name];
  if (had === undefined) {
    headers[name] = name === "set-cookie" ? [value] : value;
    return;
  }
  if (name === "set-cookie") (had as string[]).push(value);
  else if (name === "cookie") headers[name] = `${had as string}; ${value}`;
  else if (!FIRST_WINS.has(name)) headers[name] = `${had as string}, ${value}`;
}
