/**
 * Supervision through the real CLI (docs/contract/supervision.md): the supervisor has its own unit tests in
 * test/supervise; these prove the wiring of `envject run`. Signals sent to envject reach the
 * child, envject exits with the child's code, --kill-timeout is the SIGKILL deadline, it works as
 * PID 1, and a stop request during resolution ends envject (143) without starting the child.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { BIN } from "../support/cli.js";
import { SEED, type SeededVault, startSeededVault } from "../support/vault-fixture.js";
import { type Started, childrenOf, killIfAlive, lines, pastStartGrace, startProcess, waitFor, within } from "../supervise/fixtures/processes.js";
import { NODE, Workspace } from "./e2e.js";
import { UNSHARE_PID1, unshareUnavailable } from "../support/system.js";
import { waitFor as waitForValue } from "../support/wait.js";

let vault: SeededVault;
let ws: Workspace;
const running: Started[] = [];

before(async () => {
  vault = await startSeededVault();
  ws = new Workspace(vault);
  ws.file("envject.yaml", "env:\n  DB_USER: vault://secret/myapp/db#username\n");
});
after(async () => {
  ws.cleanup();
  await vault.close();
});
afterEach(async () => {
  for (const p of running.splice(0)) killIfAlive(p.pid);
  await vault.control.clearLatency();
});

/**
 * A child that records each signal it receives as a line of `log` and exits with CODE on SIG for
 * each `SIG:CODE` in `exitOn`. Its first line, once its handlers are in place, is
 * `ready <DB_USER it received>`.
 */
function recorder(log: string, exitOn: string[] = []): string[] {
  const script = `
    const fs = require("node:fs");
    const [log, ...exitOn] = process.argv.slice(1);
    const codes = new Map(exitOn.map((s) => s.split(":")));
    for (const sig of ["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH"]) {
      process.on(sig, () => {
        fs.appendFileSync(log, sig + "\\n");
        if (codes.has(sig)) process.exit(Number(codes.get(sig)));
      });
    }
    fs.appendFileSync(log, "ready " + process.env.DB_USER + "\\n");
    setInterval(() => {}, 1 << 30);`;
  return [NODE, "-e", script, "--", log, ...exitOn];
}

/** Starts `envject args…` in the workspace (stdin a pipe, so not a terminal: every signal is forwarded). */
function startEnvject(args: string[], extra: Record<string, string | undefined> = {}): Started {
  const p = startProcess(NODE, [BIN, ...args], { cwd: ws.dir, env: ws.env(extra) });
  running.push(p);
  return p;
}

/** Waits for the recorder's ready line and checks it got the secret. */
async function childReady(log: string): Promise<void> {
  const ready = await waitFor(`child ready in ${log}`, () => lines(log).find((l) => l.startsWith("ready ")));
  assert.equal(ready, `ready ${SEED.db.username}`);
}

async function recorded(log: string, signal: string, count = 1): Promise<void> {
  await waitFor(`${signal} x${count} in ${log}`, () => lines(log).filter((l) => l === signal).length >= count);
}

let n = 0;
function newLog(): string {
  return join(ws.dir, `signals-${++n}.log`);
}

describe("signals sent to envject", () => {
  it("SIGTERM reaches the child, and envject exits with the child's code", async () => {
    const log = newLog();
    const envject = startEnvject(["--", ...recorder(log, ["SIGTERM:5"])]);
    await childReady(log);
    envject.process.kill("SIGTERM");
    const exit = await within("envject exit", envject.exit);
    assert.deepEqual(exit, { code: 5, signal: null }, envject.stderr());
    assert.deepEqual(lines(log).slice(1), ["SIGTERM"]);
    assert.match(envject.stderr(), /received SIGTERM, stopping the child/);
  });

  it("SIGHUP, SIGUSR1, SIGUSR2, SIGQUIT and SIGWINCH are forwarded in order without stopping anything; then SIGINT ends it", async () => {
    const log = newLog();
    const envject = startEnvject(["--", ...recorder(log, ["SIGINT:7"])]);
    await childReady(log);
    await pastStartGrace();
    const sent = ["SIGHUP", "SIGUSR1", "SIGUSR2", "SIGQUIT", "SIGWINCH"] as const;
    for (const [i, signal] of sent.entries()) {
      envject.process.kill(signal);
      await recorded(log, signal);
      assert.equal(lines(log).length, i + 2, "each signal arrives once");
    }
    envject.process.kill("SIGINT");
    const exit = await within("envject exit", envject.exit);
    assert.deepEqual(exit, { code: 7, signal: null }, envject.stderr());
    assert.deepEqual(lines(log).slice(1), [...sent, "SIGINT"]);
  });

  it("a child that dies of the forwarded SIGTERM makes envject exit 143", async () => {
    const marker = join(ws.dir, "plain-child-ready");
    const envject = startEnvject(["--", NODE, "-e", `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "x"); setInterval(() => {}, 1 << 30)`]);
    await waitFor("the child", () => existsSync(marker));
    envject.process.kill("SIGTERM");
    assert.deepEqual(await within("envject exit", envject.exit), { code: 143, signal: null }, envject.stderr());
  });

  it("--kill-timeout: a child that ignores SIGTERM is killed when the timeout runs out (137)", async () => {
    const log = newLog();
    const envject = startEnvject(["--kill-timeout", "1s", "--", ...recorder(log)]);
    await childReady(log);
    envject.process.kill("SIGTERM");
    const exit = await within("envject exit", envject.exit);
    assert.deepEqual(exit, { code: 137, signal: null }, envject.stderr());
    assert.deepEqual(lines(log).slice(1), ["SIGTERM"]);
    assert.match(envject.stderr(), /child did not exit in time, sending SIGKILL .*kill_timeout_ms=1000/);
  });

  it("files: secrets are deleted when envject ends on SIGTERM", async () => {
    ws.file("files.yaml", "files:\n  TLS_KEY_FILE: vault://secret/myapp/tls#key\n");
    const log = newLog();
    const envject = startEnvject(["-c", "files.yaml", "--", NODE, "-e", `require("node:fs").writeFileSync(${JSON.stringify(log)}, process.env.TLS_KEY_FILE + "\\n"); setInterval(() => {}, 1 << 30)`]);
    const path = await waitFor("the secret file's path", () => lines(log)[0]);
    assert.equal(readFileSync(path, "utf8"), SEED.tls.key);
    envject.process.kill("SIGTERM");
    assert.deepEqual(await within("envject exit", envject.exit), { code: 143, signal: null }, envject.stderr());
    assert.equal(existsSync(path), false);
    assert.equal(existsSync(dirname(path)), false);
  });

  it("a second SIGTERM kills the child at once, before a long --kill-timeout", async () => {
    const log = newLog();
    const envject = startEnvject(["--kill-timeout", "10m", "--", ...recorder(log)]);
    await childReady(log);
    envject.process.kill("SIGTERM");
    await recorded(log, "SIGTERM");
    envject.process.kill("SIGTERM");
    const exit = await within("envject exit", envject.exit);
    assert.deepEqual(exit, { code: 137, signal: null }, envject.stderr());
    assert.match(envject.stderr(), /received SIGTERM again, killing the child/);
    assert.doesNotMatch(envject.stderr(), /did not exit in time/);
  });
});

describe("a stop request while resolving", () => {
  it("SIGTERM during resolution exits 143 without starting the child, and revokes the leases read so far", async () => {
    ws.file("slow.yaml", "env:\n  DB_CREDS_USER: vault://database/creds/readonly#username\n  DB_USER: vault://secret/myapp/db#username\n");
    await vault.control.clearRequests();
    const earlier = new Set((await vault.admin.leases()).map((l) => l.lease_id));
    await vault.control.latency(60_000, "secret/data/");
    const marker = join(ws.dir, "resolving-child-started");
    const envject = startEnvject(["-c", "slow.yaml", "--", NODE, "-e", `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "x")`]);
    // The dynamic secret was read and the KV mount found; the KV read itself is held by the latency.
    await waitForAsync("the lease and the mount lookup", async () => {
      const log = await vault.control.requests();
      return log.some((r) => r.path === "database/creds/readonly" && r.status === 200) && log.some((r) => r.path === "sys/internal/ui/mounts/secret/myapp/db");
    });
    envject.process.kill("SIGTERM");
    const exit = await within("envject exit", envject.exit);
    assert.deepEqual(exit, { code: 143, signal: null }, envject.stderr());
    assert.match(envject.stderr(), /received SIGTERM before the command started; exiting/);
    assert.equal(existsSync(marker), false, "the child was never started");
    const leases = (await vault.admin.leases()).filter((l) => !earlier.has(l.lease_id));
    assert.equal(leases.length, 1, "the dynamic secret was read once");
    assert.equal(leases[0]!.state, "revoked", "the lease read before the stop does not outlive envject");
  });

  it("resolution ending while the stop request revokes leases does not start the child", async () => {
    ws.file("slow.yaml", "env:\n  DB_CREDS_USER: vault://database/creds/readonly#username\n  DB_USER: vault://secret/myapp/db#username\n");
    await vault.control.clearRequests();
    // The KV read ends first; the revocation the stop request makes ends later.
    await vault.control.latency(1_000, "secret/data/");
    await vault.control.latency(3_000, "sys/leases/revoke");
    const marker = join(ws.dir, "racing-child-started");
    const envject = startEnvject(["-c", "slow.yaml", "--", NODE, "-e", `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "x")`]);
    await waitForAsync("the lease", async () => (await vault.control.requests()).some((r) => r.path === "database/creds/readonly" && r.status === 200));
    envject.process.kill("SIGTERM");
    const exit = await within("envject exit", envject.exit);
    assert.deepEqual(exit, { code: 143, signal: null }, envject.stderr());
    // The signal came while resolving (else this line would not be there) …
    assert.match(envject.stderr(), /received SIGTERM before the command started; exiting/);
    assert.doesNotMatch(envject.stderr(), /starting command/);
    assert.equal(existsSync(marker), false, "the child was never started");
    const log = await vault.control.requests();
    const order = log.filter((r) => r.path === "secret/data/myapp/db" || r.path === "sys/leases/revoke").map((r) => r.path);
    // … and the KV read ended before the revocation: the window this test is about.
    assert.deepEqual(order, ["secret/data/myapp/db", "sys/leases/revoke"]);
  });
});

describe("cleanup after the child exits", () => {
  it("a stop signal during cleanup does not cut it short: files removed, the child's code kept, revocation bounded", { timeout: 60_000 }, async () => {
    // A slow Vault at exit: revoking the lease takes far longer than envject allows itself.
    await vault.control.latency(30_000, "sys/leases/revoke");
    const marker = join(ws.dir, `cleanup-${++n}.json`);
    ws.file("cleanup.yaml", "env:\n  DB_CREDS_USER: vault://database/creds/readonly#username\nfiles:\n  TLS_KEY_FILE: vault://secret/myapp/tls#key\n");
    const script = `require("node:fs").writeFileSync(${JSON.stringify(marker)}, JSON.stringify({ file: process.env.TLS_KEY_FILE })); process.exit(7);`;
    const envject = startEnvject(["--log-level", "debug", "-c", "cleanup.yaml", "--", NODE, "-e", script]);
    const { file } = await waitFor("the child ran", () => (existsSync(marker) ? (JSON.parse(readFileSync(marker, "utf8")) as { file: string }) : undefined));
    // "command exited" is logged when the child is gone and cleanup (the slow revocation) begins.
    await waitFor("the child exited", () => envject.stderr().includes("command exited") || undefined);
    envject.process.kill("SIGTERM");
    envject.process.kill("SIGINT");
    const exit = await within("envject exits despite the slow revocation", envject.exit, 45_000);
    assert.equal(exit.code, 7, envject.stderr());
    assert.equal(existsSync(dirname(file)), false, "the secret files' directory is removed");
    assert.match(envject.stderr(), /signal during cleanup; finishing cleanup first/);
  });
});

describe("as PID 1", () => {
  it("receives and forwards signals, and exits with the child's code", { skip: unshareUnavailable() }, async () => {
    const log = newLog();
    const unshare = startProcess("unshare", [...UNSHARE_PID1, NODE, BIN, "--", ...recorder(log, ["SIGTERM:9"])], { cwd: ws.dir, env: ws.env() });
    running.push(unshare);
    await childReady(log);
    const [envject] = await waitFor("envject outside the namespace", () => {
      const found = childrenOf(unshare.pid);
      return found.length === 1 ? found : undefined;
    });
    // envject is PID 1 inside: it sees itself as 1, and its child's parent is 1.
    const ns = spawnSync("cat", [`/proc/${envject}/status`], { encoding: "utf8" }).stdout;
    assert.match(ns, /^NSpid:\s+\d+\s+1$/m);
    await pastStartGrace();
    process.kill(envject!, "SIGHUP");
    await recorded(log, "SIGHUP");
    process.kill(envject!, "SIGTERM");
    const exit = await within("unshare exit", unshare.exit);
    assert.deepEqual(exit, { code: 9, signal: null }, unshare.stderr());
    assert.deepEqual(lines(log).slice(1), ["SIGHUP", "SIGTERM"]);
  });
});

async function waitForAsync(what: string, check: () => Promise<boolean>, limitMs = 30_000): Promise<void> {
  await waitForValue(what, check, limitMs);
}
