/** The lease schedule: renew at 2/3, and read again once a renewal comes back shorter than asked. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nextLeaseStep } from "../../src/watch/leases.js";
import { renewalFraction } from "../../src/providers/renewal.js";

// This process renews at 2/3 exactly (its one draw is 0.5): the schedule is tested here, its jitter in test/providers/renewal.test.ts.
renewalFraction({ random: () => 0.5 });

const T0 = 1_700_000_000_000;

describe("lease schedule", () => {
  it("a fresh renewable lease is renewed once 2/3 of it has passed", () => {
    assert.deepEqual(nextLeaseStep({ id: "l", durationSeconds: 30, renewable: true, obtainedAt: T0 }, 30), { at: T0 + 20_000, action: "renew" });
  });

  it("a renewal granted as long as asked is renewed again at 2/3 of the new grant", () => {
    const renewed = { id: "l", durationSeconds: 30, renewable: true, obtainedAt: T0 + 20_000 };
    assert.deepEqual(nextLeaseStep(renewed, 30), { at: T0 + 40_000, action: "renew" });
  });

  it("a renewal granted shorter than asked means the max TTL is near: read again at once, while the grant still runs", () => {
    const capped = { id: "l", durationSeconds: 9, renewable: true, obtainedAt: T0 + 40_000 };
    assert.deepEqual(nextLeaseStep(capped, 30), { at: T0 + 40_000, action: "reread" });
  });

  it("a lease that cannot be renewed is replaced by a fresh read at 2/3", () => {
    assert.deepEqual(nextLeaseStep({ id: "l", durationSeconds: 3, renewable: false, obtainedAt: T0 }, 3), { at: T0 + 2000, action: "reread" });
  });
});
