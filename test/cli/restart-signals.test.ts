/**
 * Signals that arrive while the command is (re)starting (README "Supervision"): SIGHUP, SIGUSR1,
 * SIGUSR2 and SIGWINCH are not forwarded from the moment a restart begins — the old child being
 * stopped, or the wait after a crash — until the new child has run for NEW_CHILD_SIGNAL_GRACE_MS,
 * nor in that first moment after the very first start. A fresh Node child has no handlers yet:
 * SIGHUP would kill it (envject exiting 129) and SIGUSR1 would open its inspector, a debugger
 * into a process whose environment holds the secrets. The real CLI, the loopback Vault double,
 * `--interval 1s`; the child records every SIGHUP/SIGUSR1 it gets and whether its inspector is open.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { BIN } from "../support/cli.js";
import { type SeededVault, startSeededVault } from "../support/vault-fixture.js";
import { type Started, isGone, killIfAlive, pastStartGrace, startProcess, waitFor, within } from "../supervise/fixtures/processes.js";
import { alive, pause } from "../watch/e2e-harness.js";
import { NODE, Workspace } from "./e2e.js";

/**
 * The child. Like a larger application, it runs SLOW_START_MS of start-up before it installs any
 * handler (a plain Node child has a shorter such window, but the same one). Then it records each
 * SIGHUP/SIGUSR1 with the state of its inspector, reports `ready`, and `report`s the inspector
 * again a moment later. On SIGTERM it logs `term` and exits 0 after SLOW_STOP_MS (a slow stopper,
 * so a restart lasts a while). With CRASH_MARKER, the first child to start creates that file and
 * exits 3 shortly after being ready (a crash); later children see the file and keep running.
 */
const CHILD = `
import { appendFileSync, existsSync, writeFileSync } from "node:fs";
import inspector from "node:inspector";
const log = process.env.SIG_LOG;
const write = (o) => appendFileSync(log, JSON.stringify({ pid: process.pid, ...o }) + "\\n");
const slowStart = Number(process.env.SLOW_START_MS || 0);
if (slowStart > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, slowStart);
for (const signal of ["SIGHUP", "SIGUSR1"]) {
  process.on(signal, () => write({ event: "signal", signal, inspector: inspector.url() ?? null }));
}
process.on("SIGTERM", () => {
  write({ event: "term" });
  setTimeout(() => process.exit(0), Number(process.env.SLOW_STOP_MS || 0));
});
write({ event: "ready", inspector: inspector.url() ?? null });
setTimeout(() => write({ event: "report", inspector: inspector.url() ?? null }), 300);
const marker = process.env.CRASH_MARKER;
if (marker && !existsSync(marker)) {
  writeFileSync(marker, "crashed once");
  setTimeout(() => { write({ event: "crash" }); process.exit(3); }, 300);
}
setInterval(() => {}, 1 << 30);
`;

interface ChildEvent {
  pid: number;
  event: "ready" | "report" | "signal" | "term" | "crash";
  signal?: string;
  inspector?: string | null;
}

let vault: SeededVault;
let ws: Workspace;
let child: string;
const running: Started[] = [];
let counter = 0;

before(async () => {
  vault = await startSeededVault();
  ws = new Workspace(vault);
  child = ws.file("sig-child.mjs", CHILD);
});
after(async () => {
  ws.cleanup();
  await vault.close();
});
afterEach(() => {
  for (const p of running.splice(0)) killIfAlive(p.pid);
});

/** One `envject run` of the child (debug log, stdin a pipe: every signal is a forwarding candidate). */
class Run {
  readonly envject: Started;
  readonly log: string;
  private ended = false;

  constructor(secret: string, args: string[], extra: Record<string, string> = {}) {
    const n = ++counter;
    this.log = join(ws.dir, `events-${n}.jsonl`);
    const mapping = ws.file(`sig-${n}.yaml`, `env:\n  K: vault://${secret}#key\n`);
    // --inspect-port=0: should the inspector open (the defect), it binds a free loopback port, not 9229.
    const argv = [BIN, "-c", mapping, "--log-level", "debug", "--interval", "1s", ...args, "--", NODE, "--inspect-port=0", child];
    this.envject = startProcess(NODE, argv, { cwd: ws.dir, env: ws.env({ SIG_LOG: this.log, SLOW_START_MS: "400", ...extra }) });
    running.push(this.envject);
    void this.envject.exited.then(() => (this.ended = true));
  }

  events(): ChildEvent[] {
    if (!existsSync(this.log)) return [];
    return readFileSync(this.log, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as ChildEvent);
  }

  eventsOf(pid: number): ChildEvent[] {
    return this.events().filter((e) => e.pid === pid);
  }

  /** envject's log lines at `level` matching `pattern`. */
  lines(level: "DEBUG" | "INFO" | "WARN", pattern: RegExp): string[] {
    return this.envject
      .stderr()
      .split("\n")
      .filter((l) => l.includes(` envject ${level.padEnd(5)} `) && pattern.test(l));
  }

  debug(pattern: RegExp): string[] {
    return this.lines("DEBUG", pattern);
  }

  /** The pids of the children envject started, in order (its "child started" debug lines). */
  childPids(): number[] {
    return this.debug(/child started/).map((l) => Number(/ pid=(\d+)/.exec(l)?.[1]));
  }

  /** Waits for `what`, failing at once (with the facts) should envject end meanwhile. */
  async until<T>(what: string, check: () => T | undefined | false): Promise<T> {
    return waitFor(what, () => {
      if (this.ended) assert.fail(`envject ended while waiting for ${what}:\n${this.facts()}`);
      return check();
    });
  }

  /** Waits until the child `pid` has installed its handlers. */
  ready(pid: number): Promise<ChildEvent> {
    return this.until(`child ${pid} ready`, () => {
      const ready = this.eventsOf(pid).find((e) => e.event === "ready");
      if (!ready && isGone(pid)) assert.fail(`child ${pid} died before it was ready:\n${this.facts()}`);
      return ready;
    });
  }

  /**
   * Sends `signals` to envject in turn, one every 25 ms, until `stop()` holds and then for
   * `afterMs` more; returns how many were sent. Stops early should envject be gone.
   */
  async barrage(stop: () => boolean, signals: readonly NodeJS.Signals[] = ["SIGHUP", "SIGUSR1"], afterMs = 200): Promise<number> {
    let sent = 0;
    let endAt: number | undefined;
    const limit = Date.now() + 30_000;
    while (Date.now() < limit && !this.ended) {
      if (endAt === undefined && stop()) endAt = Date.now() + afterMs;
      if (endAt !== undefined && Date.now() >= endAt) break;
      try {
        this.envject.process.kill(signals[sent % signals.length]);
      } catch {
        break; // envject is gone: the assertions that follow say why
      }
      sent += 1;
      await pause(25);
    }
    return sent;
  }

  /**
   * After the grace: SIGHUP then SIGUSR1, each waited for until `pid` recorded it. These ARE
   * forwarded, so the child is not deaf — the ones before were held back by envject.
   */
  async signalsAfterGrace(pid: number): Promise<void> {
    await pastStartGrace();
    for (const [i, signal] of (["SIGHUP", "SIGUSR1"] as const).entries()) {
      this.envject.process.kill(signal);
      await this.until(`${signal} recorded by ${pid}`, () => this.eventsOf(pid).filter((e) => e.event === "signal").length > i);
    }
  }

  facts(): string {
    return `events: ${JSON.stringify(this.events())}\nstderr:\n${this.envject.stderr()}`;
  }
}

/** What every scenario asserts about the child `pid` that started while the barrage was sent. */
async function assertShielded(run: Run, pid: number, sent: number, reason: RegExp): Promise<void> {
  assert.ok(sent > 0, "the barrage was sent");
  assert.ok(alive(pid), `the new child survived the barrage (envject did not end with 129):\n${run.facts()}`);
  assert.equal(run.envject.process.exitCode, null, `envject is still running:\n${run.facts()}`);
  const mine = run.eventsOf(pid);
  // Exactly the two sent after the grace, in order: none of the barrage reached it.
  assert.deepEqual(
    mine.filter((e) => e.event === "signal").map((e) => [e.signal, e.inspector]),
    [
      ["SIGHUP", null],
      ["SIGUSR1", null],
    ],
    run.facts(),
  );
  // Its inspector never opened: not when it was ready, not a moment later, not after the grace.
  for (const e of mine.filter((e) => e.event === "ready" || e.event === "report")) assert.equal(e.inspector, null, run.facts());
  const end = await within("envject exit", (run.envject.process.kill("SIGTERM"), run.envject.exit));
  assert.deepEqual(end, { code: 0, signal: null }, run.facts());
  // Its whole log is read now (the child may record a signal before envject's line about it arrives):
  // envject forwarded those two and nothing else; the barrage was dropped, and said so.
  assert.equal(run.debug(/DEBUG forwarding signal/).length, 2, run.facts());
  const dropped = run.debug(/not forwarding signal/);
  assert.ok(dropped.length >= 1 && dropped.length <= sent, `${dropped.length} of ${sent} drops logged:\n${run.facts()}`);
  for (const line of dropped) assert.match(line, reason);
}

describe("signals while the command is (re)starting are not forwarded", () => {
  it("--on-change restart: SIGHUP/SIGUSR1 from stopping the old child until the new one has run a moment never reach either; later ones do", async () => {
    await vault.control.putSecret("secret/sig/rotate", { key: "sig-Rotate-One-1111" });
    const run = new Run("secret/sig/rotate", [], { SLOW_STOP_MS: "1000" });
    const [first] = await run.until("the first child", () => (run.childPids().length >= 1 ? run.childPids() : undefined));
    await run.ready(first!);
    await vault.control.putSecret("secret/sig/rotate", { key: "sig-Rotate-Two-2222" });
    await run.until("the restart's SIGTERM to reach the old child", () => run.eventsOf(first!).some((e) => e.event === "term"));
    // From the old child's slow stop through the new child's first 200 ms.
    const sent = await run.barrage(() => run.childPids().length >= 2);
    const second = run.childPids()[1]!;
    await run.ready(second);
    await run.signalsAfterGrace(second);
    // The old child, being stopped, got none of them either.
    assert.deepEqual(
      run.eventsOf(first!).filter((e) => e.event === "signal"),
      [],
      run.facts(),
    );
    assert.equal(run.childPids().length, 2, "one restart");
    await assertShielded(run, second, sent, /a restart is in progress/);
  });

  it("--on-change restart, SIGUSR1 alone: the new child neither dies of it nor opens its inspector", async () => {
    await vault.control.putSecret("secret/sig/inspector", { key: "sig-Inspector-One-5555" });
    const run = new Run("secret/sig/inspector", [], { SLOW_STOP_MS: "1000" });
    const [first] = await run.until("the first child", () => (run.childPids().length >= 1 ? run.childPids() : undefined));
    await run.ready(first!);
    await vault.control.putSecret("secret/sig/inspector", { key: "sig-Inspector-Two-6666" });
    await run.until("the restart's SIGTERM to reach the old child", () => run.eventsOf(first!).some((e) => e.event === "term"));
    // Without SIGHUP: a SIGUSR1 that reached the new child before Node's own handler would kill it,
    // and one between Node's handler and the child's would open its inspector.
    const sent = await run.barrage(() => run.childPids().length >= 2, ["SIGUSR1"]);
    const second = run.childPids()[1]!;
    await run.ready(second);
    await run.until("the new child's report", () => run.eventsOf(second).some((e) => e.event === "report"));
    await run.signalsAfterGrace(second);
    await assertShielded(run, second, sent, /a restart is in progress/);
  });

  it("--restart-on-failure: from the crash, through the wait, until the new child has run a moment", async () => {
    await vault.control.putSecret("secret/sig/crash", { key: "sig-Crash-One-3333" });
    const marker = join(ws.dir, `crash-marker-${counter + 1}`);
    const run = new Run("secret/sig/crash", ["--restart-on-failure", "2"], { CRASH_MARKER: marker });
    const [first] = await run.until("the first child", () => (run.childPids().length >= 1 ? run.childPids() : undefined));
    await run.until("the crash", () => run.eventsOf(first!).some((e) => e.event === "crash"));
    // From the wait after the crash through the new child's first 200 ms.
    await run.until("the crash restart to be scheduled", () => run.lines("WARN", /command exited with code 3; restarting in/).length > 0);
    const sent = await run.barrage(() => run.childPids().length >= 2);
    const second = run.childPids()[1]!;
    await run.ready(second);
    await run.signalsAfterGrace(second);
    assert.equal(run.childPids().length, 2, "one crash restart");
    assert.equal(run.lines("INFO", /restarting the command after a crash/).length, 1, run.facts());
    await assertShielded(run, second, sent, /a restart is in progress/);
  });

  it("the first start: SIGHUP/SIGUSR1 in the first moment after the spawn are dropped too; later ones are forwarded", async () => {
    await vault.control.putSecret("secret/sig/first", { key: "sig-First-One-4444" });
    const run = new Run("secret/sig/first", []);
    // Once envject catches signals (it does from before it reads the secrets) …
    await run.until("envject to start the command", () => run.lines("INFO", /starting command/).length > 0);
    // … through the child's first 200 ms.
    const sent = await run.barrage(() => run.childPids().length >= 1);
    const [first] = run.childPids();
    await run.ready(first!);
    await run.signalsAfterGrace(first!);
    assert.equal(run.childPids().length, 1, "never restarted");
    await assertShielded(run, first!, sent, /the command started less than 1s ago/);
  });
});
