/**
 * No child outlives envject, even when envject is killed with SIGKILL and cannot clean up:
 * the child is started under `setpriv --pdeathsig SIGKILL`, so the kernel kills it with its parent.
 */
import assert from "node:assert/strict";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { findSetpriv } from "../../src/supervise/parent-death.js";
import { childReady, fixture, isGone, killIfAlive, lines, recorded, startHarness, tempDir, waitFor, within } from "./fixtures/processes.js";

const dir = tempDir();
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const logFile = () => join(dir, `signals-${++counter}`);

describe("parent death (end-to-end, real processes and clock)", () => {
  const skip = findSetpriv() ? undefined : "setpriv with --pdeathsig is not on PATH (install util-linux ≥ 2.33)";

  it("kills the child when envject is SIGKILLed", { skip }, async () => {
    const log = logFile();
    // The child ignores SIGTERM and stays alive by itself: only the parent-death signal can end it.
    const harness = startHarness({ command: process.execPath, args: [fixture("signals.mjs"), log], stdinIsTTY: false });
    let childPid: number | undefined;
    try {
      childPid = await childReady(log);
      assert.match(harness.stderr(), /parent_death_signal=true/);
      process.kill(harness.pid, "SIGKILL");
      await within("harness killed", harness.exited);
      const pid = childPid;
      await waitFor(`child ${pid} to be gone`, () => isGone(pid));
    } finally {
      killIfAlive(childPid);
    }
  });

  it("without the wrapper the child would survive (what the check above guards against)", async () => {
    const log = logFile();
    const harness = startHarness({ command: process.execPath, args: [fixture("signals.mjs"), log], stdinIsTTY: false, parentDeathSignal: false });
    let childPid: number | undefined;
    try {
      childPid = await childReady(log);
      process.kill(harness.pid, "SIGKILL");
      // `exited`, not `exit`: the orphan still holds the harness's stdout/stderr open.
      await within("harness killed", harness.exited);
      // Orphaned but alive and responsive: it still records a signal sent to it directly.
      process.kill(childPid, "SIGHUP");
      await recorded(log, "SIGHUP");
      assert.equal(isGone(childPid), false);
    } finally {
      killIfAlive(childPid);
    }
  });

  it("falls back to a direct spawn, logged at debug, when setpriv is not on envject's PATH", async () => {
    const log = logFile();
    const emptyPath = join(dir, "empty-path");
    mkdirSync(emptyPath, { recursive: true });
    const harness = startHarness(
      {
        command: process.execPath,
        args: [fixture("signals.mjs"), log, "--exit-on", "SIGTERM:0"],
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
        stdinIsTTY: false,
      },
      { env: { ...process.env, PATH: emptyPath } },
    );
    let childPid: number | undefined;
    try {
      childPid = await childReady(log);
      process.kill(harness.pid, "SIGTERM");
      const exit = await within("harness exit", harness.exit);
      assert.equal(exit.code, 0, harness.stderr());
      assert.deepEqual(lines(log).slice(1), ["SIGTERM"]);
      assert.match(harness.stderr(), /setpriv --pdeathsig is not available/);
      assert.match(harness.stderr(), /parent_death_signal=false/);
    } finally {
      killIfAlive(childPid);
      killIfAlive(harness.pid);
    }
  });

  it("keeps the child's own pid under setpriv (setpriv execs the command)", { skip }, async () => {
    const log = logFile();
    const harness = startHarness({ command: process.execPath, args: [fixture("signals.mjs"), log, "--exit-on", "SIGTERM:0"], stdinIsTTY: false });
    let childPid: number | undefined;
    try {
      childPid = await childReady(log);
      const started = await waitFor("child started line", () => /child started pid=(\d+)/.exec(harness.stderr())?.[1]);
      assert.equal(Number(started), childPid);
      process.kill(harness.pid, "SIGTERM");
      assert.equal((await within("harness exit", harness.exit)).code, 0);
    } finally {
      killIfAlive(childPid);
      killIfAlive(harness.pid);
    }
  });
});
