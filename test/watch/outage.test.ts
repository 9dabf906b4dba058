/** Store outages: one warning down, one info line up, attempts at debug, backoff between them. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AuthError, UnavailableError } from "../../src/errors.js";
import { TimerGroup } from "../../src/watch/clock.js";
import { StoreOutage, isOutage } from "../../src/watch/outage.js";
import { captureLogger } from "../support/logger.js";
import { FakeClock } from "./fake-clock.js";

function setup(probeResults: Array<"down" | "up" | "denied">) {
  const clock = new FakeClock();
  clock.randoms = Array(50).fill(0.999);
  const timers = new TimerGroup(clock);
  const { logger, count } = captureLogger();
  let probes = 0;
  let recovered = 0;
  const outage = new StoreOutage({
    label: "Vault",
    timers,
    logger,
    probe: async () => {
      const r = probeResults[probes++] ?? "up";
      if (r === "down") throw new UnavailableError("Vault at http://x could not be reached");
      if (r === "denied") throw new AuthError("permission denied");
    },
    onRecovered: () => recovered++,
  });
  return { clock, timers, count, outage, probes: () => probes, recovered: () => recovered };
}

const down = new UnavailableError("Vault is sealed");

describe("store outage", () => {
  it("only retryable UnavailableErrors are outages", () => {
    assert.equal(isOutage(down), true);
    assert.equal(isOutage(new UnavailableError("gave up", { retryable: false })), false);
    assert.equal(isOutage(new AuthError("denied")), false);
  });

  it("warns once however many failures are reported, probes with backoff, and recovers once", async () => {
    const s = setup(["down", "down", "down", "up"]);
    s.outage.failed(down);
    s.outage.failed(down);
    s.outage.failed(down);
    assert.equal(s.outage.down, true);
    assert.equal(s.count("warn", /Vault is unreachable; the command keeps running with its current values/), 1);
    await s.clock.advance(999);
    assert.equal(s.probes(), 0, "the first attempt waits a second");
    await s.clock.advance(1);
    assert.equal(s.probes(), 1);
    await s.clock.advance(2000);
    assert.equal(s.probes(), 2, "then about two seconds");
    await s.clock.advance(4000);
    assert.equal(s.probes(), 3, "then about four");
    await s.clock.advance(8000);
    assert.equal(s.probes(), 4);
    assert.equal(s.outage.down, false);
    assert.equal(s.recovered(), 1);
    assert.equal(s.count("info", /Vault is reachable again after 15s/), 1);
    assert.equal(s.count("debug", /trying Vault again/), 4, "each attempt at debug level");
    assert.equal(s.count("warn", /unreachable/), 1);
    await s.clock.advance(600_000);
    assert.equal(s.probes(), 4, "no probing once up");
  });

  it("an answer that is a denial still means the store is reachable", async () => {
    const s = setup(["denied"]);
    s.outage.failed(down);
    await s.clock.advance(1000);
    assert.equal(s.outage.down, false);
    assert.equal(s.recovered(), 1);
  });

  it("a second outage warns again", async () => {
    const s = setup(["up", "up"]);
    s.outage.failed(down);
    await s.clock.advance(1000);
    s.outage.failed(down);
    assert.equal(s.count("warn", /unreachable/), 2);
  });

  it("closing the timers ends the probe loop", async () => {
    const s = setup(["down", "down", "down"]);
    s.outage.failed(down);
    s.timers.close();
    await s.clock.advance(600_000);
    assert.equal(s.probes(), 0);
    assert.equal(s.recovered(), 0);
  });
});
