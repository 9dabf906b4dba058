/** Poll timers on a slot grid: the polls of many secrets share wake-ups, each within the bounds of its schedule. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { TimerGroup } from "../../src/watch/clock.js";
import { MIN_GAP, Poller } from "../../src/watch/poller.js";
import { SlotTimers, slotStep } from "../../src/watch/slots.js";
import { FakeClock } from "./fake-clock.js";

describe("slot grid", () => {
  it("the step is 5 % of the interval, at most 250 ms: every ±10 % window holds a grid point", () => {
    assert.equal(slotStep(1000), 50);
    assert.equal(slotStep(2000), 100);
    assert.equal(slotStep(30_000), 250);
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: 3_600_000 }), fc.integer({ min: 0, max: 10_000_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (interval, start, r) => {
        const clock = new FakeClock();
        const slots = new SlotTimers(new TimerGroup(clock), slotStep(interval));
        const lo = clock.now() + start + interval * 0.9;
        const hi = clock.now() + start + interval * 1.1;
        const t = slots.pick(lo, lo + r * (hi - lo), hi);
        const steps = (t - clock.now()) / slotStep(interval);
        // (Clock times are about 1.8e12: their rounding error is about 1e-4 ms.)
        return t >= lo && t <= hi && Math.abs(steps - Math.round(steps)) < 1e-3;
      }),
    );
  });

  it("picks the grid point nearest the target within the window, else the target itself", () => {
    const clock = new FakeClock();
    const origin = clock.now();
    const slots = new SlotTimers(new TimerGroup(clock), 50);
    assert.equal(slots.pick(origin + 900, origin + 1012, origin + 1100), origin + 1000);
    assert.equal(slots.pick(origin + 900, origin + 1030, origin + 1100), origin + 1050);
    assert.equal(slots.pick(origin + 1010, origin + 1012, origin + 1100), origin + 1050, "the nearest one is before the window");
    assert.equal(slots.pick(origin + 1060, origin + 1070, origin + 1099), origin + 1070, "no grid point in the window");
  });

  it("functions due in one slot share one timer; a cancelled one does not run, and a slot left empty drops its timer", async () => {
    const clock = new FakeClock();
    const slots = new SlotTimers(new TimerGroup(clock), 50);
    const ran: string[] = [];
    const t = clock.now() + 100;
    slots.at(t, () => ran.push("a"));
    const b = slots.at(t, () => ran.push("b"));
    slots.at(t, () => ran.push("c"));
    assert.equal(clock.timers, 1);
    b.cancel();
    const lone = slots.at(t + 50, () => ran.push("d"));
    assert.equal(clock.timers, 2);
    lone.cancel();
    assert.equal(clock.timers, 1);
    await clock.advance(1000);
    assert.deepEqual(ran, ["a", "c"]);
  });

  it("100 pollers on the grid: one check per interval ±10 % each, never closer than 0.9 of it, at most one wake-up per slot", async () => {
    const clock = new FakeClock();
    clock.randoms = Array.from({ length: 5000 }, (_, i) => (i * 0.6180339887) % 1);
    const timers = new TimerGroup(clock);
    const slots = new SlotTimers(timers, slotStep(1000));
    const begin = clock.now();
    const starts: number[][] = [];
    const pollers = Array.from({ length: 100 }, (_, i) => {
      starts.push([]);
      return new Poller({ intervalMs: 1000, timers, slots, check: async () => void starts[i]!.push(clock.now() - begin) });
    });
    for (const p of pollers) p.start();
    await clock.advance(20_000);
    const wakeUps = new Set(starts.flat());
    for (const s of starts) {
      assert.ok(s[0]! >= 0 && s[0]! < 1000, `first check within the interval: ${s[0]}`);
      for (let k = 1; k < s.length; k++) {
        const gap = s[k]! - s[k - 1]!;
        assert.ok(gap >= 900 && gap <= 1100, `checks ${gap} ms apart`);
      }
      assert.ok(s.length >= 18 && s.length <= 23, `${s.length} checks in 20 intervals`);
    }
    for (const t of wakeUps) assert.equal(t % 50, 0, `a check off the grid at ${t}`);
    assert.ok(wakeUps.size <= 20 * 20 + 1, `${wakeUps.size} wake-ups for ${starts.flat().length} checks`);
    for (const p of pollers) p.stop();
    await clock.advance(0);
    assert.equal(clock.timers, 0, "stopped pollers leave no timer");
  });

  it("a check longer than the interval keeps its exact gap on the grid too", async () => {
    const clock = new FakeClock();
    clock.randoms = [0];
    const timers = new TimerGroup(clock);
    const begin = clock.now();
    const starts: number[] = [];
    const poller = new Poller({
      intervalMs: 1000,
      timers,
      slots: new SlotTimers(timers, 50),
      check: async () => {
        starts.push(clock.now() - begin);
        if (starts.length === 1) await timers.sleep(3033);
        return undefined;
      },
    });
    poller.start();
    await clock.advance(3200);
    poller.stop();
    assert.deepEqual(starts, [0, 3033 + 1000 * MIN_GAP]);
  });
});
