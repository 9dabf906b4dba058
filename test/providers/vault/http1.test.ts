/**
 * The minimal HTTP/1.1 client under the Vault HTTP client (src/providers/vault/http1.ts), against
 * real servers on 127.0.0.1: raw TCP servers that write exactly the bytes a case needs, and a TLS
 * server with the test PKI. Framing, kept-alive connections, the connection limit, deadlines, what
 * a failure tells the caller, and TLS verified as node:https verifies it. Counts, never times.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import net from "node:net";
import tls from "node:tls";
import { after, before, describe, it } from "node:test";
import { join } from "node:path";
import { BodyTooLarge, Http1Error, type Http1PoolOptions, Http1Pool } from "../../../src/providers/vault/http1.js";
import { makePki, opensslUnavailable, type TestPki } from "../../support/certs.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const GET = "GET /v1/x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n";

/** Writes `text` one byte per write, letting each go out before the next. */
async function byteByByte(socket: net.Socket, text: string): Promise<void> {
  for (const byte of Buffer.from(text)) {
    socket.write(Buffer.from([byte]));
    await sleep(0);
  }
}

/** A response with a Content-Length body. */
function ok(body: string, extra = ""): string {
  return `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

interface RawServer {
  port: number;
  /** Connections accepted so far. */
  connections: () => number;
  /** Connections the client has closed (or reset) so far. */
  closedByClient: () => number;
  /** Request heads received, in order. */
  heads: string[];
  close: () => Promise<void>;
}

/**
 * A TCP server on 127.0.0.1 that calls `answer` for every request head (and body) it receives,
 * with the socket and the request's number on its connection: it writes what the case needs.
 */
async function rawServer(answer: (socket: net.Socket, head: string, n: number) => void): Promise<RawServer> {
  let connections = 0;
  let closedByClient = 0;
  const heads: string[] = [];
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    let n = 0;
    let text = "";
    let serverEnded = false;
    socket.on("data", (chunk) => {
      text += chunk.toString("latin1");
      for (;;) {
        const end = text.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = text.slice(0, end);
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        const chunked = /transfer-encoding: chunked/i.test(head);
        const bodyEnd = chunked ? text.indexOf("0\r\n\r\n", end + 4) + 5 : end + 4 + length;
        if (bodyEnd > text.length || (chunked && bodyEnd < end + 4 + 5)) return;
        text = text.slice(bodyEnd);
        heads.push(head);
        answer(socket, head, n++);
      }
    });
    socket.on("end", () => {
      if (!serverEnded) closedByClient++;
    });
    socket.on("error", () => closedByClient++);
    const end = socket.end.bind(socket);
    socket.end = ((...args: Parameters<net.Socket["end"]>) => {
      serverEnded = true;
      return end(...args);
    }) as net.Socket["end"];
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", () => resolve()));
  return {
    port: (srv.address() as net.AddressInfo).port,
    connections: () => connections,
    closedByClient: () => closedByClient,
    heads,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}

function pool(port: number, options: Partial<Http1PoolOptions> = {}): Http1Pool {
  return new Http1Pool({ hostname: "127.0.0.1", port, maxSockets: 32, maxBodyBytes: 1024 * 1024, ...options });
}

/** The error a request fails with. */
async function failure(p: Promise<unknown>): Promise<Http1Error> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof Http1Error, `an Http1Error, got ${String(error)}`);
  return error;
}

/** Waits until `check` holds (polling every 10 ms, at most 5 s). */
async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await sleep(10);
  }
  assert.fail(`timed out waiting for ${what}`);
}

const servers: RawServer[] = [];
async function serve(answer: (socket: net.Socket, head: string, n: number) => void): Promise<RawServer> {
  const s = await rawServer(answer);
  servers.push(s);
  return s;
}
after(async () => {
  for (const s of servers) await s.close();
});

describe("HTTP/1.1 client: framing of the answer", () => {
  it("reads a Content-Length body, and sends the head and body as given", async () => {
    const s = await serve((socket) => socket.write(ok('{"a":1}')));
    const p = pool(s.port);
    const put = "PUT /v1/y HTTP/1.1\r\nContent-Length: 7\r\nHost: 127.0.0.1\r\n\r\n";
    const answer = await p.request(put, Buffer.from('{"b":2}'), 5000, "late");
    assert.equal(answer.status, 200);
    assert.equal(answer.body.toString(), '{"a":1}');
    assert.equal(answer.headers["content-type"], "application/json");
    assert.equal(s.heads[0], put.slice(0, -4));
    p.close();
  });

  it("reads a chunked body, with chunk extensions and trailers, arriving one byte at a time", async () => {
    const response = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\n{"a"\r\nA\r\n:"0123456"\r\n1\r\n}\r\n0\r\nX-Trailer: t\r\n\r\n';
    const s = await serve((socket) => void byteByByte(socket, response));
    const p = pool(s.port);
    const answer = await p.request(GET, undefined, 5000, "late");
    assert.deepEqual(JSON.parse(answer.body.toString()), { a: "0123456" });
    // The connection is kept: the next request goes on it.
    await p.request(GET, undefined, 5000, "late");
    assert.equal(s.connections(), 1);
    p.close();
  });

  it("reads a head and a Content-Length body split at every byte", async () => {
    const response = ok('{"split":true}', "X-A: 1\r\n");
    const s = await serve((socket) => void byteByByte(socket, response));
    const p = pool(s.port);
    const answer = await p.request(GET, undefined, 5000, "late");
    assert.equal(answer.body.toString(), '{"split":true}');
    assert.equal(answer.headers["x-a"], "1");
    p.close();
  });

  it("a body without a length ends with the connection, which is not reused", async () => {
    const s = await serve((socket) => socket.end('HTTP/1.1 200 OK\r\n\r\n{"till":"close"}'));
    const p = pool(s.port);
    assert.equal((await p.request(GET, undefined, 5000, "late")).body.toString(), '{"till":"close"}');
    assert.equal((await p.request(GET, undefined, 5000, "late")).body.toString(), '{"till":"close"}');
    assert.equal(s.connections(), 2);
    p.close();
  });

  it("204 and 304 have no body, and keep the connection", async () => {
    const s = await serve((socket, _head, n) => socket.write(n === 0 ? "HTTP/1.1 204 No Content\r\n\r\n" : n === 1 ? "HTTP/1.1 304 Not Modified\r\n\r\n" : ok("{}")));
    const p = pool(s.port);
    assert.equal((await p.request(GET, undefined, 5000, "late")).status, 204);
    assert.equal((await p.request(GET, undefined, 5000, "late")).status, 304);
    const third = await p.request(GET, undefined, 5000, "late");
    assert.equal(third.body.toString(), "{}");
    assert.equal(s.connections(), 1);
    p.close();
  });

  it("skips interim 1xx answers", async () => {
    const s = await serve((socket) => socket.write(`HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n${ok('{"final":1}')}`));
    const p = pool(s.port);
    const answer = await p.request(GET, undefined, 5000, "late");
    assert.equal(answer.status, 200);
    assert.equal(answer.body.toString(), '{"final":1}');
    assert.equal(answer.headers.link, undefined);
    p.close();
  });

  it("joins repeated headers as node:http does: set-cookie a list, location the first, others with commas", async () => {
    const s = await serve((socket) =>
      socket.write("HTTP/1.1 307 Temporary Redirect\r\nLocation: /a\r\nLocation: /b\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-Many: 1\r\nx-many: 2\r\nContent-Length: 0\r\n\r\n"),
    );
    const p = pool(s.port);
    const answer = await p.request(GET, undefined, 5000, "late");
    assert.equal(answer.status, 307);
    assert.equal(answer.headers.location, "/a");
    assert.deepEqual(answer.headers["set-cookie"], ["a=1", "b=2"]);
    assert.equal(answer.headers["x-many"], "1, 2");
    assert.equal(answer.body.length, 0);
    p.close();
  });

  it("a chunked answer that also has a Content-Length is read as chunked, and its connection not reused", async () => {
    const s = await serve((socket) => socket.write("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"));
    const p = pool(s.port);
    assert.equal((await p.request(GET, undefined, 5000, "late")).body.toString(), "ok");
    assert.equal((await p.request(GET, undefined, 5000, "late")).body.toString(), "ok");
    assert.equal(s.connections(), 2);
    p.close();
  });

  it("a head over 16 KiB, a status line that is not HTTP, a bad chunk size or a bad Content-Length is an error, and the connection is dropped", async () => {
    const bad = [
      `HTTP/1.1 200 OK\r\nX-Big: ${"x".repeat(17 * 1024)}\r\n\r\n`,
      "SSH-2.0-OpenSSH\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
    ];
    const codes: Array<string | undefined> = [];
    for (const response of bad) {
      const s = await serve((socket) => socket.write(response));
      const p = pool(s.port);
      const error = await failure(p.request(GET, undefined, 5000, "late"));
      codes.push(error.code);
      assert.equal(error.reusedSocket, false);
      await until("the client to drop the connection", () => s.closedByClient() === 1);
      p.close();
    }
    assert.deepEqual(codes, ["HPE_HEADER_OVERFLOW", "HPE_INVALID_CONSTANT", "HPE_INVALID_CHUNK_SIZE", "HPE_INVALID_CONTENT_LENGTH"]);
  });

  it("a body over the limit fails with BodyTooLarge and drops the connection", async () => {
    const s = await serve((socket) => socket.write(ok("x".repeat(2048))));
    const p = pool(s.port, { maxBodyBytes: 1024 });
    const error = await p.request(GET, undefined, 5000, "late").catch((e: unknown) => e);
    assert.ok(error instanceof BodyTooLarge, String(error));
    await until("the client to drop the connection", () => s.closedByClient() === 1);
    p.close();
  });

  it("an answer cut off by the server's close is a hang-up (ECONNRESET) after the answer began", async () => {
    const s = await serve((socket) => socket.end("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"));
    const p = pool(s.port);
    const error = await failure(p.request(GET, undefined, 5000, "late"));
    assert.equal(error.code, "ECONNRESET");
    assert.equal(error.message, "socket hang up");
    assert.equal(error.answered, true);
    p.close();
  });
});

describe("HTTP/1.1 client: kept-alive connections", () => {
  it("reuses one connection for requests one after the other, and says so in a failure", async () => {
    const s = await serve((socket, _head, n) => (n < 2 ? socket.write(ok("{}")) : socket.resetAndDestroy()));
    const p = pool(s.port);
    await p.request(GET, undefined, 5000, "late");
    await p.request(GET, undefined, 5000, "late");
    assert.equal(s.connections(), 1);
    const error = await failure(p.request(GET, undefined, 5000, "late"));
    assert.equal(error.code, "ECONNRESET");
    assert.equal(error.reusedSocket, true);
    assert.equal(error.answered, false);
    assert.ok(error.idleMs >= 0);
    p.close();
  });

  it("a first request that fails on a new connection says it was not reused", async () => {
    const s = await serve((socket) => socket.resetAndDestroy());
    const p = pool(s.port);
    const error = await failure(p.request(GET, undefined, 5000, "late"));
    assert.equal(error.code, "ECONNRESET");
    assert.equal(error.reusedSocket, false);
    assert.equal(error.idleMs, 0);
    p.close();
  });

  it("Connection: close, and an HTTP/1.0 answer without keep-alive, end the connection; HTTP/1.0 with keep-alive keeps it", async () => {
    const answers = [
      "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}",
      "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}",
      "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n{}",
      ok("{}"),
    ];
    let i = 0;
    const s = await serve((socket) => socket.write(answers[i++]!));
    const p = pool(s.port);
    for (let k = 0; k < 4; k++) await p.request(GET, undefined, 5000, "late");
    assert.equal(s.connections(), 3, "a new connection after each of the first two answers, the third kept");
    p.close();
  });

  it("an idle connection the server closes is dropped from the pool: the next request opens a new one without failing", async () => {
    const s = await serve((socket) => socket.end(ok("{}", "Connection: keep-alive\r\n")));
    const p = pool(s.port);
    await p.request(GET, undefined, 5000, "late");
    await sleep(50); // the server's FIN arrives
    assert.equal((await p.request(GET, undefined, 5000, "late")).status, 200);
    assert.equal(s.connections(), 2);
    p.close();
  });

  it("a Keep-Alive timeout of 1 s is too short to reuse the connection; a longer one keeps it", async () => {
    let answered = 0;
    const s = await serve((socket) => socket.write(ok("{}", answered++ === 0 ? "Keep-Alive: timeout=1\r\n" : "Keep-Alive: timeout=60\r\n")));
    const p = pool(s.port);
    await p.request(GET, undefined, 5000, "late");
    await p.request(GET, undefined, 5000, "late");
    await p.request(GET, undefined, 5000, "late");
    assert.equal(s.connections(), 2);
    p.close();
  });

  it("a Keep-Alive timeout of 2 s closes the idle connection a second before the server would", async () => {
    const s = await serve((socket) => socket.write(ok("{}", "Keep-Alive: timeout=2\r\n")));
    const p = pool(s.port);
    await p.request(GET, undefined, 5000, "late");
    await until("the client to close the idle connection", () => s.closedByClient() === 1);
    await p.request(GET, undefined, 5000, "late");
    assert.equal(s.connections(), 2);
    p.close();
  });

  it("the keep-alive timeout ends only an idle connection: a slower answer on it is read, and a later answer without the hint clears it", async () => {
    let answered = 0;
    const s = await serve((socket) => {
      const n = answered++;
      if (n === 0) socket.write(ok("{}", "Keep-Alive: timeout=2\r\n"));
      // Slower than the 1 s the hint leaves: the socket is busy meanwhile, so it is not ended.
      else if (n === 1) setTimeout(() => socket.write(ok('{"slow":1}')), 1300);
      else socket.write(ok("{}"));
    });
    const p = pool(s.port);
    await p.request(GET, undefined, 5000, "late");
    assert.equal((await p.request(GET, undefined, 5000, "late")).body.toString(), '{"slow":1}');
    await sleep(1300); // past the old hint: no timeout is set any more
    await p.request(GET, undefined, 5000, "late");
    assert.equal(s.connections(), 1);
    assert.equal(s.closedByClient(), 0);
    p.close();
  });

  it("opens at most maxSockets connections; the requests beyond wait for one and are all answered", async () => {
    const s = await serve((socket) => setTimeout(() => socket.write(ok("{}")), 20));
    const p = pool(s.port, { maxSockets: 2 });
    const answers = await Promise.all(Array.from({ length: 7 }, () => p.request(GET, undefined, 5000, "late")));
    assert.equal(answers.length, 7);
    assert.equal(s.connections(), 2);
    p.close();
  });

  it("close() ends the idle connections, and the pool still serves afterwards", async () => {
    const s = await serve((socket) => socket.write(ok("{}")));
    const p = pool(s.port);
    await p.request(GET, undefined, 5000, "late");
    p.close();
    await until("the connection to close", () => s.closedByClient() === 1);
    assert.equal((await p.request(GET, undefined, 5000, "late")).status, 200);
    assert.equal(s.connections(), 2);
    p.close();
  });

  it("an idle kept-alive connection does not keep the process alive", async () => {
    const s = await serve((socket) => socket.write(ok("{}")));
    const http1 = join(import.meta.dirname, "../../../src/providers/vault/http1.ts");
    const script = `const { Http1Pool } = await import(${JSON.stringify(http1)});
      const p = new Http1Pool({ hostname: "127.0.0.1", port: ${s.port}, maxSockets: 4, maxBodyBytes: 1024 });
      const a = await p.request(${JSON.stringify(GET)}, undefined, 5000, "late");
      console.log(a.status, process.moduleLoadList.includes("NativeModule tls"));`;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once("exit", (c, sig) => resolve([c, sig])));
    clearTimeout(killer);
    assert.equal(signal, null, "the process ended by itself");
    assert.equal(code, 0, stderr);
    assert.equal(stdout.trim(), "200 false", "answered, and node:tls never loaded for plain http");
  });
});

describe("HTTP/1.1 client: deadlines", () => {
  it("a server that never answers fails the request with ETIMEDOUT and the given message, and the connection is closed", async () => {
    const s = await serve(() => {});
    const p = pool(s.port);
    const error = await failure(p.request(GET, undefined, 150, "no answer within 150ms"));
    assert.equal(error.code, "ETIMEDOUT");
    assert.equal(error.message, "no answer within 150ms");
    await until("the client to close the connection", () => s.closedByClient() === 1);
    p.close();
  });

  it("a request waiting for a connection times out too, and the others are unaffected", async () => {
    const s = await serve((socket, _head, n) => (n === 0 ? setTimeout(() => socket.write(ok('{"slow":1}')), 400) : socket.write(ok("{}"))));
    const p = pool(s.port, { maxSockets: 1 });
    const slow = p.request(GET, undefined, 5000, "late");
    const queued = failure(p.request(GET, undefined, 100, "queued too long"));
    const later = p.request(GET, undefined, 5000, "late");
    assert.equal((await queued).code, "ETIMEDOUT");
    assert.equal((await slow).body.toString(), '{"slow":1}');
    assert.equal((await later).status, 200);
    assert.equal(s.connections(), 1, "the timed-out request never had a connection");
    p.close();
  });

  it("one shared timer: a short deadline fires before a long one set earlier, and answered requests are not failed later", async () => {
    const s = await serve((socket, head) => {
      if (!head.includes("/hang")) socket.write(ok("{}"));
    });
    const p = pool(s.port);
    const fast = await Promise.all(Array.from({ length: 20 }, () => p.request(GET, undefined, 200, "late")));
    assert.equal(fast.length, 20);
    const long = failure(p.request(GET.replace("/v1/x", "/hang"), undefined, 600, "long"));
    const short = failure(p.request(GET.replace("/v1/x", "/hang"), undefined, 100, "short"));
    const first = await Promise.race([long.then(() => "long"), short.then(() => "short")]);
    assert.equal(first, "short");
    assert.equal((await long).message, "long");
    await sleep(250); // past the 200 ms deadlines of the answered requests: nothing happens to them
    assert.equal((await p.request(GET, undefined, 5000, "late")).status, 200);
    p.close();
  });
});

describe("HTTP/1.1 client: TLS, verified as node:https verifies it", { skip: opensslUnavailable() }, () => {
  let pki: TestPki;
  let server: tls.Server;
  let port = 0;
  const seen: Array<{ servername: string | false | null; resumed: boolean; peer: string | string[] | undefined }> = [];

  before(async () => {
    pki = makePki();
    server = tls.createServer({ key: pki.server.key, cert: pki.server.cert, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: false }, (socket) => {
      seen.push({ servername: socket.servername, resumed: socket.isSessionReused(), peer: socket.getPeerCertificate()?.subject?.CN });
      socket.on("data", (chunk) => {
        if (chunk.toString("latin1").includes("\r\n\r\n")) socket.write(ok('{"tls":true}'));
      });
      socket.on("error", () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    port = (server.address() as net.AddressInfo).port;
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    pki?.cleanup();
  });

  it("with the CA: answered; no SNI for an IP address; the session resumed on a second connection", async () => {
    seen.length = 0;
    const p = pool(port, { tls: { ca: pki.ca.cert, rejectUnauthorized: true }, maxSockets: 2 });
    await p.request(GET, undefined, 5000, "late");
    const both = await Promise.all([p.request(GET, undefined, 5000, "late"), p.request(GET, undefined, 5000, "late")]);
    assert.equal(both[1].body.toString(), '{"tls":true}');
    assert.equal(seen.length, 2);
    assert.equal(seen[0]!.servername, false);
    assert.equal(seen[1]!.resumed, true);
    p.close();
  });

  it("by host name: the name goes as SNI and is checked against the certificate", async () => {
    seen.length = 0;
    const p = new Http1Pool({ hostname: "localhost", port, tls: { ca: pki.ca.cert, rejectUnauthorized: true }, maxSockets: 1, maxBodyBytes: 1024 });
    // localhost may resolve to ::1 first, where nothing listens: only an answer over 127.0.0.1 counts.
    const answer = await p.request(GET, undefined, 5000, "late").catch((e: Http1Error) => e);
    if (answer instanceof Http1Error) assert.equal(answer.code, "ECONNREFUSED");
    else assert.equal(seen[0]!.servername, "localhost");
    p.close();
  });

  it("without the CA (the system's): the self-signed chain is refused", async () => {
    const p = pool(port, { tls: { rejectUnauthorized: true } });
    const error = await failure(p.request(GET, undefined, 5000, "late"));
    assert.match(error.code ?? "", /^(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/);
    p.close();
  });

  it("a certificate for another name is refused (the default checkServerIdentity)", async () => {
    const other = pki.client("other.example", { extendedKeyUsage: "serverAuth" });
    const wrong = tls.createServer({ key: other.key, cert: other.cert }, (socket) => socket.on("error", () => {}));
    await new Promise<void>((resolve) => wrong.listen(0, "127.0.0.1", () => resolve()));
    try {
      const p = pool((wrong.address() as net.AddressInfo).port, { tls: { ca: pki.ca.cert, rejectUnauthorized: true } });
      const error = await failure(p.request(GET, undefined, 5000, "late"));
      assert.equal(error.code, "ERR_TLS_CERT_ALTNAME_INVALID");
      p.close();
    } finally {
      await new Promise<void>((r) => wrong.close(() => r()));
    }
  });

  it("presents the client certificate", async () => {
    seen.length = 0;
    const web = pki.client("web.example.com");
    const p = pool(port, { tls: { ca: pki.ca.cert, cert: web.cert, key: web.key, rejectUnauthorized: true } });
    await p.request(GET, undefined, 5000, "late");
    assert.equal(seen[0]!.peer, "web.example.com");
    p.close();
  });

  it("https to a plain-http server fails the handshake (EPROTO)", async () => {
    // A plain-http server answers the ClientHello with a 400, as Vault does.
    const plain = net.createServer((socket) => {
      socket.on("error", () => {});
      socket.once("data", () => socket.end("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"));
    });
    await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", () => resolve()));
    try {
      const p = pool((plain.address() as net.AddressInfo).port, { tls: { ca: pki.ca.cert, rejectUnauthorized: true } });
      const error = await failure(p.request(GET, undefined, 5000, "late"));
      assert.equal(error.code, "EPROTO");
      p.close();
    } finally {
      await new Promise<void>((r) => plain.close(() => r()));
    }
  });
});
