/**
 * renewLease: `sys/leases/renew` on the double's database leases, counted in its request log;
 * a capped renewal (max TTL near) comes back shorter than asked; a lease that is gone is a
 * NotFoundError (the watcher reads the secret again), a denied one an AuthError.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { AuthError, NotFoundError, UnavailableError } from "../../../src/errors.js";
import type { Lease } from "../../../src/providers/provider.js";
import { Logger } from "../../../src/log/logger.js";
import { VaultProvider } from "../../../src/providers/vault/provider.js";
import { FakeClock } from "../../watch/fake-clock.js";
import { eventually, harness, logSince, providerSuite, ref, settingsFor, soon } from "./harness.js";

const suite = providerSuite({
  prepare: async (sv) => {
    await sv.admin.createDatabaseRole("capped", { default_ttl: 60, max_ttl: 100 });
    await sv.admin.createDatabaseRole("brief", { default_ttl: 1, max_ttl: 1 });
  },
  reset: async (sv) => {
    await sv.admin.clearDenials();
    await sv.admin.clearFaults();
    await sv.admin.unseal();
  },
});

const once = () => ({ deadline: soon(), once: true });

/** Settles `work` (real requests to the double) while moving `clock` on, so the waits between its attempts pass. */
async function onFakeTime<T>(clock: FakeClock, work: Promise<T>): Promise<T> {
  let done = false;
  const settled = work.finally(() => (done = true));
  while (!done) await clock.advance(50);
  return settled;
}

async function leaseOf(provider: VaultProvider, role: string): Promise<Lease> {
  const doc = await provider.read(ref(`vault://database/creds/${role}`), { deadline: soon() });
  assert.ok(doc.lease, "a leased secret");
  return doc.lease;
}

describe("renewLease", () => {
  it("renews a database lease with one sys/leases/renew request, as granted", async () => {
    const h = harness(settingsFor(suite.sv), suite.open);
    const lease = await leaseOf(h.provider, "readonly");
    assert.equal(lease.durationSeconds, 3600);
    let renewed: Lease | undefined;
    const log = await logSince(suite.sv, async () => {
      renewed = await h.provider.renewLease(lease, 1800, once());
    });
    assert.deepEqual(
      log.map((e) => `${e.method} ${e.path} ${e.status}`),
      ["PUT sys/leases/renew 200"],
    );
    assert.equal(renewed!.id, lease.id);
    assert.equal(renewed!.durationSeconds, 1800);
    assert.equal(renewed!.renewable, true);
    assert.ok(renewed!.obtainedAt >= lease.obtainedAt);
    const view = (await suite.sv.admin.leases()).find((l) => l.lease_id === lease.id);
    assert.equal(view?.renewals, 1);
  });

  it("a renewal near the max TTL is granted less than asked", async () => {
    const h = harness(settingsFor(suite.sv), suite.open);
    const lease = await leaseOf(h.provider, "capped");
    const renewed = await h.provider.renewLease(lease, 3600, once());
    assert.ok(renewed.durationSeconds > 0, `granted ${renewed.durationSeconds}`);
    assert.ok(renewed.durationSeconds <= 100, `capped at the role's max TTL, got ${renewed.durationSeconds}`);
  });

  it("a revoked lease can no longer be renewed: NotFoundError saying so", async () => {
    const h = harness(settingsFor(suite.sv), suite.open);
    const lease = await leaseOf(h.provider, "readonly");
    await h.provider.revokeLeases([lease]);
    await assert.rejects(h.provider.renewLease(lease, 3600, once()), (e: unknown) => {
      assert.ok(e instanceof NotFoundError, String(e));
      assert.equal(e.exitCode, 78);
      assert.match(e.message, /can no longer be renewed/);
      assert.match(e.message, /lease not found/);
      return true;
    });
  });

  it("an expired lease can no longer be renewed: NotFoundError", async () => {
    const h = harness(settingsFor(suite.sv), suite.open);
    const lease = await leaseOf(h.provider, "brief");
    await eventually(async () => (await suite.sv.admin.leases()).find((l) => l.lease_id === lease.id)?.state === "expired", "the lease expires");
    await assert.rejects(h.provider.renewLease(lease, 60, once()), (e: unknown) => e instanceof NotFoundError && /lease expired/.test(e.message));
  });

  it("a denied renewal is an AuthError (77)", async () => {
    const h = harness(settingsFor(suite.sv), suite.open);
    const lease = await leaseOf(h.provider, "readonly");
    await suite.sv.admin.deny({ path: "sys/leases/renew" });
    await assert.rejects(h.provider.renewLease(lease, 3600, once()), (e: unknown) => e instanceof AuthError && /can no longer be renewed/.test(e.message));
    await h.provider.revokeLeases([lease]);
  });

  it("a sealed Vault is a retryable UnavailableError after one request with once", async () => {
    const h = harness(settingsFor(suite.sv), suite.open);
    const lease = await leaseOf(h.provider, "readonly");
    await suite.sv.admin.seal();
    const log = await logSince(suite.sv, () => assert.rejects(h.provider.renewLease(lease, 3600, once()), (e: unknown) => e instanceof UnavailableError && e.retryable && /sealed/.test(e.message)));
    assert.equal(log.length, 1);
    await suite.sv.admin.unseal();
    await h.provider.revokeLeases([lease]);
  });

  it("without once, a 500 is retried until it works (the waits between attempts on the provider's clock, a fake one here)", async () => {
    const clock = new FakeClock();
    const provider = new VaultProvider(settingsFor(suite.sv), new Logger("error", "text", { write: () => {} }), clock);
    suite.open.push(provider);
    const lease = await leaseOf(provider, "readonly");
    await suite.sv.admin.fault({ path_prefix: "sys/leases/renew", status: 500, count: 2 });
    // An hour of fake time for the retries: the fake clock runs ahead while the double answers in real time.
    const log = await logSince(suite.sv, () => onFakeTime(clock, provider.renewLease(lease, 600, { deadline: clock.now() + 3_600_000 })));
    assert.deepEqual(
      log.map((e) => e.status),
      [500, 500, 200],
    );
    await provider.revokeLeases([lease]);
  });

  it("never logs the secret's values", async () => {
    const h = harness(settingsFor(suite.sv), suite.open);
    const doc = await h.provider.read(ref("vault://database/creds/readonly"), { deadline: soon() });
    await h.provider.renewLease(doc.lease!, 600, once());
    const password = (doc.data as Record<string, string>).password!;
    assert.ok(h.lines.every((l) => !l.includes(password)));
    await h.provider.revokeLeases([doc.lease!]);
  });
});
