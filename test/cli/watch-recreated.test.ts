/**
 * A KV v2 secret deleted with its metadata (`DELETE /v1/secret/metadata/<path>`) and written
 * again starts over at version 1. Its version number alone cannot tell the new secret from the
 * old one: the stamp carries the current version's `created_time` too, so a secret that comes
 * back changed is a change — polled by metadata and by the data-read fallback alike.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pause, watchSuite } from "../watch/e2e-harness.js";
import { countRequests } from "./e2e.js";

/** Waits until `check` holds (every 100 ms), failing after 30 s. */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await pause(100);
  }
}

describe("envject run picks up a KV v2 secret deleted with its metadata and written again", () => {
  const suite = watchSuite();
  const { workspace, start } = suite;

  it("same version number again (1 → deleted → 1): restarted once with the new value", async () => {
    await suite.vault.control.putSecret("secret/again/one", { key: "again-One-Old-1111" });
    const run = start(workspace("env:\n  K: vault://secret/again/one#key\n"), [], ["K"]);
    await run.waitForStarts(1);
    await suite.vault.admin.deleteKv2Metadata("secret/again/one");
    await run.waitFor("the unreadable warning", () => run.lines("WARN", /vault:\/\/secret\/again\/one cannot be read now/).length > 0);
    const { version } = await suite.vault.admin.writeKv2("secret/again/one", { key: "again-One-New-2222" });
    assert.equal(version, 1, "the secret starts over at version 1");
    await run.waitForStarts(2);
    assert.equal(run.starts()[1]!.env!.K, "again-One-New-2222");
    assert.equal(run.lines("INFO", /vault:\/\/secret\/again\/one changed: new values for K/).length, 1, run.stderr);
    assert.equal(run.lines("INFO", /can be read again/).length, 1, run.stderr);
    assert.equal(run.starts().length, 2, "one restart");
    const end = await run.stop();
    assert.equal(end.code, 0, run.stderr);
  });

  it("v1, v2, then deleted and written again twice (back at version 2, new values): restarted with the newest value", async () => {
    await suite.vault.control.putSecret("secret/again/two", { key: "again-Two-V1-3333" });
    const run = start(workspace("env:\n  K: vault://secret/again/two#key\n"), [], ["K"]);
    await run.waitForStarts(1);
    await suite.vault.control.putSecret("secret/again/two", { key: "again-Two-V2-4444" });
    await run.waitForStarts(2);
    await suite.vault.admin.deleteKv2Metadata("secret/again/two");
    await run.waitFor("the unreadable warning", () => run.lines("WARN", /vault:\/\/secret\/again\/two cannot be read now/).length > 0);
    // Written again twice: back at version 2, the number the child's values came from.
    await suite.vault.control.putSecret("secret/again/two", { key: "again-Two-New1-5555" });
    const { version } = await suite.vault.admin.writeKv2("secret/again/two", { key: "again-Two-New2-6666" });
    assert.equal(version, 2);
    await run.waitFor("a start with the newest value", () => run.starts().some((s) => s.env!.K === "again-Two-New2-6666"));
    assert.equal(run.starts().at(-1)!.env!.K, "again-Two-New2-6666");
    await run.stop();
  });

  it("metadata denied (the data-read fallback): a secret written again at the same version is a change", async () => {
    await suite.vault.control.putSecret("secret/again/nometa", { key: "again-NoMeta-Old-7777" });
    await suite.vault.control.deny("secret/metadata/again/nometa", "all");
    try {
      const run = start(workspace("env:\n  K: vault://secret/again/nometa#key\n"), [], ["K"]);
      await run.waitForStarts(1);
      // Once a poll has met the denial, envject reads the data only (remembered per mount).
      await until("a poll by reading the data", async () => countRequests(await suite.vault.control.requests(), "GET", "secret/data/again/nometa") >= 2);
      // The root token may not touch metadata/ either while it is denied: lift the denial for the deletion only.
      await suite.vault.control.clearDenials();
      await suite.vault.admin.deleteKv2Metadata("secret/again/nometa");
      await suite.vault.control.deny("secret/metadata/again/nometa", "all");
      await run.waitFor("the unreadable warning", () => run.lines("WARN", /vault:\/\/secret\/again\/nometa cannot be read now/).length > 0);
      await suite.vault.control.clearDenials();
      await suite.vault.control.putSecret("secret/again/nometa", { key: "again-NoMeta-New-8888" });
      await suite.vault.control.deny("secret/metadata/again/nometa", "all");
      await suite.vault.control.clearRequests();
      await run.waitForStarts(2);
      assert.equal(run.starts()[1]!.env!.K, "again-NoMeta-New-8888");
      const log = await suite.vault.control.requests();
      assert.equal(log.filter((r) => r.path === "secret/metadata/again/nometa").length, 0, "metadata is not asked again once denied");
      await run.stop();
    } finally {
      await suite.vault.control.clearDenials();
    }
  });
});
