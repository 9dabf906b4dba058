import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { formatDuration, parseDuration } from "../../src/config/duration.js";

describe("DURATION", () => {
  it("reads units, sums and bare seconds", () => {
    assert.equal(parseDuration("500ms"), 500);
    assert.equal(parseDuration("30s"), 30_000);
    assert.equal(parseDuration("5m"), 300_000);
    assert.equal(parseDuration("1h"), 3_600_000);
    assert.equal(parseDuration("1m30s"), 90_000);
    assert.equal(parseDuration("1h2m3s4ms"), 3_723_004);
    assert.equal(parseDuration("45"), 45_000);
    assert.equal(parseDuration("0.5"), 500);
    assert.equal(parseDuration("1.5s"), 1500);
    assert.equal(parseDuration("0s"), 0);
  });

  it("rejects everything else", () => {
    for (const bad of ["", "s", "10x", "-1s", "1 m", "1m 30s", "ms", "1s2", "abc", "1e3"]) {
      assert.equal(parseDuration(bad), undefined, bad);
    }
  });

  it("formats back to something it parses to the same value", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 86_400_000 }), (ms) => {
        const text = formatDuration(ms);
        const back = parseDuration(text)!;
        // Formatting rounds to whole seconds above one minute.
        assert.ok(Math.abs(back - ms) <= (ms >= 60_000 ? 500 : 1), `${ms} -> ${text} -> ${back}`);
      }),
    );
  });
});
