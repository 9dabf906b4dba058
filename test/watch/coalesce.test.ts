/** Coalescing: changes within the settle window make one batch; changes during a batch make one follow-up. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TimerGroup } from "../../src/watch/clock.js";
import { ChangeBatcher } from "../../src/watch/coalesce.js";
import { FakeClock } from "./fake-clock.js";

function setup(flushTakesMs = 0) {
  const clock = new FakeClock();
  const timers = new TimerGroup(clock);
  const batches: string[][] = [];
  const batcher = new ChangeBatcher({
    settleMs: 500,
    timers,
    flush: async (ids) => {
      batches.push([...ids].sort());
      if (flushTakesMs > 0) await timers.sleep(flushTakesMs);
    },
    onError: (error) => assert.fail(String(error)),
  });
  return { clock, timers, batches, batcher };
}

describe("change coalescing", () => {
  it("changes within the settle window are handled as one batch, after the window", async () => {
    const { clock, batches, batcher } = setup();
    batcher.mark("a");
    await clock.advance(100);
    batcher.mark("b");
    batcher.mark("a");
    await clock.advance(100);
    assert.deepEqual(batches, [], "nothing happens inside the window");
    await clock.advance(400);
    assert.deepEqual(batches, [["a", "b"]]);
    await clock.advance(5000);
    assert.equal(batches.length, 1, "no batch without a new change");
  });

  it("any number of changes during a running batch become exactly one follow-up batch", async () => {
    const { clock, batches, batcher } = setup(3000);
    batcher.mark("a");
    await clock.advance(600);
    assert.equal(batches.length, 1);
    assert.equal(batcher.busy, true);
    for (const id of ["a", "b", "c", "b"]) {
      batcher.mark(id);
      await clock.advance(200);
    }
    assert.equal(batches.length, 1, "no second batch while the first runs");
    await clock.advance(10_000);
    assert.deepEqual(batches, [["a"], ["a", "b", "c"]]);
  });

  it("nothing runs after the timers are closed", async () => {
    const { clock, timers, batches, batcher } = setup();
    batcher.mark("a");
    timers.close();
    batcher.mark("b");
    await clock.advance(10_000);
    assert.deepEqual(batches, []);
    assert.equal(clock.timers, 0, "no timer left behind");
  });

  it("an urgent change (credentials about to end) skips the settle window and takes what waits along", async () => {
    const { clock, batches, batcher } = setup();
    batcher.mark("version-change");
    await clock.advance(100);
    batcher.mark("lease", true);
    await clock.advance(0);
    assert.deepEqual(batches, [["lease", "version-change"]], "handled at once, with the change already waiting");
    await clock.advance(5000);
    assert.equal(batches.length, 1, "the cancelled window runs nothing");
  });

  it("an urgent change during a running batch is handled right after it, without a window", async () => {
    const { clock, batches, batcher } = setup(1000);
    batcher.mark("a", true);
    await clock.advance(0);
    batcher.mark("b", true);
    await clock.advance(1000);
    assert.deepEqual(batches, [["a"], ["b"]], "the follow-up starts as the first batch ends");
  });
});
