/**
 * src/supervise/leftovers.ts: which processes envject notes while stopping the child (its
 * descendants, and its own process group if it made one), and that a noted process is recognised
 * by its start time, so a reused pid is never signalled.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";
import { addNoted, noteDescendants, signalEach, stillRunning } from "../../src/supervise/leftovers.js";
import { allProcesses, descendantsOf, procInfo } from "../support/processes.js";
import { waitFor } from "./fixtures/processes.js";

function startTree(detached: boolean): number {
  // sh with two children: `sleep 300` and `sleep 301` (exec'd by the last one: sh stays their parent).
  const child = spawn("sh", ["-c", "sleep 300 & sleep 301 & wait"], { detached, stdio: "ignore" });
  return child.pid!;
}

describe("leftovers (end-to-end, real processes and clock)", { skip: process.platform !== "linux" ? "Linux only (/proc)" : undefined }, () => {
  it("notes the running descendants, recognises them by start time, and signals only those still the same process", async () => {
    const sh = startTree(false);
    try {
      await waitFor("two sleeps", () => descendantsOf(sh).length === 2);
      const noted = noteDescendants(sh);
      assert.deepEqual(
        noted.map((p) => p.pid).sort(),
        descendantsOf(sh)
          .map((p) => p.pid)
          .sort(),
      );
      assert.ok(noted.every((p) => /^\d+$/.test(p.startTime)));
      assert.equal(stillRunning(noted).length, 2);
      // The same pid with another start time is another process: not ours to signal.
      const impostor = [{ pid: noted[0]!.pid, startTime: "1" }];
      assert.deepEqual(stillRunning(impostor), []);
      signalEach(impostor, "SIGKILL");
      assert.equal(procInfo(noted[0]!.pid)?.state !== undefined, true, "untouched");
      addNoted(noted, noted); // no duplicates
      assert.equal(noted.length, 2);
      signalEach(noted, "SIGTERM");
      await waitFor("both sleeps gone", () => stillRunning(noted).length === 0);
      assert.equal(stillRunning(noted).length, 0);
    } finally {
      try {
        process.kill(sh, "SIGKILL");
      } catch {
        // gone already
      }
    }
  });

  it("a child that leads its own process group: the group's members are noted too, not the child itself", async () => {
    // In a group of its own, sh abandons `sleep 300` (a subshell forks it and exits: it is
    // re-parented, no longer a descendant, still in sh's group) and runs `sleep 301` itself.
    const sh = spawn("sh", ["-c", "(sleep 300 &); sleep 301"], { detached: true, stdio: "ignore" }).pid!;
    try {
      await waitFor("the abandoned sleep", () => allProcesses().some((p) => p.pgid === sh && p.pid !== sh && p.ppid !== sh && p.state !== "Z"));
      await waitFor("sleep 301, the subshell reaped", () => descendantsOf(sh).length === 1 && descendantsOf(sh)[0]!.state !== "Z");
      assert.equal(procInfo(sh)!.pgid, sh);
      assert.equal(descendantsOf(sh).length, 1, "only sleep 301 is a descendant");
      const noted = noteDescendants(sh);
      assert.equal(noted.length, 2, "sleep 301 and, through the group, sleep 300");
      assert.ok(!noted.some((p) => p.pid === sh));
      signalEach(noted, "SIGKILL");
      await waitFor("both sleeps gone", () => stillRunning(noted).length === 0);
      assert.equal(stillRunning(noted).length, 0);
    } finally {
      try {
        process.kill(-sh, "SIGKILL");
      } catch {
        // gone already
      }
    }
  });

  it("a process that is gone is not running; nothing is noted for it", () => {
    assert.deepEqual(noteDescendants(2 ** 22 + 1), []);
    assert.deepEqual(stillRunning([{ pid: 2 ** 22 + 1, startTime: "5" }]), []);
  });
});
