/** The per-secret poll schedule: a random first phase, then the interval ±10%, never overlapping. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TimerGroup } from "../../src/watch/clock.js";
import { Poller } from "../../src/watch/poller.js";
import { FakeClock } from "./fake-clock.js";

describe("poller", () => {
  it("first polls at its random phase, then once per interval", async () => {
    const clock = new FakeClock();
    clock.randoms = [0.25];
    const times: number[] = [];
    const start = clock.now();
    const poller = new Poller({ intervalMs: 1000, timers: new TimerGroup(clock), check: async () => void times.push(clock.now() - start) });
    poller.start();
    await clock.advance(10_249);
    assert.deepEqual(times, [250, 1250, 2250, 3250, 4250, 5250, 6250, 7250, 8250, 9250], "phase 250 ms, then every 1000 ms (random 0.5 = no jitter)");
  });

  it("jitter spreads the polls within ±10% of the interval", async () => {
    const clock = new FakeClock();
    clock.randoms = [0, 0, 0.999, 0];
    const times: number[] = [];
    const start = clock.now();
    const poller = new Poller({ intervalMs: 1000, timers: new TimerGroup(clock), check: async () => void times.push(clock.now() - start) });
    poller.start();
    await clock.advance(3000);
    assert.equal(times[0], 0);
    assert.equal(times[1], 900);
    assert.ok(times[2]! - times[1]! > 1099 && times[2]! - times[1]! <= 1100);
  });

  it("a check that asks for a longer wait (backoff) gets it", async () => {
    const clock = new FakeClock();
    clock.randoms = [0];
    let checks = 0;
    const poller = new Poller({ intervalMs: 1000, timers: new TimerGroup(clock), check: async () => (++checks, 8000) });
    poller.start();
    await clock.advance(7999);
    assert.equal(checks, 1);
    await clock.advance(1);
    assert.equal(checks, 2);
  });

  it("checkNow during a check runs exactly one more right after it, never two at once", async () => {
    const clock = new FakeClock();
    clock.randoms = [0];
    const timers = new TimerGroup(clock);
    let running = 0;
    let overlap = false;
    let checks = 0;
    const poller = new Poller({
      intervalMs: 10_000,
      timers,
      check: async () => {
        checks++;
        if (++running > 1) overlap = true;
        await timers.sleep(500);
        running--;
        return undefined;
      },
    });
    poller.start();
    await clock.advance(100);
    poller.checkNow();
    poller.checkNow();
    await clock.advance(1000);
    assert.equal(checks, 2);
    assert.equal(overlap, false);
    poller.stop();
    await clock.advance(100_000);
    assert.equal(checks, 2, "stopped");
  });
});
