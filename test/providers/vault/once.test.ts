/**
 * `read(ref, { once: true })` and `stamp(ref, { once: true })`: one attempt, a retryable failure
 * thrown as the UnavailableError it is, and no outage line in the log (the watcher logs outages).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { UnavailableError } from "../../../src/errors.js";
import { SEED } from "../../support/vault-fixture.js";
import { harness, providerSuite, logSince, ref, settingsFor, soon } from "./harness.js";

const suite = providerSuite({
  reset: async (sv) => {
    await sv.control.clearFaults();
    await sv.admin.unseal();
  },
});

const retryable = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof UnavailableError, String(e));
  assert.equal(e.retryable, true);
  assert.equal(e.exitCode, 69);
  assert.match(e.message, pattern);
  assert.doesNotMatch(e.message, /gave up/);
  return true;
};

const outageLines = (lines: string[]) => lines.filter((l) => /unavailable|reachable again|retrying/i.test(l));

describe("read with once", () => {
  it("makes one request to a sealed Vault and throws a retryable UnavailableError without logging a warning", async () => {
    const h = harness(settingsFor(suite.sv), suite.open);
    await h.provider.read(ref("vault://secret/myapp/db"), { deadline: soon() });
    await suite.sv.admin.seal();
    const log = await logSince(suite.sv, () => assert.rejects(h.provider.read(ref("vault://secret/myapp/db"), { deadline: soon(), once: true }), retryable(/sealed/)));
    assert.equal(log.length, 1);
    assert.equal(log[0]!.status, 503);
    assert.deepEqual(outageLines(h.lines), []);
    assert.equal(h.lines.filter((l) => / WARN /.test(l)).length, 0);
  });

  for (const [name, status] of [
    ["a 500", 500],
    ["a 429", 429],
    ["a dropped connection", 0],
  ] as const) {
    it(`throws ${name} at once, after one request`, async () => {
      const h = harness(settingsFor(suite.sv), suite.open);
      await h.provider.read(ref("vault://secret/myapp/db"), { deadline: soon() });
      await suite.sv.control.fault({ path_prefix: "secret/data/myapp/db", status, count: 5 });
      const log = await logSince(suite.sv, () => assert.rejects(h.provider.read(ref("vault://secret/myapp/db"), { deadline: soon(), once: true }), retryable(/./)));
      assert.equal(log.length, 1);
      assert.deepEqual(outageLines(h.lines), []);
    });
  }

  it("reads normally when Vault answers", async () => {
    const h = harness(settingsFor(suite.sv), suite.open);
    const doc = await h.provider.read(ref("vault://secret/myapp/db"), { deadline: soon(), once: true });
    assert.deepEqual(doc.data, SEED.db);
  });

  it("without once, the same failure is still retried (first start is unchanged)", async () => {
    const h = harness(settingsFor(suite.sv), suite.open);
    await h.provider.read(ref("vault://secret/myapp/db"), { deadline: soon() });
    await suite.sv.control.fault({ path_prefix: "secret/data/myapp/db", status: 500, count: 2 });
    const log = await logSince(suite.sv, () => h.provider.read(ref("vault://secret/myapp/db"), { deadline: soon() }));
    assert.deepEqual(
      log.map((e) => e.status),
      [500, 500, 200],
    );
    assert.equal(outageLines(h.lines).filter((l) => / WARN /.test(l)).length, 1);
  });
});

describe("stamp with once", () => {
  it("makes one metadata request to a sealed Vault and throws a retryable UnavailableError, logging nothing", async () => {
    const h = harness(settingsFor(suite.sv), suite.open);
    await h.provider.read(ref("vault://secret/myapp/db"), { deadline: soon() });
    await suite.sv.admin.seal();
    const log = await logSince(suite.sv, () => assert.rejects(h.provider.stamp(ref("vault://secret/myapp/db"), { deadline: soon(), once: true }), retryable(/sealed/)));
    assert.equal(log.length, 1);
    assert.equal(log[0]!.path, "secret/metadata/myapp/db");
    assert.deepEqual(outageLines(h.lines), []);
  });

  it("a KV v1 stamp makes one request too", async () => {
    const h = harness(settingsFor(suite.sv), suite.open);
    await h.provider.read(ref("vault://kv/legacy"), { deadline: soon() });
    await suite.sv.control.fault({ path_prefix: "kv/legacy", status: 502, count: 5 });
    const log = await logSince(suite.sv, () => assert.rejects(h.provider.stamp(ref("vault://kv/legacy"), { deadline: soon(), once: true }), retryable(/502/)));
    assert.equal(log.length, 1);
  });
});
