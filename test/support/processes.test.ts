/**
 * The /proc walker the reliability tests count processes with: descendants by parent pid, a
 * process group and a session, a marker in the environment found after re-parenting, and a
 * zombie told apart from a running process (which `kill -0` cannot do).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, describe, it } from "node:test";
import { allProcesses, descendantsOf, inProcessGroup, inSession, isRunning, killAll, parseStat, procInfo, withMarker, zombiesAmong } from "./processes.js";

const marker = `ENVJECT_PROC_TEST_${process.pid}_${Date.now()}`;
after(() => killAll(withMarker(marker)));

async function until<T>(what: string, check: () => T | undefined | false, limitMs = 20_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("test/support/processes", () => {
  it("parses a stat line whose comm holds spaces and parentheses", () => {
    const p = parseStat("4242 (a b) c)) S 17 4242 4200 0 -1 4194560 0 0");
    assert.deepEqual(p, { pid: 4242, comm: "a b) c)", state: "S", ppid: 17, pgid: 4242, sid: 4200 });
  });

  it("finds descendants, a zombie among them, a new session and group, and marked processes after re-parenting", async () => {
    // sh forks `sleep 0.1` and `sleep 300`, then execs into `sleep 301`, which never waits: the
    // short sleep becomes a zombie of it. detached: a new session and group led by sh's pid.
    const child = spawn("sh", ["-c", "sleep 0.1 & sleep 300 & exec sleep 301"], { detached: true, stdio: "ignore", env: { PATH: process.env.PATH, MARK: marker } });
    const pid = child.pid!;
    const zombie = await until("a zombie under the child", () => zombiesAmong(descendantsOf(pid))[0]);
    assert.equal(zombie.ppid, pid);
    const kids = descendantsOf(pid);
    assert.equal(kids.length, 2, JSON.stringify(kids));
    assert.deepEqual(kids.map((k) => k.comm).sort(), ["sleep", "sleep"]);
    assert.equal(isRunning(zombie.pid), false, "a zombie does not count as running");
    assert.doesNotThrow(() => process.kill(zombie.pid, 0), "while kill -0 says it is there");
    assert.equal(isRunning(pid), true);
    assert.equal(procInfo(pid)!.pgid, pid);
    assert.equal(inProcessGroup(pid).length, 3);
    assert.equal(inSession(pid).length, 3);
    // The marker is in the environment of sh's live children (the zombie has none left).
    assert.equal(withMarker(marker).length, 2);
    // Kill the parent: the sleep 300 is re-parented, no longer a descendant, still found by marker.
    process.kill(pid, "SIGKILL");
    await until("the parent gone", () => procInfo(pid) === undefined);
    const orphans = withMarker(marker);
    assert.equal(orphans.length, 1);
    assert.notEqual(orphans[0]!.ppid, pid);
    assert.equal(descendantsOf(pid).length, 0);
    killAll(orphans);
    await until("no marked process left", () => withMarker(marker).length === 0);
    assert.ok(
      allProcesses().some((p) => p.pid === process.pid),
      "the walker sees this process",
    );
  });
});
