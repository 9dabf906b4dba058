/**
 * What envject leaves behind (README "Supervision", docs/RELIABILITY.md "Signals and processes"):
 * (a) a child that ignores SIGTERM is killed after --kill-timeout; (b) a crash loop under
 * --restart-on-failure is bounded and backs off; (c) grandchildren the child forks, when envject
 * stops it, when the child exits on its own and when envject is SIGKILLed; (d) envject as PID 1
 * of a PID namespace, with and without an init (tini) that reaps orphans. Every process of a run
 * carries a marker in its environment and is counted in /proc, wherever it was re-parented to.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, describe, it } from "node:test";
import { BIN } from "../support/cli.js";
import { UNSHARE_PID1, unshareUnavailable } from "../support/system.js";
import { descendantsOf, describeProcs, isRunning, killAll, procInfo, withMarker, zombiesAmong } from "../support/processes.js";
import { type Started, pastStartGrace, startProcess, tempDir, waitFor, within } from "../supervise/fixtures/processes.js";
import { NODE, logLines, logged, nthReady, pidsIn, runEnv, startEnvject, writeChild } from "./proc-child.js";

const dir = tempDir("envject-processes-");
const child = writeChild(dir);
let n = 0;
const started: Started[] = [];
const markers: string[] = [];

after(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  for (const s of started.splice(0)) if (s.process.exitCode === null) s.process.kill("SIGKILL");
  for (const m of markers.splice(0)) killAll(withMarker(m));
});

/** A fresh marker and log file for one run. */
function fresh(): { marker: string; log: string } {
  n += 1;
  const marker = `envject-proc-test-${process.pid}-${n}`;
  markers.push(marker);
  return { marker, log: join(dir, `child-${n}.log`) };
}

function run(args: string[], env: Record<string, string>, command?: string[]): Started {
  const s = startEnvject(dir, child, args, env, command);
  started.push(s);
  return s;
}

/** Nothing with `marker` runs any more, and nothing under `root` is left (zombies included). */
async function assertNothingLeft(marker: string, what: string): Promise<void> {
  // The kernel may take a moment to tear down a killed process: wait for it, then assert.
  await waitFor(`no process with the marker after ${what}`, () => withMarker(marker).length === 0, 15_000).catch(() => {});
  assert.equal(withMarker(marker).length, 0, `left behind after ${what}:\n${describeProcs(withMarker(marker))}`);
}

describe("(a) a child that ignores SIGTERM", () => {
  it("gets SIGKILL after --kill-timeout; envject exits 137 and nothing is left", async () => {
    const { marker, log } = fresh();
    const envject = run(["--kill-timeout", "1s"], runEnv(dir, marker, log, { IGNORE_TERM: "1" }));
    const pid = await nthReady(log);
    envject.process.kill("SIGTERM");
    const exit = await within("envject exit", envject.exit, 30_000);
    assert.deepEqual(exit, { code: 137, signal: null }, envject.stderr());
    assert.deepEqual(
      logLines(log).map((l) => l.split(" ").slice(0, 2).join(" ")),
      [`ready ${pid}`, `term ${pid}`],
      "the child got the SIGTERM first",
    );
    assert.equal(logged(envject.stderr(), "WARN", /child did not exit in time, sending SIGKILL/).length, 1, envject.stderr());
    assert.equal(procInfo(pid), undefined, "the child is gone (reaped, not a zombie)");
    await assertNothingLeft(marker, "a SIGKILLed child");
  });
});

describe("(b) a crash loop under --restart-on-failure", () => {
  it("restarts at most N times with a growing delay, then exits with the child's code; nothing is left", async () => {
    const { marker, log } = fresh();
    const envject = run(["--restart-on-failure", "2"], runEnv(dir, marker, log, { EXIT_AFTER_MS: "50", EXIT_CODE: "3" }));
    const exit = await within("envject exit", envject.exit, 40_000);
    const stderr = envject.stderr();
    assert.deepEqual(exit, { code: 3, signal: null }, stderr);
    assert.equal(pidsIn(log, "ready").length, 3, `the first start and 2 restarts:\n${stderr}`);
    const waits = logged(stderr, "WARN", /command exited with code 3; restarting in/);
    assert.equal(waits.length, 2, stderr);
    assert.match(waits[0]!, /\(restart 1 of 2\)/);
    assert.match(waits[1]!, /\(restart 2 of 2\)/);
    const delays = waits.map((l) => Number(/delay_ms=(\d+)/.exec(l)?.[1]));
    // 1 s then 2 s, less up to 10 % jitter (README): the second wait is longer than the first.
    assert.ok(delays[0]! >= 900 && delays[0]! <= 1000, `first delay ${delays[0]}`);
    assert.ok(delays[1]! >= 1800 && delays[1]! <= 2000, `second delay ${delays[1]}`);
    assert.equal(logged(stderr, "ERROR", /not restarting: the limit of 2 restarts in a row was reached/).length, 1, stderr);
    await assertNothingLeft(marker, "a crash loop");
  });
});

describe("(c) grandchildren the child forks", () => {
  it("envject stopping normally: after the child exits, what it forked gets SIGTERM, then SIGKILL after --kill-timeout", async () => {
    const { marker, log } = fresh();
    // One plain `sleep 300`, and one node in a session of its own that ignores SIGTERM.
    const envject = run(["--kill-timeout", "1s"], runEnv(dir, marker, log, { GRANDCHILD: "1", DETACHED_GRANDCHILD: "1" }));
    const pid = await nthReady(log);
    const [sleep] = pidsIn(log, "grandchild");
    const [detached] = await waitFor("the detached grandchild's handler", () => (pidsIn(log, "detached-ready").length > 0 ? pidsIn(log, "detached-ready") : undefined));
    assert.equal(procInfo(detached!)!.sid, detached, "the detached grandchild leads its own session");
    envject.process.kill("SIGTERM");
    const exit = await within("envject exit", envject.exit, 30_000);
    const stderr = envject.stderr();
    assert.deepEqual(exit, { code: 0, signal: null }, stderr);
    assert.equal(logged(stderr, "WARN", /2 processes the command started still running after it exited; sending SIGTERM/).length, 1, stderr);
    assert.equal(logged(stderr, "WARN", /1 process the command started did not exit in time, sending SIGKILL/).length, 1, stderr);
    for (const p of [pid, sleep!, detached!]) assert.equal(isRunning(p), false, `${p} still runs`);
    await assertNothingLeft(marker, "a normal stop");
  });

  it("a `sh -c 'sleep 300 & exec node child'` stopped by SIGTERM: the sleep goes too; envject's own process group is not signalled", async () => {
    const { marker, log } = fresh();
    // A bystander in envject's process group, as the other side of `envject -- app | grep x` is.
    const envject = run(["--kill-timeout", "1s"], runEnv(dir, marker, log), ["sh", "-c", `sleep 300 & exec ${NODE} ${child}`]);
    await nthReady(log);
    const pgid = procInfo(envject.pid)!.pgid;
    const other = `envject-bystander-${process.pid}-${n}`;
    const bystander = startProcess("sleep", ["300"], { env: { PATH: process.env.PATH, PROC_MARK: other } });
    started.push(bystander);
    markers.push(other);
    assert.equal(procInfo(bystander.pid)!.pgid, pgid, "the bystander shares envject's process group");
    envject.process.kill("SIGTERM");
    const exit = await within("envject exit", envject.exit, 30_000);
    assert.deepEqual(exit, { code: 0, signal: null }, envject.stderr());
    assert.equal(logged(envject.stderr(), "WARN", /1 process the command started still running after it exited; sending SIGTERM/).length, 1, envject.stderr());
    await assertNothingLeft(marker, "a shell's background job");
    assert.equal(isRunning(bystander.pid), true, "a process of envject's group outside its tree is untouched");
    assert.equal(isRunning(process.pid), true);
  });

  it("with --mask, a background job holding the output pipes does not keep envject waiting after the stop", async () => {
    const { marker, log } = fresh();
    // The sleep inherits sh's stdout/stderr: with --mask those are envject's pipes, which envject
    // reads to the end before it exits — until the sleep ends, 300 s later, were it left running.
    const envject = run(["--mask", "--kill-timeout", "1s"], runEnv(dir, marker, log), ["sh", "-c", `sleep 300 & exec ${NODE} ${child}`]);
    await nthReady(log);
    envject.process.kill("SIGTERM");
    const exit = await within("envject exit (not 300 s later)", envject.exit, 30_000);
    assert.deepEqual(exit, { code: 0, signal: null }, envject.stderr());
    assert.equal(logged(envject.stderr(), "WARN", /1 process the command started still running after it exited; sending SIGTERM/).length, 1, envject.stderr());
    await assertNothingLeft(marker, "--mask");
  });

  it("the child exiting on its own: envject exits with its code; what it forked is re-parented and left (documented)", async () => {
    const { marker, log } = fresh();
    const envject = run([], runEnv(dir, marker, log, { GRANDCHILD: "1", EXIT_AFTER_MS: "300", EXIT_CODE: "4" }));
    const exit = await within("envject exit", envject.exit, 30_000);
    assert.deepEqual(exit, { code: 4, signal: null }, envject.stderr());
    const [sleep] = pidsIn(log, "grandchild");
    // Not envject's descendant any more: it cannot tell this process from anyone else's.
    assert.equal(isRunning(sleep!), true, "the grandchild survives (README: use --init/tini, or stop workers in the app)");
    assert.notEqual(procInfo(sleep!)!.ppid, envject.pid);
    assert.equal(withMarker(marker).length, 1, describeProcs(withMarker(marker)));
  });

  it("envject SIGKILLed: the child dies by its parent-death signal; a grandchild is left (documented)", async () => {
    const { marker, log } = fresh();
    const envject = run([], runEnv(dir, marker, log, { GRANDCHILD: "1" }));
    const pid = await nthReady(log);
    const [sleep] = pidsIn(log, "grandchild");
    envject.process.kill("SIGKILL");
    const exit = await within("envject exit", envject.exited, 30_000);
    assert.equal(exit.signal, "SIGKILL");
    await waitFor("the child to die of its parent-death signal", () => !isRunning(pid), 15_000);
    assert.equal(isRunning(sleep!), true, "setpriv --pdeathsig covers the child only");
    assert.deepEqual(
      withMarker(marker).map((p) => p.pid),
      [sleep],
      describeProcs(withMarker(marker)),
    );
  });
});

describe("(d) envject as PID 1 of a PID namespace", () => {
  const noUnshare = unshareUnavailable();
  const tini = spawnSync("tini", ["--version"], { encoding: "utf8" });
  const noTini = noUnshare ?? (tini.error ? "tini is not installed: sudo apt-get install -y tini (Debian's package; .ci/run installs it)" : undefined);
  /** The forked-and-abandoned grandchild: a subshell starts `sleep 1` and exits, so the sleep is re-parented to PID 1. */
  const orphaning = ["sh", "-c", `(sleep 1 &); exec ${NODE} ${child}`];

  it("signals arrive, the exit code comes out", { skip: noUnshare }, async () => {
    const { marker, log } = fresh();
    const ns = startProcess("unshare", [...UNSHARE_PID1, NODE, BIN, "--log-level", "debug", "--", NODE, child], { cwd: dir, env: runEnv(dir, marker, log, { TERM_EXIT: "7" }) });
    started.push(ns);
    const pid = await nthReady(log);
    const [envject] = await waitFor("envject outside the namespace", () => (descendantsOf(ns.pid).length >= 2 ? descendantsOf(ns.pid) : undefined));
    const nsPid = /^NSpid:\s*(.*)$/m.exec(readFileSync(`/proc/${envject!.pid}/status`, "utf8"))?.[1] ?? "";
    await pastStartGrace();
    process.kill(envject!.pid, "SIGHUP");
    await waitFor("SIGHUP recorded", () => logLines(log).includes(`signal ${pid} SIGHUP -`));
    process.kill(envject!.pid, "SIGTERM");
    const exit = await within("unshare exit", ns.exit, 30_000);
    assert.deepEqual(exit, { code: 7, signal: null }, ns.stderr());
    assert.match(nsPid, /\s1$/, `envject is PID 1 in its namespace (NSpid: ${nsPid})`);
    assert.ok(pid > 1 && pid < 1000, `the child's pid ${pid} is the namespace's numbering`);
    await assertNothingLeft(marker, "PID 1");
  });

  it("without an init, an orphan the app abandons stays a zombie under envject (Node cannot reap it)", { skip: noUnshare }, async () => {
    const { marker, log } = fresh();
    const ns = startProcess("unshare", [...UNSHARE_PID1, NODE, BIN, "--", ...orphaning], { cwd: dir, env: runEnv(dir, marker, log) });
    started.push(ns);
    await nthReady(log);
    const zombie = await waitFor("a zombie in the namespace", () => zombiesAmong(descendantsOf(ns.pid))[0], 20_000);
    const envjectPid = descendantsOf(ns.pid).find((p) => p.ppid === ns.pid)!.pid;
    assert.equal(zombie.ppid, envjectPid, "its parent is envject, PID 1 of the namespace");
    assert.equal(zombie.comm, "sleep");
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(procInfo(zombie.pid)?.state, "Z", "still not reaped a second later");
    process.kill(envjectPid, "SIGTERM");
    const exit = await within("unshare exit", ns.exit, 30_000);
    assert.deepEqual(exit, { code: 0, signal: null }, ns.stderr());
    assert.equal(procInfo(zombie.pid), undefined, "the namespace took it with it");
  });

  it("with tini as PID 1 (docker run --init), the orphan is reaped", { skip: noTini }, async () => {
    const { marker, log } = fresh();
    const ns = startProcess("unshare", [...UNSHARE_PID1, "tini", "--", NODE, BIN, "--", ...orphaning], { cwd: dir, env: runEnv(dir, marker, log, { TERM_EXIT: "5" }) });
    started.push(ns);
    await nthReady(log);
    const sleep = await waitFor("the orphaned sleep", () => descendantsOf(ns.pid).find((p) => p.comm === "sleep"), 20_000);
    await waitFor("the orphan to be reaped", () => procInfo(sleep.pid) === undefined, 20_000);
    assert.deepEqual(zombiesAmong(descendantsOf(ns.pid)), [], describeProcs(descendantsOf(ns.pid)));
    const envjectPid = descendantsOf(ns.pid).find((p) => p.comm === "node" && p.ppid !== ns.pid && descendantsOf(p.pid).length > 0)!.pid;
    process.kill(envjectPid, "SIGTERM");
    const exit = await within("unshare exit", ns.exit, 30_000);
    assert.deepEqual(exit, { code: 5, signal: null }, ns.stderr());
    await assertNothingLeft(marker, "tini");
  });
});
