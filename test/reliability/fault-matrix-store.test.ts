/**
 * Fault matrix for the secret stores, the network and the data (docs/RELIABILITY.md, "stores"):
 * the real CLI against the Vault and AWS Secrets Manager doubles, one test per row.
 *
 * At start (docs/contract/exit-codes.md#codes, README "Waiting for a store at start"): a store that cannot
 * be reached, answers nothing, is sealed, throttles, fails with 5xx, or whose certificate or name
 * is wrong ends envject with 69 after --start-timeout (a TLS failure at once), with an error line
 * naming the variable, and the command never starts. A value too big for an environment is 65.
 *
 * Mid-run (docs/contract/rotation.md#store-outages, README "Watching and rotation"): the command keeps running with its
 * values through every store or data fault, with one warning; a rotation during a restart or
 * during the kill window ends with one child holding the newest value, never two at once.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import tls from "node:tls";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { type SeededAws, awsEnv, startSeededAws } from "../support/aws-fixture.js";
import { BIN } from "../support/cli.js";
import { type SeededVault, startSeededVault } from "../support/vault-fixture.js";
import { startVaultDouble } from "../../src/dev/vault/index.js";
import { VaultDoubleClient } from "../../src/dev/vault/client.js";
import { NODE, Workspace, assertNoStackTrace, closedPort, errorLines } from "../cli/e2e.js";
import { pause } from "../support/wait.js";

const START_TIMEOUT = "3s";

/** One row of the matrix: a test with a time limit, so a hang fails it instead of stalling the file. */
const row = (name: string, fn: () => Promise<void>): void => void it(name, { timeout: 120_000 }, fn);
const MiB = 1024 * 1024;

/** Resolves after `ms`. */

/** Whether a process with this pid exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Everything a test starts is cleaned up after the file, whatever failed.

const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
  if (process.env.FM_REPORT) writeFileSync(process.env.FM_REPORT, `${measured.join("\n")}\n`);
});

/** What each row saw (the warning or error line), written to $FM_REPORT when set: the figures in docs/RELIABILITY.md. */
const measured: string[] = [];

function workspace(mapping: string): Workspace {
  const ws = new Workspace();
  ws.file("envject.yaml", mapping);
  cleanups.push(() => ws.cleanup());
  return ws;
}

async function vaultDouble(): Promise<SeededVault> {
  const v = await startSeededVault();
  cleanups.push(() => v.close());
  return v;
}

async function awsDouble(seed: Record<string, unknown>): Promise<SeededAws> {
  const a = await startSeededAws(seed as never);
  cleanups.push(() => a.close());
  return a;
}

/** A self-signed certificate for 127.0.0.1 (key and cert PEM), made by openssl in `dir`. */
function selfSigned(dir: string, name: string): { key: Buffer; cert: Buffer; certFile: string } {
  const keyFile = join(dir, `${name}-key.pem`);
  const certFile = join(dir, `${name}-cert.pem`);
  const made = spawnSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
    { encoding: "utf8" },
  );
  assert.equal(made.status, 0, made.stderr);
  return { key: readFileSync(keyFile), cert: readFileSync(certFile), certFile };
}

/**
 * A TLS front (self-signed certificate) for a plain-HTTP double: `url` is https://127.0.0.1:PORT,
 * `certFile` its certificate; `swap()` serves another self-signed certificate from then on and
 * drops the open connections, so the next request meets the new one.
 */
async function tlsFront(dir: string, target: string): Promise<{ url: string; certFile: string; swap: () => void }> {
  const { key, cert, certFile } = selfSigned(dir, "front");
  const port = Number(new URL(target).port);
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ key, cert }, (client) => {
    const upstream = net.connect(port, "127.0.0.1");
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => (client.destroy(), upstream.destroy(), sockets.delete(client), sockets.delete(upstream));
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  const swap = () => {
    const other = selfSigned(dir, "front-other");
    server.setSecureContext({ key: other.key, cert: other.cert });
    for (const s of sockets) s.destroy();
  };
  return { url: `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`, certFile, swap };
}

// ---------------------------------------------------------------------------------------------
// At start: `envject run` with a command that leaves a marker, so "never started" is checked.

interface StartOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  errors: string[];
  started: boolean;
}

async function runAtStart(ws: Workspace, env: Record<string, string | undefined>, args: string[] = []): Promise<StartOutcome> {
  const marker = join(ws.dir, `started-${Math.random().toString(36).slice(2)}`);
  const result = await ws.run(
    ["--start-timeout", START_TIMEOUT, ...args, "--", NODE, "-e", `require("node:fs").writeFileSync(${JSON.stringify(marker)}, String(process.env.K ?? "").length + "")`],
    env,
    { timeoutMs: 60_000 },
  );
  return { code: result.code, signal: result.signal, stderr: result.stderr, errors: errorLines(result.stderr), started: existsSync(marker) };
}

/** The outcome every "store cannot be reached" row at start must have: 69, one error naming K and the store, nothing started. */
function assertUnreachableAtStart(o: StartOutcome, store: RegExp, reason?: RegExp): void {
  assert.equal(o.signal, null, `envject ended on its own (not killed by the safety net):\n${o.stderr}`);
  assert.equal(o.code, 69, o.stderr);
  assert.equal(o.started, false, "the command never started");
  assert.ok(o.errors.length >= 1, o.stderr);
  assert.ok(
    o.errors.some((l) => /\bK\b/.test(l) && store.test(l)),
    `an error line names the variable K and the store:\n${o.stderr}`,
  );
  if (reason) assert.match(o.errors.join("\n"), reason, o.stderr);
  assertNoStackTrace(o.stderr);
  measured.push(`start exit=${o.code} ${o.errors[0]!.replace(/^\S+ /, "")}`);
}

const VAULT_MAPPING = "env:\n  K: vault://secret/fm/app#key\n";
const AWS_MAPPING = "env:\n  K: aws-sm://fm/app#key\n";
const AWS_SEED_FM = { "fm/app": { key: "aws-Fm-Start-1111" } };

describe("fault matrix at start", { concurrency: 4 }, () => {
  row("Vault: closed port → 69, error names K and Vault, not started", async () => {
    const port = await closedPort();
    const o = await runAtStart(workspace(VAULT_MAPPING), { VAULT_ADDR: `http://127.0.0.1:${port}`, VAULT_TOKEN: "hvs.unused-token" });
    assertUnreachableAtStart(o, /Vault/, /ECONNREFUSED|could not be reached/);
  });

  row("AWS: closed port → 69, error names K and the secret, not started", async () => {
    const port = await closedPort();
    const o = await runAtStart(workspace(AWS_MAPPING), awsEnv(`http://127.0.0.1:${port}`));
    assertUnreachableAtStart(o, /fm\/app/);
  });

  row("Vault: accepts, never answers → 69 within --start-timeout (no hang)", async () => {
    const v = await vaultDouble();
    await v.control.putSecret("secret/fm/app", { key: "fm-Hang-1111" });
    await v.control.fault({ mode: "hang", count: 100_000 });
    const o = await runAtStart(workspace(VAULT_MAPPING), { VAULT_ADDR: v.url, VAULT_TOKEN: v.rootToken });
    assertUnreachableAtStart(o, /Vault/);
  });

  row("AWS: accepts, never answers → 69 within --start-timeout (no hang)", async () => {
    const a = await awsDouble(AWS_SEED_FM);
    await a.control.fault({ mode: "hang", count: 100_000 });
    const o = await runAtStart(workspace(AWS_MAPPING), awsEnv(a.url));
    assertUnreachableAtStart(o, /fm\/app/);
  });

  row("Vault: sealed → 69, not started", async () => {
    const v = await vaultDouble();
    await v.control.putSecret("secret/fm/app", { key: "fm-Sealed-1111" });
    await v.admin.seal();
    const o = await runAtStart(workspace(VAULT_MAPPING), { VAULT_ADDR: v.url, VAULT_TOKEN: v.rootToken });
    assertUnreachableAtStart(o, /Vault/, /sealed/i);
  });

  for (const [status, what] of [
    [429, "429 storm"],
    [500, "500 storm"],
  ] as const) {
    row(`Vault: ${what} → 69 after retrying, not started`, async () => {
      const v = await vaultDouble();
      await v.control.putSecret("secret/fm/app", { key: "fm-Storm-1111" });
      await v.control.fault({ status, count: 100_000, body: { errors: [status === 429 ? "rate limit quota exceeded" : "storage backend unavailable"] } });
      const o = await runAtStart(workspace(VAULT_MAPPING), { VAULT_ADDR: v.url, VAULT_TOKEN: v.rootToken });
      // The reason is what Vault answered, not the timeout of a last attempt cut short by the deadline.
      assertUnreachableAtStart(
        o,
        /Vault/,
        new RegExp(`answered ${status} while looking up the Vault token: ${status === 429 ? "rate limit quota exceeded" : "storage backend unavailable"} \\(gave up after`),
      );
      const attempts = await v.control.requestCount((r) => r.status === status);
      assert.ok(attempts >= 2, `retried (${attempts} attempts)`);
    });

    row(`AWS: ${what} → 69 after retrying, not started`, async () => {
      const a = await awsDouble(AWS_SEED_FM);
      await a.control.fault({ status: status === 429 ? 400 : 500, count: 100_000, ...(status === 429 ? { type: "ThrottlingException" } : {}) });
      const o = await runAtStart(workspace(AWS_MAPPING), awsEnv(a.url));
      assertUnreachableAtStart(
        o,
        /fm\/app/,
        status === 429
          ? /throttled GetSecretValue fm\/app in us-east-1 \(ThrottlingException.*\(gave up after/
          : /failed on GetSecretValue fm\/app in us-east-1 \(500 InternalServiceError.*\(gave up after/,
      );
      const attempts = await a.control.requestCount((r) => r.status >= 400);
      assert.ok(attempts >= 2, `retried (${attempts} attempts)`);
    });
  }

  row("Vault: self-signed certificate without a CA → 69 at once (no retries), hint about the CA", async () => {
    const ws = workspace(VAULT_MAPPING);
    const { key, cert } = selfSigned(ws.dir, "vault");
    const vault = await startVaultDouble({ tls: { key, cert } });
    cleanups.push(() => vault.close());
    await new VaultDoubleClient(vault.url, vault.rootToken, { ca: cert }).writeKv2("secret/fm/app", { key: "fm-Tls-1111" });
    const o = await runAtStart(ws, { VAULT_ADDR: vault.url, VAULT_TOKEN: vault.rootToken }, ["--start-timeout", "60s"]);
    assertUnreachableAtStart(o, /Vault/, /certificate/i);
    assert.doesNotMatch(o.stderr, /retrying until/, "a TLS failure is not retried");
  });

  row("Vault: wrong CA (another self-signed certificate) → 69 at once", async () => {
    const ws = workspace(VAULT_MAPPING);
    const { key, cert } = selfSigned(ws.dir, "vault");
    const other = selfSigned(ws.dir, "other");
    const vault = await startVaultDouble({ tls: { key, cert } });
    cleanups.push(() => vault.close());
    await new VaultDoubleClient(vault.url, vault.rootToken, { ca: cert }).writeKv2("secret/fm/app", { key: "fm-Tls-2222" });
    const o = await runAtStart(ws, { VAULT_ADDR: vault.url, VAULT_TOKEN: vault.rootToken, VAULT_CACERT: other.certFile }, ["--start-timeout", "60s"]);
    assertUnreachableAtStart(o, /Vault/, /certificate/i);
    assert.doesNotMatch(o.stderr, /retrying until/, "a TLS failure is not retried");
  });

  row("AWS: self-signed certificate at the endpoint → 69 at once (no retries), naming NODE_EXTRA_CA_CERTS", async () => {
    const ws = workspace(AWS_MAPPING);
    const a = await awsDouble(AWS_SEED_FM);
    const front = await tlsFront(ws.dir, a.url);
    const o = await runAtStart(ws, awsEnv(front.url), ["--start-timeout", "60s"]);
    assertUnreachableAtStart(o, /fm\/app/, /TLS certificate of https:\/\/127\.0\.0\.1:\d+ could not be verified \(DEPTH_ZERO_SELF_SIGNED_CERT\); give its CA with NODE_EXTRA_CA_CERTS/);
    assert.doesNotMatch(o.stderr, /retrying until/, "a TLS failure is not retried");
  });

  row("Vault: a name that does not resolve → 69, not started", async () => {
    const o = await runAtStart(workspace(VAULT_MAPPING), { VAULT_ADDR: "http://vault.envject-test.invalid:8200", VAULT_TOKEN: "hvs.unused-token" });
    assertUnreachableAtStart(o, /Vault/, /ENOTFOUND|EAI_AGAIN|resolve/);
  });

  row("AWS: a name that does not resolve → 69, not started", async () => {
    const o = await runAtStart(workspace(AWS_MAPPING), awsEnv("http://secretsmanager.envject-test.invalid"));
    assertUnreachableAtStart(o, /fm\/app/, /ENOTFOUND|EAI_AGAIN|resolve/);
  });

  row("Vault: connection reset mid-body, once → retried, the command starts with the value", async () => {
    const v = await vaultDouble();
    await v.control.putSecret("secret/fm/app", { key: "fm-Reset-1111" });
    await v.control.fault({ path_prefix: "secret/data/fm/app", mode: "reset_mid_body" });
    const o = await runAtStart(workspace(VAULT_MAPPING), { VAULT_ADDR: v.url, VAULT_TOKEN: v.rootToken });
    assert.equal(o.code, 0, o.stderr);
    assert.equal(o.started, true);
    assert.equal(
      (await v.control.requests())
        .filter((r) => r.path === "secret/data/fm/app" && r.method === "GET")
        .map((r) => r.status)
        .join(","),
      "0,200",
    );
  });

  row("AWS: connection reset mid-body, once → retried, the command starts with the value", async () => {
    const a = await awsDouble(AWS_SEED_FM);
    await a.control.fault({ mode: "reset_mid_body" });
    const o = await runAtStart(workspace(AWS_MAPPING), awsEnv(a.url));
    assert.equal(o.code, 0, o.stderr);
    assert.equal(o.started, true);
    assert.equal((await a.control.requests())[0]!.status, 0, "the first answer was cut off");
  });

  row("Vault: connection reset mid-body on every answer → 69, not started", async () => {
    const v = await vaultDouble();
    await v.control.putSecret("secret/fm/app", { key: "fm-Reset-2222" });
    await v.control.fault({ mode: "reset_mid_body", count: 100_000 });
    const o = await runAtStart(workspace(VAULT_MAPPING), { VAULT_ADDR: v.url, VAULT_TOKEN: v.rootToken });
    assertUnreachableAtStart(o, /Vault/);
  });

  row("Vault: a 1 MiB secret in env → 65 naming K, not started", async () => {
    const v = await vaultDouble();
    await v.control.putSecret("secret/fm/app", { key: "x".repeat(MiB) });
    const o = await runAtStart(workspace(VAULT_MAPPING), { VAULT_ADDR: v.url, VAULT_TOKEN: v.rootToken });
    assert.equal(o.code, 65, o.stderr);
    assert.equal(o.started, false);
    assert.ok(
      o.errors.some((l) => /\bK\b/.test(l)),
      o.stderr,
    );
    assert.ok(!o.stderr.includes("x".repeat(64)), "the value is never logged");
    assertNoStackTrace(o.stderr);
  });

  row("Vault: a 1 MiB secret as a files: entry → starts, the file holds all of it", async () => {
    const v = await vaultDouble();
    await v.control.putSecret("secret/fm/app", { key: "y".repeat(MiB) });
    const ws = workspace("files:\n  K_FILE: vault://secret/fm/app#key\n");
    const out = join(ws.dir, "size");
    const result = await ws.run(
      ["--start-timeout", START_TIMEOUT, "--", NODE, "-e", `const fs=require("node:fs");fs.writeFileSync(${JSON.stringify(out)}, String(fs.readFileSync(process.env.K_FILE).length))`],
      { VAULT_ADDR: v.url, VAULT_TOKEN: v.rootToken },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readFileSync(out, "utf8"), String(MiB));
  });
});

// ---------------------------------------------------------------------------------------------
// Mid-run: envject --interval 1s with a child that logs its starts (and which earlier children
// were still alive at that moment), its SIGTERMs and its exits.

const CHILD = `
import { appendFileSync, existsSync, readFileSync } from "node:fs";
const log = process.env.FM_LOG;
const names = (process.env.FM_VARS || "").split(",").filter(Boolean);
const write = (o) => appendFileSync(log, JSON.stringify({ pid: process.pid, at: Date.now(), ...o }) + "\\n");
const earlier = existsSync(log) ? readFileSync(log, "utf8").split("\\n").filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.event === "start").map((e) => e.pid) : [];
const othersAlive = earlier.filter((pid) => { try { process.kill(pid, 0); return true; } catch { return false; } });
const show = (v) => (v === undefined ? null : v.length > 200 ? "len:" + v.length : v);
const fileOf = process.env.FM_FILE_VAR ? process.env[process.env.FM_FILE_VAR] : undefined;
write({ event: "start", othersAlive, env: Object.fromEntries(names.map((n) => [n, show(process.env[n])])), fileSize: fileOf ? readFileSync(fileOf).length : null });
process.on("SIGTERM", () => {
  write({ event: "term" });
  if (process.env.FM_IGNORE_TERM) return;
  setTimeout(() => { write({ event: "exit" }); process.exit(0); }, Number(process.env.FM_STOP_DELAY_MS || 0));
});
setInterval(() => {}, 1 << 30);
`;

interface ChildEvent {
  pid: number;
  at: number;
  event: "start" | "term" | "exit";
  othersAlive?: number[];
  env?: Record<string, string | null>;
  fileSize?: number | null;
}

class MatrixRun {
  stderr = "";
  readonly ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly proc: ChildProcess;
  private readonly log: string;

  constructor(ws: Workspace, env: Record<string, string | undefined>, args: string[] = [], vars = ["K"]) {
    const child = ws.file("fm-child.mjs", CHILD);
    this.log = join(ws.dir, `events-${Math.random().toString(36).slice(2)}.jsonl`);
    this.proc = spawn(process.execPath, [BIN, "--interval", "1s", ...args, "--", process.execPath, child], {
      cwd: ws.dir,
      env: ws.env({ FM_LOG: this.log, FM_VARS: vars.join(","), ...env }),
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.proc.stderr!.setEncoding("utf8").on("data", (d: string) => (this.stderr += d));
    this.ended = new Promise((resolve) => this.proc.on("close", (code, signal) => resolve({ code, signal })));
    cleanups.push(() => {
      if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGKILL");
      for (const e of this.starts()) if (alive(e.pid)) process.kill(e.pid, "SIGKILL");
    });
  }

  events(): ChildEvent[] {
    if (!existsSync(this.log)) return [];
    return readFileSync(this.log, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as ChildEvent);
  }

  starts(): ChildEvent[] {
    return this.events().filter((e) => e.event === "start");
  }

  lines(level: "DEBUG" | "INFO" | "WARN" | "ERROR", pattern: RegExp): string[] {
    return this.stderr.split("\n").filter((l) => l.includes(` envject ${level.padEnd(5)} `) && pattern.test(l));
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async waitFor(what: string, predicate: () => boolean, timeoutMs = 45_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > until) assert.fail(`timed out waiting for ${what}\nevents: ${JSON.stringify(this.events())}\nstderr:\n${this.stderr}`);
      await pause(100);
    }
  }

  waitForStarts(n: number): Promise<void> {
    return this.waitFor(`${n} start(s) of the child`, () => this.starts().length >= n);
  }

  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.proc.kill("SIGTERM");
    return this.ended;
  }
}

/**
 * The outcome of every "store or data fault mid-run" row: one warning matching `warning`,
 * envject still running, the first child still alive and never signalled, no second start,
 * no error line, and the run ends 0 on SIGTERM.
 */
async function assertChildKept(run: MatrixRun, warning: RegExp, settleMs = 3000): Promise<void> {
  await run.waitFor(`a warning matching ${warning}`, () => !run.running || run.lines("WARN", warning).length > 0);
  assert.equal(run.running, true, `envject still runs:\n${run.stderr}`);
  await pause(settleMs); // a few more polls: nothing else happens
  assert.equal(run.lines("WARN", warning).length, 1, `one warning:\n${run.stderr}`);
  const starts = run.starts();
  assert.equal(starts.length, 1, `no restart:\n${run.stderr}`);
  assert.ok(alive(starts[0]!.pid), "the first child still runs");
  assert.equal(run.events().filter((e) => e.event !== "start").length, 0, "the child was never signalled");
  assert.deepEqual(errorLines(run.stderr), [], run.stderr);
  assertNoStackTrace(run.stderr);
  measured.push(`mid-run ${run.lines("WARN", warning)[0]!.replace(/^\S+ /, "")}`);
}

async function vaultRun(mapping: string, key: string, args: string[] = [], env: Record<string, string> = {}) {
  const v = await vaultDouble();
  await v.control.putSecret("secret/fm/app", { key, other: "fm-Other-Same-0000" });
  const ws = workspace(mapping);
  const run = new MatrixRun(ws, { VAULT_ADDR: v.url, VAULT_TOKEN: v.rootToken, ...env }, args);
  await run.waitForStarts(1);
  assert.equal(run.starts()[0]!.env!.K, key);
  return { v, ws, run };
}

async function awsRun(secret: string, mapping = AWS_MAPPING, args: string[] = []) {
  const a = await awsDouble({ "fm/app": secret });
  const ws = workspace(mapping);
  const run = new MatrixRun(ws, awsEnv(a.url), args);
  await run.waitForStarts(1);
  return { a, ws, run };
}

const UNREACHABLE_VAULT = /Vault is unreachable; the command keeps running/;
const UNREACHABLE_AWS = /AWS Secrets Manager.* is unreachable; the command keeps running/;
const UNREADABLE = /cannot be read now; the command keeps its current values/;

describe("fault matrix mid-run (--watch --interval 1s)", { concurrency: 4 }, () => {
  row("Vault: the store goes away (port closed) → one warning, the child keeps running", async () => {
    const { v, run } = await vaultRun(VAULT_MAPPING, "fm-Gone-1111");
    await v.close();
    await assertChildKept(run, UNREACHABLE_VAULT);
    assert.equal((await run.stop()).code, 0, run.stderr);
  });

  row("AWS: the store goes away (port closed) → one warning, the child keeps running", async () => {
    const { a, run } = await awsRun(JSON.stringify({ key: "aws-Gone-1111" }));
    await a.close();
    await assertChildKept(run, UNREACHABLE_AWS);
    assert.equal((await run.stop()).code, 0, run.stderr);
  });

  row("Vault: accepts, never answers → times out (VAULT_CLIENT_TIMEOUT 2s), one warning, the child keeps running; recovery applies the rotation made meanwhile", async () => {
    const { v, run } = await vaultRun(VAULT_MAPPING, "fm-Hang-1111", [], { VAULT_CLIENT_TIMEOUT: "2s" });
    await v.control.fault({ mode: "hang", count: 100_000, method: "GET" });
    await assertChildKept(run, UNREACHABLE_VAULT);
    // A raw POST: the client's writeKv2 first GETs the mount, which would hang too.
    assert.equal((await v.admin.request("POST", "secret/data/fm/app", { data: { key: "fm-Hang-2222", other: "fm-Other-Same-0000" } })).status, 200);
    await v.control.clearFaults();
    await run.waitForStarts(2);
    assert.equal(run.starts()[1]!.env!.K, "fm-Hang-2222");
    assert.deepEqual(run.starts()[1]!.othersAlive, []);
    assert.equal((await run.stop()).code, 0, run.stderr);
  });

  row("AWS: accepts, never answers → times out (15 s per request), one warning, the child keeps running", async () => {
    const { a, run } = await awsRun(JSON.stringify({ key: "aws-Hang-1111" }));
    await a.control.fault({ mode: "hang", count: 100_000 });
    await assertChildKept(run, UNREACHABLE_AWS);
    assert.equal((await run.stop()).code, 0, run.stderr);
  });

  row("Vault: sealed → one warning, the child keeps running", async () => {
    const { v, run } = await vaultRun(VAULT_MAPPING, "fm-Seal-1111");
    await v.admin.seal();
    await assertChildKept(run, UNREACHABLE_VAULT);
    assert.equal((await run.stop()).code, 0, run.stderr);
  });

  for (const status of [429, 500] as const) {
    row(`Vault: ${status} storm → one warning, the child keeps running`, async () => {
      const { v, run } = await vaultRun(VAULT_MAPPING, `fm-Storm-${status}`);
      await v.control.fault({ status, count: 100_000, body: { errors: [status === 429 ? "rate limit quota exceeded" : "storage backend unavailable"] } });
      await assertChildKept(run, UNREACHABLE_VAULT);
      assert.equal((await run.stop()).code, 0, run.stderr);
    });

    row(`AWS: ${status} storm → one warning, the child keeps running`, async () => {
      const { a, run } = await awsRun(JSON.stringify({ key: `aws-Storm-${status}` }));
      await a.control.fault({ status: status === 429 ? 400 : 500, count: 100_000, ...(status === 429 ? { type: "ThrottlingException" } : {}) });
      await assertChildKept(run, UNREACHABLE_AWS);
      assert.equal((await run.stop()).code, 0, run.stderr);
    });
  }

  row("Vault: the certificate changes to one the CA does not sign → one warning, the child keeps running", async () => {
    const ws = workspace(VAULT_MAPPING);
    const first = selfSigned(ws.dir, "first");
    const second = selfSigned(ws.dir, "second");
    const vault = await startVaultDouble({ tls: { key: first.key, cert: first.cert } });
    let current = vault;
    cleanups.push(() => current.close());
    await new VaultDoubleClient(vault.url, vault.rootToken, { ca: first.cert }).writeKv2("secret/fm/app", { key: "fm-Tls-Mid-1111" });
    const run = new MatrixRun(ws, { VAULT_ADDR: vault.url, VAULT_TOKEN: vault.rootToken, VAULT_CACERT: first.certFile });
    await run.waitForStarts(1);
    await vault.close();
    current = await startVaultDouble({ tls: { key: second.key, cert: second.cert }, port: Number(new URL(vault.url).port), rootToken: vault.rootToken });
    // A certificate failure is not an outage to retry quickly but a secret that cannot be read: one warning with the TLS reason.
    await assertChildKept(run, UNREADABLE);
    assert.match(run.lines("WARN", UNREADABLE)[0]!, /TLS certificate could not be verified \(DEPTH_ZERO_SELF_SIGNED_CERT\); give the CA with vault.ca_cert or VAULT_CACERT/);
    assert.equal((await run.stop()).code, 0, run.stderr);
  });

  row("AWS: the endpoint's certificate changes to one NODE_EXTRA_CA_CERTS does not trust → one warning, the child keeps running", async () => {
    const a = await awsDouble({ "fm/app": JSON.stringify({ key: "aws-Tls-Mid-1111" }) });
    const ws = workspace(AWS_MAPPING);
    const front = await tlsFront(ws.dir, a.url);
    const run = new MatrixRun(ws, { ...awsEnv(front.url), NODE_EXTRA_CA_CERTS: front.certFile });
    await run.waitForStarts(1);
    assert.equal(run.starts()[0]!.env!.K, "aws-Tls-Mid-1111", "trusted at start through NODE_EXTRA_CA_CERTS");
    front.swap();
    await assertChildKept(run, /certificate/);
    assert.match(run.lines("WARN", /certificate/)[0]!, /could not be verified \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\)/);
    assert.equal((await run.stop()).code, 0, run.stderr);
  });

  row("Vault: connection reset mid-body on the polls → the child keeps running; the next rotation restarts it with the new value", async () => {
    const { v, run } = await vaultRun(VAULT_MAPPING, "fm-Reset-1111");
    await v.control.fault({ path_prefix: "secret/metadata/fm/app", mode: "reset_mid_body", count: 3 });
    const faultsLeft = async () => (await v.control.faults()).length;
    while ((await faultsLeft()) > 0) await pause(200);
    assert.equal(run.starts().length, 1, "no restart from a cut-off answer");
    assert.ok(alive(run.starts()[0]!.pid));
    await v.control.putSecret("secret/fm/app", { key: "fm-Reset-2222", other: "fm-Other-Same-0000" });
    await run.waitForStarts(2);
    assert.equal(run.starts()[1]!.env!.K, "fm-Reset-2222");
    assert.deepEqual(errorLines(run.stderr), [], run.stderr);
    assert.equal((await run.stop()).code, 0, run.stderr);
  });

  row("AWS: connection reset mid-body on the polls → the child keeps running; the next rotation restarts it with the new value", async () => {
    const { a, run } = await awsRun(JSON.stringify({ key: "aws-Reset-1111" }));
    await a.control.fault({ mode: "reset_mid_body", count: 3 });
    const faultsLeft = async () => (await a.control.faults()).length;
    while ((await faultsLeft()) > 0) await pause(200);
    assert.equal(run.starts().length, 1, "no restart from a cut-off answer");
    await a.control.putSecret("fm/app", { key: "aws-Reset-2222" });
    await run.waitForStarts(2);
    assert.equal(run.starts()[1]!.env!.K, "aws-Reset-2222");
    assert.deepEqual(errorLines(run.stderr), [], run.stderr);
    assert.equal((await run.stop()).code, 0, run.stderr);
  });

  row("Vault: permission removed on the path → one warning naming it, the child keeps running", async () => {
    const { v, run } = await vaultRun(VAULT_MAPPING, "fm-Deny-1111");
    await v.control.deny("secret/metadata/fm/app");
    await v.control.deny("secret/data/fm/app");
    await assertChildKept(run, UNREADABLE);
    assert.match(run.lines("WARN", UNREADABLE)[0]!, /secret\/fm\/app/);
    assert.equal((await run.stop()).code, 0, run.stderr);
  });

  row("AWS: permission removed on the secret → one warning naming it, the child keeps running", async () => {
    const { a, run } = await awsRun(JSON.stringify({ key: "aws-Deny-1111" }));
    await a.control.deny("DescribeSecret", "fm/app");
    await a.control.deny("GetSecretValue", "fm/app");
    await assertChildKept(run, UNREADABLE);
    assert.match(run.lines("WARN", UNREADABLE)[0]!, /fm\/app/);
    assert.equal((await run.stop()).code, 0, run.stderr);
  });

  row("Vault: KV v2 soft delete of the current version → one warning, the child keeps running; a new version restarts it with that value", async () => {
    const { v, run } = await vaultRun(VAULT_MAPPING, "fm-Del-1111");
    assert.equal((await v.admin.request("DELETE", "secret/data/fm/app")).status, 204);
    await assertChildKept(run, UNREADABLE);
    assert.match(run.lines("WARN", UNREADABLE)[0]!, /was deleted at .*undelete it or write a new version/);
    await v.control.putSecret("secret/fm/app", { key: "fm-Del-2222", other: "fm-Other-Same-0000" });
    await run.waitForStarts(2);
    assert.equal(run.starts()[1]!.env!.K, "fm-Del-2222");
    assert.equal((await run.stop()).code, 0, run.stderr);
  });

  row("Vault: KV v2 destroy of the current version → one warning, the child keeps running", async () => {
    const { v, run } = await vaultRun(VAULT_MAPPING, "fm-Destroy-1111");
    const current = Number((await v.admin.readKv2("secret/fm/app")).metadata.version);
    assert.equal((await v.admin.request("POST", "secret/destroy/fm/app", { versions: [current] })).status, 204);
    await assertChildKept(run, UNREADABLE);
    assert.match(run.lines("WARN", UNREADABLE)[0]!, /was destroyed/);
    assert.equal((await run.stop()).code, 0, run.stderr);
  });

  row("Vault: metadata deleted (every version gone) → one warning, the child keeps running", async () => {
    const { v, run } = await vaultRun(VAULT_MAPPING, "fm-Meta-1111");
    await v.control.deleteSecret("secret/fm/app");
    await assertChildKept(run, UNREADABLE);
    assert.equal((await run.stop()).code, 0, run.stderr);
  });

  row("AWS: DeleteSecret (scheduled) → one warning, the child keeps running", async () => {
    const { a, run } = await awsRun(JSON.stringify({ key: "aws-Del-1111" }));
    await a.client.api("DeleteSecret", { SecretId: "fm/app", RecoveryWindowInDays: 7 });
    await assertChildKept(run, UNREADABLE);
    assert.equal((await run.stop()).code, 0, run.stderr);
  });

  row("Vault: the referenced field removed → one warning, the child keeps running", async () => {
    const { v, run } = await vaultRun(VAULT_MAPPING, "fm-Field-1111");
    await v.control.putSecret("secret/fm/app", { other: "fm-Other-Same-0000" });
    await assertChildKept(run, /\bK\b|#key|key/);
    assert.equal((await run.stop()).code, 0, run.stderr);
  });

  row("AWS: the referenced field removed → one warning, the child keeps running", async () => {
    const { a, run } = await awsRun(JSON.stringify({ key: "aws-Field-1111" }));
    await a.control.putSecret("fm/app", { other: "x" });
    await assertChildKept(run, /\bK\b|#key|key/);
    assert.equal((await run.stop()).code, 0, run.stderr);
  });

  row("AWS: the SecretString is no longer JSON (#field) → one warning, the child keeps running, the value is not logged", async () => {
    const { a, run } = await awsRun(JSON.stringify({ key: "aws-Json-1111" }));
    await a.control.putSecret("fm/app", "not-json-Secret-Text-9876");
    await assertChildKept(run, /JSON|\bK\b/);
    assert.ok(!run.stderr.includes("not-json-Secret-Text-9876"), "the secret's text is never logged");
    assert.equal((await run.stop()).code, 0, run.stderr);
  });

  row("Vault: a rotation to a 1 MiB value → one warning naming K and its size, the child keeps running", async () => {
    const { v, run } = await vaultRun(VAULT_MAPPING, "fm-Big-1111");
    await v.control.putSecret("secret/fm/app", { key: "z".repeat(MiB), other: "fm-Other-Same-0000" });
    await assertChildKept(run, /\bK\b.*bytes/);
    assert.ok(!run.stderr.includes("z".repeat(64)), "the value is never logged");
    assert.equal((await run.stop()).code, 0, run.stderr);
  });

  row("Vault: a rotation to a 1 MiB value of a files: entry → restarted, the new file holds all of it", async () => {
    const v = await vaultDouble();
    await v.control.putSecret("secret/fm/app", { key: "fm-BigFile-1111" });
    const ws = workspace("files:\n  K_FILE: vault://secret/fm/app#key\n");
    const run = new MatrixRun(ws, { VAULT_ADDR: v.url, VAULT_TOKEN: v.rootToken, FM_FILE_VAR: "K_FILE" }, [], []);
    await run.waitForStarts(1);
    assert.equal(run.starts()[0]!.fileSize, "fm-BigFile-1111".length);
    await v.control.putSecret("secret/fm/app", { key: "w".repeat(MiB) });
    await run.waitForStarts(2);
    assert.equal(run.starts()[1]!.fileSize, MiB);
    assert.deepEqual(run.starts()[1]!.othersAlive, []);
    assert.ok(!run.stderr.includes("w".repeat(64)));
    assert.equal((await run.stop()).code, 0, run.stderr);
  });

  row("Vault: a second rotation while the child is being restarted (it takes 2 s to stop) → one child at a time, the last one has the newest value", async () => {
    const { v, run } = await vaultRun(VAULT_MAPPING, "fm-Rot-1111", ["--kill-timeout", "10s"], { FM_STOP_DELAY_MS: "2000" });
    await v.control.putSecret("secret/fm/app", { key: "fm-Rot-2222", other: "fm-Other-Same-0000" });
    await run.waitFor("the restart's SIGTERM", () => run.events().some((e) => e.event === "term"));
    await v.control.putSecret("secret/fm/app", { key: "fm-Rot-3333", other: "fm-Other-Same-0000" });
    await run.waitFor("a child with the newest value", () => run.starts().some((s) => s.env!.K === "fm-Rot-3333"));
    await pause(3000);
    const starts = run.starts();
    assert.equal(starts.at(-1)!.env!.K, "fm-Rot-3333", "the final child has the newest value");
    assert.ok(starts.length <= 3, `at most one restart per change (${starts.length} starts)`);
    for (const s of starts) assert.deepEqual(s.othersAlive, [], `never two children at once: ${JSON.stringify(starts)}`);
    assert.equal(starts.filter((s) => alive(s.pid)).length, 1, "one child runs");
    measured.push(`mid-run rotation during a restart: ${starts.length} starts, values ${starts.map((s) => s.env!.K).join(" → ")}`);
    assert.equal((await run.stop()).code, 0, run.stderr);
  });

  row("Vault: a rotation during the kill window (the old child ignores SIGTERM, --kill-timeout 3s) → one child at a time, the last one has the newest value", async () => {
    const { v, run } = await vaultRun(VAULT_MAPPING, "fm-Kill-1111", ["--kill-timeout", "3s"], { FM_IGNORE_TERM: "1" });
    const first = run.starts()[0]!.pid;
    await v.control.putSecret("secret/fm/app", { key: "fm-Kill-2222", other: "fm-Other-Same-0000" });
    await run.waitFor("the restart's SIGTERM", () => run.events().some((e) => e.event === "term"));
    await v.control.putSecret("secret/fm/app", { key: "fm-Kill-3333", other: "fm-Other-Same-0000" });
    await run.waitFor("a child with the newest value", () => run.starts().some((s) => s.env!.K === "fm-Kill-3333"), 60_000);
    await pause(2000);
    const starts = run.starts();
    assert.equal(starts.at(-1)!.env!.K, "fm-Kill-3333", "the final child has the newest value");
    assert.equal(alive(first), false, "the old child was killed");
    for (const s of starts) assert.deepEqual(s.othersAlive, [], `never two children at once: ${JSON.stringify(starts)}`);
    assert.equal(starts.filter((s) => alive(s.pid)).length, 1, "one child runs");
    const end = await run.stop(); // the last child ignores SIGTERM too: --kill-timeout, then SIGKILL
    measured.push(`mid-run rotation in the kill window: ${starts.length} starts, values ${starts.map((s) => s.env!.K).join(" → ")}, envject exit ${end.code}`);
    assert.notEqual(end.code, null, run.stderr);
  });
});
