/**
 * examples/mage, run in its folder as its README says (`envject -- node pipeline.mjs`, the
 * stand-in for `mage start`) against the Vault and Secrets Manager doubles, with Mage's own
 * variables: VAULT_URL (no VAULT_ADDR), VAULT_TOKEN, VAULT_MOUNT_POINT, AWS_DEFAULT_REGION.
 * vault_secret_var() reads KV v2 relative to the mount, aws_secret_var() the whole SecretString
 * or one key, the ARN form a whole secret; io_config.yaml's env_var() then finds each value.
 * Mage's KeyError is envject's 78, before the pipeline starts.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { hermeticEnv, runCli, tempDir } from "../support/cli.js";
import { type SeededAws, awsEnv, startSeededAws } from "../support/aws-fixture.js";
import { type SeededVault, startSeededVault } from "../support/vault-fixture.js";
import { closedPort } from "../cli/e2e.js";
import { exampleDir } from "./example-run.js";

const DIR = exampleDir("mage");
const sha = (value: string) => createHash("sha256").update(value).digest("hex").slice(0, 12);

/** Fake values, distinctive so that a leak is easy to find. */
const DATABASE = { host: "db.mage-example.internal", username: "mage_user", password: "pw-Mage-Fake-Db-5150" };
const OTHER_MOUNT_DATABASE = { host: "db2.mage-example.internal", username: "mage_user2", password: "pw-Mage-Fake-Mount-6262" };
const API_KEY = "ak-Mage-Fake-Plain-7373";
const STRIPE = { api_key: "sk_test_Mage-Fake-8484", publishable: "pk_test_not-used" };
const LEGACY = "legacy-Mage-Fake-Arn-9595";
const SECRETS = [DATABASE.password, OTHER_MOUNT_DATABASE.password, API_KEY, STRIPE.api_key, LEGACY];

type Setting = { from: string; length: number; sha256: string } | { from: string; missing: true };
const setting = (from: string, value: string): Setting => ({ from, length: value.length, sha256: sha(value) });

/** What pipeline.mjs should print for io_config.yaml's default profile, given the database secret. */
function expectedSettings(db: typeof DATABASE): Record<string, Setting> {
  return {
    POSTGRES_CONNECT_TIMEOUT: setting("literal", "10"),
    POSTGRES_DBNAME: setting("env_var('POSTGRES_DBNAME')", "my_database"),
    POSTGRES_SCHEMA: setting("literal", "public"),
    POSTGRES_HOST: setting("env_var('POSTGRES_HOST')", db.host),
    POSTGRES_PORT: setting("env_var('POSTGRES_PORT')", "5432"),
    POSTGRES_USER: setting("env_var('POSTGRES_USER')", db.username),
    POSTGRES_PASSWORD: setting("env_var('POSTGRES_PASSWORD')", db.password),
    STRIPE_API_KEY: setting("env_var('STRIPE_KEY')", STRIPE.api_key),
    MY_API_KEY: setting("env_var('API_KEY')", API_KEY),
    LEGACY_TOKEN: setting("env_var('LEGACY_TOKEN')", LEGACY),
  };
}

let vault: SeededVault;
let aws: SeededAws;
let home: { path: string; cleanup: () => void };
before(async () => {
  vault = await startSeededVault();
  await vault.control.putSecret("secret/mage/database", DATABASE);
  await vault.admin.enableMount("mage-kv", "kv", "2");
  await vault.control.putSecret("mage-kv/mage/database", OTHER_MOUNT_DATABASE);
  await vault.admin.enableMount("empty-kv", "kv", "2");
  aws = await startSeededAws({ "mage/api_key": API_KEY, "mage/stripe": STRIPE, "mage/legacy": LEGACY });
  home = tempDir("envject-example-mage-");
});
after(async () => {
  home?.cleanup();
  await vault?.close();
  await aws?.close();
});

/** Mage's environment: VAULT_URL rather than VAULT_ADDR, AWS_DEFAULT_REGION rather than AWS_REGION. */
function mageEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  return hermeticEnv(home.path, { ...awsEnv(aws.url), AWS_REGION: undefined, AWS_DEFAULT_REGION: "us-east-1", VAULT_URL: vault.url, VAULT_TOKEN: vault.rootToken, ...extra });
}

function assertNoLeak(text: string): void {
  assert.deepEqual(
    SECRETS.filter((s) => text.includes(s)),
    [],
    "no secret value in any output",
  );
}

describe("examples/mage", () => {
  it("Mage's variables (VAULT_URL, default mount): every io_config.yaml setting gets its value from Vault or Secrets Manager", async () => {
    const r = await runCli(["--", "node", "pipeline.mjs"], { cwd: DIR, env: mageEnv(), timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), expectedSettings(DATABASE));
    assertNoLeak(r.stdout + r.stderr);
    const reads = (await vault.control.requests()).filter((q) => q.path.startsWith("secret/data/mage/"));
    assert.deepEqual([...new Set(reads.map((q) => q.path))], ["secret/data/mage/database"], "one secret, relative to the mount");
  });

  it("VAULT_MOUNT_POINT moves vault_secret_var() to another KV v2 mount; envject check shows the full path it read", async () => {
    const r = await runCli(["--", "node", "pipeline.mjs"], { cwd: DIR, env: mageEnv({ VAULT_MOUNT_POINT: "mage-kv" }), timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), expectedSettings(OTHER_MOUNT_DATABASE));

    const check = await runCli(["check"], { cwd: DIR, env: mageEnv({ VAULT_MOUNT_POINT: "mage-kv" }), timeoutMs: 60_000 });
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /^POSTGRES_PASSWORD\s+vault:\/\/mage-kv\/mage\/database#password\s+1\s+ok$/m, check.stdout);
    assert.match(check.stdout, /^STRIPE_KEY\s+aws-sm:\/\/mage\/stripe#api_key\s+\S+\s+ok$/m, check.stdout);
    assertNoLeak(r.stdout + r.stderr + check.stdout + check.stderr);
  });

  it("VAULT_ADDR, when set, wins over VAULT_URL", async () => {
    const nowhere = `http://127.0.0.1:${await closedPort()}`;
    const r = await runCli(["--", "node", "pipeline.mjs"], { cwd: DIR, env: mageEnv({ VAULT_URL: nowhere, VAULT_ADDR: vault.url }), timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), expectedSettings(DATABASE));
  });

  it("Mage's KeyError: a path not in the mount is exit 78 before the pipeline starts, naming the variables and the path", async () => {
    const r = await runCli(["--", "node", "pipeline.mjs"], { cwd: DIR, env: mageEnv({ VAULT_MOUNT_POINT: "empty-kv" }), timeoutMs: 60_000 });
    assert.equal(r.code, 78, r.stderr);
    assert.equal(r.stdout, "", "the pipeline did not start");
    assert.match(r.stderr, /POSTGRES_HOST/);
    assert.match(r.stderr, /empty-kv\/mage\/database/);
  });
});
