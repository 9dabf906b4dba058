/**
 * Watching Vault secrets end to end (docs/contract/rotation.md), the real CLI against the Vault double with
 * `--interval 1s`: a rotation restarts the child once with the new value and no overlap, a burst
 * of writes restarts it once, polling costs one metadata request per secret per interval, an
 * unused key changes nothing, `--splay` still acts, KV v1 and denied metadata still detect changes.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { watchSuite, pause } from "../watch/e2e-harness.js";
import { countRequests } from "./e2e.js";

describe("envject run watches Vault secrets", () => {
  const suite = watchSuite();
  const { workspace, start } = suite;

  it("KV v2 rotation (poll rate: end-to-end, real clock; the fake-clock version is in test/watch/controller.test.ts): one metadata poll per secret per interval, then one restart with the new value, the old child gone first; a burst of writes restarts once", async () => {
    await suite.vault.control.putSecret("secret/rot/app", { username: "rot-user", password: "pw-Rot-One-1111" });
    await suite.vault.control.putSecret("secret/rot/other", { key: "key-Rot-Other-2222" });
    const ws = workspace("env:\n  A_PASS: vault://secret/rot/app#password\n  A_USER: vault://secret/rot/app#username\n  B_KEY: vault://secret/rot/other#key\n");
    const run = start(ws, [], ["A_PASS", "A_USER", "B_KEY"]);
    await run.waitForStarts(1);
    assert.deepEqual(run.starts()[0]!.env, { A_PASS: "pw-Rot-One-1111", A_USER: "rot-user", B_KEY: "key-Rot-Other-2222" });

    // Polling: 2 secrets used by 3 variables → about one metadata request per secret per second.
    await suite.vault.control.clearRequests();
    const t0 = Date.now();
    await pause(5000);
    const log = await suite.vault.control.requests();
    const seconds = (Date.now() - t0) / 1000;
    for (const path of ["secret/metadata/rot/app", "secret/metadata/rot/other"]) {
      const n = countRequests(log, "GET", path);
      assert.ok(n >= Math.floor(seconds / 1.1) - 1 && n <= Math.ceil(seconds / 0.9) + 1, `${n} polls of ${path} in ${seconds.toFixed(1)} s`);
    }
    assert.equal(log.filter((r) => r.path.startsWith("secret/data/")).length, 0, "no data read while nothing changes");

    await suite.vault.control.putSecret("secret/rot/app", { username: "rot-user", password: "pw-Rot-Two-3333" });
    await run.waitForStarts(2);
    const events = run.events();
    const [first, second] = run.starts();
    assert.equal(second!.env!.A_PASS, "pw-Rot-Two-3333");
    assert.equal(second!.env!.B_KEY, "key-Rot-Other-2222");
    const exitOfFirst = events.findIndex((e) => e.pid === first!.pid && e.event === "exit");
    const startOfSecond = events.findIndex((e) => e.pid === second!.pid && e.event === "start");
    assert.ok(exitOfFirst >= 0 && exitOfFirst < startOfSecond, `the old child exited before the new one started: ${JSON.stringify(events)}`);
    assert.equal(run.lines("INFO", / envject INFO  vault:\/\/secret\/rot\/app changed \(version 1 → 2\): new values for A_PASS$/).length, 1, run.stderr);

    // A burst of three writes within ~100 ms → exactly one more restart, with the last value.
    for (const n of [4, 5, 6]) await suite.vault.control.putSecret("secret/rot/app", { username: "rot-user", password: `pw-Rot-Burst-${n}` });
    await run.waitForStarts(3);
    await pause(3500);
    assert.equal(run.starts().length, 3, `one restart for the burst: ${JSON.stringify(run.starts())}`);
    assert.equal(run.starts()[2]!.env!.A_PASS, "pw-Rot-Burst-6");
    assert.ok(!run.stderr.includes("pw-Rot-"), "no value in envject's log");

    const end = await run.stop();
    assert.equal(end.code, 0, run.stderr);
  });

  it("a change to a key no variable uses does not restart; a used one does, after --splay", async () => {
    await suite.vault.control.putSecret("secret/rot/splay", { used: "used-One-4444", unused: "x1" });
    const ws = workspace("env:\n  USED: vault://secret/rot/splay#used\n");
    const run = start(ws, ["--splay", "1s", "--log-level", "debug"], ["USED"]);
    await run.waitForStarts(1);
    await suite.vault.control.putSecret("secret/rot/splay", { used: "used-One-4444", unused: "x2" });
    await run.waitFor("the unused change to be noticed", () => run.lines("DEBUG", /no variable of the command did/).length > 0);
    await pause(1500);
    assert.equal(run.starts().length, 1, "no restart for an unused key");
    await suite.vault.control.putSecret("secret/rot/splay", { used: "used-Two-5555", unused: "x2" });
    await run.waitForStarts(2);
    assert.equal(run.starts()[1]!.env!.USED, "used-Two-5555");
    assert.equal(run.lines("DEBUG", /waiting before acting \(--splay\)/).length, 1);
    await run.stop();
  });

  it("KV v1 (data hash) and KV v2 with metadata denied (data-read fallback) both detect a change", async () => {
    await suite.vault.admin.writeKv1("kv/rot/v1", { token: "tok-V1-One-6666" });
    await suite.vault.control.putSecret("secret/rot/nometa", { key: "nometa-One-7777" });
    await suite.vault.control.deny("secret/metadata/rot/nometa", "all");
    try {
      const ws = workspace("env:\n  V1: vault://kv/rot/v1#token\n  NOMETA: vault://secret/rot/nometa#key\n");
      const run = start(ws, [], ["V1", "NOMETA"]);
      await run.waitForStarts(1);
      await suite.vault.admin.writeKv1("kv/rot/v1", { token: "tok-V1-Two-8888" });
      await run.waitForStarts(2);
      assert.deepEqual(run.starts()[1]!.env, { V1: "tok-V1-Two-8888", NOMETA: "nometa-One-7777" });
      await suite.vault.control.putSecret("secret/rot/nometa", { key: "nometa-Two-9999" });
      await run.waitForStarts(3);
      assert.deepEqual(run.starts()[2]!.env, { V1: "tok-V1-Two-8888", NOMETA: "nometa-Two-9999" });
      assert.equal(run.lines("WARN", /./).length, 0, `no warning: ${run.stderr}`);
      await run.stop();
    } finally {
      await suite.vault.control.clearDenials();
    }
  });
});
