/**
 * Watching AWS Secrets Manager end to end (PRODUCT.md §6): DescribeSecret polls the version
 * holding AWSCURRENT; a PutSecretValue restarts the child once with the new value.
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
  before(async () => {
    sa = await startSeededAws({ "watch/app": { password: "aws-Watch-One-1111" } });
    ws = new Workspace();
  });
  after(async () => {
    run?.kill();
    ws.cleanup();
    await sa.close();
  });

  it("a rotation (PutSecretValue) restarts the child once with the new value; polls use DescribeSecret", async () => {
    ws.file("envject.yaml", "env:\n  PASS: aws-sm://watch/app#password\n");
    run = WatchedRun.start(ws, ["--interval", "1s"], ["PASS"], awsEnv(sa.url));
    await run.waitForStarts(1);
    assert.equal(run.starts()[0]!.env!.PASS, "aws-Watch-One-1111");
    await sa.client.putSecretValue("watch/app", { SecretString: JSON.stringify({ password: "aws-Watch-Two-2222" }) });
    await run.waitForStarts(2);
    assert.equal(run.starts()[1]!.env!.PASS, "aws-Watch-Two-2222");
    const log = await sa.client.requests();
    assert.ok(log.filter((r) => r.action === "DescribeSecret").length >= 1, "polled with DescribeSecret");
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(run.starts().length, 2, "restarted once");
    const end = await run.stop();
    assert.equal(end.code, 0, run.stderr);
    assert.deepEqual(run.leakedValues(), [], "no value the child saw is in envject's log");
  });
});
