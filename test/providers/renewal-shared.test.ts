/**
 * One renewal fraction per process, shared by envject's own token and its leases: a keeper made
 * without a fraction draws the process's from its clock (the first draw fixes it), and the lease
 * schedule (src/watch/leases.ts) uses the same one, so within one envject the token and the
 * leases renew together. A file of its own: the draw happens once per process.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { Logger } from "../../src/log/logger.js";
import { RENEW_FRACTION, drawRenewalFraction, renewalFraction } from "../../src/providers/renewal.js";
import { TokenKeeper } from "../../src/providers/vault/token-keeper.js";
import { VaultSession } from "../../src/providers/vault/session.js";
import { nextLeaseStep } from "../../src/watch/leases.js";
import { FakeClock } from "../watch/fake-clock.js";
import { FakeTokenVault } from "./vault/fake-token-vault.js";

it("the token keeper and the lease renewals renew at the process's one fraction, drawn once", async () => {
  const clock = new FakeClock();
  clock.randoms = [0.9];
  const expected = drawRenewalFraction(() => 0.9);
  assert.notEqual(expected, RENEW_FRACTION);
  const vault = new FakeTokenVault(clock);
  const token = vault.createToken({ ttl: 100 });
  const logger = new Logger("error", "text", { write: () => {} });
  const session = new VaultSession(vault.client, { kind: "token", method: "token", token, source: "VAULT_TOKEN" }, logger, clock);
  const keeper = new TokenKeeper(vault.client, session, logger, { onNewLogin: () => {}, onFatal: (e) => assert.fail(e) }, { clock });
  assert.equal(clock.randoms.length, 0, "the keeper drew the process's fraction from its clock");
  const t0 = clock.now();
  keeper.start();
  await clock.advance(100_000);
  keeper.close();
  const renewedAt = vault.log.filter((e) => e.path === "auth/token/renew-self").map((e) => Math.round(e.at - t0));
  assert.equal(renewedAt[0], Math.round(100_000 * expected), "the token renewed at the drawn fraction of its TTL");

  // Later callers get the same fraction, whatever clock they pass; the lease schedule is one of them.
  assert.equal(renewalFraction({ random: () => 0 }), expected);
  const T = 1_700_000_000_000;
  const step = nextLeaseStep({ id: "l", durationSeconds: 100, renewable: true, obtainedAt: T }, 100);
  assert.equal(Math.round(step.at - T), renewedAt[0], "a lease of the same length renews at the same point of it");
});
