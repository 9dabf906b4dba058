/**
 * The young generation held at its starting size while envject watches (src/watch/heap.ts). Each
 * case runs in a Node process of its own (a V8 flag set here would stay set in the test runner):
 * it allocates the way a watching envject does, short-lived objects with a few survivors at each
 * scavenge, and reports the young generation's size. Sizes, not times.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";

const root = join(import.meta.dirname, "..", "..");

/** The new space's size (MiB) at the start and after the allocation, with or without holdYoungGeneration(). */
function youngGeneration(hold: boolean): { before: number; after: number } {
  const script = `
    const v8 = require("node:v8");
    const size = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size / 1048576;
    const run = async () => {
      if (${hold}) {
        const { holdYoungGeneration } = await import(${JSON.stringify(join(root, "src/watch/heap.ts"))});
        holdYoungGeneration();
        holdYoungGeneration(); // twice: idempotent
      }
      const before = size();
      let kept = [];
      for (let round = 0; round < 400; round++) {
        for (let i = 0; i < 2000; i++) {
          const o = { text: "poll-" + round + "-" + i, pair: [round, i], bytes: Buffer.alloc(64) };
          if (i % 50 === 0) kept.push(o);
        }
        if (kept.length > 2000) kept = kept.slice(1000);
        await new Promise((r) => setImmediate(r));
      }
      console.log(JSON.stringify({ before, after: size() }));
    };
    run();`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: root, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim()) as { before: number; after: number };
}

describe("young generation held while watching", () => {
  it("without the hold, V8 grows the young generation under a watcher's allocation (the control)", () => {
    const { before, after } = youngGeneration(false);
    assert.ok(after >= 4 * before, `grew from ${before} to ${after} MiB`);
  });

  it("with the hold, it stays at its starting size", () => {
    const { before, after } = youngGeneration(true);
    assert.ok(after <= before, `stayed at ${before} MiB, was ${after} MiB`);
  });
});
