/** The shared backoff rule: the ceiling every caller jitters, and the 1 s..60 s wait while envject runs. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { backoffCeiling, runtimeBackoff } from "../src/backoff.js";

const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe("backoffCeiling", () => {
  it("doubles from the first wait and stops at the cap, finite for any attempt count", () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((a) => backoffCeiling(a, 250, 5000)),
      [250, 500, 1000, 2000, 4000],
    );
    assert.equal(backoffCeiling(6, 250, 5000), 5000);
    assert.equal(backoffCeiling(10_000, 1000, 60_000), 60_000);
    assert.equal(backoffCeiling(0, 1000, 60_000), 1000, "attempt numbers start at 1");
  });
});

describe("runtimeBackoff", () => {
  it("stays within 1 s..60 s and under its step's ceiling for any failure count and random draw", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), unit, (failures, r) => {
        const d = runtimeBackoff(failures, r);
        return d >= 1000 && d <= Math.min(60_000, 1000 * 2 ** Math.min(failures - 1, 52));
      }),
    );
  });

  it("waits 1 s after the first failure, then doubles its ceiling with each failure until 60 s", () => {
    assert.equal(runtimeBackoff(1, 0.99), 1000, "the first retry waits 1 s");
    const top = (n: number) => runtimeBackoff(n, 0.999999);
    assert.ok(top(2) > top(1));
    assert.ok(top(3) > top(2));
    assert.ok(runtimeBackoff(4, 0.99) > runtimeBackoff(2, 0.99), "later attempts wait longer");
    assert.ok(Math.abs(top(7) - 60_000) < 1);
    assert.ok(Math.abs(top(50) - 60_000) < 1);
    assert.ok(runtimeBackoff(30, 0.999) > 59_000 && runtimeBackoff(30, 0.999) <= 60_000, "capped at 60 s");
  });

  it("is jittered within the upper half of its step: different draws, and the wait still grows", () => {
    assert.notEqual(runtimeBackoff(4, 0), runtimeBackoff(4, 0.9));
    assert.ok(runtimeBackoff(4, 0) >= 4000);
  });
});
