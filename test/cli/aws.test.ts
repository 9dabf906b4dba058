/**
 * AWS Secrets Manager references through the real, bundled CLI against the Secrets Manager double
 * (and the Vault double for mixed mappings): every reference form reaches the child, AWSCURRENT
 * reads are batched, each failure exits with its documented code (78, 77, 69, 65) naming the
 * variable and the secret and never a value, `check` and `export` work on AWS references, the
 * AWS SDK is loaded only when a mapping references AWS, and the SDK's Node-version switch never
 * reaches the child unless the user set it.
 */
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { CliResult } from "../support/cli.js";
import { AWS_SEED, type SeededAws, awsEnv, leakedAwsSecrets, startSeededAws, DEFAULT_AWS_SEED } from "../support/aws-fixture.js";
import { SEED, type SeededVault, leakedSecrets, startSeededVault } from "../support/vault-fixture.js";
import { Workspace, assertNoStackTrace, childJson, errorLines, printAllEnv, printEnv } from "./e2e.js";
import { moduleTrace } from "../support/module-trace-run.js";

const EU = { token: "eu-Cli-Token-5d4c3b" };
const NOT_JSON = "cli-Not-Json-Secret-77 {";

let sa: SeededAws;
let sv: SeededVault;
let ws: Workspace;
let euArn: string;

before(async () => {
  sa = await startSeededAws({ ...DEFAULT_AWS_SEED, "eu-west-1:eu/app": EU, "prod/not-json": NOT_JSON });
  sv = await startSeededVault();
  ws = new Workspace({ url: sv.url, rootToken: sv.rootToken });
  euArn = (await sa.client.inRegion("eu-west-1").describeSecret("eu/app")).ARN;
});

after(async () => {
  ws.cleanup();
  await sa.close();
  await sv.close();
});

beforeEach(async () => {
  await sa.control.clearRequests();
});

afterEach(() => sa.control.reset());

/** The run's environment: hermetic, the Vault double's address and token, the AWS double's endpoint and test credentials, then `extra`. */
function env(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { ...awsEnv(sa.url), ...extra };
}

/** No seeded secret value in `all` (stderr, or any output that must not carry values). */
function assertNothingLeaked(all: string): void {
  assert.deepEqual(leakedAwsSecrets(all), [], `an AWS secret value was printed:\n${all}`);
  assert.deepEqual(leakedSecrets(all), [], `a Vault secret value was printed:\n${all}`);
  assert.ok(!all.includes(NOT_JSON) && !all.includes(EU.token), "a secret value was printed");
}

describe("envject run with AWS references", () => {
  it("a mapping mixing Vault and every AWS reference form resolves into the child's environment", async () => {
    ws.file(
      "mixed.yaml",
      `env:
  VAULT_DB_PASSWORD: vault://secret/myapp/db#password
  AWS_DB_PASSWORD: aws-sm://prod/db#password
  AWS_DB_USER: ref+awssecrets://prod/db#username
  AWS_OLD_PASSWORD: aws-sm://prod/db?version_stage=AWSPREVIOUS#/password
  API_KEY: "{{ aws_secret_var('prod/api-key') }}"
  LOG_LEVEL: "{{ aws_secret_var('prod/config', 'log_level') }}"
  MAX_CONN: aws-sm://prod/config#max_conn
  FEATURE: aws-sm://prod/config#feature
  CERT: aws-sm://prod/cert
  EU_TOKEN: ${euArn}#token
  EU_QUERY: aws-sm://eu/app?region=eu-west-1#token
  DSN: "postgres://{{ aws('prod/db#username') }}:{{ vault('secret/myapp/db#password') }}@db/app"
  PLAIN: literal:${euArn}
`,
    );
    const names = ["VAULT_DB_PASSWORD", "AWS_DB_PASSWORD", "AWS_DB_USER", "AWS_OLD_PASSWORD", "API_KEY", "LOG_LEVEL", "MAX_CONN", "FEATURE", "CERT", "EU_TOKEN", "EU_QUERY", "DSN", "PLAIN"];
    const r = await ws.run(["run", "-c", "mixed.yaml", "--", ...printEnv(...names)], env());
    const got = childJson(r);
    assert.deepEqual(got, {
      VAULT_DB_PASSWORD: SEED.db.password,
      AWS_DB_PASSWORD: AWS_SEED.db.password,
      AWS_DB_USER: AWS_SEED.db.username,
      AWS_OLD_PASSWORD: AWS_SEED.dbV1.password,
      API_KEY: AWS_SEED.apiKey,
      LOG_LEVEL: AWS_SEED.config.log_level,
      MAX_CONN: "25",
      FEATURE: JSON.stringify(AWS_SEED.config.feature),
      CERT: Buffer.from(AWS_SEED.certBytes, "latin1").toString("base64"),
      EU_TOKEN: EU.token,
      EU_QUERY: EU.token,
      DSN: `postgres://${AWS_SEED.db.username}:${SEED.db.password}@db/app`,
      PLAIN: euArn,
    });
    assertNothingLeaked(r.stderr);
    // us-east-1: prod/db, prod/api-key, prod/config, prod/cert in one batch, the AWSPREVIOUS read by
    // itself; eu-west-1: its ARN and ?region= spellings (two ids for the reader) in one call.
    // (Watching may add DescribeSecret polls; they are not counted here.)
    const log = (await sa.control.requests()).filter((e) => e.action !== "DescribeSecret");
    const summary = log.map((e) => `${e.action} ${e.region} ${e.secretIds.join(",")}`).join("\n");
    const batches = log.filter((e) => e.action === "BatchGetSecretValue" && e.region === "us-east-1");
    assert.equal(batches.length, 1, summary);
    assert.deepEqual([...batches[0]!.secretIds].sort(), ["prod/api-key", "prod/cert", "prod/config", "prod/db"]);
    assert.equal(log.filter((e) => e.region === "us-east-1").length, 2, summary);
    assert.equal(log.filter((e) => e.region === "eu-west-1").length, 1, summary);
    assert.ok(log.every((e) => e.status === 200));
  });

  it("the child gets neither envject's AWS credentials nor the SDK's warning switch unless the user set it", async () => {
    ws.file("one.yaml", "env:\n  API_KEY: aws-sm://prod/api-key\n");
    const watched = ["API_KEY", "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"];
    const unset = await ws.run(["run", "-c", "one.yaml", "--", ...printEnv(...watched)], env({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined }));
    assert.deepEqual(childJson(unset), {
      API_KEY: AWS_SEED.apiKey,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: null,
      AWS_ACCESS_KEY_ID: null,
      AWS_SECRET_ACCESS_KEY: null,
      AWS_REGION: "us-east-1",
    });
    assert.doesNotMatch(unset.stderr, /NodeVersionSupportWarning|node >=/, "the SDK's Node-version warning is silenced");
    const set = await ws.run(["run", "-c", "one.yaml", "--", ...printEnv(...watched)], env({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" }));
    assert.equal(childJson(set).AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED, "true", "a user's own setting is kept");
  });

  it("a whole-environment child sees no AWS SDK variable envject added", async () => {
    ws.file("one.yaml", "env:\n  API_KEY: aws-sm://prod/api-key\n");
    const given = env({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined });
    const r = await ws.run(["run", "-c", "one.yaml", "--", ...printAllEnv()], given);
    const child = childJson<Record<string, string>>(r);
    const added = Object.keys(child).filter((k) => k.startsWith("AWS_") && given[k] === undefined);
    assert.deepEqual(added, []);
    assert.equal(child.API_KEY, AWS_SEED.apiKey);
  });
});

describe("exit codes", () => {
  async function failing(mapping: string, extra: Record<string, string | undefined> = {}, args: string[] = []): Promise<CliResult> {
    ws.file("fail.yaml", mapping);
    const r = await ws.run(["run", "-c", "fail.yaml", ...args, "--", ...printEnv("X")], env(extra));
    assertNoStackTrace(r.stderr);
    assertNothingLeaked(r.stdout + r.stderr);
    assert.equal(r.stdout, "", "the command did not start");
    return r;
  }

  it("78: a secret that does not exist, naming the variable, the secret and the region", async () => {
    const r = await failing("env:\n  MISSING_SECRET: aws-sm://prod/nope#key\n  API_KEY: aws-sm://prod/api-key\n");
    assert.equal(r.code, 78, r.stderr);
    const [line, ...more] = errorLines(r.stderr);
    assert.deepEqual(more, []);
    assert.match(line!, /MISSING_SECRET/);
    assert.match(line!, /prod\/nope/);
    assert.match(line!, /us-east-1/);
  });

  it("78: a secret scheduled for deletion says so", async () => {
    await sa.client.createSecret("prod/doomed", { SecretString: "doomed-Value-1x" });
    await sa.client.deleteSecret("prod/doomed");
    const r = await failing("env:\n  DOOMED: aws-sm://prod/doomed\n");
    assert.equal(r.code, 78, r.stderr);
    assert.match(r.stderr, /DOOMED.*scheduled for deletion/);
    assert.ok(!r.stderr.includes("doomed-Value-1x"));
  });

  it("78: a field the JSON secret does not have", async () => {
    const r = await failing("env:\n  NO_FIELD: aws-sm://prod/db#nope\n");
    assert.equal(r.code, 78, r.stderr);
    assert.match(r.stderr, /NO_FIELD/);
    assert.match(r.stderr, /"nope"/);
  });

  it("77: access denied (AccessDeniedException), saying which permission is missing", async () => {
    await sa.control.deny("GetSecretValue");
    const r = await failing("env:\n  API_KEY: aws-sm://prod/api-key\n");
    assert.equal(r.code, 77, r.stderr);
    assert.match(r.stderr, /API_KEY/);
    assert.match(r.stderr, /secretsmanager:GetSecretValue/);
  });

  it("77: an access key AWS does not recognise (UnrecognizedClientException)", async () => {
    await sa.client.rejectAccessKey("AKIDENVJECTTEST", "UnrecognizedClientException");
    const r = await failing("env:\n  API_KEY: aws-sm://prod/api-key\n  DB: aws-sm://prod/db#password\n");
    assert.equal(r.code, 77, r.stderr);
    assert.match(r.stderr, /AWS_ACCESS_KEY_ID/);
    assert.ok(!r.stderr.includes("envject-test-secret-access-key"), "the secret access key is never printed");
  });

  it("77: no AWS credentials at all", async () => {
    const r = await failing("env:\n  API_KEY: aws-sm://prod/api-key\n", { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined });
    assert.equal(r.code, 77, r.stderr);
    assert.match(r.stderr, /no AWS credentials/);
    assert.equal(await sa.control.requestCount(), 0);
  });

  it("69: throttled and failing until --start-timeout, with one warning and a 'gave up' error", async () => {
    await sa.control.fault({ status: 400, type: "ThrottlingException", count: 100_000 });
    const r = await failing("env:\n  API_KEY: aws-sm://prod/api-key\n", {}, ["--start-timeout", "2s"]);
    assert.equal(r.code, 69, r.stderr);
    assert.match(r.stderr, /API_KEY/);
    assert.match(r.stderr, /gave up/);
    const warnings = r.stderr.split("\n").filter((l) => /WARN.*unavailable/.test(l));
    assert.equal(warnings.length, 1, r.stderr);
    // The wait names the region and the endpoint in use, and until when it lasts.
    const endpoint = sa.url.replace(/[.]/g, "\\.");
    assert.match(
      warnings[0]!,
      new RegExp(`WARN  AWS Secrets Manager in [a-z0-9-]+ at ${endpoint} is unavailable: .*ThrottlingException.*; retrying until \\d\\d:\\d\\d:\\d\\d \\(--start-timeout 2s\\) `),
    );
    assert.ok((await sa.control.requestCount()) >= 2, "retried before giving up");
  });

  it("69: 5xx answers and dropped connections until --start-timeout", async () => {
    await sa.control.fault({ status: 500, count: 100_000 });
    const r = await failing("env:\n  API_KEY: aws-sm://prod/api-key\n", {}, ["--start-timeout", "1s"]);
    assert.equal(r.code, 69, r.stderr);
    await sa.control.clearFaults();
    await sa.control.fault({ status: 0, count: 100_000 });
    const dropped = await failing("env:\n  API_KEY: aws-sm://prod/api-key\n", {}, ["--start-timeout", "1s"]);
    assert.equal(dropped.code, 69, dropped.stderr);
  });

  it("a transient throttle is retried and the run goes on", async () => {
    await sa.control.fault({ action: "GetSecretValue", status: 400, type: "ThrottlingException", count: 2 });
    ws.file("one.yaml", "env:\n  API_KEY: aws-sm://prod/api-key\n");
    const r = await ws.run(["run", "-c", "one.yaml", "--", ...printEnv("API_KEY")], env());
    assert.deepEqual(childJson(r), { API_KEY: AWS_SEED.apiKey });
    assert.equal(await sa.control.requestCount((e) => e.action === "GetSecretValue"), 3);
  });

  it("65: a #field asked of a secret that is not JSON, naming the secret and never its value", async () => {
    const r = await failing("env:\n  NOT_JSON: aws-sm://prod/not-json#key\n");
    assert.equal(r.code, 65, r.stderr);
    assert.match(r.stderr, /NOT_JSON/);
    assert.match(r.stderr, /prod\/not-json/);
  });

  it("65: no region anywhere, saying what to set", async () => {
    const r = await failing("env:\n  API_KEY: aws-sm://prod/api-key\n", { AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined });
    assert.equal(r.code, 65, r.stderr);
    assert.match(r.stderr, /AWS_REGION/);
    assert.equal(await sa.control.requestCount(), 0);
  });

  it("65: a malformed aws.region in the mapping names the file and key", async () => {
    const r = await failing("aws:\n  region: Not A Region\nenv:\n  API_KEY: aws-sm://prod/api-key\n");
    assert.equal(r.code, 65, r.stderr);
    assert.match(r.stderr, /fail\.yaml:2/);
    assert.match(r.stderr, /aws\.region/);
  });

  it("the most serious failure decides when several variables fail (77 over 78)", async () => {
    await sa.control.deny("GetSecretValue", "prod/config");
    const r = await failing("env:\n  DENIED: aws-sm://prod/config#log_level\n  MISSING_ONE: aws-sm://prod/nope\n  OK: aws-sm://prod/api-key\n");
    assert.equal(r.code, 77, r.stderr);
    assert.match(r.stderr, /DENIED/);
    assert.match(r.stderr, /MISSING_ONE/);
  });
});

describe("check and export", () => {
  it("check lists AWS rows with their VersionId and exits with the most serious failure", async () => {
    ws.file(
      "check.yaml",
      `env:
  API_KEY: aws-sm://prod/api-key
  DB_PASSWORD: aws-sm://prod/db#password
  VAULT_DB: vault://secret/myapp/db#password
  MISSING_SECRET: aws-sm://prod/nope
`,
    );
    const r = await ws.run(["check", "-c", "check.yaml"], env());
    assert.equal(r.code, 78, r.stderr);
    assertNothingLeaked(r.stdout + r.stderr);
    const apiVersion = (await sa.client.getSecretValue("prod/api-key")).VersionId as string;
    const lines = r.stdout.trim().split("\n");
    assert.match(lines[0]!, /^NAME +SOURCE +VERSION +STATUS$/);
    const row = (name: string) => lines.find((l) => l.startsWith(`${name} `)) ?? assert.fail(`no row for ${name}:\n${r.stdout}`);
    assert.match(row("API_KEY"), new RegExp(`aws-sm://prod/api-key +${apiVersion} +ok$`));
    assert.match(row("DB_PASSWORD"), /aws-sm:\/\/prod\/db#password +[0-9a-f-]{36} +ok$/);
    assert.match(row("VAULT_DB"), /vault:\/\/secret\/myapp\/db#password +2 +ok$/);
    assert.match(row("MISSING_SECRET"), /error \(78\).*prod\/nope/);
  });

  it("export prints AWS and Vault values in the format asked", async () => {
    ws.file("export.yaml", "env:\n  API_KEY: aws-sm://prod/api-key\n  LOG_LEVEL: aws-sm://prod/config#log_level\n  VAULT_DB: vault://secret/myapp/db#password\n");
    const r = await ws.run(["export", "-c", "export.yaml", "--format", "json"], env());
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { API_KEY: AWS_SEED.apiKey, LOG_LEVEL: AWS_SEED.config.log_level, VAULT_DB: SEED.db.password });
    assertNothingLeaked(r.stderr);
  });
});

describe("the AWS SDK is loaded only when a mapping references AWS", () => {
  /** Runs envject under the module-trace preload; returns what envject's own process loaded that mentions @aws-sdk. */
  async function traced(mapping: string): Promise<{ result: CliResult; loaded: string[] }> {
    ws.file("trace.yaml", mapping);
    const trace = moduleTrace(ws.dir);
    const result = await ws.run(["run", "-c", "trace.yaml", "--", ...printEnv("X")], env(trace.env));
    return { result, loaded: trace.envjectLoaded(result.stderr) };
  }

  it("a Vault-only run never loads @aws-sdk/*", async () => {
    const { result, loaded } = await traced("env:\n  X: vault://secret/myapp/db#password\n");
    assert.equal(JSON.parse(result.stdout).X, SEED.db.password);
    assert.deepEqual(loaded, []);
  });

  it("a run with an AWS reference does load it (so the trace can see it)", async () => {
    const { result, loaded } = await traced("env:\n  X: aws-sm://prod/api-key\n");
    assert.equal(JSON.parse(result.stdout).X, AWS_SEED.apiKey);
    assert.ok(
      loaded.some((name) => name.includes("/@aws-sdk/client-secrets-manager/")),
      loaded.join("\n"),
    );
  });
});
