/** backoffDelay: 1 s..60 s, growing with each failure, jittered. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { backoffDelay } from "../../../src/providers/vault/backoff.js";

describe("backoffDelay", () => {
  it("stays within 1 s..60 s for any failure count and random draw", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (failures, r) => {
        const d = backoffDelay(failures, () => r);
        return d >= 1000 && d <= 60_000;
      }),
    );
  });

  it("doubles its ceiling with each failure until 60 s", () => {
    const top = (n: number) => backoffDelay(n, () => 0.999999);
    assert.ok(top(2) > top(1));
    assert.ok(top(3) > top(2));
    assert.ok(Math.abs(top(7) - 60_000) < 1);
    assert.ok(Math.abs(top(50) - 60_000) < 1);
  });

  it("is jittered: different draws give different delays once past the first step", () => {
    assert.notEqual(backoffDelay(4, () => 0), backoffDelay(4, () => 0.9));
    assert.ok(backoffDelay(4, () => 0) >= 4000);
  });
});
