/**
 * A signal storm across restarts (docs/RELIABILITY.md "Signals and processes"): the real CLI with
 * `--interval 1s` against the Vault double; a writer rotates the watched secret again and again,
 * so the child is restarted each time, while the test sends SIGHUP and SIGUSR1 to envject every
 * few milliseconds; then SIGTERM in the middle of a restart. Sampled from /proc all along: envject
 * never has two children at once. Afterwards nothing of the run is left, zombies included, the
 * exit code is the child's, and signals reached each child that had run past its start grace
 * (README "Supervision": none reach a child being stopped, or one that started less than 1 s ago).
 * STORM_ROTATIONS (default 6) sets the number of rotations; the counts are printed as a diagnostic.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type SeededVault, startSeededVault } from "../support/vault-fixture.js";
import { allProcesses, childrenOf, describeProcs, killAll, procInfo, withMarker } from "../support/processes.js";
import { waitFor, within } from "../supervise/fixtures/processes.js";
import { pause } from "../watch/e2e-harness.js";
import { Workspace } from "../cli/e2e.js";
import { logLines, logged, pidsIn, startEnvject, writeChild } from "./proc-child.js";

/** Rotations of the secret, each one a restart. */
const ROTATIONS = Number(process.env.STORM_ROTATIONS ?? 6);
/** The code the child exits with on SIGTERM: what envject must end with. */
const TERM_EXIT = 3;

let vault: SeededVault;
let ws: Workspace;
const marker = `envject-storm-${process.pid}-${Date.now()}`;

before(async () => {
  vault = await startSeededVault();
  ws = new Workspace(vault);
});
after(async () => {
  killAll(withMarker(marker));
  ws.cleanup();
  await vault.close();
});

/** What one storm run left behind, for the cases to read. */
interface StormRun {
  exit: { code: number | null; signal: NodeJS.Signals | null };
  stderr: string;
  log: string;
  /** envject's children, sampled every 15 ms during the run. */
  sampled: number[][];
  /** Signals the test sent envject. */
  sent: number;
  /** A short account of the run, for failure messages. */
  facts: () => string;
}

/**
 * Runs the storm: ROTATIONS rotations under SIGHUP/SIGUSR1 every 10 ms, then SIGTERM while the last
 * restart's old child is still stopping.
 */
async function storm(): Promise<StormRun> {
  const child = writeChild(ws.dir);
  const log = join(ws.dir, "storm.log");
  const slow = join(ws.dir, "storm.slow");
  await vault.control.putSecret("secret/storm/key", { key: "storm-Value-0" });
  const mapping = ws.file("storm.yaml", "env:\n  K: vault://secret/storm/key#key\n");
  const env = ws.env({ PROC_MARK: marker, PROC_LOG: log, SLOW_FILE: slow, TERM_EXIT: String(TERM_EXIT), TERM_DELAY_MS: "100", SLOW_DELAY_MS: "6000" });
  const envject = startEnvject(ws.dir, child, ["-c", mapping, "--interval", "1s", "--kill-timeout", "10s"], env);
  let ended = false;
  void envject.exited.then(() => (ended = true));
  // What went wrong, first in a short form (CI cuts long messages): the children, their stops,
  // then the child log without the storm's signal lines, then envject's last lines.
  const facts = () => {
    const lines = logLines(log);
    const signals = lines.filter((l) => l.startsWith("signal ")).length;
    return (
      `children ready: ${pidsIn(log, "ready").join(", ")}; ${signals} signal lines\n` +
      `child log without signal lines:\n${lines.filter((l) => !l.startsWith("signal ")).join("\n")}\n` +
      `stderr (tail):\n${envject.stderr().split("\n").slice(-40).join("\n")}`
    );
  };

  // The sampler: envject's children, every 15 ms, for the whole run. Which of them are the
  // command is decided at the end, from envject's `child started` lines: besides the command,
  // envject has one helper, the one-off `setpriv --help` probe (a zombie for a moment once done).
  const sampled: number[][] = [];
  const sampler = (async () => {
    while (!ended) {
      sampled.push(childrenOf(envject.pid, allProcesses()).map((p) => p.pid));
      await pause(15);
    }
  })();

  const readyCount = () => pidsIn(log, "ready").length;
  const until = <T>(what: string, check: () => T | undefined | false) =>
    waitFor(
      what,
      () => {
        if (ended) assert.fail(`envject ended while waiting for ${what}:\n${facts()}`);
        return check();
      },
      30_000,
    );

  // The storm: SIGHUP and SIGUSR1 in turn, one every 10 ms, from once envject is up (before it
  // has installed its handlers, a SIGHUP kills envject as it would any Node program).
  let sent = 0;
  let storming = true;
  let signalling: Promise<void> | undefined;
  try {
    await until("the first child", () => readyCount() >= 1);
    signalling = (async () => {
      while (storming && !ended) {
        try {
          envject.process.kill(sent % 2 === 0 ? "SIGHUP" : "SIGUSR1");
          sent += 1;
        } catch {
          break;
        }
        await pause(10);
      }
    })();
    for (let i = 1; i <= ROTATIONS; i++) {
      // Let the current child run well past its start grace under the storm, then rotate.
      await pause(2000);
      await vault.control.putSecret("secret/storm/key", { key: `storm-Value-${i}` });
      await until(`restart ${i}`, () => readyCount() >= i + 1);
    }
    await pause(2000);
    // The last rotation: the old child takes 6 s to stop, and SIGTERM comes meanwhile (a loaded
    // CI machine can take seconds between the child's `term` line and the test's SIGTERM; were
    // the old child gone by then, the new one would be up and the SIGTERM would not be mid-restart).
    writeFileSync(slow, "");
    const last = pidsIn(log, "ready").at(-1)!;
    await vault.control.putSecret("secret/storm/key", { key: "storm-Value-last" });
    await until("the last restart to begin", () => logLines(log).some((l) => l.startsWith(`term ${last} `)));
    envject.process.kill("SIGTERM");
    const exit = await within("envject exit", envject.exit, 40_000);
    storming = false;
    await Promise.all([signalling, sampler]);
    const stderr = envject.stderr();
    return { exit, stderr, log, sampled, sent, facts };
  } finally {
    storming = false;
    if (!ended) envject.process.kill("SIGKILL");
  }
}

describe(`signal storm across restarts: ${ROTATIONS} rotations under a SIGHUP/SIGUSR1 storm, then SIGTERM mid-restart`, () => {
  // One storm run; each case reads one guarantee off it.
  let run: StormRun;
  /** The command children envject started (its `child started` lines), and those that logged `ready`. */
  let commands: Set<number>;
  let readies: number[];
  /** The storm's signals as the children logged them. */
  let received: string[];
  before(async () => {
    run = await storm();
    commands = new Set(logged(run.stderr, "DEBUG", /child started/).map((l) => Number(/ pid=(\d+)/.exec(l)?.[1])));
    readies = pidsIn(run.log, "ready");
    received = logLines(run.log).filter((l) => l.startsWith("signal "));
  });
  /** envject's children in the samples that were not the command: at most the setpriv probe. */
  const helpers = () => new Set(run.sampled.flat().filter((p) => !commands.has(p)));

  it("the exit code comes out: the child's, from the SIGTERM it got (the restart's and envject's)", () => {
    assert.deepEqual(run.exit, { code: TERM_EXIT, signal: null }, run.facts());
  });

  it("no new child after the SIGTERM: one per start and restart before it", () => {
    assert.equal(readies.length, ROTATIONS + 1, run.facts());
    assert.equal(logged(run.stderr, "DEBUG", /child started/).length, ROTATIONS + 1, run.facts());
    assert.deepEqual([...commands].sort(), [...readies].sort(), "every child envject started is one that ran");
  });

  it("never two children at once", () => {
    const samples = run.sampled.length;
    const maxChildren = Math.max(...run.sampled.map((pids) => pids.filter((p) => commands.has(p)).length));
    const seen = new Set(run.sampled.flat().filter((p) => commands.has(p)));
    assert.ok(samples > 100, `sampled ${samples} times`);
    assert.equal(maxChildren, 1, `at most one command child of envject at a time (seen ${maxChildren})`);
    assert.ok(helpers().size <= 1, `besides the command, only the setpriv probe (${[...helpers()].join(", ")})`);
    assert.ok(seen.size >= ROTATIONS, `the sampler saw ${seen.size} of the ${commands.size} children`);
  });

  it("no child died of a signal (SIGHUP's default) or opened its inspector (SIGUSR1's)", () => {
    for (const line of logged(run.stderr, "DEBUG", /child exited/)) assert.match(line, new RegExp(`code=${TERM_EXIT} signal=null`), line);
    for (const line of received) assert.match(line, / -$/, `inspector opened: ${line}`);
  });

  it("signals reached every child that ran past its grace, and none after its stop began", () => {
    for (const pid of readies) {
      const mine = received.filter((l) => l.startsWith(`signal ${pid} `));
      assert.ok(mine.length > 0, `child ${pid} received none of the storm:\n${run.facts()}`);
      const lines = logLines(run.log).filter((l) => l.split(" ")[1] === String(pid));
      const termAt = lines.findIndex((l) => l.startsWith("term "));
      assert.ok(termAt > 0, `child ${pid} was stopped by SIGTERM`);
      assert.deepEqual(
        lines.slice(termAt).filter((l) => l.startsWith("signal ")),
        [],
        `signals after the stop of ${pid}`,
      );
    }
  });

  it("each signal of the storm was forwarded or dropped (some in a restart or a start grace), never more than were sent", (t) => {
    const forwarded = logged(run.stderr, "DEBUG", /DEBUG forwarding signal/).length;
    const dropped = logged(run.stderr, "DEBUG", /not forwarding signal/).length;
    assert.ok(received.length <= forwarded, `${received.length} received, ${forwarded} forwarded`);
    assert.ok(dropped > 0, "some of the storm fell in a restart or a start grace and was dropped");
    assert.ok(forwarded + dropped <= run.sent, `${forwarded} forwarded + ${dropped} dropped of ${run.sent} sent`);
    t.diagnostic(
      `storm: ${run.sent} signals sent, ${forwarded} forwarded, ${dropped} dropped, ${received.length} received; ` +
        `${ROTATIONS} restarts + SIGTERM mid-restart; ${commands.size} children, ${run.sampled.length} samples; ${helpers().size} helper (setpriv probe)`,
    );
  });

  it("nothing is left: no process with the marker, no child of the run still there (a zombie included)", async () => {
    await waitFor("nothing with the marker", () => withMarker(marker).length === 0, 15_000).catch(() => {});
    assert.equal(withMarker(marker).length, 0, describeProcs(withMarker(marker)));
    for (const pid of [...commands, ...helpers()]) assert.equal(procInfo(pid), undefined, `child ${pid} is still in /proc (${procInfo(pid)?.state})`);
  });
});
