/** The numbers behind the watch timers: poll phase and jitter, backoff, settle window, splay. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { firstPollDelay, pollDelay, settleWindow, splayDelay } from "../../src/watch/schedule.js";

const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe("watch schedule", () => {
  it("the first poll falls at a random phase within one interval", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: 3_600_000 }), unit, (interval, r) => {
        const d = firstPollDelay(interval, r);
        return d >= 0 && d < interval;
      }),
    );
    assert.notEqual(firstPollDelay(30_000, 0.1), firstPollDelay(30_000, 0.7), "different draws, different phases");
  });

  it("polls are spaced by the interval ±10%", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: 3_600_000 }), unit, (interval, r) => {
        const d = pollDelay(interval, r);
        return d >= interval * 0.9 && d <= interval * 1.1;
      }),
    );
    assert.equal(pollDelay(10_000, 0), 9000);
    assert.equal(pollDelay(10_000, 0.5), 10_000);
  });

  it("the settle window is half the interval, at most 2 s", () => {
    assert.equal(settleWindow(1000), 500);
    assert.equal(settleWindow(3000), 1500);
    assert.equal(settleWindow(30_000), 2000);
  });

  it("splay is a random delay between 0 and the splay", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 600_000 }), unit, (splay, r) => splayDelay(splay, r) >= 0 && splayDelay(splay, r) <= splay));
  });
});
