/**
 * With a terminal, the child shares envject's process group, so a key press reaches it directly:
 * envject must not forward SIGINT/SIGQUIT a second time. `script` gives the harness a PTY, and
 * writing ^C / ^\ to it makes the terminal's line discipline signal the foreground group, exactly
 * as a user's key press does.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { HarnessConfig } from "./fixtures/harness.js";
import { childReady, contentOf, fixture, harnessArgv, killIfAlive, lines, pastStartGrace, recorded, startProcess, tempDir, waitFor, within } from "./fixtures/processes.js";

const dir = tempDir();
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

const CTRL_C = "\x03";
const CTRL_BACKSLASH = "\x1c";

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Starts the harness on a fresh PTY; returns the `script` process, the child's log and the harness's pid file. */
function startOnTerminal(extra: Partial<HarnessConfig> = {}) {
  const n = ++counter;
  const log = join(dir, `signals-${n}`);
  const pidFile = join(dir, `harness-${n}.pid`);
  const config: HarnessConfig = { command: process.execPath, args: [fixture("signals.mjs"), log, "--exit-on", "SIGUSR1:0"], pidFile, ...extra };
  const command = `exec ${[process.execPath, ...harnessArgv(config)].map(shellQuote).join(" ")}`;
  const script = startProcess("script", ["-qec", command, "/dev/null"], { env: { ...process.env, SHELL: "/bin/sh" } });
  return { script, log, pidFile };
}

describe("signals with a terminal (end-to-end, real processes and clock)", () => {
  it("Ctrl-C and Ctrl-\\ reach the child exactly once (not forwarded again)", async () => {
    const { script, log, pidFile } = startOnTerminal();
    let childPid: number | undefined;
    try {
      childPid = await childReady(log);
      script.process.stdin?.write(CTRL_C);
      await recorded(log, "SIGINT");
      script.process.stdin?.write(CTRL_BACKSLASH);
      await recorded(log, "SIGQUIT");
      // SIGUSR1 is forwarded (a terminal never sends it) and ends the child. envject handles its
      // signals in the order they arrive, so a duplicate SIGINT/SIGQUIT would be recorded before it.
      const harnessPid = Number(await waitFor("harness pid", () => contentOf(pidFile)));
      await pastStartGrace();
      process.kill(harnessPid, "SIGUSR1");
      const exit = await within("script exit", script.exit);
      assert.deepEqual(lines(log).slice(1), ["SIGINT", "SIGQUIT", "SIGUSR1"], script.stdout().toString());
      assert.equal(exit.code, 0, script.stdout().toString());
      // The terminal was detected and the policy, not luck, kept the count at one. (A contrast run
      // forwarding Ctrl-C is not a reliable test: the kernel merges a forwarded SIGINT with the
      // terminal's when the child has not yet taken the first one.)
      assert.match(script.stdout().toString(), /signal already delivered by the terminal.* signal=SIGINT/);
      assert.match(script.stdout().toString(), /signal already delivered by the terminal signal=SIGQUIT/);
    } finally {
      script.process.stdin?.end();
      killIfAlive(childPid);
      killIfAlive(script.pid);
    }
  });

  // The window itself, to the millisecond on the fake clock: phases.test.ts.
  it("a program that survives Ctrl-C keeps running; Ctrl-C twice in quick succession kills it (end-to-end, real clock)", async () => {
    const { script, log } = startOnTerminal({ terminalDoublePressMs: 800 });
    let childPid: number | undefined;
    try {
      childPid = await childReady(log);
      // Two presses far apart: a REPL's Ctrl-C, twice. The child takes both and keeps running.
      script.process.stdin?.write(CTRL_C);
      await recorded(log, "SIGINT");
      await new Promise((r) => setTimeout(r, 2400));
      script.process.stdin?.write(CTRL_C);
      await recorded(log, "SIGINT", 2);
      assert.doesNotThrow(() => process.kill(childPid!, 0), "the child survived two separate Ctrl-C");
      // Two presses in quick succession: "press Ctrl-C again to force". (Not in one write: the
      // kernel would merge two SIGINTs that arrive before the first is handled.)
      await new Promise((r) => setTimeout(r, 2400));
      script.process.stdin?.write(CTRL_C);
      await recorded(log, "SIGINT", 3);
      script.process.stdin?.write(CTRL_C);
      const exit = await within("script exit", script.exit);
      assert.equal(exit.code, 128 + 9, script.stdout().toString());
      assert.match(script.stdout().toString(), /SIGINT twice within 800 ms, killing the child/);
    } finally {
      script.process.stdin?.end();
      killIfAlive(childPid);
      killIfAlive(script.pid);
    }
  });
});
