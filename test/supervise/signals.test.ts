import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { catchSignals, FORWARDED_SIGNALS, heldDuringStart, isShutdownSignal, NEW_CHILD_SIGNAL_GRACE_MS, shouldForward } from "../../src/supervise/signals.js";
import { waitFor } from "../support/wait.js";

describe("signal forwarding policy", () => {
  it("forwards every listed signal when stdin is not a terminal", () => {
    for (const signal of FORWARDED_SIGNALS) assert.equal(shouldForward(signal, false), true, signal);
  });

  it("does not forward the terminal-generated SIGINT, SIGQUIT and SIGWINCH again when stdin is a terminal", () => {
    const forwarded = FORWARDED_SIGNALS.filter((s) => shouldForward(s, true));
    assert.deepEqual(forwarded, ["SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2"]);
  });

  it("lists the signals of the product contract", () => {
    assert.deepEqual([...FORWARDED_SIGNALS].sort(), ["SIGHUP", "SIGINT", "SIGQUIT", "SIGTERM", "SIGUSR1", "SIGUSR2", "SIGWINCH"]);
  });

  it("treats SIGTERM and SIGINT, and only those, as requests to stop", () => {
    assert.deepEqual(FORWARDED_SIGNALS.filter(isShutdownSignal).sort(), ["SIGINT", "SIGTERM"]);
  });

  it("installs a handler for every listed signal and removes each one again", () => {
    const before = FORWARDED_SIGNALS.map((s) => process.listenerCount(s));
    const remove = catchSignals(() => {});
    FORWARDED_SIGNALS.forEach((s, i) => assert.equal(process.listenerCount(s), before[i]! + 1, s));
    remove();
    FORWARDED_SIGNALS.forEach((s, i) => assert.equal(process.listenerCount(s), before[i], s));
  });

  it("hands a received signal to the handler by name", async () => {
    const seen: string[] = [];
    const remove = catchSignals((s) => seen.push(s));
    try {
      process.kill(process.pid, "SIGUSR2");
      // The kernel delivers it asynchronously: wait for the delivery, not for a time.
      await waitFor("the SIGUSR2 to arrive", () => seen.length > 0, 20_000);
      assert.deepEqual(seen, ["SIGUSR2"]);
    } finally {
      remove();
    }
  });
});

describe("the start grace: which signals a new child does not get yet", () => {
  it("is one second by default (the README says so)", () => {
    assert.equal(NEW_CHILD_SIGNAL_GRACE_MS, 1000);
  });

  it("holds SIGHUP, SIGUSR1, SIGUSR2 and SIGWINCH, never SIGTERM, SIGINT or SIGQUIT", () => {
    assert.deepEqual(FORWARDED_SIGNALS.filter(heldDuringStart), ["SIGHUP", "SIGUSR1", "SIGUSR2", "SIGWINCH"]);
  });

  // When the grace applies (the first start, a restart, its end) is the Supervisor's phase:
  // test/supervise/phases.test.ts.
});
