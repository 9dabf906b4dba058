/**
 * The Supervisor's phases and transitions (the tables at the top of src/supervise/supervisor.ts),
 * on fake children, fake signals and the fake clock: each named transition, and what each signal
 * does in each phase. Time moves only by clock.advance(), so the start grace, the crash backoff
 * and the Ctrl-C window are tested to the millisecond without sleeping.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fakeSupervisor, MISSING, spec } from "./fixtures/fake-child.js";

const OTHERS = ["SIGHUP", "SIGUSR1", "SIGUSR2", "SIGWINCH"] as const;

/** A supervisor whose first child has run past its grace. */
async function running(options: Parameters<typeof fakeSupervisor>[0] = {}) {
  const f = fakeSupervisor(options);
  await f.supervisor.start(spec("first"));
  await f.clock.advance(1000);
  assert.equal(f.supervisor.phaseName, "running");
  return f;
}

/** A supervisor whose first child crashed with 3 and is waiting `delayMs` to be started again. */
async function waitingToRestart(delayMs = 1000) {
  const f = fakeSupervisor({ restartOnFailure: { limit: 3, initialDelayMs: delayMs, spec: () => spec("after-crash") } });
  f.clock.randoms = Array(10).fill(0); // no jitter: the nominal delays
  await f.supervisor.start(spec("first"));
  f.child().exitWith(3);
  await f.settle();
  assert.equal(f.supervisor.phaseName, "waiting-to-restart");
  return f;
}

describe("phase idle", () => {
  it("is where a Supervisor begins: no child, no signal handlers", () => {
    const f = fakeSupervisor();
    assert.equal(f.supervisor.phaseName, "idle");
    assert.equal(f.catching(), false);
    assert.equal(f.supervisor.childPid, undefined);
  });

  it("stop() ends it with 0 at once", async () => {
    const f = fakeSupervisor();
    assert.deepEqual(await f.supervisor.stop(), { code: null, signal: null, exitCode: 0 });
    assert.equal(f.supervisor.phaseName, "ended");
    assert.equal(await f.supervisor.done, 0);
  });
});

describe("transition spawned: → starting", () => {
  it("start() spawns the child, installs the handlers and reports start 1", async () => {
    const f = fakeSupervisor();
    await f.supervisor.start(spec("first"));
    assert.equal(f.supervisor.phaseName, "starting");
    assert.equal(f.catching(), true);
    assert.deepEqual(f.starts, [1]);
    assert.equal(f.supervisor.childPid, f.child().pid);
  });

  it("restart() without start() simply starts, as a first start", async () => {
    const f = fakeSupervisor();
    await f.supervisor.restart(spec("first"));
    assert.equal(f.supervisor.phaseName, "starting");
    await f.send("SIGHUP");
    assert.deepEqual(f.dropped(), [["SIGHUP", "the command started less than 1s ago"]]);
    await assert.rejects(f.supervisor.start(spec("again")), /only be called once/);
  });

  it("a command that cannot start: start() rejects with the SpawnError and supervision ends with its code", async () => {
    const f = fakeSupervisor();
    await assert.rejects(f.supervisor.start(spec(MISSING)), { exitCode: 127 });
    assert.equal(f.supervisor.phaseName, "ended");
    assert.equal(await f.supervisor.done, 127);
    assert.deepEqual(f.starts, []);
  });
});

describe("phase starting: the start grace", () => {
  it("drops SIGHUP, SIGUSR1, SIGUSR2 and SIGWINCH, saying the command started less than 1s ago", async () => {
    const f = fakeSupervisor();
    await f.supervisor.start(spec("first"));
    for (const signal of OTHERS) await f.send(signal);
    assert.deepEqual(f.child().received, []);
    assert.deepEqual(
      f.dropped(),
      OTHERS.map((s) => [s, "the command started less than 1s ago"]),
    );
  });

  it("forwards SIGQUIT at once", async () => {
    const f = fakeSupervisor();
    await f.supervisor.start(spec("first"));
    await f.send("SIGQUIT");
    assert.deepEqual(f.child().received, ["SIGQUIT"]);
  });

  it("says the grace it was given", async () => {
    const f = fakeSupervisor({ newChildSignalGraceMs: 2500 });
    await f.supervisor.start(spec("first"));
    await f.send("SIGHUP");
    assert.deepEqual(f.dropped(), [["SIGHUP", "the command started less than 2.5s ago"]]);
  });
});

describe("transition graceOver: starting → running", () => {
  it("happens when the child has run the grace, not a millisecond before", async () => {
    const f = fakeSupervisor();
    await f.supervisor.start(spec("first"));
    await f.clock.advance(999);
    assert.equal(f.supervisor.phaseName, "starting");
    await f.send("SIGUSR1");
    await f.clock.advance(1);
    assert.equal(f.supervisor.phaseName, "running");
    await f.send("SIGUSR1");
    assert.deepEqual(f.child().received, ["SIGUSR1"], "the first was dropped, the second forwarded");
  });

  it("in running, every signal but SIGTERM/SIGINT is forwarded and the child keeps running", async () => {
    const f = await running();
    for (const signal of [...OTHERS, "SIGQUIT"] as const) await f.send(signal);
    assert.deepEqual(f.child().received, [...OTHERS, "SIGQUIT"]);
    assert.equal(f.supervisor.phaseName, "running");
    assert.equal(f.ended(), undefined);
  });

  it("signal() (--on-change signal:) reaches the child in any phase it runs, grace or not", async () => {
    const f = fakeSupervisor();
    await f.supervisor.start(spec("first"));
    f.supervisor.signal("SIGHUP");
    assert.deepEqual(f.child().received, ["SIGHUP"]);
  });
});

describe("transition beginRestart: → restarting, then spawned", () => {
  it("stops the old child and waits for its exit before starting the new one", async () => {
    const f = await running({ obeysStop: false });
    const old = f.child();
    const restarted = f.supervisor.restart(spec("second"));
    await f.settle();
    assert.equal(f.supervisor.phaseName, "restarting");
    assert.deepEqual(old.received, ["SIGTERM"]);
    assert.equal(f.children.length, 1, "nothing starts while the old child runs");
    old.exitWith(0);
    await restarted;
    assert.equal(f.children.length, 2);
    assert.equal(f.supervisor.phaseName, "starting");
    assert.deepEqual(f.starts, [1, 2]);
    assert.equal(f.ended(), undefined, "the old child's exit does not end supervision");
  });

  it("restart() calls run one after another, never two children at once", async () => {
    const f = await running();
    const alive = () => f.children.filter((c) => c.running).length;
    let most = 0;
    f.supervisor.onExit(() => (most = Math.max(most, alive())));
    await Promise.all(["2", "3", "4"].map((id) => f.supervisor.restart(spec(id)).then(() => (most = Math.max(most, alive())))));
    assert.deepEqual(
      f.children.map((c) => c.spec.command),
      ["first", "2", "3", "4"],
    );
    assert.equal(most, 1);
    assert.deepEqual(f.starts, [1, 2, 3, 4]);
  });

  it("in restarting, SIGHUP/SIGUSR1/SIGUSR2/SIGWINCH are dropped however long the old child takes; SIGQUIT reaches it", async () => {
    const f = await running({ obeysStop: false });
    const old = f.child();
    void f.supervisor.restart(spec("second"));
    await f.settle();
    await f.clock.advance(60_000);
    for (const signal of OTHERS) await f.send(signal);
    await f.send("SIGQUIT");
    assert.deepEqual(old.received, ["SIGTERM", "SIGQUIT"]);
    assert.deepEqual(
      f.dropped(),
      OTHERS.map((s) => [s, "a restart is in progress"]),
    );
  });

  it("the new child's grace says a restart is in progress, and ends after the grace", async () => {
    const f = await running();
    await f.supervisor.restart(spec("second"));
    await f.send("SIGHUP");
    await f.clock.advance(1000);
    await f.send("SIGHUP");
    assert.deepEqual(f.dropped(), [["SIGHUP", "a restart is in progress"]]);
    assert.deepEqual(f.child().received, ["SIGHUP"]);
  });

  it("a spawn failure of the new spec rejects restart() and ends supervision with 127", async () => {
    const f = await running();
    await assert.rejects(f.supervisor.restart(spec(MISSING)), { exitCode: 127 });
    assert.equal(f.supervisor.phaseName, "ended");
    assert.equal(await f.supervisor.done, 127);
  });

  it("SIGTERM in restarting: the old child gets it, and its exit ends supervision; nothing new starts", async () => {
    const f = await running({ obeysStop: false });
    const old = f.child();
    const restarted = f.supervisor.restart(spec("second"));
    await f.settle();
    await f.send("SIGTERM");
    assert.equal(f.supervisor.phaseName, "stopping");
    assert.deepEqual(old.received, ["SIGTERM", "SIGTERM"]);
    old.exitWith(143);
    await restarted;
    assert.equal(await f.supervisor.done, 143);
    assert.equal(f.children.length, 1);
  });

  it("stop() in restarting ends with the old child's exit; nothing new starts", async () => {
    const f = await running({ obeysStop: false });
    const old = f.child();
    void f.supervisor.restart(spec("second"));
    await f.settle();
    const stopped = f.supervisor.stop();
    await f.settle();
    old.exitWith(5);
    assert.deepEqual(await stopped, { code: 5, signal: null, exitCode: 5 });
    assert.equal(await f.supervisor.done, 5);
    assert.equal(f.children.length, 1);
  });
});

describe("transition crashed: → waiting-to-restart, then spawned after the backoff", () => {
  it("waits the backoff on the clock: nothing starts a millisecond before it, the newest spec starts at it", async () => {
    const f = await waitingToRestart(1000);
    await f.clock.advance(999);
    assert.equal(f.children.length, 1);
    assert.equal(f.supervisor.phaseName, "waiting-to-restart");
    await f.clock.advance(1);
    assert.deepEqual(
      f.children.map((c) => c.spec.command),
      ["first", "after-crash"],
    );
    assert.equal(f.supervisor.phaseName, "starting");
    assert.deepEqual(f.starts, [1, 2]);
  });

  it("the backoff doubles for each crash in a row, and the limit ends supervision with the code", async () => {
    const f = await waitingToRestart(1000);
    await f.clock.advance(1000);
    f.child().exitWith(3);
    await f.settle();
    await f.clock.advance(1999);
    assert.equal(f.children.length, 2, "the second wait is 2 s");
    await f.clock.advance(1);
    assert.equal(f.children.length, 3);
    f.child().exitWith(3);
    await f.settle();
    await f.clock.advance(4000);
    f.child().exitWith(3);
    await f.settle();
    assert.equal(f.children.length, 4, "three restarts, then the limit");
    assert.equal(await f.supervisor.done, 3);
    assert.ok(f.logged.some((l) => l.level === "error" && /limit of 3 restarts/.test(l.msg)));
  });

  it("the jitter takes up to 10 % off each delay, drawn from the clock's random source", async () => {
    const f = fakeSupervisor({ restartOnFailure: { limit: 3, initialDelayMs: 1000, spec: () => spec("again") } });
    f.clock.randoms = [1];
    await f.supervisor.start(spec("first"));
    f.child().exitWith(3);
    await f.settle();
    await f.clock.advance(899);
    assert.equal(f.children.length, 1);
    await f.clock.advance(1);
    assert.equal(f.children.length, 2, "a draw of 1 takes the whole 10 % off");
  });

  it("a child that ran healthyAfterMs resets the count: restart 1 again, with the initial delay", async () => {
    const f = fakeSupervisor({ restartOnFailure: { limit: 1, initialDelayMs: 1000, healthyAfterMs: 10_000, spec: () => spec("again") } });
    f.clock.randoms = Array(10).fill(0);
    await f.supervisor.start(spec("first"));
    await f.clock.advance(10_000);
    f.child().exitWith(3);
    await f.settle();
    await f.clock.advance(1000);
    assert.equal(f.children.length, 2);
    await f.clock.advance(10_000);
    f.child().exitWith(3);
    await f.settle();
    await f.clock.advance(1000);
    assert.equal(f.children.length, 3, "each healthy run was restart 1 of 1");
    f.child().exitWith(3); // at once: the one restart in a row is used
    assert.equal(await f.supervisor.done, 3);
    const attempts = f.logged.filter((l) => /restarting in/.test(l.msg)).map((l) => l.attempt);
    assert.deepEqual(attempts, [1, 1]);
  });

  it("exit 0, and a child the terminal's Ctrl-C reached, are not crashes", async () => {
    const clean = fakeSupervisor({ restartOnFailure: { limit: 3, spec: () => spec("again") } });
    await clean.supervisor.start(spec("first"));
    clean.child().exitWith(0);
    assert.equal(await clean.supervisor.done, 0);

    const user = fakeSupervisor({ stdinIsTTY: true, restartOnFailure: { limit: 3, spec: () => spec("again") } });
    await user.supervisor.start(spec("first"));
    await user.send("SIGINT");
    user.child().exitWith(130);
    assert.equal(await user.supervisor.done, 130);
    assert.equal(user.children.length, 1);
  });

  it("in waiting-to-restart, SIGHUP/SIGUSR1/SIGUSR2/SIGWINCH are dropped (a restart is in progress)", async () => {
    const f = await waitingToRestart();
    for (const signal of OTHERS) await f.send(signal);
    assert.deepEqual(
      f.dropped(),
      OTHERS.map((s) => [s, "a restart is in progress"]),
    );
  });

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal} in waiting-to-restart ends supervision at once with the crashed child's code; nothing starts after the backoff`, async () => {
      const f = await waitingToRestart();
      await f.send(signal);
      assert.equal(f.supervisor.phaseName, "ended");
      assert.equal(await f.supervisor.done, 3);
      assert.equal(f.clock.timers, 0, "the backoff timer is cancelled");
      await f.clock.advance(60_000);
      assert.equal(f.children.length, 1);
    });
  }

  it("the terminal's Ctrl-C in waiting-to-restart ends supervision too: the user wants it to stay down", async () => {
    const f = fakeSupervisor({ stdinIsTTY: true, restartOnFailure: { limit: 3, spec: () => spec("again") } });
    await f.supervisor.start(spec("first"));
    f.child().exitWith(3);
    await f.settle();
    await f.send("SIGINT");
    assert.equal(await f.supervisor.done, 3);
    await f.clock.advance(60_000);
    assert.equal(f.children.length, 1);
  });

  it("stop() in waiting-to-restart resolves with the crashed child's exit; nothing starts after the backoff", async () => {
    const f = await waitingToRestart();
    assert.deepEqual(await f.supervisor.stop(), { code: 3, signal: null, exitCode: 3 });
    assert.equal(await f.supervisor.done, 3);
    await f.clock.advance(60_000);
    assert.equal(f.children.length, 1);
  });

  it("restart(spec) in waiting-to-restart starts the new spec now; the cancelled backoff starts nothing", async () => {
    const f = await waitingToRestart(2000);
    await f.supervisor.restart(spec("changed"));
    assert.deepEqual(
      f.children.map((c) => c.spec.command),
      ["first", "changed"],
    );
    await f.clock.advance(2500);
    assert.deepEqual(
      f.children.map((c) => c.spec.command),
      ["first", "changed"],
      "past the backoff: still the one new child",
    );
    assert.equal(f.ended(), undefined);
  });

  it("a spec() that throws ends supervision with the crashed child's code and says why", async () => {
    const f = fakeSupervisor({
      restartOnFailure: {
        limit: 3,
        spec: () => {
          throw new Error("no environment to restart with");
        },
      },
    });
    await f.supervisor.start(spec("first"));
    f.child().exitWith(3);
    await f.settle();
    await f.clock.advance(1000);
    assert.equal(await f.supervisor.done, 3);
    assert.ok(f.logged.some((l) => l.level === "error" && l.msg === "no environment to restart with"));
  });
});

describe("transition beginStop: → stopping, then end", () => {
  it("SIGTERM in running: the child gets SIGTERM (not killSignal); its exit ends supervision with its code", async () => {
    const f = await running({ obeysStop: false, killSignal: "SIGUSR2" });
    await f.send("SIGTERM");
    assert.equal(f.supervisor.phaseName, "stopping");
    assert.deepEqual(f.child().received, ["SIGTERM"]);
    f.child().exitWith(143);
    assert.equal(await f.supervisor.done, 143);
    assert.equal(f.supervisor.phaseName, "ended");
  });

  it("a second shutdown signal in stopping kills the child", async () => {
    const f = await running({ obeysStop: false });
    await f.send("SIGINT");
    await f.send("SIGTERM");
    assert.deepEqual(f.child().received, ["SIGINT", "SIGKILL"]);
    assert.equal(await f.supervisor.done, 137);
  });

  it("stop() is not a shutdown signal: the first SIGTERM after it is passed on, the next one kills", async () => {
    const f = await running({ obeysStop: false });
    const stopped = f.supervisor.stop();
    await f.settle();
    await f.send("SIGTERM");
    assert.deepEqual(f.child().received, ["SIGTERM", "SIGTERM"]);
    await f.send("SIGTERM");
    assert.deepEqual(f.child().received, ["SIGTERM", "SIGTERM", "SIGKILL"]);
    assert.equal((await stopped).exitCode, 137);
  });

  it("in stopping, a child past its grace still gets SIGHUP and SIGQUIT", async () => {
    const f = await running({ obeysStop: false });
    void f.supervisor.stop();
    await f.settle();
    await f.send("SIGHUP");
    await f.send("SIGQUIT");
    assert.deepEqual(f.child().received, ["SIGTERM", "SIGHUP", "SIGQUIT"]);
  });

  it("in stopping, a child stopped within its grace gets SIGHUP only once the grace is over", async () => {
    const f = fakeSupervisor({ obeysStop: false });
    await f.supervisor.start(spec("first"));
    void f.supervisor.stop();
    await f.settle();
    await f.send("SIGHUP");
    await f.clock.advance(1000);
    assert.equal(f.supervisor.phaseName, "stopping");
    await f.send("SIGHUP");
    assert.deepEqual(f.child().received, ["SIGTERM", "SIGHUP"]);
    assert.deepEqual(f.dropped(), [["SIGHUP", "the command started less than 1s ago"]]);
  });

  it("in stopping, restart() starts nothing", async () => {
    const f = await running({ obeysStop: false });
    void f.supervisor.stop();
    await f.settle();
    await f.supervisor.restart(spec("late"));
    assert.equal(f.children.length, 1);
  });
});

describe("phase ended", () => {
  it("signals are ignored, restart() starts nothing, stop() answers with the last exit", async () => {
    const f = fakeSupervisor();
    await f.supervisor.start(spec("first"));
    f.child().exitWith(4);
    assert.equal(await f.supervisor.done, 4);
    for (const signal of ["SIGTERM", "SIGHUP"] as const) await f.send(signal);
    assert.deepEqual(f.child().received, []);
    await f.supervisor.restart(spec("late"));
    assert.equal(f.children.length, 1);
    assert.deepEqual(await f.supervisor.stop(), { code: 4, signal: null, exitCode: 4 });
  });

  it("dispose() removes the signal handlers", async () => {
    const f = fakeSupervisor();
    await f.supervisor.start(spec("first"));
    f.supervisor.dispose();
    assert.equal(f.catching(), false);
  });
});

describe("with a terminal: the kernel already gave the child SIGINT, SIGQUIT, SIGWINCH", () => {
  it("none of them is forwarded again; SIGHUP, which a terminal never sends, is", async () => {
    const f = await running({ stdinIsTTY: true });
    for (const signal of ["SIGINT", "SIGQUIT", "SIGWINCH", "SIGHUP"] as const) await f.send(signal);
    assert.deepEqual(f.child().received, ["SIGHUP"]);
    assert.equal(f.supervisor.phaseName, "running", "the terminal's Ctrl-C does not end supervision");
  });

  it("Ctrl-C twice within terminalDoublePressMs kills the child; the window is measured on the clock", async () => {
    const f = await running({ stdinIsTTY: true, terminalDoublePressMs: 800 });
    await f.send("SIGINT");
    await f.clock.advance(801);
    await f.send("SIGINT");
    assert.deepEqual(f.child().received, [], "two presses 801 ms apart: the child survives both");
    await f.clock.advance(800);
    await f.send("SIGINT");
    assert.deepEqual(f.child().received, ["SIGKILL"], "the second within 800 ms kills it");
    assert.equal(await f.supervisor.done, 137);
    assert.ok(f.logged.some((l) => l.msg === "SIGINT twice within 800 ms, killing the child"));
  });

  it("Ctrl-C twice kills the child in restarting and stopping too (the default window is 2 s)", async () => {
    const f = await running({ stdinIsTTY: true, obeysStop: false });
    void f.supervisor.restart(spec("second"));
    await f.settle();
    await f.send("SIGINT");
    await f.clock.advance(2000);
    await f.send("SIGINT");
    assert.deepEqual(f.children[0]!.received, ["SIGTERM", "SIGKILL"]);
  });

  it("Ctrl-\\ marks the user's stop too: the child's exit is not a crash", async () => {
    const f = fakeSupervisor({ stdinIsTTY: true, restartOnFailure: { limit: 3, spec: () => spec("again") } });
    await f.supervisor.start(spec("first"));
    await f.send("SIGQUIT");
    f.child().exit({ code: null, signal: "SIGQUIT", exitCode: 131 });
    assert.equal(await f.supervisor.done, 131);
    assert.equal(f.children.length, 1);
  });
});
