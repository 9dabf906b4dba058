/**
 * The Supervisor in this process, with real children: exit codes, command lookup, restart without
 * overlap, stop and kill-timeout. Signals sent *to envject* are tested through the harness
 * (forwarding.test.ts), so this process's own signal handling is not disturbed.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { SpawnError } from "../../src/errors.js";
import { captureLogger } from "../support/logger.js";
import { type ChildExit, type ChildSpec, Supervisor, type SupervisorOptions } from "../../src/supervise/supervisor.js";
import { FakeClock } from "../watch/fake-clock.js";
import { childReady, fixture, killIfAlive, lines, recorded, tempDir, waitFor, within } from "./fixtures/processes.js";

const dir = tempDir();
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const logFile = () => join(dir, `log-${++counter}`);

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", ...extra };
}

function node(script: string, ...args: string[]): ChildSpec {
  return { command: process.execPath, args: [fixture(script), ...args], shell: false, env: env() };
}

function supervisor(options: Partial<SupervisorOptions> = {}): { supervisor: Supervisor; log: string[] } {
  const { logger, lines: log } = captureLogger();
  const s = new Supervisor({
    killSignal: "SIGTERM",
    killTimeoutMs: 30_000,
    logger,
    stdinIsTTY: false,
    ...options,
  });
  return { supervisor: s, log };
}

/** Runs `spec` to its end and returns the code `done` resolves with. */
async function runToEnd(spec: ChildSpec, options: Partial<SupervisorOptions> = {}): Promise<number> {
  const { supervisor: s } = supervisor(options);
  try {
    await s.start(spec);
    return await within("done", s.done);
  } finally {
    s.dispose();
  }
}

async function startFailure(spec: ChildSpec): Promise<{ error: SpawnError; done: number }> {
  const { supervisor: s } = supervisor();
  try {
    const error = await s.start(spec).then(
      () => assert.fail("start() should have rejected"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof SpawnError, `expected SpawnError, got ${String(error)}`);
    return { error, done: await within("done", s.done) };
  } finally {
    s.dispose();
  }
}

describe("exit codes", () => {
  it("passes the child's exit code through", async () => {
    for (const code of [0, 3, 42]) assert.equal(await runToEnd(node("exit.mjs", "code", String(code))), code);
  });

  it("is 128+N when the child died of signal N", async () => {
    for (const signal of ["SIGTERM", "SIGUSR2", "SIGKILL"] as const) {
      const { supervisor: s } = supervisor();
      const exits: ChildExit[] = [];
      s.onExit((e) => exits.push(e));
      await s.start(node("exit.mjs", "signal", signal));
      assert.equal(await within("done", s.done), 128 + constants.signals[signal]);
      assert.deepEqual(exits, [{ code: null, signal, exitCode: 128 + constants.signals[signal] }]);
      s.dispose();
    }
  });

  it("is the code of a --shell script, which sees the child's environment", async () => {
    const spec: ChildSpec = { command: 'test "$GREETING" = hello &&', args: ["exit", "9"], shell: true, env: env({ GREETING: "hello" }) };
    assert.equal(await runToEnd(spec), 9);
    assert.equal(await runToEnd({ ...spec, env: env({ GREETING: "other" }) }), 1);
  });
});

describe("finding the command", () => {
  const bin = join(dir, "bin");
  mkdirSync(join(bin, "a-directory"), { recursive: true });
  writeFileSync(join(bin, "exits-five"), "#!/bin/sh\nexit 5\n");
  chmodSync(join(bin, "exits-five"), 0o755);
  writeFileSync(join(bin, "not-executable"), "#!/bin/sh\nexit 0\n");
  chmodSync(join(bin, "not-executable"), 0o644);

  it("looks the command up in the child's PATH, not envject's", async () => {
    assert.ok(!(process.env.PATH ?? "").split(":").includes(bin));
    assert.equal(await runToEnd({ command: "exits-five", args: [], shell: false, env: { PATH: bin } }), 5);
  });

  it("fails with 127 'command not found' before anything runs", async () => {
    const { error, done } = await startFailure({ command: "envject-no-such-command", args: [], shell: false, env: { PATH: bin } });
    assert.equal(error.exitCode, 127);
    assert.equal(error.message, "command not found: envject-no-such-command");
    assert.equal(done, 127);
  });

  it("fails with 126 for a file without execute permission or a directory", async () => {
    for (const command of ["not-executable", "a-directory", join(bin, "not-executable"), join(bin, "a-directory")]) {
      const { error, done } = await startFailure({ command, args: [], shell: false, env: { PATH: bin } });
      assert.equal(error.exitCode, 126, command);
      assert.match(error.message, new RegExp(`^command not executable: ${command} \\(`));
      assert.equal(done, 126);
    }
  });

  it("fails with 127 when the --shell's shell does not exist", async () => {
    const saved = process.env.SHELL;
    process.env.SHELL = join(bin, "no-such-shell");
    try {
      const { error } = await startFailure({ command: "true", args: [], shell: true, env: { PATH: bin } });
      assert.equal(error.exitCode, 127);
      assert.match(error.message, /no-such-shell/);
    } finally {
      if (saved === undefined) delete process.env.SHELL;
      else process.env.SHELL = saved;
    }
  });
});

describe("restart", () => {
  /** Asserts that the start/stop markers never show two children alive at once. */
  function assertNoOverlap(markers: string[]): void {
    let alive = 0;
    for (const m of markers) {
      alive += m.startsWith("start ") ? 1 : -1;
      assert.ok(alive <= 1, `two children alive at once: ${markers.join(", ")}`);
    }
  }

  // The order of transitions on fake children and the fake clock: phases.test.ts.
  it("stops the old child and waits for its exit before starting the new one (end-to-end, real clock)", async () => {
    const log = logFile();
    const { supervisor: s } = supervisor();
    const exits: ChildExit[] = [];
    s.onExit((e) => exits.push(e));
    await s.start(node("lifecycle.mjs", log, "1"));
    await waitFor("start 1", () => lines(log).includes("start 1"));
    for (const id of ["2", "3"]) {
      await s.restart(node("lifecycle.mjs", log, id));
      await waitFor(`start ${id}`, () => lines(log).includes(`start ${id}`));
    }
    const last = await s.stop();
    assert.deepEqual(lines(log), ["start 1", "stop 1", "start 2", "stop 2", "start 3", "stop 3"]);
    assert.deepEqual(last, { code: 0, signal: null, exitCode: 0 });
    assert.equal(exits.length, 3);
    assert.equal(await s.done, 0);
    s.dispose();
  });

  it("runs overlapping restart() calls one after another, never two children at once", async () => {
    const log = logFile();
    const { supervisor: s } = supervisor();
    await s.start(node("lifecycle.mjs", log, "1"));
    await waitFor("start 1", () => lines(log).includes("start 1"));
    const pids = new Set<number>();
    await Promise.all(["2", "3", "4"].map((id) => s.restart(node("lifecycle.mjs", log, id)).then(() => pids.add(s.childPid!))));
    await waitFor("start 4", () => lines(log).includes("start 4"));
    await s.stop();
    const markers = lines(log);
    assertNoOverlap(markers);
    assert.equal(markers.at(-2), "start 4");
    assert.equal(markers.at(-1), "stop 4");
    assert.equal(pids.size, 3);
    s.dispose();
  });

  it("does not start a new child once supervision is over", async () => {
    const log = logFile();
    const { supervisor: s } = supervisor();
    await s.start(node("exit.mjs", "code", "4"));
    assert.equal(await s.done, 4);
    await s.restart(node("lifecycle.mjs", log, "late"));
    assert.deepEqual(lines(log), []);
    s.dispose();
  });
});

describe("stop and signal", () => {
  it("stop() sends killSignal and resolves with the exit; done resolves with its code", async () => {
    const log = logFile();
    const { supervisor: s } = supervisor({ killSignal: "SIGUSR2" });
    await s.start(node("signals.mjs", log, "--exit-on", "SIGUSR2:4"));
    await childReady(log);
    assert.deepEqual(await s.stop(), { code: 4, signal: null, exitCode: 4 });
    assert.equal(await s.done, 4);
    assert.deepEqual(lines(log).slice(1), ["SIGUSR2"]);
    s.dispose();
  });

  it("SIGKILLs a child that ignores killSignal after killTimeoutMs (end-to-end, real clock)", async () => {
    const log = logFile();
    const { supervisor: s, log: logged } = supervisor({ killTimeoutMs: 300 });
    await s.start(node("signals.mjs", log));
    await childReady(log);
    const exit = await within("stop", s.stop());
    assert.deepEqual(exit, { code: null, signal: "SIGKILL", exitCode: 128 + constants.signals.SIGKILL });
    assert.deepEqual(lines(log).slice(1), ["SIGTERM"]);
    assert.ok(logged.some((l) => l.includes("sending SIGKILL")));
    s.dispose();
  });

  it("the kill deadline runs on the injected clock: still running a millisecond before killTimeoutMs, SIGKILLed at it", async () => {
    const log = logFile();
    const clock = new FakeClock();
    const { supervisor: s, log: logged } = supervisor({ killTimeoutMs: 5_000, clock });
    try {
      await s.start(node("signals.mjs", log));
      await childReady(log);
      const stopped = s.stop();
      await recorded(log, "SIGTERM");
      await clock.advance(4_999);
      assert.equal(
        logged.some((l) => l.includes("sending SIGKILL")),
        false,
      );
      assert.doesNotThrow(() => process.kill(s.childPid!, 0), "still running before the deadline");
      await clock.advance(1);
      const exit = await within("stop", stopped);
      assert.deepEqual(exit, { code: null, signal: "SIGKILL", exitCode: 128 + constants.signals.SIGKILL });
      assert.ok(logged.some((l) => l.includes("sending SIGKILL")));
    } finally {
      killIfAlive(s.childPid);
      s.dispose();
    }
  });

  it("signal() reaches the current child and does not stop it", async () => {
    const log = logFile();
    const { supervisor: s } = supervisor();
    await s.start(node("signals.mjs", log, "--exit-on", "SIGTERM:0"));
    await childReady(log);
    s.signal("SIGHUP");
    await recorded(log, "SIGHUP");
    s.signal("SIGUSR1");
    await recorded(log, "SIGUSR1");
    assert.equal((await s.stop()).exitCode, 0);
    assert.deepEqual(lines(log).slice(1), ["SIGHUP", "SIGUSR1", "SIGTERM"]);
    s.dispose();
  });

  it("start() may only be called once", async () => {
    const { supervisor: s } = supervisor();
    await s.start(node("exit.mjs", "code", "0"));
    await assert.rejects(s.start(node("exit.mjs", "code", "0")), /only be called once/);
    await s.done;
    s.dispose();
  });
});
