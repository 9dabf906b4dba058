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
    assert.ok(times[2]! - times[1] > 1099 && times[2]! - times[1] <= 1100);
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

  it("counts the interval from the start of a check, so a slow answer keeps the secret's phase", async () => {
    // The store stalls on the second check: it answers after 700 ms instead of at once.
    const starts = await checkStarts({ random: 0.25, slowCheck: 2, slowMs: 700, runMs: 4300 });
    assert.deepEqual(starts, [250, 1250, 2250, 3250, 4250], "the stall did not shift the later checks by 700 ms");
  });

  it("after a stall, a fleet of pollers stays spread: the answers arrive together, the next checks do not", async () => {
    const clock = new FakeClock();
    const timers = new TimerGroup(clock);
    const begin = clock.now();
    let stallUntil = 0;
    const starts: number[] = [];
    const pollers = Array.from({ length: 50 }, (_, i) => {
      clock.randoms.push(i / 50); // phases spread over the interval
      return new Poller({
        intervalMs: 1000,
        timers,
        check: async () => {
          starts.push(clock.now() - begin);
          const now = clock.now() - begin;
          if (now < stallUntil) await timers.sleep(stallUntil - now); // every answer waits for the stall's end
          return undefined;
        },
      });
    });
    for (const p of pollers) p.start();
    await clock.advance(1000);
    stallUntil = 2000; // the store stalls from 1000 to 2000 ms: 50 answers arrive at 2000 at once
    await clock.advance(3000);
    // With random 0.5 (no jitter) the checks of 3000..4000 ms must still be spread as at first.
    const after = starts.filter((t) => t >= 3000 && t < 4000);
    const perBucket = new Array(10).fill(0);
    for (const t of after) perBucket[Math.floor((t - 3000) / 100)]++;
    assert.equal(after.length, 50);
    assert.ok(Math.max(...perBucket) <= 10, `checks bunched after the stall (peak over twice the mean of 5): ${perBucket.join(" ")}`);
    for (const p of pollers) p.stop();
  });

  it("a check longer than the interval is followed after a short gap, never overlapping", async () => {
    const starts = await checkStarts({ random: 0, slowCheck: 1, slowMs: 3000, runMs: 3200 });
    assert.deepEqual(starts, [0, 3100], "the next check waits 10 % of the interval after the slow one ended");
  });
});

/** When the checks of one poller (interval 1 s, first phase `random`) start, when check number `slowCheck` takes `slowMs`. */
async function checkStarts(o: { random: number; slowCheck: number; slowMs: number; runMs: number }): Promise<number[]> {
  const clock = new FakeClock();
  clock.randoms = [o.random];
  const timers = new TimerGroup(clock);
  const starts: number[] = [];
  const begin = clock.now();
  const poller = new Poller({
    intervalMs: 1000,
    timers,
    check: async () => {
      starts.push(clock.now() - begin);
      if (starts.length === o.slowCheck) await timers.sleep(o.slowMs);
      return undefined;
    },
  });
  poller.start();
  await clock.advance(o.runMs);
  poller.stop();
  return starts;
}
