/**
 * envject as PID 1 of a PID namespace (a container's entrypoint). The kernel drops signals sent
 * to PID 1 from outside its namespace unless the process has a handler for them, so this shows
 * the handlers are really installed, that forwarding works, and that the exit code comes out.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { UNSHARE_PID1 as UNSHARE, unshareUnavailable } from "../support/system.js";
import { childReady, contentOf, childrenOf, fixture, harnessArgv, killIfAlive, lines, pastStartGrace, recorded, startProcess, tempDir, waitFor, within } from "./fixtures/processes.js";

const dir = tempDir();
after(() => rmSync(dir, { recursive: true, force: true }));

describe("as PID 1 (end-to-end, real processes and clock)", () => {
  const skip = unshareUnavailable();

  it("receives and forwards signals, and exits with the child's code", { skip }, async () => {
    const log = join(dir, "signals");
    const pidFile = join(dir, "harness.pid");
    const config = { command: process.execPath, args: [fixture("signals.mjs"), log, "--exit-on", "SIGTERM:5"], pidFile, stdinIsTTY: false };
    const unshare = startProcess("unshare", [...UNSHARE, process.execPath, ...harnessArgv(config)]);
    let childPid: number | undefined;
    try {
      // The pid inside the namespace (what the harness sees of itself) and outside (to signal it).
      assert.equal(await waitFor("harness pid", () => contentOf(pidFile)), "1");
      childPid = await childReady(log);
      const [harness] = await waitFor("harness outside the namespace", () => {
        const found = childrenOf(unshare.pid);
        return found.length === 1 ? found : undefined;
      });
      await pastStartGrace();
      process.kill(harness!, "SIGHUP");
      await recorded(log, "SIGHUP");
      process.kill(harness!, "SIGTERM");
      const exit = await within("unshare exit", unshare.exit);
      assert.deepEqual(lines(log).slice(1), ["SIGHUP", "SIGTERM"]);
      assert.deepEqual(exit, { code: 5, signal: null }, unshare.stderr());
    } finally {
      killIfAlive(unshare.pid);
      void childPid; // inside the namespace's pid numbering; the namespace dies with its PID 1
    }
  });
});
