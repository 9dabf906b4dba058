/**
 * The renewal fraction (src/providers/renewal.ts): 2/3 of a grant with ±10 % jitter, drawn once
 * per process, never at or after the grant's end; and a fleet of keepers with different draws does
 * not renew in lockstep. (That the token keeper and the lease renewals share the process's one
 * fraction is renewal-shared.test.ts: it needs a process of its own.)
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Logger } from "../../src/log/logger.js";
import type { KeepAliveEvents } from "../../src/providers/provider.js";
import { RENEW_FRACTION, drawRenewalFraction, renewalInstant } from "../../src/providers/renewal.js";
import { TokenKeeper } from "../../src/providers/vault/token-keeper.js";
import { VaultSession } from "../../src/providers/vault/session.js";
import { approleAuth } from "../support/vault-auth.js";
import { FakeClock } from "../watch/fake-clock.js";
import { FakeTokenVault } from "./vault/fake-token-vault.js";

const LOW = RENEW_FRACTION * 0.9;
const HIGH = RENEW_FRACTION * 1.1;
/** Evenly spread draws over [0, 1), both ends included as closely as a random source can give them. */
const DRAWS = [0, ...Array.from({ length: 9999 }, (_, i) => (i + 1) / 10_000), 1 - Number.EPSILON];

describe("the renewal fraction", () => {
  it("stays within 2/3 × [0.9, 1.1] over many draws, and reaches both ends", () => {
    const fractions = DRAWS.map((r) => drawRenewalFraction(() => r));
    assert.ok(
      fractions.every((f) => f >= LOW && f < HIGH),
      "all within 2/3 × [0.9, 1.1)",
    );
    assert.ok(Math.abs(Math.min(...fractions) - LOW) < 1e-12, `lowest ${Math.min(...fractions)}`);
    assert.ok(HIGH - Math.max(...fractions) < 1e-12, `highest ${Math.max(...fractions)}`);
  });

  it("is uniform: a draw's place in [0, 1) is its place in the range, and 0.5 is 2/3 exactly", () => {
    assert.equal(
      drawRenewalFraction(() => 0.5),
      RENEW_FRACTION,
    );
    const fractions = DRAWS.map((r) => drawRenewalFraction(() => r));
    assert.ok(
      fractions.every((f, i) => i === 0 || f > fractions[i - 1]!),
      "strictly increasing in the draw",
    );
    const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
    assert.ok(Math.abs(mean - RENEW_FRACTION) < 1e-4, `mean ${mean}`);
  });

  it("never schedules a renewal at or after the grant's end, whatever fraction it is given", () => {
    const start = 1_700_000_000_000;
    for (const fraction of [...DRAWS.map((r) => drawRenewalFraction(() => r)), 1, 1.5, 99, Infinity, -1, Number.NaN]) {
      for (const durationMs of [1, 999, 1000, 3000, 86_400_000]) {
        const at = renewalInstant(start, durationMs, fraction);
        assert.ok(at > start && at < start + durationMs, `fraction ${fraction}, ${durationMs} ms: at +${at - start}`);
      }
    }
  });

  it("a fraction within the range is used as it is", () => {
    assert.equal(renewalInstant(0, 30_000, RENEW_FRACTION), 20_000);
    assert.equal(renewalInstant(0, 30_000, 0.7), 21_000);
    assert.equal(renewalInstant(0, 30_000, 1), 30_000 * HIGH, "above the range: held at its top");
  });
});

describe("a fleet of keepers started together", () => {
  const FLEET = 20;

  /** Starts one AppRole keeper per fraction on one fake clock, all at once, and returns when each first renewed. */
  async function firstRenewals(fractions: number[]): Promise<number[]> {
    const clock = new FakeClock();
    const vault = new FakeTokenVault(clock);
    const logger = new Logger("error", "text", { write: () => {} });
    const events: KeepAliveEvents = { onNewLogin: () => {}, onFatal: (e) => assert.fail(e) };
    const keepers = fractions.map((fraction) => {
      const { roleId, secretId } = vault.createAppRole({ ttl: 30, maxTtl: 3600 });
      const session = new VaultSession(vault.client, approleAuth(roleId, secretId), logger, clock);
      return new TokenKeeper(vault.client, session, logger, events, { clock, fraction });
    });
    const t0 = clock.now();
    for (const k of keepers) k.start();
    await clock.advance(30_000);
    for (const k of keepers) k.close();
    const renewals = vault.log.filter((e) => e.path === "auth/token/renew-self" && e.status === 200);
    assert.equal(renewals.length, FLEET, "each keeper renewed once within its first 30 s token");
    return renewals.map((e) => Math.round(e.at - t0));
  }

  it("with different random draws, renews at as many distinct instants as it has keepers, spread over ±10 % of 2/3", async () => {
    const fractions = Array.from({ length: FLEET }, (_, i) => drawRenewalFraction(() => (i + 0.5) / FLEET));
    const at = await firstRenewals(fractions);
    assert.equal(new Set(at).size, FLEET, `distinct renewal instants: ${[...new Set(at)].sort((a, b) => a - b).join(", ")}`);
    assert.ok(
      at.every((t) => t >= 30_000 * LOW && t <= 30_000 * HIGH),
      "each within 2/3 × [0.9, 1.1] of the 30 s TTL",
    );
    assert.ok(Math.max(...at) - Math.min(...at) > 30_000 * (HIGH - LOW) * 0.9, "spread over nearly the whole range");
  });

  it("without jitter (every keeper at 2/3), renews at one instant: what the draw prevents", async () => {
    const at = await firstRenewals(Array.from({ length: FLEET }, () => RENEW_FRACTION));
    assert.deepEqual([...new Set(at)], [20_000]);
  });
});
