/**
 * The mistakes a new user makes, tried as one would — through the real, bundled CLI against the
 * Vault and AWS doubles — and the messages that say how to fix them (README "References", "The
 * mapping file", "AWS Secrets Manager"): a KV v2 path written with its API segment, a field
 * differing only in case, an AWS reference with no region anywhere, a mapping key one letter off.
 * Each keeps its documented exit code, is one log line per cause, no stack trace, no secret value.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { CliResult } from "../support/cli.js";
import { AWS_SEED, type SeededAws, awsEnv, leakedAwsSecrets, startSeededAws } from "../support/aws-fixture.js";
import { leakedSecrets } from "../support/vault-fixture.js";
import { assertNoStackTrace, childJson, countRequests, errorLines, printEnv, seededWorkspace } from "./e2e.js";

const suite = seededWorkspace();

/** Runs `envject run` on `mapping` (as m.yaml); the command must not start. */
async function failing(mapping: string, extra: Record<string, string | undefined> = {}): Promise<CliResult> {
  suite.ws.file("m.yaml", mapping);
  const r = await suite.ws.run(["run", "-c", "m.yaml", "--", ...printEnv("X")], extra);
  assertNoStackTrace(r.stderr);
  assert.equal(r.stdout, "", "the command did not start");
  assert.deepEqual(leakedSecrets(r.stderr), [], `a secret value was printed:\n${r.stderr}`);
  assert.deepEqual(leakedAwsSecrets(r.stderr), [], `a secret value was printed:\n${r.stderr}`);
  return r;
}

describe("a KV v2 path written with its API segment (vault://secret/data/…)", () => {
  it("78, naming the variable and saying which reference was meant", async () => {
    const r = await failing("env:\n  DB_PASSWORD: vault://secret/data/myapp/db#password\n");
    assert.equal(r.code, 78, r.stderr);
    const lines = errorLines(r.stderr);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /DB_PASSWORD/);
    assert.match(lines[0]!, /no secret at secret\/data\/myapp\/db/);
    assert.match(lines[0]!, /did you mean vault:\/\/secret\/myapp\/db\? references use the logical path, as `vault kv get` does/);
  });

  it("metadata/ too, and only one extra request (the logical path's metadata) is made to tell", async () => {
    await suite.vault.control.clearRequests();
    const r = await failing("env:\n  DB_PASSWORD: vault://secret/metadata/myapp/db#password\n");
    assert.equal(r.code, 78, r.stderr);
    assert.match(r.stderr, /did you mean vault:\/\/secret\/myapp\/db\?/);
    const log = await suite.vault.control.requests();
    assert.equal(countRequests(log, "GET", "secret/data/metadata/myapp/db"), 1);
    assert.equal(countRequests(log, "GET", "secret/metadata/myapp/db"), 1);
    assert.equal(countRequests(log, "GET", "secret/data/myapp/db"), 0, "the secret's data is not read to give the hint");
  });

  it("when the logical path does not exist either, still says references use the logical path", async () => {
    const r = await failing("env:\n  DB_PASSWORD: vault://secret/data/nope/db#password\n");
    assert.equal(r.code, 78, r.stderr);
    assert.doesNotMatch(r.stderr, /did you mean/);
    assert.match(r.stderr, /references use the logical path, as `vault kv get` does, without `data\/`/);
  });

  it("check says the same (78)", async () => {
    suite.ws.file("c.yaml", "env:\n  DB_PASSWORD: vault://secret/data/myapp/db#password\n");
    const r = await suite.ws.run(["check", "-c", "c.yaml"]);
    assert.equal(r.code, 78, r.stderr);
    assert.match(r.stdout + r.stderr, /did you mean vault:\/\/secret\/myapp\/db\?/);
    assert.deepEqual(leakedSecrets(r.stdout + r.stderr), []);
  });
});

describe("a field differing only in case", () => {
  it("78, listing the keys and saying which key was meant, never a value", async () => {
    const r = await failing("env:\n  DB_PASSWORD: vault://secret/myapp/db#Password\n");
    assert.equal(r.code, 78, r.stderr);
    const lines = errorLines(r.stderr);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /DB_PASSWORD/);
    assert.match(lines[0]!, /no key "Password" at the top level \(available: "password", "username"\); did you mean #password\?/);
  });
});

describe("an AWS reference with no region anywhere", () => {
  let sa: SeededAws;
  before(async () => {
    sa = await startSeededAws();
  });
  after(async () => {
    await sa.close();
  });

  it("65 naming the variable and the ways to give one (no ?region=, no AWS_REGION, nothing in ~/.aws/config), with no request sent", async () => {
    suite.ws.file(".aws/config", "[default]\noutput = json\n");
    await sa.control.clearRequests();
    const r = await failing("env:\n  API_KEY: aws-sm://prod/api-key\n", { ...awsEnv(sa.url), AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined });
    assert.equal(r.code, 65, r.stderr);
    const lines = errorLines(r.stderr);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /cannot resolve API_KEY from aws-sm:\/\/prod\/api-key: no AWS region for secret prod\/api-key/);
    assert.match(lines[0]!, /AWS_REGION/);
    assert.match(lines[0]!, /\?region=/);
    assert.match(lines[0]!, /ARN/);
    assert.doesNotMatch(r.stderr, /Region is missing|ConfigError: |SDK/);
    assert.equal(await sa.control.requestCount(), 0);
  });

  it("a region in ~/.aws/config is enough", async () => {
    suite.ws.file(".aws/config", "[default]\nregion = us-east-1\n");
    suite.ws.file("region.yaml", "env:\n  API_KEY: aws-sm://prod/api-key\n");
    try {
      const r = await suite.ws.run(["run", "-c", "region.yaml", "--", ...printEnv("API_KEY")], { ...awsEnv(sa.url), AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined });
      assert.deepEqual(childJson(r), { API_KEY: AWS_SEED.apiKey });
    } finally {
      suite.ws.file(".aws/config", "");
    }
  });
});

describe("a mapping key one letter off", () => {
  it("65, every unknown key on its own line with file:line and the key meant, top level and nested", async () => {
    const r = await failing("enviroment:\n  A: b\nevn:\n  B: c\nfile:\n  C: d\nvault:\n  adress: http://127.0.0.1:1\n  auth:\n    metod: token\n");
    assert.equal(r.code, 65, r.stderr);
    const lines = errorLines(r.stderr);
    const expected: Array<[string, string, string]> = [
      ["m.yaml:1:1", "enviroment", "env"],
      ["m.yaml:3:1", "evn", "env"],
      ["m.yaml:5:1", "file", "files"],
      ["m.yaml:8:3", "vault.adress", "address"],
      ["m.yaml:10:5", "vault.auth.metod", "method"],
    ];
    assert.equal(lines.length, expected.length, r.stderr);
    expected.forEach(([at, key, meant], i) => {
      assert.ok(lines[i]!.includes(`${at} (${key}): unknown key`), lines[i]);
      assert.ok(lines[i]!.includes(`did you mean '${meant}'?`), lines[i]);
    });
  });

  it("a key differing only in case (Env:) gets the same hint", async () => {
    const r = await failing("Env:\n  A: b\n");
    assert.equal(r.code, 65, r.stderr);
    assert.match(r.stderr, /m\.yaml:1:1 \(Env\): unknown key 'Env'; expected one of vault, aws, env, expand, files; did you mean 'env'\?/);
  });
});
