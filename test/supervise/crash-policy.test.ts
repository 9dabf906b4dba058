/**
 * The crash policy alone (docs/contract/supervision.md#crash-restarts `--restart-on-failure`): the backoff doubles from 1s and
 * is capped at 60s, a limit of N allows N restarts in a row, and a healthy run starts the count
 * and the backoff over.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { backoffDelay, type CrashDecision, CrashPolicy } from "../../src/supervise/crash-policy.js";

/** A policy without jitter, so delays are the nominal ones. */
function policy(limit: number, extra: Partial<ConstructorParameters<typeof CrashPolicy>[0]> = {}): CrashPolicy {
  return new CrashPolicy({ limit, jitter: 0, ...extra });
}

function delays(decisions: CrashDecision[]): (number | "give up")[] {
  return decisions.map((d) => (d.restart ? d.delayMs : "give up"));
}

describe("backoff", () => {
  it("doubles from 1s and is capped at 60s by default", () => {
    assert.deepEqual(
      Array.from({ length: 9 }, (_, i) => backoffDelay(i + 1)),
      [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000],
    );
  });

  it("follows the initial delay and the cap it is given", () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((a) => backoffDelay(a, 50, 300)),
      [50, 100, 200, 300, 300],
    );
  });

  it("stays finite and capped for any number of attempts", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 120_000 }), (attempt, initial, max) => {
        const d = backoffDelay(attempt, initial, max);
        assert.ok(Number.isFinite(d) && d >= 0 && d <= max, `attempt ${attempt}: ${d}`);
        assert.ok(backoffDelay(attempt + 1, initial, max) >= d, "never shrinks");
      }),
    );
  });

  it("jitter only takes off, at most its fraction, so the cap holds", () => {
    for (const r of [0, 0.5, 0.999]) {
      const p = new CrashPolicy({ limit: 10, jitter: 0.1, random: () => r });
      const got = Array.from({ length: 8 }, () => p.onCrash(0));
      got.forEach((d, i) => {
        assert.ok(d.restart);
        const nominal = backoffDelay(i + 1);
        assert.ok(d.delayMs <= nominal && d.delayMs >= nominal * 0.9, `restart ${i + 1} with random ${r}: ${d.delayMs}`);
      });
    }
    // The default jitter is 10%: half of it takes 50 ms off the first second.
    assert.deepEqual(new CrashPolicy({ limit: 1, random: () => 0.5 }).onCrash(0), { restart: true, attempt: 1, limit: 1, delayMs: 950 });
  });
});

describe("the limit", () => {
  it("allows `limit` restarts in a row, numbered, with growing delays, then gives up", () => {
    const p = policy(3);
    const decisions = [p.onCrash(10), p.onCrash(10), p.onCrash(10), p.onCrash(10), p.onCrash(10)];
    assert.deepEqual(decisions, [
      { restart: true, attempt: 1, limit: 3, delayMs: 1_000 },
      { restart: true, attempt: 2, limit: 3, delayMs: 2_000 },
      { restart: true, attempt: 3, limit: 3, delayMs: 4_000 },
      { restart: false, attempt: 3, limit: 3 },
      { restart: false, attempt: 3, limit: 3 },
    ]);
  });

  it("0 never restarts, however healthy the run", () => {
    const p = policy(0);
    assert.deepEqual(
      [p.onCrash(0), p.onCrash(10 * 60_000)],
      [
        { restart: false, attempt: 0, limit: 0 },
        { restart: false, attempt: 0, limit: 0 },
      ],
    );
  });
});

describe("the reset after a healthy run", () => {
  it("a run of healthyAfterMs or longer starts the count and the backoff over", () => {
    const p = policy(2, { healthyAfterMs: 60_000 });
    assert.deepEqual(delays([p.onCrash(5), p.onCrash(5)]), [1_000, 2_000]);
    // The limit is used up, but this run was healthy: restart 1 again, with the first delay.
    assert.deepEqual(p.onCrash(60_000), { restart: true, attempt: 1, limit: 2, delayMs: 1_000 });
    assert.deepEqual(delays([p.onCrash(59_999), p.onCrash(59_999)]), [2_000, "give up"]);
  });

  it("lets more than `limit` crashes through as long as each run was healthy", () => {
    const p = policy(1, { healthyAfterMs: 300 });
    const decisions = Array.from({ length: 20 }, () => p.onCrash(300));
    assert.ok(decisions.every((d) => d.restart && d.attempt === 1 && d.delayMs === 1_000));
    assert.equal(p.onCrash(299).restart, false);
  });

  it("defaults to one minute", () => {
    const p = policy(1);
    assert.equal(p.onCrash(0).restart, true);
    assert.equal(p.onCrash(59_999).restart, false);
    assert.equal(p.onCrash(60_000).restart, true);
  });

  it("counts restarts in a row: any sequence of runs restarts exactly while the unhealthy streak is within the limit", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 }), fc.array(fc.boolean(), { maxLength: 40 }), (limit, healthy) => {
        const p = policy(limit, { healthyAfterMs: 100 });
        let streak = 0;
        for (const h of healthy) {
          if (h) streak = 0;
          const d = p.onCrash(h ? 100 : 99);
          const expected = limit > 0 && streak < limit;
          assert.equal(d.restart, expected);
          if (d.restart) {
            streak += 1;
            assert.equal(d.attempt, streak);
            assert.equal(d.delayMs, backoffDelay(streak));
          }
          if (!expected) return; // supervision ends at the first refusal
        }
      }),
    );
  });
});
