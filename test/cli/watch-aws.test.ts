/**
 * Watching AWS Secrets Manager end to end (docs/contract/rotation.md#what-is-polled): DescribeSecret polls the version
 * holding AWSCURRENT; a PutSecretValue restarts the child once with the new value; an outage
 * (5xx and throttling) keeps the child running and a rotation made meanwhile is applied after.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type SeededAws, awsEnv, startSeededAws } from "../support/aws-fixture.js";
import { WatchedRun } from "../watch/e2e-harness.js";
import { Workspace } from "./e2e.js";

describe("envject run watches AWS secrets", () => {
  let sa: SeededAws;
  let ws: Workspace;
  let run: WatchedRun | undefined;
  let outageRun: WatchedRun | undefined;
  before(async () => {
    sa = await startSeededAws({ "watch/app": { password: "aws-Watch-One-1111" } });
    ws = new Workspace();
  });
  after(async () => {
    run?.kill();
    outageRun?.kill();
    ws.cleanup();
    await sa.close();
  });

  it("a rotation (PutSecretValue) restarts the child once with the new value; polls use DescribeSecret", async () => {
    ws.file("envject.yaml", "env:\n  PASS: aws-sm://watch/app#password\n");
    run = WatchedRun.start(ws, ["--interval", "1s"], ["PASS"], awsEnv(sa.url));
    await run.waitForStarts(1);
    assert.equal(run.starts()[0]!.env!.PASS, "aws-Watch-One-1111");
    await sa.control.putSecret("watch/app", { password: "aws-Watch-Two-2222" });
    await run.waitForStarts(2);
    assert.equal(run.starts()[1]!.env!.PASS, "aws-Watch-Two-2222");
    const log = await sa.control.requests();
    assert.ok(log.filter((r) => r.action === "DescribeSecret").length >= 1, "polled with DescribeSecret");
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(run.starts().length, 2, "restarted once");
    const end = await run.stop();
    assert.equal(end.code, 0, run.stderr);
    assert.deepEqual(run.leakedValues(), [], "no value the child saw is in envject's log");
  });

  it("an outage (500s, then throttling) keeps the child running, with one warning and one recovery line; the rotation made meanwhile restarts it", async () => {
    await sa.client.createSecret("watch/outage", { SecretString: "aws-Outage-One-3333" });
    const ows = new Workspace();
    try {
      ows.file("envject.yaml", "env:\n  TOKEN: aws-sm://watch/outage\n");
      outageRun = WatchedRun.start(ows, ["--interval", "1s"], ["TOKEN"], awsEnv(sa.url));
      await outageRun.waitForStarts(1);
      await sa.control.fault({ action: "DescribeSecret", status: 500, count: 2 });
      await sa.control.fault({ action: "DescribeSecret", status: 400, type: "ThrottlingException", message: "Rate exceeded", count: 2 });
      await outageRun.waitFor("the unreachable warning", () => outageRun!.lines("WARN", /AWS Secrets Manager is unreachable/).length > 0);
      await sa.control.putSecret("watch/outage", "aws-Outage-Two-4444");
      await outageRun.waitFor("the recovery line", () => outageRun!.lines("INFO", /AWS Secrets Manager is reachable again/).length > 0, 60_000);
      await outageRun.waitForStarts(2);
      const starts = outageRun.starts();
      assert.equal(starts[1]!.env!.TOKEN, "aws-Outage-Two-4444");
      assert.equal(outageRun.events().filter((e) => e.event === "exit").length, 1, "the first child ran through the outage until the rotation replaced it");
      assert.equal(outageRun.lines("WARN", /unreachable/).length, 1, "one warning for the whole outage");
      const end = await outageRun.stop();
      assert.equal(end.code, 0, outageRun.stderr);
      assert.deepEqual(outageRun.leakedValues(), []);
    } finally {
      ows.cleanup();
    }
  });
});
