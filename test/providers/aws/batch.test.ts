/**
 * CurrentValueBatcher with a scripted Secrets Manager (no network): which calls it makes for reads
 * started together, how batch entries are matched to the ids asked (name, full or partial ARN),
 * and what happens to ids an answer leaves out or to an answer of an unexpected shape.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { UnavailableError } from "../../../src/errors.js";
import { Logger } from "../../../src/log/logger.js";
import { CurrentValueBatcher, designates } from "../../../src/providers/aws/batch.js";

const ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/a-AbCdEf";

/** A scripted API that records each call as "Action id,id". */
function scripted(batchAnswer: (ids: string[]) => unknown) {
  const calls: string[] = [];
  const api = {
    async getSecretValue(_region: string, input: { SecretId?: string }) {
      calls.push(`GetSecretValue ${input.SecretId}`);
      return { Name: input.SecretId, SecretString: `single:${input.SecretId}`, VersionId: "v", $metadata: {} };
    },
    async batchGetSecretValue(_region: string, ids: string[]) {
      calls.push(`BatchGetSecretValue ${ids.join(",")}`);
      return batchAnswer(ids);
    },
  };
  return { calls, batcher: new CurrentValueBatcher(api as never, new Logger("silent")) };
}

describe("CurrentValueBatcher", () => {
  it("matches entries by name, full ARN and partial ARN, and reads ids the answer left out one by one", async () => {
    const { calls, batcher } = scripted(() => ({
      SecretValues: [
        { ARN, Name: "prod/a", SecretString: "batch:a", VersionId: "1" },
        { ARN: ARN.replace("prod/a", "prod/b"), Name: "prod/b", SecretString: "batch:b", VersionId: "2" },
      ],
      NextToken: "more",
    }));
    const partial = ARN.slice(0, -7);
    const got = await Promise.all([batcher.get("us-east-1", partial, Date.now() + 5000), batcher.get("us-east-1", "prod/b", Date.now() + 5000), batcher.get("us-east-1", "prod/c", Date.now() + 5000)]);
    assert.deepEqual(
      got.map((v) => v.SecretString),
      ["batch:a", "batch:b", "single:prod/c"],
    );
    assert.deepEqual(calls, [`BatchGetSecretValue ${partial},prod/b,prod/c`, "GetSecretValue prod/c"]);
  });

  it("the same id asked twice in one turn is asked once", async () => {
    const { calls, batcher } = scripted(() => assert.fail("a lone id is not batched"));
    const [a, b] = await Promise.all([batcher.get("us-east-1", "prod/a", Date.now() + 5000), batcher.get("us-east-1", "prod/a", Date.now() + 5000)]);
    assert.equal(a, b);
    assert.deepEqual(calls, ["GetSecretValue prod/a"]);
  });

  it("an answer of an unexpected shape fails the reads with a typed error instead of crashing", async () => {
    const { batcher } = scripted(() => ({ SecretValues: 42 }));
    const results = await Promise.allSettled([batcher.get("us-east-1", "prod/a", Date.now() + 5000), batcher.get("us-east-1", "prod/b", Date.now() + 5000)]);
    for (const r of results) {
      assert.equal(r.status, "rejected");
      assert.ok(r.reason instanceof UnavailableError);
    }
  });
});

describe("designates", () => {
  it("is true for the name, the full ARN and the ARN without its -XXXXXX suffix only", () => {
    const value = { ARN, Name: "prod/a" };
    assert.equal(designates("prod/a", value), true);
    assert.equal(designates(ARN, value), true);
    assert.equal(designates(ARN.slice(0, -7), value), true);
    assert.equal(designates("prod/ab", value), false);
    assert.equal(designates(ARN.slice(0, -8), value), false);
    assert.equal(designates("arn:aws:secretsmanager:us-east-1:123456789012:secret:prod", value), false);
  });
});
