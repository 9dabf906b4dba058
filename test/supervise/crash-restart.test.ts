/**
 * `--restart-on-failure` in the Supervisor, with real children (docs/contract/supervision.md#crash-restarts): a crashed
 * child is started again up to the limit, one run after the other, with the newest spec; exit 0
 * is not a crash; a stop, a shutdown signal or a new spec during the backoff wait is obeyed at
 * once; a healthy run resets the count. Runs are counted and ordered, never timed.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { captureLogger } from "../support/logger.js";
import { type ChildExit, type ChildSpec, Supervisor, type SupervisorOptions } from "../../src/supervise/supervisor.js";
import { FakeClock } from "../watch/fake-clock.js";
import { fixture, killIfAlive, lines, startHarness, tempDir, waitFor, within } from "./fixtures/processes.js";

const dir = tempDir();
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const logFile = () => join(dir, `runs-${++counter}`);

const PATH = process.env.PATH ?? "/usr/bin:/bin";

/** The crash fixture: logs `start RUN pid` / `end RUN pid`, stays `stayMs`, then ends as `how` says. */
function crash(log: string, run: string, how: ["code", number] | ["signal", NodeJS.Signals], stayMs = 0): ChildSpec {
  return { command: process.execPath, args: [fixture("crash.mjs"), log, how[0], String(how[1]), String(stayMs)], shell: false, env: { PATH, RUN: run } };
}

interface Run {
  run: string;
  pid: number;
}

/** The runs in `log`, in order; fails unless each run's end comes before the next one's start. */
function runsOf(log: string): Run[] {
  const markers = lines(log).map((l) => {
    const [what, run, pid] = l.split(" ");
    return { what: what!, run: run!, pid: Number(pid) };
  });
  const runs: Run[] = [];
  for (let i = 0; i < markers.length; i += 2) {
    const [start, end] = [markers[i]!, markers[i + 1]];
    assert.equal(start.what, "start", `expected a start at line ${i + 1}: ${lines(log).join(" | ")}`);
    assert.ok(end && end.what === "end" && end.pid === start.pid, `run ${start.run} (pid ${start.pid}) did not end before the next line: ${lines(log).join(" | ")}`);
    runs.push({ run: start.run, pid: start.pid });
  }
  return runs;
}

interface Logged {
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** A Supervisor logging JSON records into an array; `specs` counts the calls of restartOnFailure.spec. */
function supervisor(
  restartOnFailure: Partial<NonNullable<SupervisorOptions["restartOnFailure"]>> & { limit: number },
  next: (call: number) => ChildSpec,
  extra: Partial<SupervisorOptions> = {},
): { supervisor: Supervisor; logged: Logged[]; specs: () => number; exits: ChildExit[] } {
  const { logger, records: logged } = captureLogger({ format: "json" });
  let calls = 0;
  const s = new Supervisor({
    killSignal: "SIGTERM",
    killTimeoutMs: 30_000,
    logger,
    stdinIsTTY: false,
    restartOnFailure: { initialDelayMs: 20, ...restartOnFailure, spec: () => next(++calls) },
    ...extra,
  });
  const exits: ChildExit[] = [];
  s.onExit((e) => exits.push(e));
  return { supervisor: s, logged, specs: () => calls, exits };
}

const restarting = (logged: Logged[]) => logged.filter((l) => l.level === "warn" && /restarting in/.test(l.msg));

describe("restart on failure", () => {
  describe("limit 2, a child exiting 3 (end-to-end, real clock)", () => {
    const log = logFile();
    let outcome: { done: number; logged: Logged[]; specs: number; exits: ChildExit[] };
    before(async () => {
      const { supervisor: s, logged, specs, exits } = supervisor({ limit: 2 }, (call) => crash(log, String(call + 1), ["code", 3]));
      try {
        await s.start(crash(log, "1", ["code", 3]));
        outcome = { done: await within("done", s.done), logged, specs: specs(), exits };
      } finally {
        s.dispose();
      }
    });

    it("runs three times, one after the other, each restart with the spec of its own call; then done is 3", () => {
      assert.equal(outcome.done, 3);
      const runs = runsOf(log);
      assert.deepEqual(
        runs.map((r) => r.run),
        ["1", "2", "3"],
        "each restart used the spec of its own call",
      );
      assert.equal(new Set(runs.map((r) => r.pid)).size, 3);
      assert.equal(outcome.specs, 2);
    });

    it("onExit sees every exit", () => {
      assert.deepEqual(outcome.exits, Array(3).fill({ code: 3, signal: null, exitCode: 3 }));
    });

    it("each restart is one warning naming the exit, the delay and the attempt of the limit", () => {
      const warnings = restarting(outcome.logged);
      assert.deepEqual(
        warnings.map((w) => [w.exit_code, w.attempt, w.limit]),
        [
          [3, 1, 2],
          [3, 2, 2],
        ],
      );
      assert.ok(warnings.every((w) => typeof w.delay_ms === "number"));
      assert.match(warnings[0]!.msg, /^command exited with code 3; restarting in \S+s \(restart 1 of 2\)$/);
      assert.match(warnings[1]!.msg, /\(restart 2 of 2\)$/);
    });

    it("reaching the limit is one error", () => {
      const limit = outcome.logged.filter((l) => /limit of 2 restarts/.test(l.msg));
      assert.equal(limit.length, 1, JSON.stringify(outcome.logged));
      assert.equal(limit[0]!.level, "error");
    });
  });

  it("exit 0 is not a failure: supervision ends with 0 and nothing restarts", async () => {
    const log = logFile();
    const { supervisor: s, logged, specs } = supervisor({ limit: 5 }, () => crash(log, "again", ["code", 0]));
    try {
      await s.start(crash(log, "1", ["code", 0]));
      assert.equal(await within("done", s.done), 0);
      assert.deepEqual(
        runsOf(log).map((r) => r.run),
        ["1"],
      );
      assert.equal(specs(), 0);
      assert.deepEqual(restarting(logged), []);
    } finally {
      s.dispose();
    }
  });

  it("death by a signal is a failure: restarted, and done is 128+N once the limit is reached", async () => {
    const log = logFile();
    const { supervisor: s, logged } = supervisor({ limit: 1 }, (call) => crash(log, String(call + 1), ["signal", "SIGUSR2"]));
    try {
      await s.start(crash(log, "1", ["signal", "SIGUSR2"]));
      assert.equal(await within("done", s.done), 128 + constants.signals.SIGUSR2);
      assert.deepEqual(
        runsOf(log).map((r) => r.run),
        ["1", "2"],
      );
      const warnings = restarting(logged);
      assert.equal(warnings.length, 1);
      assert.equal(warnings[0]!.signal, "SIGUSR2");
      assert.match(warnings[0]!.msg, /^command was killed by SIGUSR2; restarting in/);
    } finally {
      s.dispose();
    }
  });

  it("limit 0: one run, done is the child's code, nothing about restarts is logged", async () => {
    const log = logFile();
    const { supervisor: s, logged, specs } = supervisor({ limit: 0 }, () => crash(log, "again", ["code", 3]));
    try {
      await s.start(crash(log, "1", ["code", 3]));
      assert.equal(await within("done", s.done), 3);
      assert.deepEqual(
        runsOf(log).map((r) => r.run),
        ["1"],
      );
      assert.equal(specs(), 0);
      assert.deepEqual(
        logged.filter((l) => /restart/.test(l.msg)),
        [],
      );
    } finally {
      s.dispose();
    }
  });

  // A healthy run resetting the count (how long a child ran is read from the clock): phases.test.ts,
  // on the fake clock, to the millisecond.

  it("a spawn failure on a crash restart ends supervision with 127 or 126", async () => {
    const bin = join(dir, "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "not-executable"), "#!/bin/sh\nexit 0\n");
    chmodSync(join(bin, "not-executable"), 0o644);
    for (const [command, code, message] of [
      ["envject-no-such-command", 127, /^command not found: envject-no-such-command$/],
      ["not-executable", 126, /^command not executable: not-executable/],
    ] as const) {
      const log = logFile();
      const { supervisor: s, logged } = supervisor({ limit: 3 }, () => ({ command, args: [], shell: false, env: { PATH: bin } }));
      try {
        await s.start(crash(log, "1", ["code", 3]));
        assert.equal(await within("done", s.done), code, command);
        assert.deepEqual(
          runsOf(log).map((r) => r.run),
          ["1"],
        );
        assert.ok(
          logged.some((l) => l.level === "error" && message.test(l.msg)),
          JSON.stringify(logged),
        );
        await s.restart(crash(log, "late", ["code", 0]));
        assert.deepEqual(
          runsOf(log).map((r) => r.run),
          ["1"],
          "nothing starts after supervision ended",
        );
      } finally {
        s.dispose();
      }
    }
  });

  it("onStart names each spawned child's pid and counts the starts; a command that cannot start is never reported", async () => {
    const log = logFile();
    const started: Array<[number | undefined, number]> = [];
    const onStart = ({ pid, start }: { pid: number | undefined; start: number }) => void started.push([pid, start]);
    const { supervisor: s } = supervisor({ limit: 2 }, (call) => crash(log, String(call + 1), ["code", 3]), { onStart });
    try {
      await s.start(crash(log, "1", ["code", 3]));
      assert.equal(await within("done", s.done), 3);
      assert.deepEqual(
        started,
        runsOf(log).map((r, i) => [r.pid, i + 1]),
      );
    } finally {
      s.dispose();
    }

    const missing: Array<[number | undefined, number]> = [];
    const second = supervisor({ limit: 3 }, () => ({ command: "envject-no-such-command", args: [], shell: false, env: { PATH } }), {
      onStart: ({ pid, start }) => void missing.push([pid, start]),
    });
    try {
      await second.supervisor.start(crash(logFile(), "1", ["code", 3]));
      assert.equal(await within("done", second.supervisor.done), 127);
      assert.equal(missing.length, 1, "only the child that ran");
      assert.equal(missing[0]![1], 1);
    } finally {
      second.supervisor.dispose();
    }
  });

  it("a spec() that throws ends supervision with the crashed child's code, and says why", async () => {
    const log = logFile();
    const { supervisor: s, logged } = supervisor({ limit: 3 }, () => {
      throw new Error("no environment to restart with");
    });
    try {
      await s.start(crash(log, "1", ["code", 3]));
      assert.equal(await within("done", s.done), 3);
      assert.ok(
        logged.some((l) => l.level === "error" && l.msg === "no environment to restart with"),
        JSON.stringify(logged),
      );
    } finally {
      s.dispose();
    }
  });
});

describe("during the backoff wait", () => {
  /** Starts a child that crashes with 3 and waits until the restart is scheduled (a long wait). */
  async function crashedAndWaiting(log: string, initialDelayMs: number, extra: Partial<SupervisorOptions> = {}) {
    const parts = supervisor({ limit: 3, initialDelayMs }, (call) => crash(log, `crash-restart-${call}`, ["code", 3]), extra);
    await parts.supervisor.start(crash(log, "1", ["code", 3]));
    await waitFor("the restart to be scheduled", () => restarting(parts.logged).length === 1);
    return parts;
  }

  it("stop() ends supervision at once with the crashed child's code, and nothing starts", async () => {
    const log = logFile();
    const { supervisor: s, specs } = await crashedAndWaiting(log, 60_000);
    try {
      assert.deepEqual(await within("stop", s.stop()), { code: 3, signal: null, exitCode: 3 });
      assert.equal(await within("done", s.done), 3);
      assert.equal(specs(), 0, "the crash restart was cancelled");
      assert.deepEqual(
        runsOf(log).map((r) => r.run),
        ["1"],
      );
    } finally {
      s.dispose();
    }
  });

  it("restart(spec) cancels the wait and starts the new spec now, as an ordinary restart", async () => {
    const log = logFile();
    const changed = logFile();
    const clock = new FakeClock();
    clock.randoms = [0]; // no jitter: the backoff is exactly 2 s on the clock
    const { supervisor: s, specs, exits } = await crashedAndWaiting(log, 2_000, { clock });
    const started: (number | undefined)[] = [];
    try {
      await within("restart", s.restart({ command: process.execPath, args: [fixture("lifecycle.mjs"), changed, "new"], shell: false, env: { PATH } }));
      // restart() resolved with the new child spawned, and the crash restart never ran first.
      assert.equal(specs(), 0);
      await waitFor("the new child", () => lines(changed).includes("start new"));
      const pid = s.childPid;
      started.push(pid);
      // Past the time the cancelled backoff would have ended: still the one new child, no crash restart.
      await clock.advance(2_500);
      assert.equal(specs(), 0, "the cancelled backoff did not start a second child");
      started.push(s.childPid);
      assert.equal(s.childPid, pid);
      assert.deepEqual(
        runsOf(log).map((r) => r.run),
        ["1"],
      );
      assert.deepEqual(await within("stop", s.stop()), { code: 0, signal: null, exitCode: 0 });
      assert.equal(await s.done, 0);
      assert.deepEqual(lines(changed), ["start new", "stop new"]);
      assert.equal(exits.length, 2);
    } finally {
      s.dispose();
      // Should this fail, no child may keep the test process alive.
      for (const p of started) killIfAlive(p);
    }
  });

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal} to envject ends it at once with the crashed child's code, and nothing starts`, async () => {
      const log = logFile();
      const harness = startHarness({
        command: process.execPath,
        args: [fixture("crash.mjs"), log, "code", "3"],
        stdinIsTTY: false,
        restartOnFailure: { limit: 3, initialDelayMs: 60_000 },
      });
      try {
        await waitFor("the restart to be scheduled", () => /restarting in/.test(harness.stderr()));
        process.kill(harness.pid, signal);
        assert.deepEqual(await within("harness exit", harness.exit), { code: 3, signal: null }, harness.stderr());
        assert.equal(runsOf(log).length, 1);
        assert.match(harness.stderr(), new RegExp(`received ${signal} while waiting to restart the command; exiting`));
      } finally {
        killIfAlive(harness.pid);
      }
    });
  }
});

describe("exits envject caused are not crashes", () => {
  it("a child ended by SIGTERM to envject is not restarted (143)", async () => {
    const log = logFile();
    const harness = startHarness({
      command: process.execPath,
      args: [fixture("crash.mjs"), log, "code", "3", "600000"],
      stdinIsTTY: false,
      restartOnFailure: { limit: 3, initialDelayMs: 20 },
    });
    let childPid: number | undefined;
    try {
      childPid = Number(await waitFor("the child", () => lines(log)[0]?.split(" ")[2]));
      process.kill(harness.pid, "SIGTERM");
      assert.deepEqual(await within("harness exit", harness.exit), { code: 143, signal: null }, harness.stderr());
      assert.deepEqual(lines(log), [`start - ${childPid}`]);
      assert.doesNotMatch(harness.stderr(), /restarting in/);
    } finally {
      killIfAlive(childPid);
      killIfAlive(harness.pid);
    }
  });

  it("a child killed by the terminal's Ctrl-C (not forwarded) is not restarted (130)", async () => {
    const log = logFile();
    const harness = startHarness({
      command: process.execPath,
      args: [fixture("crash.mjs"), log, "code", "3", "600000"],
      stdinIsTTY: true,
      restartOnFailure: { limit: 3, initialDelayMs: 20 },
    });
    let childPid: number | undefined;
    try {
      childPid = Number(await waitFor("the child", () => lines(log)[0]?.split(" ")[2]));
      // What a terminal does: SIGINT to the whole foreground group, envject and the child.
      process.kill(harness.pid, "SIGINT");
      await waitFor("envject to see the terminal's SIGINT", () => /signal already delivered by the terminal/.test(harness.stderr()));
      process.kill(childPid, "SIGINT");
      assert.deepEqual(await within("harness exit", harness.exit), { code: 130, signal: null }, harness.stderr());
      assert.deepEqual(lines(log), [`start - ${childPid}`]);
      assert.doesNotMatch(harness.stderr(), /restarting in/);
    } finally {
      killIfAlive(childPid);
      killIfAlive(harness.pid);
    }
  });
});
