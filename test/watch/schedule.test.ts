/** The numbers behind the watch timers: poll phase and jitter, backoff, settle window, splay. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { backoffDelay, firstPollDelay, pollDelay, settleWindow, splayDelay } from "../../src/watch/schedule.js";

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

  it("backoff grows from 1 s and never exceeds 60 s, with full jitter under the ceiling", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), unit, (attempt, r) => {
        const d = backoffDelay(attempt, r);
        return d >= 1000 && d <= Math.min(60_000, 1000 * 2 ** (attempt - 1));
      }),
    );
    assert.equal(backoffDelay(1, 0.99), 1000, "the first retry waits 1 s");
    assert.ok(backoffDelay(4, 0.99) > backoffDelay(2, 0.99), "later attempts may wait longer");
    assert.ok(backoffDelay(30, 0.999) > 59_000 && backoffDelay(30, 0.999) <= 60_000, "capped at 60 s");
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
