/**
 * When envject renews its Vault token: at 2/3 of each grant, ±10% like polling (issue 11), so a
 * fleet started together (one deployment's pods) does not renew in lockstep — and never near the
 * end of the grant.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RENEW_AT, RENEW_JITTER, renewalDelay } from "../../../src/providers/vault/token-renewal.js";

describe("token renewal schedule", () => {
  it("renews between 60% and 73.3% of the grant, 2/3 in the middle", () => {
    assert.equal(renewalDelay(3600, 0), 3600 * 1000 * RENEW_AT * (1 - RENEW_JITTER));
    assert.equal(renewalDelay(3600, 0.5), (3600 * 1000 * 2) / 3);
    assert.ok(Math.abs(renewalDelay(3600, 0.999999) - 3600 * 1000 * RENEW_AT * (1 + RENEW_JITTER)) < 1);
    for (const ttl of [1, 3, 60, 3600, 32 * 86400]) {
      for (const r of [0, 0.25, 0.5, 0.75, 0.999]) {
        const d = renewalDelay(ttl, r);
        assert.ok(d >= ttl * 1000 * 0.6 - 1e-6 && d < ttl * 1000 * 0.7334, `${ttl}s at ${r}: ${d} ms`);
      }
    }
    assert.equal(renewalDelay(0, 0.3), 0);
  });

  it("a fleet of 100 started together spreads its renewals over about a fifth of 2/3 of the TTL", () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const delays = Array.from({ length: 100 }, () => renewalDelay(3600, random()));
    const spread = Math.max(...delays) - Math.min(...delays);
    assert.ok(spread > 3600 * 1000 * RENEW_AT * RENEW_JITTER, `spread ${spread} ms`);
    assert.ok(new Set(delays.map((d) => Math.round(d / 1000))).size > 50, "not in lockstep: most renew in a second of their own");
  });
});
