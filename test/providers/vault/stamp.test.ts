/**
 * Version stamps: the stamp every read document carries (KV v2 `v<N>@<created_time>`, KV v1 `sha256:…`, none
 * for pinned and leased secrets) and `stamp()`, the cheap poll the watcher makes (one request per
 * secret: `metadata/` for KV v2, a data read where metadata is denied or for KV v1).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, NotFoundError } from "../../../src/errors.js";
import { sameStamp } from "../../../src/providers/provider.js";
import { canonicalJson, dataStamp, metadataStamp, versionStamp } from "../../../src/providers/vault/stamp.js";
import type { VaultHttpClient, VaultResponse } from "../../../src/providers/vault/http.js";
import { harness, providerSuite, logSince, ref, settingsFor, soon } from "./harness.js";

const suite = providerSuite({
  reset: async (sv) => {
    await sv.control.clearDenials();
    await sv.admin.config({ ui_mounts: "enabled" });
  },
});

const opts = () => ({ deadline: soon(), once: true });

/** The stamp of the current version of `path` in the double: `v<N>@<created_time>`. */
async function stampIn(path: string): Promise<string> {
  const { metadata } = await suite.sv.admin.readKv2(path);
  return `v${String(metadata.version)}@${String(metadata.created_time)}`;
}

describe("stamps on read documents", () => {
  it("a KV v2 document is stamped with the version read", async () => {
    await suite.sv.control.putSecret("secret/st/a", { k: "one-Stamp-Value-1" });
    await suite.sv.control.putSecret("secret/st/a", { k: "two-Stamp-Value-2" });
    const doc = await harness(settingsFor(suite.sv), suite.open).provider.read(ref("vault://secret/st/a"), { deadline: soon() });
    assert.match(doc.stamp ?? "", /^v2@\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.equal(doc.stamp, await stampIn("secret/st/a"));
    assert.equal(doc.version, "2");
  });

  it("a pinned KV v2 read has no stamp (a pinned version never changes)", async () => {
    const doc = await harness(settingsFor(suite.sv), suite.open).provider.read(ref("vault://secret/myapp/db?version=1"), { deadline: soon() });
    assert.equal(doc.version, "1");
    assert.equal(doc.stamp, undefined);
  });

  it("a KV v1 document is stamped with a sha256 of its data", async () => {
    const doc = await harness(settingsFor(suite.sv), suite.open).provider.read(ref("vault://kv/legacy"), { deadline: soon() });
    assert.match(doc.stamp ?? "", /^sha256:[0-9a-f]{64}$/);
    assert.equal(doc.stamp, dataStamp(doc.data));
  });

  it("a leased dynamic secret has no stamp", async () => {
    const h = harness(settingsFor(suite.sv), suite.open);
    const doc = await h.provider.read(ref("vault://database/creds/readonly"), { deadline: soon() });
    assert.ok(doc.lease);
    assert.equal(doc.stamp, undefined);
    await h.provider.revokeLeases([doc.lease]);
  });

  it("KV v1 read through the probe (discovery denied) is stamped too", async () => {
    await suite.sv.control.deny("sys/internal/ui/mounts/");
    const doc = await harness(settingsFor(suite.sv), suite.open).provider.read(ref("vault://kv/legacy"), { deadline: soon() });
    assert.match(doc.stamp ?? "", /^sha256:/);
  });
});

describe("stamp() for KV v2", () => {
  it("after a write, says the new version with exactly one request, to metadata/", async () => {
    await suite.sv.control.putSecret("secret/st/b", { k: "b1-Stamp" });
    await suite.sv.control.putSecret("secret/st/b", { k: "b2-Stamp" });
    const h = harness(settingsFor(suite.sv), suite.open);
    const doc = await h.provider.read(ref("vault://secret/st/b"), { deadline: soon() });
    assert.equal(doc.stamp, await stampIn("secret/st/b"));
    await suite.sv.control.putSecret("secret/st/b", { k: "b3-Stamp" });
    const expected = await stampIn("secret/st/b");
    let stamp = "";
    const log = await logSince(suite.sv, async () => {
      stamp = await h.provider.stamp(ref("vault://secret/st/b"), opts());
    });
    assert.equal(stamp, expected);
    assert.match(stamp, /^v3@/);
    assert.deepEqual(
      log.map((e) => `${e.method} ${e.path} ${e.status}`),
      ["GET secret/metadata/st/b 200"],
    );
  });

  it("a stamp without an earlier read finds the mount first, then costs one request per call", async () => {
    await suite.sv.control.putSecret("secret/st/c", { k: "c1-Stamp" });
    const h = harness(settingsFor(suite.sv), suite.open);
    assert.equal(await h.provider.stamp(ref("vault://secret/st/c"), opts()), await stampIn("secret/st/c"));
    const log = await logSince(suite.sv, () => h.provider.stamp(ref("vault://secret/st/c"), opts()));
    assert.deepEqual(
      log.map((e) => e.path),
      ["secret/metadata/st/c"],
    );
  });

  it("equals the stamp of a read document when nothing changed", async () => {
    const h = harness(settingsFor(suite.sv), suite.open);
    const doc = await h.provider.read(ref("vault://secret/myapp/db"), { deadline: soon() });
    assert.equal(await h.provider.stamp(ref("vault://secret/myapp/db"), opts()), doc.stamp);
  });

  it("when metadata is denied, reads the data and takes its version, then never asks metadata again", async () => {
    await suite.sv.control.putSecret("secret/st/d", { k: "d1-Stamp" });
    await suite.sv.control.putSecret("secret/st/d", { k: "d2-Stamp" });
    const h = harness(settingsFor(suite.sv), suite.open);
    await h.provider.read(ref("vault://secret/st/d"), { deadline: soon() });
    await suite.sv.control.deny("secret/metadata/");
    await suite.sv.control.putSecret("secret/st/d", { k: "d3-Stamp" });
    let first = "";
    const log1 = await logSince(suite.sv, async () => {
      first = await h.provider.stamp(ref("vault://secret/st/d"), opts());
    });
    assert.equal(first, await stampIn("secret/st/d"));
    assert.match(first, /^v3@/);
    assert.deepEqual(
      log1.map((e) => `${e.path} ${e.status}`),
      ["secret/metadata/st/d 403", "secret/data/st/d 200"],
    );

    await suite.sv.control.putSecret("secret/st/d", { k: "d4-Stamp" });
    let second = "";
    const log2 = await logSince(suite.sv, async () => {
      second = await h.provider.stamp(ref("vault://secret/st/d"), opts());
    });
    assert.equal(second, await stampIn("secret/st/d"));
    assert.match(second, /^v4@/);
    assert.deepEqual(
      log2.map((e) => `${e.path} ${e.status}`),
      ["secret/data/st/d 200"],
    );
    // Remembered per mount: another secret under secret/ goes straight to the data too.
    const log3 = await logSince(suite.sv, () => h.provider.stamp(ref("vault://secret/myapp/db"), opts()));
    assert.deepEqual(
      log3.map((e) => e.path),
      ["secret/data/myapp/db"],
    );
  });

  it("a 403 on metadata for a revoked token is an AuthError (77)", async () => {
    await suite.sv.admin.writePolicy("stamp-reader", { "secret/*": ["read"], "sys/internal/ui/mounts/*": ["read"] });
    const reader = await suite.sv.admin.createToken({ policies: ["stamp-reader"] });
    const h = harness(settingsFor(suite.sv, { kind: "token", method: "token", token: reader, source: "test" }), suite.open);
    await h.provider.read(ref("vault://secret/myapp/db"), { deadline: soon() });
    await suite.sv.admin.revokeToken(reader);
    await assert.rejects(h.provider.stamp(ref("vault://secret/myapp/db"), opts()), (e: unknown) => {
      assert.equal((e as { exitCode?: number }).exitCode, 77, String(e));
      return true;
    });
  });

  it("a deleted secret is a NotFoundError (metadata gone)", async () => {
    await suite.sv.control.putSecret("secret/st/gone", { k: "gone-Stamp" });
    const h = harness(settingsFor(suite.sv), suite.open);
    assert.match(await h.provider.stamp(ref("vault://secret/st/gone"), opts()), /^v1@/);
    await suite.sv.admin.deleteKv2Metadata("secret/st/gone");
    await assert.rejects(h.provider.stamp(ref("vault://secret/st/gone"), opts()), NotFoundError);
  });

  it("a soft-deleted current version is a NotFoundError, as a read would be", async () => {
    await suite.sv.control.putSecret("secret/st/soft", { k: "soft-Stamp" });
    const h = harness(settingsFor(suite.sv), suite.open);
    assert.match(await h.provider.stamp(ref("vault://secret/st/soft"), opts()), /^v1@/);
    await suite.sv.admin.deleteKv2Latest("secret/st/soft");
    await assert.rejects(h.provider.stamp(ref("vault://secret/st/soft"), opts()), (e: unknown) => e instanceof NotFoundError && /deleted/.test(e.message));
    await assert.rejects(h.provider.read(ref("vault://secret/st/soft"), opts()), NotFoundError);
  });

  it("a secret deleted while metadata is denied is a NotFoundError", async () => {
    await suite.sv.control.putSecret("secret/st/gone2", { k: "gone2-Stamp" });
    const h = harness(settingsFor(suite.sv), suite.open);
    await suite.sv.control.deny("secret/metadata/");
    assert.match(await h.provider.stamp(ref("vault://secret/st/gone2"), opts()), /^v1@/);
    await suite.sv.control.clearDenials();
    await suite.sv.admin.deleteKv2Metadata("secret/st/gone2");
    await suite.sv.control.deny("secret/metadata/");
    await assert.rejects(h.provider.stamp(ref("vault://secret/st/gone2"), opts()), NotFoundError);
  });
});

describe("a KV v2 secret deleted with its metadata and written again", () => {
  it("comes back at version 1 with another stamp, by metadata/ and by the data-read fallback alike", async () => {
    await suite.sv.control.putSecret("secret/st/again", { k: "again-Stamp-Old" });
    const h = harness(settingsFor(suite.sv), suite.open);
    const before = (await h.provider.read(ref("vault://secret/st/again"), { deadline: soon() })).stamp!;
    assert.equal(await h.provider.stamp(ref("vault://secret/st/again"), opts()), before);
    await suite.sv.admin.deleteKv2Metadata("secret/st/again");
    await assert.rejects(h.provider.stamp(ref("vault://secret/st/again"), opts()), NotFoundError);
    const { version } = await suite.sv.admin.writeKv2("secret/st/again", { k: "again-Stamp-New" });
    assert.equal(version, 1);
    const polled = await h.provider.stamp(ref("vault://secret/st/again"), opts());
    assert.match(polled, /^v1@/);
    assert.notEqual(polled, before, "the same version number, written at another time");
    assert.equal(sameStamp(polled, before), false);
    const read = await h.provider.read(ref("vault://secret/st/again"), { deadline: soon() });
    assert.equal(read.stamp, polled, "a data read stamps the version as metadata/ does");

    // Metadata denied: the stamp comes from a data read, and tells the two apart the same way.
    const fallback = harness(settingsFor(suite.sv), suite.open);
    await suite.sv.control.deny("secret/metadata/st/again", "all");
    try {
      assert.equal(await fallback.provider.stamp(ref("vault://secret/st/again"), opts()), polled);
      await suite.sv.control.clearDenials();
      await suite.sv.admin.deleteKv2Metadata("secret/st/again");
      await suite.sv.control.putSecret("secret/st/again", { k: "again-Stamp-Newer" });
      await suite.sv.control.deny("secret/metadata/st/again", "all");
      let again = "";
      const log = await logSince(suite.sv, async () => {
        again = await fallback.provider.stamp(ref("vault://secret/st/again"), opts());
      });
      assert.deepEqual(
        log.map((e) => `${e.path} ${e.status}`),
        ["secret/data/st/again 200"],
      );
      assert.match(again, /^v1@/);
      assert.equal(sameStamp(again, polled), false);
    } finally {
      await suite.sv.control.clearDenials();
    }
  });
});

describe("metadataStamp and sameStamp", () => {
  const client = { address: "http://127.0.0.1:1" } as VaultHttpClient;
  const answer = (data: unknown): VaultResponse => ({ status: 200, body: { data } }) as VaultResponse;
  const T1 = "2026-01-02T03:04:05.123456789Z";
  const T3 = "2026-01-02T03:09:00.5Z";

  it("takes the created_time of the current version, not the metadata's updated_time", () => {
    const res = answer({
      current_version: 3,
      created_time: T1,
      updated_time: "2026-02-01T00:00:00Z",
      versions: { "1": { created_time: T1, deletion_time: "", destroyed: false }, "3": { created_time: T3, deletion_time: "", destroyed: false } },
    });
    assert.equal(metadataStamp(res, client, "secret", "x"), `v3@${T3}`);
    assert.equal(metadataStamp(res, client, "secret", "x"), versionStamp(3, T3));
  });

  it("without the version's created_time the stamp is the version alone", () => {
    assert.equal(metadataStamp(answer({ current_version: 2, versions: {} }), client, "secret", "x"), "v2");
    assert.equal(metadataStamp(answer({ current_version: 2 }), client, "secret", "x"), "v2");
    assert.equal(versionStamp(2, ""), "v2");
    assert.equal(versionStamp(2, undefined), "v2");
  });

  it("same version and time: same; another time at the same version: a change; another version: a change", () => {
    assert.equal(sameStamp(`v1@${T1}`, `v1@${T1}`), true);
    assert.equal(sameStamp(`v1@${T3}`, `v1@${T1}`), false, "deleted with its metadata and written again");
    assert.equal(sameStamp(`v2@${T3}`, `v1@${T1}`), false);
    assert.equal(sameStamp(`v1@${T3}`, `v2@${T3}`), false);
  });

  it("a stamp without the time compares by version number with one that has it", () => {
    assert.equal(sameStamp("v3", `v3@${T3}`), true);
    assert.equal(sameStamp(`v3@${T3}`, "v3"), true);
    assert.equal(sameStamp("v3", `v4@${T3}`), false);
    assert.equal(sameStamp("v3", "v3"), true);
  });

  it("other stores' stamps compare exactly", () => {
    const sha = dataStamp({ a: "1" });
    assert.equal(sameStamp(sha, sha), true);
    assert.equal(sameStamp(sha, dataStamp({ a: "2" })), false);
    assert.equal(sameStamp("a1b2c3d4-0000-4000-8000-000000000001", "a1b2c3d4-0000-4000-8000-000000000001"), true);
    assert.equal(sameStamp("a1b2c3d4-0000-4000-8000-000000000001", "a1b2c3d4-0000-4000-8000-000000000002"), false);
    assert.equal(sameStamp("v1", undefined), false);
    assert.equal(sameStamp(undefined, undefined), true);
  });
});

describe("stamp() for pinned refs, KV v1 and leases", () => {
  it("a pinned ref's stamp is its pinned version, without a request", async () => {
    const h = harness(settingsFor(suite.sv), suite.open);
    let stamp = "";
    const log = await logSince(suite.sv, async () => {
      stamp = await h.provider.stamp(ref("vault://secret/myapp/db?version=1"), opts());
    });
    assert.equal(stamp, "v1");
    assert.equal(log.length, 0);
  });

  it("a KV v1 stamp changes when the data changes, and not otherwise", async () => {
    await suite.sv.admin.writeKv1("kv/st/e", { a: "e-One-Stamp", b: "e-Two" });
    const h = harness(settingsFor(suite.sv), suite.open);
    const doc = await h.provider.read(ref("vault://kv/st/e"), { deadline: soon() });
    const first = await h.provider.stamp(ref("vault://kv/st/e"), opts());
    assert.equal(first, doc.stamp);
    // The same data again, keys in another order: same stamp.
    await suite.sv.admin.writeKv1("kv/st/e", { b: "e-Two", a: "e-One-Stamp" });
    assert.equal(await h.provider.stamp(ref("vault://kv/st/e"), opts()), first);
    await suite.sv.admin.writeKv1("kv/st/e", { a: "e-One-Stamp", b: "e-Changed" });
    const changed = await h.provider.stamp(ref("vault://kv/st/e"), opts());
    assert.notEqual(changed, first);
    assert.match(changed, /^sha256:[0-9a-f]{64}$/);
    const log = await logSince(suite.sv, () => h.provider.stamp(ref("vault://kv/st/e"), opts()));
    assert.deepEqual(
      log.map((e) => e.path),
      ["kv/st/e"],
    );
  });

  it("a stamp never contains the data", async () => {
    await suite.sv.admin.writeKv1("kv/st/f", { a: "f-Visible-Stamp-Value" });
    const stamp = await harness(settingsFor(suite.sv), suite.open).provider.stamp(ref("vault://kv/st/f"), opts());
    assert.ok(!stamp.includes("f-Visible-Stamp-Value"));
  });

  it("a deleted KV v1 secret is a NotFoundError", async () => {
    await suite.sv.admin.writeKv1("kv/st/g", { a: "g-Stamp" });
    const h = harness(settingsFor(suite.sv), suite.open);
    await h.provider.stamp(ref("vault://kv/st/g"), opts());
    await suite.sv.admin.api("DELETE", "kv/st/g");
    await assert.rejects(h.provider.stamp(ref("vault://kv/st/g"), opts()), NotFoundError);
  });

  it("a dynamic secret has no stamp to poll: ConfigError, and no new lease", async () => {
    const h = harness(settingsFor(suite.sv), suite.open);
    const doc = await h.provider.read(ref("vault://database/creds/readonly"), { deadline: soon() });
    const log = await logSince(suite.sv, () => assert.rejects(h.provider.stamp(ref("vault://database/creds/readonly"), opts()), ConfigError));
    assert.equal(log.length, 0);
    await h.provider.revokeLeases([doc.lease!]);
  });
});

describe("canonical JSON", () => {
  it("sorts keys at every depth and keeps arrays in order", () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 0 }], c: null } }), '{"a":{"c":null,"d":[2,{"y":0,"z":1}]},"b":1}');
    assert.equal(dataStamp({ x: 1, y: "2" }), dataStamp({ y: "2", x: 1 }));
    assert.notEqual(dataStamp({ x: 1 }), dataStamp({ x: "1" }));
  });
});
