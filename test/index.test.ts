/**
 * The library API (docs/contract/library.md#api, README "Library"): resolveEnv() and getSecret() against the
 * Vault double, with envject's typed errors (each with its exitCode), literals refused without
 * being echoed, and leases left alive for the caller.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { AuthError, ConfigError, EnvjectError, ExitCode, NotFoundError, UnavailableError, getSecret, resolveEnv } from "../src/index.js";
import { tempDir } from "./support/cli.js";
import { captureLogger } from "./support/logger.js";
import { SEED, SEEDED_SECRET_VALUES, type SeededVault, startSeededVault } from "./support/vault-fixture.js";
import { awsEnv, startSeededAws } from "./support/aws-fixture.js";

let sv: SeededVault;
let dir: { path: string; cleanup: () => void };
let environ: NodeJS.ProcessEnv;

before(async () => {
  sv = await startSeededVault();
  dir = tempDir("envject-lib-");
  environ = { HOME: dir.path, VAULT_ADDR: sv.url, VAULT_TOKEN: sv.rootToken, REGION: "eu-west-1", PARENT_ONLY: "not-exported" };
});
after(async () => {
  dir.cleanup();
  await sv.close();
});

function file(name: string, content: string): string {
  const path = join(dir.path, name);
  writeFileSync(path, content);
  return path;
}

/** The rejection of `promise`, which must be an EnvjectError of `type` with `code`. */
async function typedFailure<T extends EnvjectError>(promise: Promise<unknown>, type: new (...args: never[]) => T, code: number): Promise<T> {
  const error = await promise.then(
    () => assert.fail("expected a failure"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
  assert.ok(error instanceof EnvjectError);
  assert.equal(error.exitCode, code);
  for (const v of SEEDED_SECRET_VALUES) assert.ok(!error.message.includes(v), `no value in: ${error.message}`);
  return error;
}

const closedPort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

describe("resolveEnv", () => {
  it("resolves the mapping file and env files into exactly the variables they define", async () => {
    const config = file(
      "lib.yaml",
      `env:
  DB_PASSWORD: vault://secret/myapp/db#password
  DB_USER: "{{ vault_secret_var('myapp/db', 'username') }}"
  URL: "https://{{ env_var('REGION') }}.example.com/{{ vault('kv/legacy#token') }}"
  PORT: 8080
expand:
  - from: vault://secret/myapp/config
    prefix: APP_
files:
  TLS_KEY_FILE: vault://secret/myapp/tls#key
`,
    );
    const envFile = file("lib.env", `SINGLE="vault://secret/myapp/single"\nPORT=1\nAS_WRITTEN=\${HOME}\n`);
    const env = await resolveEnv({ config, envFiles: [envFile], environ, startTimeout: "5s" });
    assert.deepEqual(env, {
      SINGLE: SEED.single.value,
      AS_WRITTEN: "${HOME}",
      DB_PASSWORD: SEED.db.password,
      DB_USER: SEED.db.username,
      URL: `https://eu-west-1.example.com/${SEED.legacy.token}`,
      PORT: "8080",
      APP_LOG_LEVEL: "debug",
      APP_FEATURE_FLAG: "true",
      APP_MAX_CONN: "25",
      APP_NESTED: JSON.stringify(SEED.config.nested),
    });
  });

  it("uses vaultAddr over the environment's VAULT_ADDR", async () => {
    const config = file("addr.yaml", "env:\n  T: vault://kv/legacy#token\n");
    const env = await resolveEnv({ config, environ: { ...environ, VAULT_ADDR: "http://127.0.0.1:9" }, vaultAddr: sv.url });
    assert.deepEqual(env, { T: SEED.legacy.token });
  });

  it("leaves the leases of dynamic secrets alive for the caller", async () => {
    const config = file("lease.yaml", "env:\n  U: vault://database/creds/readonly#username\n  P: vault://database/creds/readonly#password\n");
    const before = (await sv.admin.leases()).length;
    const env = await resolveEnv({ config, environ });
    const created = (await sv.admin.leases()).slice(before);
    assert.equal(created.length, 1);
    assert.equal(created[0]!.state, "active");
    assert.equal(created[0]!.username, env.U);
  });

  it("revokes the leases it took when it fails (the caller gets no values to use them with)", async () => {
    const config = file("lease-fail.yaml", "env:\n  U: vault://database/creds/readonly#username\n  M: vault://secret/nope#x\n");
    const before = (await sv.admin.leases()).length;
    await typedFailure(resolveEnv({ config, environ }), NotFoundError, 78);
    const created = (await sv.admin.leases()).slice(before);
    assert.equal(created.length, 1);
    assert.equal(created[0]!.state, "revoked");
  });

  it("throws the most serious typed error, naming every failed variable", async () => {
    await sv.control.deny("secret/data/myapp/config");
    try {
      const config = file("fail.yaml", "env:\n  OK: vault://kv/legacy#token\n  MISSING: vault://secret/nope#x\n  DENIED: vault://secret/myapp/config#log_level\n");
      const error = await typedFailure(resolveEnv({ config, environ }), AuthError, ExitCode.auth);
      assert.match(error.message, /MISSING/);
      assert.match(error.message, /DENIED/);
      assert.doesNotMatch(error.message, /\bOK\b/);
    } finally {
      await sv.control.clearDenials();
    }
  });

  it("throws NotFoundError (78), ConfigError (65) and UnavailableError (69) with their exit codes", async () => {
    await typedFailure(resolveEnv({ config: file("nf.yaml", "env:\n  M: vault://secret/nope#x\n"), environ }), NotFoundError, 78);
    await typedFailure(resolveEnv({ config: file("cfg.yaml", "env:\n  M: vault://secret/x?nope=1\n"), environ }), ConfigError, 65);
    const absent = await typedFailure(resolveEnv({ config: join(dir.path, "no-such-file.yaml"), environ }), ConfigError, 65);
    assert.match(absent.message, /no-such-file\.yaml/);
    const port = await closedPort();
    const error = await typedFailure(
      resolveEnv({ config: file("down.yaml", "env:\n  M: vault://secret/myapp/db#password\n"), environ: { ...environ, VAULT_ADDR: `http://127.0.0.1:${port}` }, startTimeout: 500 }),
      UnavailableError,
      69,
    );
    assert.match(error.message, /gave up after/);
  });

  it("throws AuthError (77) for a token Vault does not know", async () => {
    const config = file("auth.yaml", "env:\n  M: vault://secret/myapp/db#password\n");
    await typedFailure(resolveEnv({ config, environ: { ...environ, VAULT_TOKEN: "hvs.unknown-token" } }), AuthError, 77);
  });

  it("rejects a startTimeout that is not a duration (65)", async () => {
    const error = await typedFailure(resolveEnv({ config: file("t.yaml", "env: {}\n"), environ, startTimeout: "soon" }), ConfigError, 65);
    assert.match(error.message, /startTimeout/);
  });

  it("logs to the given logger, with every resolved value redacted", async () => {
    const { logger, lines } = captureLogger();
    await sv.control.fault({ path_prefix: "secret/data/myapp/single", status: 500, count: 1 });
    const env = await resolveEnv({ config: file("log.yaml", "env:\n  S: vault://secret/myapp/single\n"), environ, logger });
    assert.equal(env.S, SEED.single.value);
    assert.ok(
      lines.some((l) => /retrying Vault/.test(l)),
      lines.join("\n"),
    );
    logger.info(`echo ${SEED.single.value}`);
    assert.ok(!lines.join("\n").includes(SEED.single.value), "the logger redacts what resolveEnv resolved");
  });
});

describe("getSecret", () => {
  it("reads one reference", async () => {
    assert.equal(await getSecret("vault://secret/myapp/db#password", { environ }), SEED.db.password);
    assert.equal(await getSecret("ref+vault://kv/legacy#token", { environ }), SEED.legacy.token);
    assert.equal(await getSecret("vault://secret/myapp/db?version=1#password", { environ }), SEED.dbV1.password);
    assert.equal(await getSecret("vault://secret/myapp/single", { environ }), SEED.single.value);
  });

  it("reads AWS Secrets Manager references with the region, endpoint and keys of the given environment", async () => {
    const aws = await startSeededAws({ "lib/api": { token: "lib-Aws-Token-4242" } });
    try {
      // Only `environ` knows the double and the keys: the test process's own environment does not.
      const awsEnviron: NodeJS.ProcessEnv = { HOME: dir.path, ...awsEnv(aws.url, "eu-central-1") };
      await aws.client.inRegion("eu-central-1").createSecret("lib/eu", { SecretString: "lib-Aws-Eu-4343" });
      assert.equal(await getSecret("aws-sm://lib/eu", { environ: awsEnviron }), "lib-Aws-Eu-4343");
      assert.equal(await getSecret("aws-sm://lib/api?region=us-east-1#token", { environ: awsEnviron }), "lib-Aws-Token-4242");
      const log = await aws.control.requests();
      assert.ok(log.length >= 2 && log.every((r) => r.accessKeyId === awsEnviron.AWS_ACCESS_KEY_ID), "signed with the keys from environ");
    } finally {
      await aws.close();
    }
  });

  it("evaluates a template, with the configured mount for vault_secret_var", async () => {
    await sv.admin.enableMount("team/kv", "kv", "2");
    await sv.control.putSecret("team/kv/app", { key: "team-Lib-Value-1" });
    const config = file("mount.yaml", "vault:\n  mount: team/kv\n");
    assert.equal(await getSecret("{{ vault_secret_var('app', 'key') }}@{{ env_var('REGION') }}", { config, environ }), "team-Lib-Value-1@eu-west-1");
  });

  it("refuses a literal without echoing it (65)", async () => {
    for (const literal of ["hunter2-Pasted-Secret", "literal:vault://secret/myapp/db#password", "s3cr3t with spaces"]) {
      const error = await typedFailure(getSecret(literal, { environ }), ConfigError, 65);
      assert.ok(!error.message.includes(literal), error.message);
      assert.ok(!error.message.includes(literal.replace(/^literal:/, "")), error.message);
    }
  });

  it("throws typed errors with exit codes", async () => {
    await typedFailure(getSecret("vault://secret/nope#x", { environ }), NotFoundError, 78);
    await typedFailure(getSecret("vault://secret/myapp/db#nokey", { environ }), NotFoundError, 78);
    await typedFailure(getSecret("vault://secret/myapp/db", { environ }), ConfigError, 65);
    await typedFailure(getSecret("vault://secret/a b", { environ }), ConfigError, 65);
    await typedFailure(getSecret("vault://kv/legacy#token", { environ: { ...environ, VAULT_TOKEN: "hvs.unknown" } }), AuthError, 77);
    const { VAULT_TOKEN: _omit, ...noToken } = environ;
    const missing = await typedFailure(getSecret("vault://kv/legacy#token", { environ: noToken }), AuthError, 77);
    assert.match(missing.message, /VAULT_TOKEN/);
    const port = await closedPort();
    await typedFailure(getSecret("vault://kv/legacy#token", { environ: { ...environ, VAULT_ADDR: `http://127.0.0.1:${port}` }, startTimeout: "500ms" }), UnavailableError, 69);
  });
});
