/**
 * Conformance: the real AWS CLI drives the AWS Secrets Manager double started in this process.
 * Debian's AWS CLI v2 (`/usr/bin/aws`, botocore's JSON 1.1 serializer, SigV4 signer and error
 * parser) runs every operation the double serves, success and error cases; BatchGetSecretValue,
 * which v2 2.9.19 predates, runs with the AWS CLI v1 first on PATH. Dates printed as ISO strings
 * prove our epoch-second numbers parse; exit codes 254/255 with the error code on stderr prove our
 * error bodies do. A missing CLI skips with an install hint, and fails when CI=true.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe } from "node:test";
import { AwsDoubleClient } from "../../src/dev/aws/client.js";
import { startAwsDouble } from "../../src/dev/aws/index.js";
import { conformanceTest, requireClient } from "../support/conformance.js";
import { AWS_V2, awsCli, cliVersion, findAwsV1, type CliResult } from "./awscli-run.js";

const v2 = requireClient(
  "AWS CLI v2 (Debian awscli, /usr/bin/aws)",
  () => {
    const version = cliVersion(AWS_V2);
    if (version === "") return `${AWS_V2} does not run`;
    return version.startsWith("aws-cli/2.") ? true : `${AWS_V2} is ${version.split(" ")[0]}, not v2`;
  },
  "sudo apt-get install -y awscli",
);
const v1Path = findAwsV1();
const v1 = requireClient("AWS CLI v1 (first `aws` on PATH; knows BatchGetSecretValue)", () => (v1Path ? true : "no AWS CLI v1 first on PATH"), "python3 -m pip install --user 'awscli<2'");

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MARKED = "You can't perform this operation on the secret because it was marked for deletion.";

/** A started double, a CLI runner (v2 unless told) and a control client; closed by `close`. */
async function setup(binary = AWS_V2) {
  const double = await startAwsDouble();
  return { double, cli: awsCli(binary, double.url), control: new AwsDoubleClient(double.url), close: () => double.close() };
}

function ok(r: CliResult): any {
  assert.equal(r.code, 0, `aws failed (${r.code}): ${r.stderr}`);
  return r.json;
}

/** A failed call: a service-error exit code (254 for v2, 255 for v1) and the error code on stderr. */
function failed(r: CliResult, errorCode: string, message?: string): void {
  assert.ok(r.code === 254 || r.code === 255, `expected exit 254/255, got ${r.code}: ${r.stderr}${r.stdout}`);
  assert.match(r.stderr, new RegExp(`An error occurred \\(${errorCode}\\) when calling`));
  if (message) assert.ok(r.stderr.includes(message), r.stderr);
}

/** An ISO date the CLI printed, within `toleranceMs` of `expectedMs`. */
function isoNear(value: unknown, expectedMs: number, toleranceMs = 10 * 60_000): void {
  assert.equal(typeof value, "string");
  assert.match(value as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$/);
  const ms = Date.parse(value as string);
  assert.ok(Math.abs(ms - expectedMs) < toleranceMs, `${value as string} is not near ${new Date(expectedMs).toISOString()}`);
}

describe("AWS CLI v2 against the AWS Secrets Manager double", () => {
  conformanceTest("create, put, get, describe and list versions: ARNs, labels and dates parse as the CLI expects", v2, async () => {
    const { cli, control, close } = await setup();
    try {
      const created = ok(await cli(["create-secret", "--name", "prod/api", "--secret-string", '{"key":"k1"}', "--description", "API key", "--tags", "Key=team,Value=core"]));
      assert.match(created.ARN, /^arn:aws:secretsmanager:us-east-1:123456789012:secret:prod\/api-[A-Za-z0-9]{6}$/);
      assert.equal(created.Name, "prod/api");
      assert.match(created.VersionId, UUID);

      failed(await cli(["create-secret", "--name", "prod/api", "--secret-string", "x"]), "ResourceExistsException", "already exists");

      const put = ok(await cli(["put-secret-value", "--secret-id", "prod/api", "--secret-string", '{"key":"k2"}']));
      assert.deepEqual(put.VersionStages, ["AWSCURRENT"]);
      assert.equal(put.ARN, created.ARN);

      for (const id of ["prod/api", created.ARN, created.ARN.slice(0, -7)]) {
        const got = ok(await cli(["get-secret-value", "--secret-id", id]));
        assert.equal(got.SecretString, '{"key":"k2"}', id);
        assert.equal(got.VersionId, put.VersionId);
        assert.deepEqual(got.VersionStages, ["AWSCURRENT"]);
        isoNear(got.CreatedDate, Date.now());
      }
      const previous = ok(await cli(["get-secret-value", "--secret-id", "prod/api", "--version-stage", "AWSPREVIOUS"]));
      assert.equal(previous.SecretString, '{"key":"k1"}');
      assert.equal(previous.VersionId, created.VersionId);
      const byId = ok(await cli(["get-secret-value", "--secret-id", "prod/api", "--version-id", created.VersionId, "--version-stage", "AWSPREVIOUS"]));
      assert.equal(byId.SecretString, '{"key":"k1"}');
      failed(await cli(["get-secret-value", "--secret-id", "prod/api", "--version-stage", "AWSPENDING"]), "ResourceNotFoundException", "staging label: AWSPENDING");
      failed(await cli(["get-secret-value", "--secret-id", "prod/nope"]), "ResourceNotFoundException", "Secrets Manager can't find the specified secret.");

      const described = ok(await cli(["describe-secret", "--secret-id", "prod/api"]));
      assert.equal(described.ARN, created.ARN);
      assert.equal(described.Description, "API key");
      assert.deepEqual(described.Tags, [{ Key: "team", Value: "core" }]);
      assert.deepEqual(described.VersionIdsToStages, { [created.VersionId]: ["AWSPREVIOUS"], [put.VersionId]: ["AWSCURRENT"] });
      isoNear(described.CreatedDate, Date.now());
      isoNear(described.LastChangedDate, Date.now());
      isoNear(described.LastAccessedDate, Date.now(), 26 * 3600_000);
      assert.equal(described.SecretString, undefined);
      assert.equal(described.RotationEnabled, undefined);

      const third = ok(await cli(["put-secret-value", "--secret-id", "prod/api", "--secret-string", '{"key":"k3"}']));
      const labelled = ok(await cli(["list-secret-version-ids", "--secret-id", "prod/api"]));
      assert.deepEqual(labelled.Versions.map((v: any) => v.VersionId).sort(), [put.VersionId, third.VersionId].sort());
      const all = ok(await cli(["list-secret-version-ids", "--secret-id", "prod/api", "--include-deprecated"]));
      assert.equal(all.Versions.length, 3);
      const oldest = all.Versions.find((v: any) => v.VersionId === created.VersionId);
      assert.equal(oldest.VersionStages, undefined);
      isoNear(oldest.CreatedDate, Date.now());

      // The real signer's credential scope reached the double: access key and region per request.
      const log = await control.requests();
      assert.ok(log.length >= 12);
      assert.ok(log.every((r) => r.accessKeyId === "AKIDCONFORMANCE" && r.region === "us-east-1"));
    } finally {
      await close();
    }
  });

  conformanceTest("SecretBinary round-trips as base64 from a fileb:// file", v2, async () => {
    const { cli, close } = await setup();
    try {
      const bytes = Buffer.from([0, 1, 2, 127, 128, 254, 255, 10, 13]);
      const file = join(mkdtempSync(join(tmpdir(), "envject-bin-")), "secret.bin");
      writeFileSync(file, bytes);
      ok(await cli(["create-secret", "--name", "prod/cert", "--secret-binary", `fileb://${file}`]));
      const got = ok(await cli(["get-secret-value", "--secret-id", "prod/cert"]));
      assert.equal(got.SecretString, undefined);
      assert.deepEqual(Buffer.from(got.SecretBinary, "base64"), bytes);
    } finally {
      await close();
    }
  });

  conformanceTest("update-secret-version-stage moves AWSCURRENT back and the old current becomes AWSPREVIOUS", v2, async () => {
    const { cli, close } = await setup();
    try {
      const v1 = ok(await cli(["create-secret", "--name", "rot", "--secret-string", "one"])).VersionId;
      const v2id = ok(await cli(["put-secret-value", "--secret-id", "rot", "--secret-string", "two"])).VersionId;
      failed(await cli(["update-secret-version-stage", "--secret-id", "rot", "--version-stage", "AWSCURRENT", "--move-to-version-id", v1]), "InvalidParameterException", "RemoveFromVersionId");
      const moved = ok(await cli(["update-secret-version-stage", "--secret-id", "rot", "--version-stage", "AWSCURRENT", "--move-to-version-id", v1, "--remove-from-version-id", v2id]));
      assert.equal(moved.Name, "rot");
      assert.deepEqual(ok(await cli(["describe-secret", "--secret-id", "rot"])).VersionIdsToStages, { [v1]: ["AWSCURRENT"], [v2id]: ["AWSPREVIOUS"] });
      assert.equal(ok(await cli(["get-secret-value", "--secret-id", "rot"])).SecretString, "one");
      const pending = ok(await cli(["put-secret-value", "--secret-id", "rot", "--secret-string", "three", "--version-stages", "AWSPENDING"]));
      assert.deepEqual(pending.VersionStages, ["AWSPENDING"]);
      assert.equal(ok(await cli(["get-secret-value", "--secret-id", "rot", "--version-stage", "AWSPENDING"])).SecretString, "three");
      ok(await cli(["update-secret-version-stage", "--secret-id", "rot", "--version-stage", "AWSPENDING", "--remove-from-version-id", pending.VersionId]));
      failed(await cli(["get-secret-value", "--secret-id", "rot", "--version-stage", "AWSPENDING"]), "ResourceNotFoundException");
    } finally {
      await close();
    }
  });

  conformanceTest("delete-secret with a recovery window, reads refused while scheduled, restore-secret, forced delete", v2, async () => {
    const { cli, close } = await setup();
    try {
      ok(await cli(["create-secret", "--name", "old", "--secret-string", "v"]));
      failed(await cli(["delete-secret", "--secret-id", "old", "--recovery-window-in-days", "3"]), "InvalidParameterException", "between 7 and 30");
      const scheduled = ok(await cli(["delete-secret", "--secret-id", "old", "--recovery-window-in-days", "7"]));
      isoNear(scheduled.DeletionDate, Date.now() + 7 * 86_400_000);
      failed(await cli(["get-secret-value", "--secret-id", "old"]), "InvalidRequestException", MARKED);
      failed(await cli(["put-secret-value", "--secret-id", "old", "--secret-string", "w"]), "InvalidRequestException", MARKED);
      isoNear(ok(await cli(["describe-secret", "--secret-id", "old"])).DeletedDate, Date.now());
      assert.equal(ok(await cli(["restore-secret", "--secret-id", "old"])).Name, "old");
      assert.equal(ok(await cli(["get-secret-value", "--secret-id", "old"])).SecretString, "v");
      const forced = ok(await cli(["delete-secret", "--secret-id", "old", "--force-delete-without-recovery"]));
      isoNear(forced.DeletionDate, Date.now());
      failed(await cli(["get-secret-value", "--secret-id", "old"]), "ResourceNotFoundException");
      const defaulted = (ok(await cli(["create-secret", "--name", "old", "--secret-string", "again"])), ok(await cli(["delete-secret", "--secret-id", "old"])));
      isoNear(defaulted.DeletionDate, Date.now() + 30 * 86_400_000);
    } finally {
      await close();
    }
  });

  conformanceTest("secrets are per region: a CLI in eu-west-1 does not see us-east-1's", v2, async () => {
    const { cli, close } = await setup();
    try {
      ok(await cli(["create-secret", "--name", "regional", "--secret-string", "east"]));
      failed(await cli(["get-secret-value", "--secret-id", "regional"], { region: "eu-west-1" }), "ResourceNotFoundException");
      const west = ok(await cli(["create-secret", "--name", "regional", "--secret-string", "west"], { region: "eu-west-1" }));
      assert.match(west.ARN, /^arn:aws:secretsmanager:eu-west-1:123456789012:secret:regional-/);
      assert.equal(ok(await cli(["get-secret-value", "--secret-id", "regional"], { region: "eu-west-1" })).SecretString, "west");
      assert.equal(ok(await cli(["get-secret-value", "--secret-id", "regional"])).SecretString, "east");
    } finally {
      await close();
    }
  });

  conformanceTest("denials, rejected access keys, throttling and server errors reach the CLI as their error codes", v2, async () => {
    const { cli, control, close } = await setup();
    try {
      const arn = ok(await cli(["create-secret", "--name", "guarded", "--secret-string", "v"])).ARN;
      await control.deny("GetSecretValue", "guarded");
      failed(
        await cli(["get-secret-value", "--secret-id", "guarded"]),
        "AccessDeniedException",
        `User: arn:aws:iam::123456789012:user/envject-test is not authorized to perform: secretsmanager:GetSecretValue on resource: ${arn}`,
      );
      await control.clearDenials();

      for (const type of ["UnrecognizedClientException", "ExpiredTokenException", "InvalidSignatureException"] as const) {
        await control.rejectAccessKey(`AKID${type.slice(0, 8).toUpperCase()}`, type);
        failed(await cli(["get-secret-value", "--secret-id", "guarded"], { accessKeyId: `AKID${type.slice(0, 8).toUpperCase()}` }), type);
      }

      await control.clearRequests();
      await control.fault({ action: "GetSecretValue", status: 400, type: "ThrottlingException", count: 2 });
      failed(await cli(["get-secret-value", "--secret-id", "guarded"], { maxAttempts: 2 }), "ThrottlingException", "Rate exceeded");
      assert.equal((await control.requests()).filter((r) => r.errorType === "ThrottlingException").length, 2, "the CLI retried a throttled call");

      await control.clearRequests();
      await control.fault({ action: "GetSecretValue", status: 500, count: 1 });
      assert.equal(ok(await cli(["get-secret-value", "--secret-id", "guarded"], { maxAttempts: 2 })).SecretString, "v");
      assert.deepEqual(
        (await control.requests()).map((r) => r.status),
        [500, 200],
      );

      await control.fault({ action: "DescribeSecret", status: 500, count: 1 });
      failed(await cli(["describe-secret", "--secret-id", "guarded"]), "InternalServiceError");
    } finally {
      await close();
    }
  });
});

describe("AWS CLI v1 against the AWS Secrets Manager double", () => {
  conformanceTest("batch-get-secret-value: a SecretIdList with per-secret errors, and Filters paged by NextToken", v1, async () => {
    const { cli, control, close } = await setup(v1Path);
    try {
      for (const name of ["app/a", "app/b", "app/c", "other/x"]) ok(await cli(["create-secret", "--name", name, "--secret-string", `value-${name}`]));
      ok(await cli(["create-secret", "--name", "app/gone", "--secret-string", "g"]));
      ok(await cli(["delete-secret", "--secret-id", "app/gone"]));
      await control.deny("GetSecretValue", "other/x");

      const listed = ok(await cli(["batch-get-secret-value", "--secret-id-list", "app/a", "app/missing", "app/gone", "other/x"]));
      assert.deepEqual(
        listed.SecretValues.map((v: any) => [v.Name, v.SecretString, v.VersionStages]),
        [["app/a", "value-app/a", ["AWSCURRENT"]]],
      );
      assert.equal(typeof listed.SecretValues[0].CreatedDate, "number", "CLI v1 prints timestamps as epoch numbers");
      assert.deepEqual(
        listed.Errors.map((e: any) => [e.SecretId, e.ErrorCode]),
        [
          ["app/missing", "ResourceNotFoundException"],
          ["app/gone", "InvalidRequestException"],
          ["other/x", "AccessDeniedException"],
        ],
      );

      const names: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = ok(await cli(["batch-get-secret-value", "--filters", "Key=name,Values=app/", "--max-results", "2", ...(token ? ["--next-token", token] : [])]));
        names.push(...page.SecretValues.map((v: any) => v.Name));
        token = page.NextToken;
        pages += 1;
      } while (token && pages < 10);
      assert.deepEqual(names, ["app/a", "app/b", "app/c"]);
      assert.equal(pages, 2);

      failed(await cli(["batch-get-secret-value", "--secret-id-list", "app/a", "--max-results", "2"]), "InvalidParameterException");
      failed(await cli(["batch-get-secret-value", "--filters", "Key=name,Values=app/", "--next-token", "not-ours"]), "InvalidNextTokenException");
      await control.deny("BatchGetSecretValue");
      failed(await cli(["batch-get-secret-value", "--secret-id-list", "app/a"]), "AccessDeniedException", "secretsmanager:BatchGetSecretValue");
    } finally {
      await close();
    }
  });
});
