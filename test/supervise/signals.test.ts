import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { catchSignals, FORWARDED_SIGNALS, isShutdownSignal, NEW_CHILD_SIGNAL_GRACE_MS, shouldForward, StartGrace } from "../../src/supervise/signals.js";

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
      const deadline = Date.now() + 20_000;
      while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(seen, ["SIGUSR2"]);
    } finally {
      remove();
    }
  });
});

describe("the start grace: signals held while the child is (re)starting", () => {
  const HELD = ["SIGHUP", "SIGUSR1", "SIGUSR2", "SIGWINCH"] as const;
  const held = (grace: StartGrace, now: number) => FORWARDED_SIGNALS.filter((s) => grace.holdReason(s, now) !== undefined);

  it("is one second by default (the README says so)", () => {
    assert.equal(NEW_CHILD_SIGNAL_GRACE_MS, 1000);
    assert.equal(new StartGrace().graceMs, 1000);
  });

  it("never holds SIGTERM, SIGINT or SIGQUIT", () => {
    const grace = new StartGrace(1000);
    for (const now of [0, 10]) assert.deepEqual(held(grace, now), HELD, "before the first spawn");
    grace.childSpawned(100);
    grace.restartBegins();
    assert.deepEqual(held(grace, 5000), HELD, "during a restart");
  });

  it("at the first start: holds until the child has run graceMs, then forwards", () => {
    const grace = new StartGrace(1000);
    grace.childSpawned(500);
    assert.equal(grace.holdReason("SIGHUP", 500), "the command started less than 1s ago");
    assert.equal(grace.holdReason("SIGUSR1", 1499), "the command started less than 1s ago");
    assert.deepEqual(held(grace, 1500), []);
    assert.deepEqual(held(grace, 60_000), []);
  });

  it("during a restart: holds from the moment it begins, however long the old child takes, until the new one has run graceMs", () => {
    const grace = new StartGrace(1000);
    grace.childSpawned(0);
    assert.deepEqual(held(grace, 10_000), []);
    grace.restartBegins(); // the old child is being stopped, or the wait after a crash
    for (const now of [10_000, 40_000]) assert.equal(grace.holdReason("SIGUSR1", now), "a restart is in progress");
    grace.childSpawned(40_000);
    assert.equal(grace.holdReason("SIGHUP", 40_999), "a restart is in progress");
    assert.deepEqual(held(grace, 41_000), []);
  });

  it("says the grace in the first-start reason", () => {
    const grace = new StartGrace(2500);
    grace.childSpawned(0);
    assert.equal(grace.holdReason("SIGHUP", 1), "the command started less than 2.5s ago");
  });
});
