/** The one control shape for both doubles: the same names do the corresponding thing on each. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type SeededAws, startSeededAws } from "./aws-fixture.js";
import { type SeededVault, startSeededVault } from "./vault-fixture.js";

let sv: SeededVault;
let sa: SeededAws;

before(async () => {
  sv = await startSeededVault();
  sa = await startSeededAws();
});
after(async () => {
  await sv.close();
  await sa.close();
});

describe("vaultControl", () => {
  it("putSecret writes a new KV v2 version or a KV v1 secret; deleteSecret removes either", async () => {
    const v = sv.control;
    await v.putSecret("secret/ctl/a", { k: "ctl-One" });
    await v.putSecret("secret/ctl/a", { k: "ctl-Two" });
    const read = await sv.admin.readKv2("secret/ctl/a");
    assert.deepEqual([read.data, read.metadata.version], [{ k: "ctl-Two" }, 2]);
    await v.putSecret("kv/ctl", "ctl-Plain");
    assert.equal((await sv.admin.request("GET", "kv/ctl")).status, 200);
    await v.deleteSecret("secret/ctl/a");
    await v.deleteSecret("kv/ctl");
    assert.equal((await sv.admin.request("GET", "secret/data/ctl/a")).status, 404);
    assert.equal((await sv.admin.request("GET", "kv/ctl")).status, 404);
  });

  it("putSecret makes writeKv2's requests: one mount lookup, one write", async () => {
    await sv.control.clearRequests();
    await sv.control.putSecret("secret/ctl/b", { k: "ctl-B" });
    assert.deepEqual(
      (await sv.control.requests()).map((r) => `${r.method} ${r.path}`),
      ["GET sys/internal/ui/mounts/secret/ctl/b", "POST secret/data/ctl/b"],
    );
  });

  it("fault, faults, deny, latency and the request log; reset clears them all", async () => {
    const v = sv.control;
    await v.fault({ path_prefix: "secret/data/myapp/single", status: 500, count: 2 });
    assert.deepEqual(
      (await v.faults()).map((f) => f.remaining),
      [2],
    );
    await v.deny("secret/data/myapp/db");
    await v.latency(1, "secret/data/myapp/config");
    await v.clearRequests();
    assert.equal((await sv.admin.request("GET", "secret/data/myapp/single")).status, 500);
    assert.equal((await sv.admin.request("GET", "secret/data/myapp/db")).status, 403);
    assert.equal(await v.requestCount(), 2);
    assert.equal(await v.requestCount((r) => r.status === 500), 1);
    await v.reset();
    assert.deepEqual(await v.faults(), []);
    assert.equal(await v.requestCount(), 0);
    assert.equal((await sv.admin.request("GET", "secret/data/myapp/db")).status, 200, "no denial after reset");
  });
});

describe("awsControl", () => {
  it("putSecret creates a secret, then puts new versions; deleteSecret removes it at once", async () => {
    const a = sa.control;
    await a.putSecret("ctl/a", { k: "ctl-One" });
    await a.putSecret("ctl/a", "ctl-Two");
    assert.equal((await sa.client.getSecretValue("ctl/a")).SecretString, "ctl-Two");
    assert.equal((await sa.client.getSecretValue("ctl/a", { VersionStage: "AWSPREVIOUS" })).SecretString, JSON.stringify({ k: "ctl-One" }));
    await a.deleteSecret("ctl/a");
    assert.equal((await sa.client.call("GetSecretValue", { SecretId: "ctl/a" })).status, 400);
    await a.putSecret("ctl/a", "ctl-Again");
    assert.equal((await sa.client.getSecretValue("ctl/a")).SecretString, "ctl-Again", "the name is free again");
  });

  it("putSecret on an existing secret is one PutSecretValue", async () => {
    await sa.control.clearRequests();
    await sa.control.putSecret("prod/api-key", "ak-Aws-Plain-String-4e5f6a");
    assert.deepEqual(
      (await sa.control.requests()).map((r) => r.action),
      ["PutSecretValue"],
    );
  });

  it("fault, faults, deny, latency and the request log; reset clears them all", async () => {
    const a = sa.control;
    await a.fault({ action: "GetSecretValue", secretId: "prod/api-key", status: 500, count: 2 });
    assert.deepEqual(
      (await a.faults()).map((f) => f.remaining),
      [2],
    );
    await a.deny("GetSecretValue", "prod/db");
    await a.latency(1, "DescribeSecret");
    await a.clearRequests();
    assert.equal((await sa.client.call("GetSecretValue", { SecretId: "prod/api-key" })).status, 500);
    assert.equal((await sa.client.call("GetSecretValue", { SecretId: "prod/db" })).body.__type, "AccessDeniedException");
    assert.equal(await a.requestCount(), 2);
    assert.equal(await a.requestCount((r) => r.status === 500), 1);
    await a.reset();
    assert.deepEqual(await a.faults(), []);
    assert.equal(await a.requestCount(), 0);
    assert.equal((await sa.client.call("GetSecretValue", { SecretId: "prod/db" })).status, 200, "no denial after reset");
  });
});
