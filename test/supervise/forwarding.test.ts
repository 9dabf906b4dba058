/**
 * Signals sent to envject (here: the harness, an envject-like parent running one Supervisor) and
 * what the child receives, without a terminal — as under Docker, systemd or `kill`.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { childReady, fixture, killIfAlive, lines, pastStartGrace, recorded, startHarness, tempDir, within } from "./fixtures/processes.js";

const dir = tempDir();
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const logFile = () => join(dir, `signals-${++counter}`);

function signalsChild(log: string, ...options: string[]) {
  return { command: process.execPath, args: [fixture("signals.mjs"), log, ...options] };
}

describe("signal forwarding without a terminal (end-to-end, real processes and clock)", () => {
  it("forwards each listed signal to the child exactly once; SIGTERM ends with the child's code", async () => {
    const log = logFile();
    const harness = startHarness({ ...signalsChild(log, "--exit-on", "SIGTERM:7"), stdinIsTTY: false });
    let childPid: number | undefined;
    try {
      childPid = await childReady(log);
      await pastStartGrace();
      for (const signal of ["SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH"] as const) {
        process.kill(harness.pid, signal);
        await recorded(log, signal);
      }
      process.kill(harness.pid, "SIGTERM");
      const exit = await within("harness exit", harness.exit);
      assert.deepEqual(lines(log).slice(1), ["SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGTERM"]);
      assert.deepEqual(exit, { code: 7, signal: null }, harness.stderr());
    } finally {
      killIfAlive(childPid);
      killIfAlive(harness.pid);
    }
  });

  it("forwards SIGINT when stdin is not a terminal and ends with the child's code", async () => {
    const log = logFile();
    const harness = startHarness(signalsChild(log, "--exit-on", "SIGINT:3")); // stdin is a pipe: detected, not forced
    let childPid: number | undefined;
    try {
      childPid = await childReady(log);
      process.kill(harness.pid, "SIGINT");
      const exit = await within("harness exit", harness.exit);
      assert.deepEqual(lines(log).slice(1), ["SIGINT"]);
      assert.deepEqual(exit, { code: 3, signal: null }, harness.stderr());
    } finally {
      killIfAlive(childPid);
      killIfAlive(harness.pid);
    }
  });

  it("SIGKILLs a child that ignores SIGTERM after killTimeoutMs and exits with 128+9", async () => {
    const log = logFile();
    const harness = startHarness({ ...signalsChild(log), killTimeoutMs: 500 });
    let childPid: number | undefined;
    try {
      childPid = await childReady(log);
      process.kill(harness.pid, "SIGTERM");
      const exit = await within("harness exit", harness.exit);
      assert.deepEqual(lines(log).slice(1), ["SIGTERM"]);
      assert.deepEqual(exit, { code: 128 + constants.signals.SIGKILL, signal: null }, harness.stderr());
      assert.match(harness.stderr(), /did not exit in time, sending SIGKILL/);
    } finally {
      killIfAlive(childPid);
      killIfAlive(harness.pid);
    }
  });

  it("escalates a second SIGTERM to SIGKILL at once, without waiting for killTimeoutMs", async () => {
    const log = logFile();
    // A kill timeout far beyond the test's own wait: only the escalation can end the child in time.
    const harness = startHarness({ ...signalsChild(log), killTimeoutMs: 3_600_000 });
    let childPid: number | undefined;
    try {
      childPid = await childReady(log);
      process.kill(harness.pid, "SIGTERM");
      await recorded(log, "SIGTERM");
      process.kill(harness.pid, "SIGTERM");
      const exit = await within("harness exit after the second SIGTERM", harness.exit);
      assert.deepEqual(lines(log).slice(1), ["SIGTERM"]);
      assert.deepEqual(exit, { code: 128 + constants.signals.SIGKILL, signal: null }, harness.stderr());
      assert.match(harness.stderr(), /received SIGTERM again, killing the child/);
    } finally {
      killIfAlive(childPid);
      killIfAlive(harness.pid);
    }
  });

  it("does the same for SIGINT followed by SIGTERM", async () => {
    const log = logFile();
    const harness = startHarness({ ...signalsChild(log), killTimeoutMs: 3_600_000, stdinIsTTY: false });
    let childPid: number | undefined;
    try {
      childPid = await childReady(log);
      process.kill(harness.pid, "SIGINT");
      await recorded(log, "SIGINT");
      process.kill(harness.pid, "SIGTERM");
      const exit = await within("harness exit after the second signal", harness.exit);
      assert.deepEqual(lines(log).slice(1), ["SIGINT"]);
      assert.equal(exit.code, 128 + constants.signals.SIGKILL, harness.stderr());
    } finally {
      killIfAlive(childPid);
      killIfAlive(harness.pid);
    }
  });
});
