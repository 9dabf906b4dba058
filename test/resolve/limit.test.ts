import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConcurrencyLimit } from "../../src/resolve/limit.js";

describe("ConcurrencyLimit", () => {
  it("never runs more than the limit at once and runs everything", async () => {
    const limit = new ConcurrencyLimit(3);
    let active = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limit.run(async () => {
          active++;
          peak = Math.max(peak, active);
          // Yield to the event loop (not to a clock), so the other runs start before this one ends.
          await new Promise((resolve) => setImmediate(resolve));
          active--;
          return i;
        }),
      ),
    );
    assert.equal(peak, 3);
    assert.deepEqual(
      results,
      Array.from({ length: 20 }, (_, i) => i),
    );
  });

  it("releases the slot when an operation fails", async () => {
    const limit = new ConcurrencyLimit(1);
    await assert.rejects(limit.run(async () => Promise.reject(new Error("x"))));
    assert.equal(await limit.run(async () => 7), 7);
  });
});
