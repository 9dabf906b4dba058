/**
 * Tests of the AWS Secrets Manager double itself: the awsJson1_1 envelope (content type, target,
 * SigV4 credential scope, error shapes), per-region storage, ARNs and SecretId forms, each
 * operation's rules (staging labels, deletion, batch errors, pagination), the /__double/ control
 * surface, the standalone runner and the shared fixture.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import http from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { AWS_SEED, AWS_SEEDED_SECRET_VALUES, startSeededAws } from "../support/aws-fixture.js";
import { AwsDoubleClient, AwsDoubleError } from "../../src/dev/aws/client.js";
import { startAwsDouble, type AwsDouble } from "../../src/dev/aws/index.js";
import { type RawExchange, assertCloseResetsHung } from "../support/raw-exchange.js";
import { waitFor } from "../support/wait.js";

const ARN_RE = /^arn:aws:secretsmanager:us-east-1:123456789012:secret:prod\/api-[A-Za-z0-9]{6}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MARKED = "You can't perform this operation on the secret because it was marked for deletion.";

/** One API call on its own connection, recording how far the answer got. */
function rawCall(url: string, action: string, input: object, onHead?: () => void, onSent?: () => void): Promise<RawExchange> {
  const body = JSON.stringify(input);
  const date = new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const headers = {
    "Content-Type": "application/x-amz-json-1.1",
    "X-Amz-Target": `secretsmanager.${action}`,
    "X-Amz-Date": date,
    Authorization: `AWS4-HMAC-SHA256 Credential=AKIDENVJECTTEST/${date.slice(0, 8)}/us-east-1/secretsmanager/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=${"0".repeat(64)}`,
    "Content-Length": String(Buffer.byteLength(body)),
  };
  return new Promise((resolve) => {
    const out: RawExchange = { received: 0, ended: "reset" };
    const req = http.request(url, { method: "POST", headers, agent: false }, (res) => {
      out.status = res.statusCode;
      out.contentLength = Number(res.headers["content-length"]);
      onHead?.();
      res.on("data", (c: Buffer) => (out.received += c.length));
      res.on("end", () => resolve({ ...out, ended: "complete" }));
      res.on("error", () => resolve(out));
      res.on("aborted", () => resolve(out));
    });
    req.on("finish", () => onSent?.());
    req.on("error", () => resolve(out));
    req.end(body);
  });
}

async function withDouble(fn: (c: AwsDoubleClient, d: AwsDouble) => Promise<void>, accountId?: string): Promise<void> {
  const d = await startAwsDouble(accountId ? { accountId } : {});
  try {
    await fn(new AwsDoubleClient(d.url), d);
  } finally {
    await d.close();
  }
}

/** A raw POST with chosen headers and body. */
function raw(url: string, headers: Record<string, string>, body: string, method = "POST", path = "/"): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, url), { method, headers: { ...headers, "Content-Length": String(Buffer.byteLength(body)) }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

const AUTH = "AWS4-HMAC-SHA256 Credential=AKIDRAW/20260101/us-east-1/secretsmanager/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=abc";
const goodHeaders = { "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager.GetSecretValue", Authorization: AUTH };

async function expectError(p: Promise<unknown>, type: string, message?: string | RegExp): Promise<AwsDoubleError> {
  try {
    await p;
  } catch (error) {
    assert.ok(error instanceof AwsDoubleError, String(error));
    assert.equal(error.type, type);
    if (typeof message === "string") assert.ok(error.message.endsWith(`: ${message}`), error.message);
    else if (message) assert.match(error.message, message);
    return error;
  }
  assert.fail(`expected ${type}`);
}

describe("protocol envelope", () => {
  test("answers carry the JSON 1.1 content type and a request id; service errors are 400 with __type and Message", async () => {
    await withDouble(async (_c, d) => {
      const res = await raw(d.url, goodHeaders, JSON.stringify({ SecretId: "missing" }));
      assert.equal(res.status, 400);
      assert.equal(res.headers["content-type"], "application/x-amz-json-1.1");
      assert.match(String(res.headers["x-amzn-requestid"]), UUID_RE);
      assert.deepEqual(res.body, { __type: "ResourceNotFoundException", Message: "Secrets Manager can't find the specified secret." });
    });
  });

  test("session credentials: an X-Amz-Security-Token header is accepted, and the scope's key and region are logged", async () => {
    await withDouble(async (c, d) => {
      const auth = AUTH.replace("AKIDRAW/20260101/us-east-1", "ASIASESSION/20260101/ap-south-1");
      const res = await raw(d.url, { ...goodHeaders, Authorization: auth, "X-Amz-Security-Token": "FwoGZXIvYXdzEXAMPLE" }, JSON.stringify({ SecretId: "none" }));
      assert.equal(res.body.__type, "ResourceNotFoundException");
      const [entry] = await c.requests();
      assert.equal(entry!.accessKeyId, "ASIASESSION");
      assert.equal(entry!.region, "ap-south-1");
      assert.ok(!JSON.stringify(entry).includes("FwoGZXIv"));
    });
  });

  test("a body in another protocol (CBOR, JSON 1.0) is refused with 415 naming the expected content type", async () => {
    await withDouble(async (_c, d) => {
      for (const type of ["application/cbor", "application/x-amz-json-1.0", "application/json"]) {
        const res = await raw(d.url, { ...goodHeaders, "Content-Type": type }, "{}");
        assert.equal(res.status, 415, type);
        assert.match(res.body.message, /application\/x-amz-json-1\.1/);
        assert.match(res.body.message, new RegExp(type.replace(/[./-]/g, "\\$&")));
      }
    });
  });

  test("an unknown or missing X-Amz-Target is UnknownOperationException", async () => {
    await withDouble(async (_c, d) => {
      const unknown = await raw(d.url, { ...goodHeaders, "X-Amz-Target": "secretsmanager.RotateEverything" }, "{}");
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.__type, "com.amazon.coral.service#UnknownOperationException");
      const { Authorization: _a, ...noTarget } = { ...goodHeaders, "X-Amz-Target": "" };
      const missing = await raw(d.url, { ...noTarget, Authorization: AUTH }, "{}");
      assert.equal(missing.body.__type, "com.amazon.coral.service#UnknownOperationException");
    });
  });

  test("no Authorization is MissingAuthenticationTokenException; a malformed one IncompleteSignatureException", async () => {
    await withDouble(async (_c, d) => {
      const { Authorization: _a, ...noAuth } = goodHeaders;
      const missing = await raw(d.url, noAuth, "{}");
      assert.equal(missing.status, 400);
      assert.equal(missing.body.__type, "com.amazon.coral.service#MissingAuthenticationTokenException");
      for (const bad of [
        "Bearer x",
        "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/secretsmanager/aws4_request",
        "AWS4-HMAC-SHA256 Credential=AKID/us-east-1, SignedHeaders=host, Signature=x",
      ]) {
        const res = await raw(d.url, { ...goodHeaders, Authorization: bad }, "{}");
        assert.equal(res.body.__type, "com.amazon.coral.service#IncompleteSignatureException", bad);
      }
    });
  });

  test("a body that is not a JSON object is SerializationException; a method other than POST is 405", async () => {
    await withDouble(async (_c, d) => {
      assert.equal((await raw(d.url, goodHeaders, "{nope")).body.__type, "com.amazon.coral.service#SerializationException");
      assert.equal((await raw(d.url, goodHeaders, "[1]")).body.__type, "com.amazon.coral.service#SerializationException");
      assert.equal((await raw(d.url, goodHeaders, "", "GET")).status, 405);
    });
  });

  test("a missing required member is a coral ValidationException naming the member in lowerCamel case", async () => {
    await withDouble(async (c) => {
      const res = await c.call("GetSecretValue", {});
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, {
        __type: "com.amazon.coral.service#ValidationException",
        message: "1 validation error detected: Value null at 'secretId' failed to satisfy constraint: Member must not be null",
      });
      const short = await c.call("GetSecretValue", { SecretId: "x", VersionId: "too-short" });
      assert.match(short.body.message, /'versionId'.*greater than or equal to 32/);
    });
  });

  test("timestamps are epoch seconds as numbers with at most three decimals", async () => {
    await withDouble(async (c) => {
      await c.createSecret("t", { SecretString: "v" });
      const got = await c.getSecretValue("t");
      assert.equal(typeof got.CreatedDate, "number");
      assert.ok(Math.abs(got.CreatedDate * 1000 - Date.now()) < 600_000);
      assert.match(String(got.CreatedDate), /^\d+(\.\d{1,3})?$/);
    });
  });
});

describe("secrets, regions and ARNs", () => {
  test("ARNs carry region, account and a six-character suffix; name, full ARN and partial ARN all address the secret", async () => {
    await withDouble(async (c) => {
      const created = await c.createSecret("prod/api", { SecretString: "s-1" });
      assert.match(created.ARN, ARN_RE);
      assert.match(created.VersionId, UUID_RE);
      for (const id of ["prod/api", created.ARN, created.ARN.slice(0, -7)]) assert.equal((await c.getSecretValue(id)).SecretString, "s-1", id);
      await expectError(c.getSecretValue(`${created.ARN.slice(0, -7)}-XXXXXX`), "ResourceNotFoundException");
      await expectError(c.getSecretValue("prod/ap"), "ResourceNotFoundException");
    });
  });

  test("the account id is configurable", async () => {
    await withDouble(async (c) => {
      assert.match((await c.createSecret("a", { SecretString: "v" })).ARN, /^arn:aws:secretsmanager:us-east-1:999988887777:secret:a-/);
    }, "999988887777");
  });

  test("secrets are stored per region: a client signing for eu-west-1 does not see us-east-1's", async () => {
    await withDouble(async (c) => {
      await c.createSecret("shared/name", { SecretString: "east" });
      const west = c.inRegion("eu-west-1");
      await expectError(west.getSecretValue("shared/name"), "ResourceNotFoundException");
      const w = await west.createSecret("shared/name", { SecretString: "west" });
      assert.match(w.ARN, /^arn:aws:secretsmanager:eu-west-1:/);
      assert.equal((await west.getSecretValue("shared/name")).SecretString, "west");
      assert.equal((await c.getSecretValue("shared/name")).SecretString, "east");
      const log = await c.requests();
      assert.deepEqual(
        log.map((r) => r.region),
        ["us-east-1", "eu-west-1", "eu-west-1", "eu-west-1", "us-east-1"],
      );
    });
  });

  test("CreateSecret refuses a duplicate name, both value kinds at once and invalid names", async () => {
    await withDouble(async (c) => {
      await c.createSecret("dup", { SecretString: "v" });
      await expectError(c.createSecret("dup", { SecretString: "w" }), "ResourceExistsException", "The operation failed because the secret dup already exists.");
      await expectError(c.api("CreateSecret", { Name: "both", SecretString: "a", SecretBinary: "YQ==" }), "InvalidParameterException");
      await expectError(c.createSecret("bad name!", { SecretString: "v" }), "InvalidParameterException");
      await expectError(c.api("CreateSecret", {}), "ValidationException");
    });
  });

  test("a secret created without a value has no AWSCURRENT version", async () => {
    await withDouble(async (c) => {
      const created = await c.api("CreateSecret", { Name: "empty", Description: "no value yet" });
      assert.equal(created.VersionId, undefined);
      await expectError(c.getSecretValue("empty"), "ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT");
      const described = await c.describeSecret("empty");
      assert.equal(described.Description, "no value yet");
      assert.equal(described.VersionIdsToStages, undefined);
    });
  });

  test("SecretBinary round-trips as base64; malformed base64 is refused", async () => {
    await withDouble(async (c) => {
      const b64 = Buffer.from([0, 1, 2, 254, 255]).toString("base64");
      await c.createSecret("bin", { SecretBinary: b64 });
      const got = await c.getSecretValue("bin");
      assert.equal(got.SecretBinary, b64);
      assert.equal(got.SecretString, undefined);
      await expectError(c.createSecret("bin2", { SecretBinary: "not base64!" }), "InvalidRequestException");
    });
  });
});

describe("versions and staging labels", () => {
  test("PutSecretValue moves AWSCURRENT to the new version, the old current becomes AWSPREVIOUS, the older one loses its label", async () => {
    await withDouble(async (c) => {
      const v1 = (await c.createSecret("rot", { SecretString: "one" })).VersionId;
      const v2 = await c.putSecretValue("rot", { SecretString: "two" });
      assert.deepEqual(v2.VersionStages, ["AWSCURRENT"]);
      const v3 = await c.putSecretValue("rot", { SecretString: "three" });
      const d = await c.describeSecret("rot");
      assert.deepEqual(d.VersionIdsToStages, { [v2.VersionId]: ["AWSPREVIOUS"], [v3.VersionId]: ["AWSCURRENT"] });
      assert.equal((await c.getSecretValue("rot")).SecretString, "three");
      assert.equal((await c.getSecretValue("rot", { VersionStage: "AWSPREVIOUS" })).SecretString, "two");
      assert.equal((await c.getSecretValue("rot", { VersionId: v1 })).SecretString, "one");
      const listed = await c.api("ListSecretVersionIds", { SecretId: "rot" });
      assert.deepEqual(
        listed.Versions.map((v: any) => v.VersionId),
        [v2.VersionId, v3.VersionId],
      );
      const all = await c.api("ListSecretVersionIds", { SecretId: "rot", IncludeDeprecated: true });
      assert.deepEqual(
        all.Versions.map((v: any) => v.VersionId),
        [v1, v2.VersionId, v3.VersionId],
      );
      assert.equal(all.Versions[0].VersionStages, undefined);
    });
  });

  test("PutSecretValue with VersionStages gives the new version only those labels", async () => {
    await withDouble(async (c) => {
      const v1 = (await c.createSecret("p", { SecretString: "one" })).VersionId;
      const pending = await c.putSecretValue("p", { SecretString: "two" }, ["AWSPENDING"]);
      assert.deepEqual(pending.VersionStages, ["AWSPENDING"]);
      assert.equal((await c.getSecretValue("p")).VersionId, v1);
      assert.equal((await c.getSecretValue("p", { VersionStage: "AWSPENDING" })).SecretString, "two");
    });
  });

  test("a retried ClientRequestToken with the same value is a no-op; with another value it is refused", async () => {
    await withDouble(async (c) => {
      await c.createSecret("idem", { SecretString: "one" });
      const token = "11111111-2222-3333-4444-555555555555";
      const first = await c.api("PutSecretValue", { SecretId: "idem", SecretString: "two", ClientRequestToken: token });
      const again = await c.api("PutSecretValue", { SecretId: "idem", SecretString: "two", ClientRequestToken: token });
      assert.equal(first.VersionId, token);
      assert.equal(again.VersionId, token);
      assert.equal(Object.keys((await c.describeSecret("idem")).VersionIdsToStages).length, 2);
      await expectError(c.api("PutSecretValue", { SecretId: "idem", SecretString: "three", ClientRequestToken: token }), "ResourceExistsException");
      await expectError(c.api("PutSecretValue", { SecretId: "idem" }), "InvalidRequestException", "You must provide either SecretString or SecretBinary.");
    });
  });

  test("GetSecretValue with VersionId and VersionStage requires them to agree; unknown ones are ResourceNotFoundException", async () => {
    await withDouble(async (c) => {
      const v1 = (await c.createSecret("g", { SecretString: "one" })).VersionId;
      await c.putSecretValue("g", { SecretString: "two" });
      assert.equal((await c.getSecretValue("g", { VersionId: v1, VersionStage: "AWSPREVIOUS" })).SecretString, "one");
      await expectError(c.getSecretValue("g", { VersionId: v1, VersionStage: "AWSCURRENT" }), "InvalidRequestException");
      await expectError(c.getSecretValue("g", { VersionStage: "AWSPENDING" }), "ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: AWSPENDING");
      await expectError(c.getSecretValue("g", { VersionId: "00000000-0000-0000-0000-000000000000" }), "ResourceNotFoundException");
    });
  });

  test("UpdateSecretVersionStage: moving AWSCURRENT needs RemoveFromVersionId and re-labels the old one AWSPREVIOUS; AWSCURRENT cannot be removed", async () => {
    await withDouble(async (c) => {
      const v1 = (await c.createSecret("u", { SecretString: "one" })).VersionId;
      const v2 = (await c.putSecretValue("u", { SecretString: "two" }, ["AWSPENDING"])).VersionId;
      await expectError(c.updateSecretVersionStage("u", "AWSCURRENT", v2), "InvalidParameterException", /RemoveFromVersionId can't be empty.*attached to version/);
      await c.updateSecretVersionStage("u", "AWSCURRENT", v2, v1);
      assert.deepEqual((await c.describeSecret("u")).VersionIdsToStages, { [v1]: ["AWSPREVIOUS"], [v2]: ["AWSPENDING", "AWSCURRENT"] });
      await c.updateSecretVersionStage("u", "AWSPENDING", undefined, v2);
      assert.deepEqual((await c.describeSecret("u")).VersionIdsToStages[v2], ["AWSCURRENT"]);
      await expectError(c.updateSecretVersionStage("u", "AWSCURRENT", undefined, v2), "InvalidParameterException", /can’t be completely removed/);
      await expectError(c.updateSecretVersionStage("u", "AWSCURRENT", "00000000-0000-0000-0000-000000000000", v2), "InvalidParameterException");
    });
  });

  test("DescribeSecret never returns a value; LastAccessedDate appears after a read, to the day", async () => {
    await withDouble(async (c) => {
      await c.createSecret("d", { SecretString: "value-d" }, { Description: "desc", Tags: [{ Key: "team", Value: "a" }] });
      const before = await c.describeSecret("d");
      assert.equal(before.LastAccessedDate, undefined);
      assert.equal(before.RotationEnabled, undefined);
      assert.deepEqual(before.Tags, [{ Key: "team", Value: "a" }]);
      assert.ok(!JSON.stringify(before).includes("value-d"));
      await c.getSecretValue("d");
      const after = await c.describeSecret("d");
      assert.equal(after.LastAccessedDate % 86400, 0);
      assert.ok(after.LastChangedDate >= after.CreatedDate);
    });
  });

  test("ListSecretVersionIds pages with MaxResults and NextToken; a foreign token is InvalidNextTokenException", async () => {
    await withDouble(async (c) => {
      await c.createSecret("l", { SecretString: "1" });
      for (const v of ["2", "3", "4"]) await c.putSecretValue("l", { SecretString: v });
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await c.api("ListSecretVersionIds", { SecretId: "l", IncludeDeprecated: true, MaxResults: 3, ...(token ? { NextToken: token } : {}) });
        seen.push(...page.Versions.map((v: any) => v.VersionId));
        token = page.NextToken;
        pages += 1;
      } while (token);
      assert.equal(pages, 2);
      assert.equal(new Set(seen).size, 4);
      await expectError(c.api("ListSecretVersionIds", { SecretId: "l", NextToken: "bogus" }), "InvalidNextTokenException");
    });
  });
});

describe("deletion", () => {
  test("DeleteSecret schedules deletion 30 days out; reads then fail with InvalidRequestException; RestoreSecret undoes it", async () => {
    await withDouble(async (c) => {
      await c.createSecret("del", { SecretString: "v" });
      const answer = await c.api("DeleteSecret", { SecretId: "del" });
      assert.equal(Math.round((answer.DeletionDate * 1000 - Date.now()) / 86_400_000), 30);
      await expectError(c.getSecretValue("del"), "InvalidRequestException", MARKED);
      await expectError(c.putSecretValue("del", { SecretString: "w" }), "InvalidRequestException", MARKED);
      await expectError(c.deleteSecret("del"), "InvalidRequestException", MARKED);
      await expectError(c.createSecret("del", { SecretString: "w" }), "InvalidRequestException", /already scheduled for deletion/);
      const described = await c.describeSecret("del");
      assert.equal(typeof described.DeletedDate, "number");
      await c.restoreSecret("del");
      assert.equal((await c.getSecretValue("del")).SecretString, "v");
      assert.equal((await c.describeSecret("del")).DeletedDate, undefined);
    });
  });

  test("RecoveryWindowInDays must be 7..30 and excludes ForceDeleteWithoutRecovery; a forced delete is gone at once", async () => {
    await withDouble(async (c) => {
      await c.createSecret("f", { SecretString: "v" });
      await expectError(c.deleteSecret("f", { RecoveryWindowInDays: 6 }), "InvalidParameterException");
      await expectError(c.deleteSecret("f", { RecoveryWindowInDays: 31 }), "InvalidParameterException");
      await expectError(c.deleteSecret("f", { RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true }), "InvalidParameterException");
      const w = await c.api("DeleteSecret", { SecretId: "f", RecoveryWindowInDays: 7 });
      assert.equal(Math.round((w.DeletionDate * 1000 - Date.now()) / 86_400_000), 7);
      await c.deleteSecret("f", { ForceDeleteWithoutRecovery: true });
      await expectError(c.getSecretValue("f"), "ResourceNotFoundException");
      await c.createSecret("f", { SecretString: "again" });
    });
  });
});

describe("BatchGetSecretValue", () => {
  test("SecretIdList answers the readable ones and lists per-secret failures in Errors with HTTP 200", async () => {
    await withDouble(async (c) => {
      const a = await c.createSecret("b/a", { SecretString: "A" });
      await c.createSecret("b/gone", { SecretString: "G" });
      await c.deleteSecret("b/gone");
      await c.api("CreateSecret", { Name: "b/empty" });
      await c.createSecret("b/denied", { SecretString: "D" });
      await c.deny("GetSecretValue", "b/denied");
      const res = await c.call("BatchGetSecretValue", { SecretIdList: [a.ARN, "b/missing", "b/gone", "b/empty", "b/denied"] });
      assert.equal(res.status, 200);
      assert.deepEqual(
        res.body.SecretValues.map((v: any) => [v.Name, v.SecretString, v.VersionStages]),
        [["b/a", "A", ["AWSCURRENT"]]],
      );
      assert.deepEqual(
        res.body.Errors.map((e: any) => [e.SecretId, e.ErrorCode]),
        [
          ["b/missing", "ResourceNotFoundException"],
          ["b/gone", "InvalidRequestException"],
          ["b/empty", "ResourceNotFoundException"],
          ["b/denied", "AccessDeniedException"],
        ],
      );
      assert.match(
        res.body.Errors[3].Message,
        /^User: arn:aws:iam::123456789012:user\/envject-test is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:123456789012:secret:b\/denied-/,
      );
    });
  });

  test("exactly one of SecretIdList and Filters; MaxResults only with Filters; at most 20 ids", async () => {
    await withDouble(async (c) => {
      await expectError(c.api("BatchGetSecretValue", {}), "InvalidParameterException");
      await expectError(c.api("BatchGetSecretValue", { SecretIdList: ["a"], Filters: [{ Key: "name", Values: ["a"] }] }), "InvalidParameterException");
      await expectError(c.api("BatchGetSecretValue", { SecretIdList: ["a"], MaxResults: 5 }), "InvalidParameterException");
      await expectError(c.api("BatchGetSecretValue", { SecretIdList: Array.from({ length: 21 }, (_, i) => `s${i}`) }), "ValidationException");
      await expectError(c.api("BatchGetSecretValue", { Filters: [{ Key: "colour", Values: ["x"] }] }), "InvalidParameterException");
    });
  });

  test("Filters select by name prefix (and negation) and page with MaxResults and NextToken", async () => {
    await withDouble(async (c) => {
      for (const n of ["app/a", "app/b", "app/c", "other/x"]) await c.createSecret(n, { SecretString: `v-${n}` });
      const names: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await c.api("BatchGetSecretValue", { Filters: [{ Key: "name", Values: ["app/"] }], MaxResults: 2, ...(token ? { NextToken: token } : {}) });
        names.push(...page.SecretValues.map((v: any) => v.Name));
        token = page.NextToken;
        pages += 1;
      } while (token);
      assert.deepEqual(names, ["app/a", "app/b", "app/c"]);
      assert.equal(pages, 2);
      const negated = await c.api("BatchGetSecretValue", { Filters: [{ Key: "name", Values: ["!app/"] }] });
      assert.deepEqual(
        negated.SecretValues.map((v: any) => v.Name),
        ["other/x"],
      );
    });
  });
});

describe("control surface", () => {
  test("faults hit the next N matching requests (by action and secret) with the given type, then stop", async () => {
    await withDouble(async (c) => {
      await c.createSecret("x", { SecretString: "v" });
      await c.createSecret("y", { SecretString: "v" });
      await c.fault({ action: "GetSecretValue", secretId: "x", status: 400, count: 2 });
      await c.describeSecret("x");
      await c.getSecretValue("y");
      await expectError(c.getSecretValue("x"), "ThrottlingException", "Rate exceeded");
      await expectError(c.getSecretValue("x"), "ThrottlingException");
      await c.getSecretValue("x");
      await c.fault({ status: 500 });
      const res = await c.call("DescribeSecret", { SecretId: "x" });
      assert.equal(res.status, 500);
      assert.equal(res.body.__type, "InternalServiceError");
      await c.fault({ status: 400, type: "DecryptionFailure", message: "custom" });
      await expectError(c.getSecretValue("x"), "DecryptionFailure", "custom");
      const log = await c.requests();
      assert.deepEqual(
        log.slice(-4).map((r) => r.status),
        [400, 200, 500, 400],
      );
    });
  });

  test("a fault with status 0 drops the connection", async () => {
    await withDouble(async (c) => {
      await c.fault({ status: 0 });
      await assert.rejects(c.call("GetSecretValue", { SecretId: "x" }), /socket hang up|ECONNRESET/);
      assert.equal((await c.requests())[0]!.status, 0);
      assert.equal((await c.call("GetSecretValue", { SecretId: "x" })).status, 400);
    });
  });

  test("a hang fault reads the request and never answers; close() still ends at once and resets it", async () => {
    const d = await startAwsDouble();
    let closed = false;
    try {
      const c = new AwsDoubleClient(d.url);
      await c.createSecret("h", { SecretString: "v" });
      await c.fault({ action: "GetSecretValue", secretId: "h", mode: "hang" });
      let headSeen = false;
      const pending = rawCall(d.url, "GetSecretValue", { SecretId: "h" }, () => (headSeen = true));
      await waitFor("the hung request in the log", async () => (await c.requests()).some((r) => r.action === "GetSecretValue"));
      assert.equal((await c.requests()).find((r) => r.action === "GetSecretValue")!.status, 0);
      assert.equal((await c.call("GetSecretValue", { SecretId: "h" })).status, 200, "the fault was used up; other requests are answered");
      assert.equal(headSeen, false, "no answer to the hung request");
      await assertCloseResetsHung(() => d.close().then(() => void (closed = true)), pending);
    } finally {
      if (!closed) await d.close();
    }
  });

  test("a reset_mid_body fault sends the real head and half the body, then resets the connection", async () => {
    await withDouble(async (c, d) => {
      await c.createSecret("r", { SecretString: '{"k":"value-that-makes-the-body-longer"}' });
      await c.fault({ action: "GetSecretValue", mode: "reset_mid_body" });
      const cut = await rawCall(d.url, "GetSecretValue", { SecretId: "r" });
      assert.equal(cut.status, 200);
      assert.equal(cut.ended, "reset");
      assert.ok(cut.received > 0 && cut.received < cut.contentLength!, `got ${cut.received} of ${cut.contentLength} bytes`);
      const whole = await rawCall(d.url, "GetSecretValue", { SecretId: "r" });
      assert.equal(whole.ended, "complete");
      assert.equal(whole.received, whole.contentLength);
      assert.deepEqual(
        (await c.requests()).filter((r) => r.action === "GetSecretValue").map((r) => r.status),
        [0, 200],
      );
    });
  });

  test("bad fault modes are a 400", async () => {
    await withDouble(async (c) => {
      await assert.rejects(c.fault({ mode: "slow" as "hang" }), /400/);
      await assert.rejects(c.fault({ mode: "hang", status: 500 }), /400/);
      await assert.rejects(c.fault({}), /400/);
    });
  });

  test("latency delays the matching action until cleared", async () => {
    await withDouble(async (c, d) => {
      await c.createSecret("x", { SecretString: "v" });
      await c.latency(400, "GetSecretValue");
      const order: string[] = [];
      // The describe goes out only once the get's bytes are on the loopback, so the double has
      // the get first: were every action delayed, the get would also answer first.
      let sent!: () => void;
      const getSent = new Promise<void>((resolve) => (sent = resolve));
      const slow = rawCall(d.url, "GetSecretValue", { SecretId: "x" }, undefined, sent).then((r) => order.push(`get ${r.status}`));
      await getSent;
      await c.describeSecret("x").then(() => order.push("describe"));
      await slow;
      assert.deepEqual(order, ["describe", "get 200"]);
      await c.clearLatency();
    });
  });

  test("deny answers AccessDeniedException for the action, on one secret or all, until cleared", async () => {
    await withDouble(async (c) => {
      const a = await c.createSecret("a", { SecretString: "v" });
      await c.createSecret("b", { SecretString: "v" });
      await c.deny("GetSecretValue", "a");
      const e = await expectError(c.getSecretValue(a.ARN), "AccessDeniedException");
      assert.match(e.message, new RegExp(`not authorized to perform: secretsmanager:GetSecretValue on resource: ${a.ARN.replace(/[/]/g, "\\/")} because`));
      await c.getSecretValue("b");
      await c.describeSecret("a");
      await c.deny("DescribeSecret");
      await expectError(c.describeSecret("b"), "AccessDeniedException");
      await expectError(c.describeSecret("missing"), "AccessDeniedException", /on resource: missing because/);
      await c.clearDenials();
      await c.getSecretValue("a");
    });
  });

  test("a rejected access key gets the signing-layer error; other keys still work", async () => {
    await withDouble(async (c, d) => {
      await c.createSecret("a", { SecretString: "v" });
      for (const type of ["UnrecognizedClientException", "ExpiredTokenException", "InvalidSignatureException"] as const) {
        const bad = new AwsDoubleClient(d.url, { accessKeyId: `AKID${type.length}` });
        await c.rejectAccessKey(bad.accessKeyId, type);
        const res = await bad.call("GetSecretValue", { SecretId: "a" });
        assert.equal(res.status, 400);
        assert.equal(res.body.__type, `com.amazon.coral.service#${type}`);
        assert.equal(typeof res.body.message, "string");
      }
      await c.getSecretValue("a");
    });
  });

  test("the request log records action, region, key, ids, status and error type, never a value", async () => {
    await withDouble(async (c) => {
      await c.createSecret("log/a", { SecretString: "never-logged-value-1" });
      await c.putSecretValue("log/a", { SecretString: "never-logged-value-2" });
      await c.getSecretValue("log/a");
      await c.call("GetSecretValue", { SecretId: "log/zz" });
      await c.call("BatchGetSecretValue", { SecretIdList: ["log/a", "log/b"] });
      const log = await c.requests();
      assert.ok(!JSON.stringify(log).includes("never-logged"));
      assert.deepEqual(
        log.map((r) => [r.action, r.region, r.accessKeyId, r.secretIds, r.status, r.errorType]),
        [
          ["CreateSecret", "us-east-1", "AKIDENVJECTTEST", ["log/a"], 200, undefined],
          ["PutSecretValue", "us-east-1", "AKIDENVJECTTEST", ["log/a"], 200, undefined],
          ["GetSecretValue", "us-east-1", "AKIDENVJECTTEST", ["log/a"], 200, undefined],
          ["GetSecretValue", "us-east-1", "AKIDENVJECTTEST", ["log/zz"], 400, "ResourceNotFoundException"],
          ["BatchGetSecretValue", "us-east-1", "AKIDENVJECTTEST", ["log/a", "log/b"], 200, undefined],
        ],
      );
      assert.ok(log.every((r, i) => i === 0 || r.at >= log[i - 1]!.at));
      await c.clearRequests();
      assert.deepEqual(await c.requests(), []);
    });
  });

  test("bad control input is a 400 and an unknown endpoint a 404", async () => {
    await withDouble(async (c) => {
      await assert.rejects(c.fault({ status: 200 }), /400/);
      await assert.rejects(c.rejectAccessKey("K", "Nope" as never), /400/);
      await assert.rejects(c.deny(""), /400/);
      const res = await raw(c.url, { "Content-Type": "application/json" }, "", "GET", "/__double/nothing");
      assert.equal(res.status, 404);
    });
  });
});

describe("runner and fixture", () => {
  test("main.ts prints its URL, serves the seed (names, region:name, JSON, binary, versions) and exits 0 on SIGTERM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aws-double-"));
    let child: ChildProcess | undefined;
    try {
      const seedFile = join(dir, "seed.json");
      writeFileSync(seedFile, JSON.stringify({ "app/plain": "p-1", "app/json": { k: "v" }, "eu-west-1:app/west": "w", "app/bin": { SecretBinary: "AAE=" }, "app/two": ["old", "new"] }));
      const main = fileURLToPath(new URL("../../src/dev/aws/main.ts", import.meta.url));
      child = spawn(process.execPath, ["--import", "tsx", main, "--seed", seedFile], { stdio: ["ignore", "pipe", "pipe"] });
      const running = child;
      const line = await new Promise<string>((resolve, reject) => {
        let out = "";
        running.stdout!.on("data", (c: Buffer) => {
          out += c.toString();
          if (out.includes("\n")) resolve(out.split("\n")[0]!);
        });
        running.once("exit", (code) => reject(new Error(`exited ${code}`)));
      });
      const { url } = JSON.parse(line) as { url: string };
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const c = new AwsDoubleClient(url);
      assert.equal((await c.getSecretValue("app/plain")).SecretString, "p-1");
      assert.deepEqual(JSON.parse((await c.getSecretValue("app/json")).SecretString), { k: "v" });
      assert.equal((await c.getSecretValue("app/bin")).SecretBinary, "AAE=");
      assert.equal((await c.getSecretValue("app/two", { VersionStage: "AWSPREVIOUS" })).SecretString, "old");
      await expectError(c.getSecretValue("app/west"), "ResourceNotFoundException");
      assert.equal((await c.inRegion("eu-west-1").getSecretValue("app/west")).SecretString, "w");
      const code = await new Promise<number | null>((resolve) => {
        running.once("exit", (c2) => resolve(c2));
        running.kill("SIGTERM");
      });
      assert.equal(code, 0);
    } finally {
      // A failed assertion must not leave the runner alive (it would hold this test file open).
      if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("startSeededAws seeds the sample secrets and starts with an empty request log", async () => {
    const { client, close } = await startSeededAws();
    try {
      assert.deepEqual(await client.requests(), []);
      assert.deepEqual(JSON.parse((await client.getSecretValue("prod/db")).SecretString), AWS_SEED.db);
      assert.deepEqual(JSON.parse((await client.getSecretValue("prod/db", { VersionStage: "AWSPREVIOUS" })).SecretString), AWS_SEED.dbV1);
      assert.equal((await client.getSecretValue("prod/api-key")).SecretString, AWS_SEED.apiKey);
      assert.equal(Buffer.from((await client.getSecretValue("prod/cert")).SecretBinary, "base64").toString("latin1"), AWS_SEED.certBytes);
      assert.ok(AWS_SEEDED_SECRET_VALUES.every((v) => v.length > 8));
    } finally {
      await close();
    }
  });
});
