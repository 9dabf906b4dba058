/**
 * AwsProvider in-process against the loopback Secrets Manager double: value kinds, fields,
 * stages, version ids, regions and ARNs, BatchGetSecretValue coalescing (and its fallback when
 * denied), per-item errors, every error class and its exit code, retries until the deadline,
 * single attempts with `once`, and stamps via DescribeSecret or its fallback. The double's request
 * log is the witness for "how many requests", never the clock.
 */
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuthError, ConfigError, type EnvjectError, NotFoundError, UnavailableError } from "../../../src/errors.js";
import { type AwsRef, type SecretRef, parseReference, parseValue } from "../../../src/config/reference.js";
import type { SecretDocument } from "../../../src/providers/provider.js";
import { AwsProvider, createAwsProvider } from "../../../src/providers/aws/provider.js";
import { extractField } from "../../../src/resolve/field.js";
import { ProviderSet } from "../../../src/resolve/provider-set.js";
import { SecretReader } from "../../../src/resolve/reader.js";
import type { RequestLogEntry } from "../../../src/dev/aws/client.js";
import { AWS_SEED, AWS_SEEDED_SECRET_VALUES, type SeededAws, startSeededAws, DEFAULT_AWS_SEED } from "../../support/aws-fixture.js";
import { captureLogger } from "../../support/logger.js";

const EU_ONLY = { token: "eu-Only-Token-6f1e2d" };
const NOT_JSON = "plain-Not-Json-Value {x";
const MANY = 25;
let sa: SeededAws;
let home: string;
const open: AwsProvider[] = [];
/** Every process warning of this test process (the SDK's Node-version notice would be one). */
const warnings: string[] = [];
process.on("warning", (w) => warnings.push(`${w.name}: ${w.message}`));

before(async () => {
  home = mkdtempSync(join(tmpdir(), "envject-aws-provider-"));
  // The SDK's credential chain reads process.env: keep it on test values and off instance metadata.
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: "AKIDPROVIDERTEST",
    AWS_SECRET_ACCESS_KEY: "provider-test-secret",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: join(home, "config"),
    AWS_SHARED_CREDENTIALS_FILE: join(home, "credentials"),
  });
  for (const name of [
    "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
  ]) {
    delete process.env[name];
  }
  const many = Object.fromEntries(Array.from({ length: MANY }, (_, i) => [`ap-south-1:bulk/s${i}`, `bulk-Value-${i}-q`]));
  sa = await startSeededAws({
    ...DEFAULT_AWS_SEED,
    "eu-west-1:eu/only": EU_ONLY,
    "prod/not-json": NOT_JSON,
    "prod/retired": "retired-Value-0a0b",
    ...many,
  });
  await sa.client.deleteSecret("prod/retired");
  await sa.control.clearRequests();
});

after(async () => {
  for (const p of open) await p.close();
  await sa.close();
  rmSync(home, { recursive: true, force: true });
});

beforeEach(async () => {
  await sa.control.clearRequests();
});

afterEach(() => sa.control.reset());

interface Harness {
  provider: AwsProvider;
  lines: string[];
}

/** A fresh provider (own SDK clients, batch and DescribeSecret memory) pointed at the double; log lines collected. */
function harness(environ: NodeJS.ProcessEnv = {}, file: { region?: string } = {}): Harness {
  const { logger, lines } = captureLogger();
  const provider = createAwsProvider(
    {
      file: file.region ? { region: { value: file.region, origin: { file: "envject.yaml" } } } : {},
      environ: { AWS_REGION: "us-east-1", AWS_ENDPOINT_URL_SECRETS_MANAGER: sa.url, ...environ },
    },
    logger,
  );
  open.push(provider);
  return { provider, lines };
}

function ref(text: string): AwsRef {
  const r = parseReference(text, { defaultMount: "secret" });
  assert.ok(r && r.provider === "aws", `${text} is an AWS reference`);
  return r;
}

const soon = () => ({ deadline: Date.now() + 10_000 });

async function failure(promise: Promise<unknown>): Promise<EnvjectError> {
  try {
    await promise;
  } catch (error) {
    return error as EnvjectError;
  }
  assert.fail("expected the read to fail");
}

async function log(): Promise<RequestLogEntry[]> {
  return sa.control.requests();
}

function count(entries: RequestLogEntry[], action: string): number {
  return entries.filter((e) => e.action === action).length;
}

function value(doc: SecretDocument, r: AwsRef): string {
  return extractField(doc, r.field, r.raw);
}

describe("values", () => {
  it("a plain SecretString is the value as is, with its VersionId as version and stamp", async () => {
    const { provider } = harness();
    const r = ref("aws-sm://prod/api-key");
    const doc = await provider.read(r, soon());
    assert.equal(doc.kind, "string");
    assert.equal(value(doc, r), AWS_SEED.apiKey);
    const current = await sa.client.getSecretValue("prod/api-key");
    assert.equal(doc.version, current.VersionId);
    assert.equal(doc.stamp, current.VersionId);
    assert.equal(doc.source, "secretsmanager us-east-1 prod/api-key (AWSCURRENT)");
  });

  it("a #field and a #/json/pointer take values out of a JSON SecretString; non-strings are stringified", async () => {
    const { provider } = harness();
    const doc = await provider.read(ref("aws-sm://prod/config"), soon());
    assert.equal(value(doc, ref("aws-sm://prod/config#log_level")), AWS_SEED.config.log_level);
    assert.equal(value(doc, ref("aws-sm://prod/config#max_conn")), "25");
    assert.equal(value(doc, ref("aws-sm://prod/config#/feature/on")), "true");
    assert.equal(value(doc, ref("aws-sm://prod/config#feature")), JSON.stringify(AWS_SEED.config.feature));
    const missing = await failure(Promise.resolve().then(() => value(doc, ref("aws-sm://prod/config#nope"))));
    assert.ok(missing instanceof NotFoundError);
    assert.equal(missing.exitCode, 78);
  });

  it("a field asked of a SecretString that is not JSON is a ConfigError (65) naming the secret, never the value", async () => {
    const { provider } = harness();
    const r = ref("aws-sm://prod/not-json#key");
    const doc = await provider.read(r, soon());
    const error = await failure(Promise.resolve().then(() => value(doc, r)));
    assert.ok(error instanceof ConfigError);
    assert.equal(error.exitCode, 65);
    assert.match(error.message, /prod\/not-json/);
    assert.ok(!error.message.includes(NOT_JSON));
  });

  it("a SecretBinary is its base64 text", async () => {
    const { provider } = harness();
    const r = ref("aws-sm://prod/cert");
    const doc = await provider.read(r, soon());
    assert.equal(doc.kind, "binary");
    assert.equal(value(doc, r), Buffer.from(AWS_SEED.certBytes, "latin1").toString("base64"));
    assert.equal(Buffer.from(value(doc, r), "base64").toString("latin1"), AWS_SEED.certBytes);
  });
});

describe("stages, version ids, regions and ARNs", () => {
  it("?version_stage=AWSPREVIOUS reads the previous version with GetSecretValue", async () => {
    const { provider } = harness();
    const r = ref("aws-sm://prod/db?version_stage=AWSPREVIOUS#password");
    const doc = await provider.read(r, soon());
    assert.equal(value(doc, r), AWS_SEED.dbV1.password);
    assert.match(doc.source, /\(AWSPREVIOUS\)$/);
    const entries = await log();
    assert.equal(count(entries, "GetSecretValue"), 1);
    assert.equal(count(entries, "BatchGetSecretValue"), 0);
  });

  it("?version_id= pins a version: it is the version, and there is no stamp to watch", async () => {
    const { provider } = harness();
    const previous = await sa.client.getSecretValue("prod/db", { VersionStage: "AWSPREVIOUS" });
    const r = ref(`aws-sm://prod/db?version_id=${previous.VersionId}#password`);
    const doc = await provider.read(r, soon());
    assert.equal(value(doc, r), AWS_SEED.dbV1.password);
    assert.equal(doc.version, previous.VersionId);
    assert.equal(doc.stamp, undefined);
    await sa.control.clearRequests();
    assert.equal(await provider.stamp(r, soon()), previous.VersionId);
    assert.equal((await log()).length, 0, "a pinned version needs no request to be stamped");
  });

  it("an unknown version id, or a stage no version holds, is NotFoundError (78)", async () => {
    const { provider } = harness();
    const byId = await failure(provider.read(ref("aws-sm://prod/db?version_id=00000000-0000-0000-0000-000000000000"), soon()));
    assert.ok(byId instanceof NotFoundError, String(byId));
    const byStage = await failure(provider.read(ref("aws-sm://prod/db?version_stage=NOPE"), soon()));
    assert.ok(byStage instanceof NotFoundError);
    assert.match(byStage.message, /prod\/db in us-east-1/);
  });

  it("a secret only in eu-west-1 is found with ?region=eu-west-1 and via its ARN, and not in the default region", async () => {
    const { provider } = harness();
    const viaQuery = ref("aws-sm://eu/only?region=eu-west-1#token");
    assert.equal(value(await provider.read(viaQuery, soon()), viaQuery), EU_ONLY.token);
    const { ARN } = await sa.client.inRegion("eu-west-1").describeSecret("eu/only");
    await sa.control.clearRequests();
    const viaArn = ref(`${ARN}#token`);
    assert.equal(value(await provider.read(viaArn, soon()), viaArn), EU_ONLY.token);
    const missing = await failure(provider.read(ref("aws-sm://eu/only"), soon()));
    assert.ok(missing instanceof NotFoundError);
    assert.match(missing.message, /us-east-1/);
    const regions = (await log()).map((e) => e.region);
    assert.deepEqual(regions, ["eu-west-1", "us-east-1"]);
  });

  it("a partial ARN (without the -XXXXXX suffix) designates the secret", async () => {
    const { provider } = harness();
    const { ARN } = await sa.client.describeSecret("prod/api-key");
    const partial = (ARN as string).slice(0, -7);
    assert.match(partial, /:secret:prod\/api-key$/);
    const r = ref(partial);
    assert.equal(value(await provider.read(r, soon()), r), AWS_SEED.apiKey);
  });

  it("the region comes from the mapping's aws.region before AWS_REGION, and AWS_DEFAULT_REGION after it", async () => {
    const r = ref("aws-sm://eu/only#token");
    assert.equal(value(await harness({ AWS_REGION: "us-east-1" }, { region: "eu-west-1" }).provider.read(r, soon()), r), EU_ONLY.token);
    assert.equal(value(await harness({ AWS_REGION: undefined, AWS_DEFAULT_REGION: "eu-west-1" }).provider.read(r, soon()), r), EU_ONLY.token);
    const wrong = await failure(harness({ AWS_REGION: "us-east-1", AWS_DEFAULT_REGION: "eu-west-1" }).provider.read(r, soon()));
    assert.ok(wrong instanceof NotFoundError, "AWS_REGION wins over AWS_DEFAULT_REGION");
  });

  it("without any region the SDK's profile configuration is asked, and without one there either it is a ConfigError (65) saying what to set", async () => {
    const r = ref("aws-sm://eu/only#token");
    const none = await failure(harness({ AWS_REGION: undefined }).provider.read(r, soon()));
    assert.ok(none instanceof ConfigError, String(none));
    assert.equal(none.exitCode, 65);
    assert.match(none.message, /aws\.region/);
    assert.match(none.message, /AWS_REGION/);
    // Another file: the SDK caches what it parsed of a config file path.
    const saved = process.env.AWS_CONFIG_FILE;
    process.env.AWS_CONFIG_FILE = join(home, "config-with-region");
    writeFileSync(process.env.AWS_CONFIG_FILE, "[default]\nregion = eu-west-1\n");
    try {
      assert.equal(value(await harness({ AWS_REGION: undefined }).provider.read(r, soon()), r), EU_ONLY.token);
    } finally {
      process.env.AWS_CONFIG_FILE = saved;
    }
  });
});

describe("batching", () => {
  it("3 secrets used by 5 variables are one BatchGetSecretValue (the reader dedupes, the provider batches)", async () => {
    const { provider } = harness();
    const reader = new SecretReader(new ProviderSet({ aws: async () => provider, vault: async () => assert.fail("no Vault here") }), soon());
    const refs = ["aws-sm://prod/db#username", "aws-sm://prod/db#password", "aws-sm://prod/api-key", "aws-sm://prod/config#log_level", "{{ aws('prod/config#max_conn') }}"].flatMap((text) => {
      const spec = parseValue(text, { defaultMount: "secret" });
      return spec.kind === "ref" ? [spec.ref] : spec.kind === "template" ? spec.parts.flatMap((p) => (p.kind === "ref" ? [p.ref] : [])) : [];
    }) as AwsRef[];
    assert.equal(refs.length, 5);
    const docs = await Promise.all(refs.map((r) => reader.read(r)));
    assert.deepEqual(
      refs.map((r, i) => value(docs[i]!, r)),
      [AWS_SEED.db.username, AWS_SEED.db.password, AWS_SEED.apiKey, AWS_SEED.config.log_level, "25"],
    );
    const entries = await log();
    assert.equal(count(entries, "BatchGetSecretValue"), 1);
    assert.equal(count(entries, "GetSecretValue"), 0);
    assert.deepEqual([...entries[0]!.secretIds].sort(), ["prod/api-key", "prod/config", "prod/db"]);
  });

  it("a lone read uses GetSecretValue", async () => {
    const { provider } = harness();
    await provider.read(ref("aws-sm://prod/api-key"), soon());
    const entries = await log();
    assert.deepEqual(
      entries.map((e) => e.action),
      ["GetSecretValue"],
    );
  });

  it("25 secrets read together are two batches (20 + 5)", async () => {
    const { provider } = harness({ AWS_REGION: "ap-south-1" });
    const refs = Array.from({ length: MANY }, (_, i) => ref(`aws-sm://bulk/s${i}`));
    const docs = await Promise.all(refs.map((r) => provider.read(r, soon())));
    assert.deepEqual(
      docs.map((d) => d.data),
      refs.map((_, i) => `bulk-Value-${i}-q`),
    );
    const batches = (await log()).filter((e) => e.action === "BatchGetSecretValue");
    assert.deepEqual(
      batches.map((b) => b.secretIds.length).sort((a, b) => a - b),
      [5, 20],
    );
    assert.equal(count(await log(), "GetSecretValue"), 0);
  });

  it("reads in different regions are batched per region; other stages are not batched", async () => {
    const { provider } = harness();
    await Promise.all(["aws-sm://prod/db", "aws-sm://prod/api-key", "aws-sm://eu/only?region=eu-west-1", "aws-sm://prod/db?version_stage=AWSPREVIOUS"].map((t) => provider.read(ref(t), soon())));
    const entries = await log();
    assert.deepEqual(entries.map((e) => `${e.action} ${e.region}`).sort(), ["BatchGetSecretValue us-east-1", "GetSecretValue eu-west-1", "GetSecretValue us-east-1"]);
  });

  it("when BatchGetSecretValue is denied: one denied batch, then GetSecretValue per secret, remembered for later reads", async () => {
    await sa.control.deny("BatchGetSecretValue");
    const { provider, lines } = harness();
    const first = ["aws-sm://prod/db#password", "aws-sm://prod/api-key", "aws-sm://prod/config#log_level"].map(ref);
    const docs = await Promise.all(first.map((r) => provider.read(r, soon())));
    assert.deepEqual(
      first.map((r, i) => value(docs[i]!, r)),
      [AWS_SEED.db.password, AWS_SEED.apiKey, AWS_SEED.config.log_level],
    );
    let entries = await log();
    assert.equal(count(entries, "BatchGetSecretValue"), 1);
    assert.equal(entries.find((e) => e.action === "BatchGetSecretValue")!.errorType, "AccessDeniedException");
    assert.equal(count(entries, "GetSecretValue"), 3);

    await sa.control.clearRequests();
    await Promise.all(["aws-sm://prod/cert", "aws-sm://prod/not-json"].map((t) => provider.read(ref(t), soon())));
    entries = await log();
    assert.equal(count(entries, "BatchGetSecretValue"), 0, "the denial is remembered");
    assert.equal(count(entries, "GetSecretValue"), 2);
    assert.equal(lines.filter((l) => /BatchGetSecretValue is denied/.test(l)).length, 1, lines.join("\n"));
  });

  it("per-secret errors of a batch become each secret's typed error; the others still resolve", async () => {
    await sa.control.deny("GetSecretValue", "prod/config");
    const { provider } = harness();
    const results = await Promise.allSettled(["aws-sm://prod/api-key", "aws-sm://prod/missing", "aws-sm://prod/config", "aws-sm://prod/retired"].map((t) => provider.read(ref(t), soon())));
    assert.equal(results[0]!.status, "fulfilled");
    const [missing, denied, retired] = results.slice(1).map((r) => (r.status === "rejected" ? (r.reason as EnvjectError) : assert.fail("should fail")));
    assert.ok(missing instanceof NotFoundError);
    assert.match(missing.message, /prod\/missing in us-east-1/);
    assert.ok(denied instanceof AuthError);
    assert.equal(denied.exitCode, 77);
    assert.match(denied.message, /prod\/config/);
    assert.ok(retired instanceof NotFoundError);
    assert.match(retired.message, /scheduled for deletion/);
    const entries = await log();
    assert.deepEqual(
      entries.map((e) => e.action),
      ["BatchGetSecretValue"],
    );
  });
});

describe("errors and their exit codes", () => {
  const cases: Array<{ name: string; setup: () => Promise<void>; text?: string; type: new (...a: never[]) => EnvjectError; code: number; says: RegExp }> = [
    { name: "unknown secret", setup: async () => {}, text: "aws-sm://prod/nothing-here", type: NotFoundError, code: 78, says: /prod\/nothing-here in us-east-1/ },
    { name: "scheduled for deletion", setup: async () => {}, text: "aws-sm://prod/retired", type: NotFoundError, code: 78, says: /scheduled for deletion/ },
    { name: "AccessDeniedException", setup: () => sa.control.deny("GetSecretValue"), type: AuthError, code: 77, says: /secretsmanager:GetSecretValue/ },
    { name: "UnrecognizedClientException", setup: () => sa.client.rejectAccessKey("AKIDPROVIDERTEST", "UnrecognizedClientException"), type: AuthError, code: 77, says: /AWS_ACCESS_KEY_ID/ },
    { name: "ExpiredTokenException", setup: () => sa.client.rejectAccessKey("AKIDPROVIDERTEST", "ExpiredTokenException"), type: AuthError, code: 77, says: /expired/ },
    { name: "InvalidSignatureException", setup: () => sa.client.rejectAccessKey("AKIDPROVIDERTEST", "InvalidSignatureException"), type: AuthError, code: 77, says: /AWS_SECRET_ACCESS_KEY/ },
    { name: "DecryptionFailure", setup: () => sa.control.fault({ action: "GetSecretValue", status: 400, type: "DecryptionFailure" }), type: AuthError, code: 77, says: /kms:Decrypt/ },
    {
      name: "InvalidParameterException",
      setup: () => sa.control.fault({ action: "GetSecretValue", status: 400, type: "InvalidParameterException" }),
      type: ConfigError,
      code: 65,
      says: /InvalidParameterException/,
    },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.type.name} (${c.code}), one attempt, no stack, no value`, async () => {
      await c.setup();
      const { provider } = harness();
      const error = await failure(provider.read(ref(c.text ?? "aws-sm://prod/api-key"), soon()));
      assert.ok(error instanceof c.type, `${c.name}: got ${String(error)}`);
      assert.equal(error.exitCode, c.code);
      assert.match(error.message, c.says);
      assert.match(error.message, /us-east-1/);
      assert.ok(!AWS_SEEDED_SECRET_VALUES.some((v) => error.message.includes(v)));
      assert.equal((await log()).length, 1, "not retried");
    });
  }

  it("missing credentials are an AuthError (77) saying what to set", async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    try {
      const error = await failure(harness().provider.read(ref("aws-sm://prod/api-key"), soon()));
      assert.ok(error instanceof AuthError, String(error));
      assert.match(error.message, /no AWS credentials/);
      assert.match(error.message, /AWS_ACCESS_KEY_ID/);
      assert.equal((await log()).length, 0, "nothing was sent unsigned");
    } finally {
      process.env.AWS_ACCESS_KEY_ID = saved.id;
      process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    }
  });

  it("throttling is retried until it succeeds (2 faults → 3 requests), with one warning and one recovery line", async () => {
    await sa.control.fault({ action: "GetSecretValue", status: 400, type: "ThrottlingException", count: 2 });
    const { provider, lines } = harness();
    const doc = await provider.read(ref("aws-sm://prod/api-key"), soon());
    assert.equal(doc.data, AWS_SEED.apiKey);
    assert.equal(count(await log(), "GetSecretValue"), 3);
    assert.equal(lines.filter((l) => / WARN .*unavailable/.test(l)).length, 1, lines.join("\n"));
    assert.equal(lines.filter((l) => /reachable again/.test(l)).length, 1, lines.join("\n"));
  });

  it("5xx answers and dropped connections are retried too", async () => {
    await sa.control.fault({ action: "GetSecretValue", status: 500, count: 1 });
    await sa.control.fault({ action: "GetSecretValue", status: 0, count: 1 });
    const { provider } = harness();
    assert.equal((await provider.read(ref("aws-sm://prod/api-key"), soon())).data, AWS_SEED.apiKey);
    assert.deepEqual(
      (await log()).map((e) => e.status),
      [500, 0, 200],
    );
  });

  it("a failing batch is retried as a whole until it succeeds", async () => {
    await sa.control.fault({ action: "BatchGetSecretValue", status: 500, count: 1 });
    const { provider } = harness();
    const docs = await Promise.all(["aws-sm://prod/api-key", "aws-sm://prod/db"].map((t) => provider.read(ref(t), soon())));
    assert.equal(docs[0]!.data, AWS_SEED.apiKey);
    assert.equal(docs[1]!.data, JSON.stringify(AWS_SEED.db));
    const entries = await log();
    assert.deepEqual(entries[0] && [entries[0].action, entries[0].status], ["BatchGetSecretValue", 500]);
    assert.ok(
      entries.slice(1).every((e) => e.status === 200),
      "the retries succeeded",
    );
  });

  it("throttling until the deadline gives up with UnavailableError (69) saying so", async () => {
    await sa.control.fault({ action: "GetSecretValue", status: 400, type: "ThrottlingException", count: 10_000 });
    const { provider } = harness();
    const error = await failure(provider.read(ref("aws-sm://prod/api-key"), { deadline: Date.now() + 1500 }));
    assert.ok(error instanceof UnavailableError);
    assert.equal(error.exitCode, 69);
    assert.equal(error.retryable, false);
    assert.match(error.message, /gave up/);
    assert.match(error.message, /throttled/);
    assert.ok(count(await log(), "GetSecretValue") >= 2, "retried before giving up");
  });

  it("an unreachable endpoint is retryable UnavailableError naming the endpoint", async () => {
    const { provider } = harness({ AWS_ENDPOINT_URL_SECRETS_MANAGER: "http://127.0.0.1:9" });
    const error = await failure(provider.read(ref("aws-sm://prod/api-key"), { deadline: Date.now() + 800 }));
    assert.ok(error instanceof UnavailableError, String(error));
    assert.match(error.message, /127\.0\.0\.1:9/);
    assert.match(error.message, /gave up/);
  });

  it("with `once` a retryable failure is thrown after one attempt, retryable and unlogged", async () => {
    await sa.control.fault({ action: "GetSecretValue", status: 400, type: "ThrottlingException", count: 5 });
    const { provider, lines } = harness();
    const error = await failure(provider.read(ref("aws-sm://prod/api-key"), { ...soon(), once: true }));
    assert.ok(error instanceof UnavailableError);
    assert.equal(error.retryable, true);
    assert.equal(count(await log(), "GetSecretValue"), 1);
    assert.equal(lines.filter((l) => / WARN /.test(l)).length, 0);
  });

  it("a request that does not answer in time is cut at the deadline (retryable, then given up)", async () => {
    await sa.control.latency(5_000, "GetSecretValue");
    const { provider } = harness();
    const once = await failure(provider.read(ref("aws-sm://prod/api-key"), { deadline: Date.now() + 300, once: true }));
    assert.ok(once instanceof UnavailableError, String(once));
    assert.equal(once.retryable, true);
    assert.match(once.message, /ETIMEDOUT/);
  });
});

describe("stamps", () => {
  it("DescribeSecret gives the VersionId holding AWSCURRENT, as doc.stamp does, and a new version changes it", async () => {
    const { provider } = harness();
    const r = ref("aws-sm://prod/db#password");
    const doc = await provider.read(r, soon());
    await sa.control.clearRequests();
    assert.equal(await provider.stamp(r, soon()), doc.stamp);
    assert.deepEqual(
      (await log()).map((e) => e.action),
      ["DescribeSecret"],
    );
    const put = await sa.client.putSecretValue("prod/config", { SecretString: JSON.stringify({ ...AWS_SEED.config, log_level: "info" }) });
    const configRef = ref("aws-sm://prod/config");
    assert.equal(await provider.stamp(configRef, soon()), put.VersionId);
  });

  it("a stage other than AWSCURRENT is stamped by the version holding it; a stage nobody holds is 78", async () => {
    const { provider } = harness();
    const previous = await sa.client.getSecretValue("prod/db", { VersionStage: "AWSPREVIOUS" });
    assert.equal(await provider.stamp(ref("aws-sm://prod/db?version_stage=AWSPREVIOUS"), soon()), previous.VersionId);
    const error = await failure(provider.stamp(ref("aws-sm://prod/db?version_stage=NOBODY"), soon()));
    assert.ok(error instanceof NotFoundError);
    const retired = await failure(provider.stamp(ref("aws-sm://prod/retired"), soon()));
    assert.ok(retired instanceof NotFoundError);
    assert.match(retired.message, /scheduled for deletion/);
  });

  it("when DescribeSecret is denied the stamp comes from GetSecretValue, and the denial is remembered", async () => {
    await sa.control.deny("DescribeSecret");
    const { provider } = harness();
    const r = ref("aws-sm://prod/api-key");
    const current = await sa.client.getSecretValue("prod/api-key");
    await sa.control.clearRequests();
    assert.equal(await provider.stamp(r, soon()), current.VersionId);
    assert.equal(await provider.stamp(r, soon()), current.VersionId);
    assert.deepEqual(
      (await log()).map((e) => e.action),
      ["DescribeSecret", "GetSecretValue", "GetSecretValue"],
    );
  });

  it("stamp retries like read, and with `once` makes one attempt", async () => {
    await sa.control.fault({ action: "DescribeSecret", status: 500, count: 1 });
    const { provider } = harness();
    assert.match(await provider.stamp(ref("aws-sm://prod/api-key"), soon()), /^[0-9a-f-]{36}$/);
    await sa.control.fault({ action: "DescribeSecret", status: 500, count: 1 });
    const error = await failure(provider.stamp(ref("aws-sm://prod/api-key"), { ...soon(), once: true }));
    assert.ok(error instanceof UnavailableError);
    assert.equal(error.retryable, true);
  });
});

describe("the provider's contract", () => {
  it("has the name aws, revokes nothing, and refuses Vault references", async () => {
    const { provider } = harness();
    assert.equal(provider.name, "aws");
    await provider.revokeLeases([]);
    const vault = parseReference("vault://secret/x#y", { defaultMount: "secret" }) as SecretRef;
    await assert.rejects(provider.read(vault, soon()), TypeError);
    assert.equal((await log()).length, 0);
  });

  it("close() releases the SDK clients, and a later read opens them again", async () => {
    const { provider } = harness();
    await provider.read(ref("aws-sm://prod/api-key"), soon());
    await provider.close();
    assert.equal((await provider.read(ref("aws-sm://prod/api-key"), soon())).data, AWS_SEED.apiKey);
  });

  it("building SDK clients neither printed the SDK's Node-version notice nor left its switch in the environment", async () => {
    const { provider } = harness({ AWS_REGION: "eu-west-1" });
    await provider.read(ref("aws-sm://eu/only"), soon());
    assert.equal(Object.hasOwn(process.env, "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"), false);
    assert.deepEqual(
      warnings.filter((w) => /NodeVersionSupport|node >=/.test(w)),
      [],
    );
  });
});
