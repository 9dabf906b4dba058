/**
 * Secrets never reach envject's own output (docs/contract/logging.md#redaction, README "Logging and secrecy"): every
 * cheap scenario of the other end-to-end files, successful or failing, runs at debug level with
 * JSON logs, and stderr holds no seeded secret value and no token. Every log line is JSON.
 * `--mask` filters the child's stdout and stderr; without it the child's output is untouched.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { CliResult } from "../support/cli.js";
import { SEED, SEEDED_SECRET_VALUES, type SeededVault, leakedSecrets, startSeededVault } from "../support/vault-fixture.js";
import { NODE, Workspace, printEnv } from "./e2e.js";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mintJwt, newSigningKey, serviceAccountClaims, standardClaims } from "../support/jwt.js";

let vault: SeededVault;
let ws: Workspace;

before(async () => {
  vault = await startSeededVault();
  ws = new Workspace(vault);
  await vault.admin.writePolicy("secrecy-read", { "secret/data/*": ["read"], "kv/*": ["read"], "database/creds/*": ["read"] });
});
after(async () => {
  ws.cleanup();
  await vault.close();
});

const DEBUG_JSON = ["--log-level", "debug", "--log-format", "json"];

/** Every stderr line is one JSON log record with time, level and msg. */
function parseJsonLog(stderr: string): Array<Record<string, unknown>> {
  const lines = stderr.split("\n").filter((l) => l !== "");
  return lines.map((line) => {
    let record: unknown;
    assert.doesNotThrow(() => (record = JSON.parse(line)), `not a JSON log line: ${line}`);
    assert.equal(typeof (record as Record<string, unknown>).msg, "string", line);
    assert.match(String((record as Record<string, unknown>).level), /^(debug|info|warn|error)$/, line);
    return record as Record<string, unknown>;
  });
}

/** stderr holds JSON log lines only, no seeded secret, and none of `alsoSecret` (tokens, dynamic credentials). */
function assertQuiet(result: CliResult, ...alsoSecret: string[]): Array<Record<string, unknown>> {
  assert.deepEqual(leakedSecrets(result.stderr), [], result.stderr);
  assert.ok(!result.stderr.includes(vault.rootToken), "the root token is never logged");
  for (const s of alsoSecret) assert.ok(!result.stderr.includes(s), `a secret (${s.length} chars) is in stderr:\n${result.stderr}`);
  return parseJsonLog(result.stderr);
}

const FULL_MAPPING = `env:
  DB_PASSWORD: vault://secret/myapp/db#password
  DB_USER: "{{ vault_secret_var('myapp/db', 'username') }}"
  DATABASE_URL: "postgres://{{ vault('secret/myapp/db#username') }}:{{ vault('secret/myapp/db#password') }}@db:5432/app"
  OLD_PASSWORD: vault://secret/myapp/db?version=1#password
  LEGACY_TOKEN: vault://kv/legacy#token
  SINGLE: vault://secret/myapp/single
  DB_CREDS_PASSWORD: vault://database/creds/readonly#password
  LOG_LEVEL: vault://secret/myapp/config#log_level
expand:
  - from: vault://secret/myapp/config
    prefix: APP_
files:
  TLS_KEY_FILE: vault://secret/myapp/tls#key
`;
const FULL_NAMES = ["DB_PASSWORD", "DB_USER", "DATABASE_URL", "OLD_PASSWORD", "LEGACY_TOKEN", "SINGLE", "DB_CREDS_PASSWORD", "APP_MAX_CONN", "TLS_KEY_FILE", "FROM_DOTENV"];

describe("successful runs log no secret", () => {
  before(() => {
    ws.file("full.yaml", FULL_MAPPING);
    ws.file("full.env", 'FROM_DOTENV="vault://secret/myapp/single"\n');
  });

  it("with the root token: every kind of value, at debug level, as JSON", async () => {
    const result = await ws.run([...DEBUG_JSON, "-c", "full.yaml", "-e", "full.env", "--", ...printEnv(...FULL_NAMES)]);
    assert.equal(result.code, 0, result.stderr);
    const child = JSON.parse(result.stdout) as Record<string, string>;
    assert.equal(child.DB_PASSWORD, SEED.db.password, "the child did get the values");
    const records = assertQuiet(result, child.DB_CREDS_PASSWORD!);
    assert.ok(
      records.some((r) => r.level === "debug"),
      "debug lines were written",
    );
    assert.ok(
      records.some((r) => r.msg === "revoked lease"),
      "the lease id may be logged, its password never",
    );
  });

  it("with AppRole: neither the secret_id nor the token envject got is logged", async () => {
    const { roleId, secretId } = await vault.admin.createAppRole("secrecy", { policies: ["secrecy-read"] });
    const result = await ws.run([...DEBUG_JSON, "-c", "full.yaml", "-e", "full.env", "--", ...printEnv(...FULL_NAMES)], {
      VAULT_TOKEN: undefined,
      VAULT_ROLE_ID: roleId,
      VAULT_SECRET_ID: secretId,
    });
    assert.equal(result.code, 0, result.stderr);
    const child = JSON.parse(result.stdout) as Record<string, string>;
    assertQuiet(result, secretId, child.DB_CREDS_PASSWORD!);
    assert.ok(parseJsonLog(result.stderr).some((r) => r.msg === "logged in to Vault with AppRole"));
  });

  it("with a token from ~/.vault-token and from the mapping", async () => {
    ws.file(".vault-token", vault.rootToken);
    try {
      const fromFile = await ws.run([...DEBUG_JSON, "-c", "full.yaml", "--", ...printEnv("DB_PASSWORD")], { VAULT_TOKEN: undefined });
      assert.equal(fromFile.code, 0, fromFile.stderr);
      assertQuiet(fromFile);
    } finally {
      ws.file(".vault-token", "");
    }
    ws.file("token.yaml", `vault:\n  auth:\n    token: \${MY_TOKEN}\n${FULL_MAPPING}`);
    const fromMapping = await ws.run([...DEBUG_JSON, "-c", "token.yaml", "--", ...printEnv("DB_PASSWORD")], { VAULT_TOKEN: undefined, MY_TOKEN: vault.rootToken });
    assert.equal(fromMapping.code, 0, fromMapping.stderr);
    assertQuiet(fromMapping);
  });

  it("with a Vault Agent sink (method token_file): the token read from the file is never logged", async () => {
    const token = await vault.admin.createToken({ policies: ["secrecy-read"] });
    ws.file("agent/sink", `${token}\n`);
    ws.file("sink.yaml", `vault:\n  auth:\n    method: token_file\n    token_file: agent/sink\n${FULL_MAPPING}`);
    const result = await ws.run([...DEBUG_JSON, "-c", "sink.yaml", "--", ...printEnv("DB_PASSWORD")], { VAULT_TOKEN: undefined });
    assert.equal(result.code, 0, result.stderr);
    assertQuiet(result, token);
  });

  it("with a Kubernetes login and with a JWT from GitHub Actions: no JWT, signature, request token or Vault token is logged", async () => {
    const key = newSigningKey("RS256");
    await vault.admin.enableAuth("kubernetes", "kubernetes");
    await vault.admin.writeKubernetesConfig({ pem_keys: [key.publicKeyPem] });
    await vault.admin.writeKubernetesRole("secrecy", { bound_service_account_names: ["app"], bound_service_account_namespaces: ["prod"], audience: "vault", policies: ["secrecy-read"] });
    const sa = mintJwt(key, serviceAccountClaims({ namespace: "prod", name: "app", audience: "vault" }));
    ws.file("sa-token", sa);
    ws.file("k8s.yaml", `vault:\n  auth:\n    method: kubernetes\n    role: secrecy\n    token_file: sa-token\n${FULL_MAPPING}`);
    const k8s = await ws.run([...DEBUG_JSON, "-c", "k8s.yaml", "--", ...printEnv("DB_PASSWORD")], { VAULT_TOKEN: undefined });
    assert.equal(k8s.code, 0, k8s.stderr);
    assertQuiet(k8s, sa, sa.split(".")[2]!);
    const issued = (await vault.admin.tokens()).filter((t) => t.display_name === "kubernetes-prod-app");
    assert.equal(issued.length, 1);

    await vault.admin.enableAuth("jwt", "jwt");
    await vault.admin.writeJwtConfig({ jwt_validation_pubkeys: [key.publicKeyPem] });
    await vault.admin.writeJwtRole("secrecy", { user_claim: "sub", bound_audiences: ["vault"], policies: ["secrecy-read"] });
    const oidc = mintJwt(key, standardClaims({ subject: "repo:acme/app", audience: "vault" }));
    const requestToken = "ghs-secrecy-request-token-9876543210";
    const runner = createServer((_req, res) => res.end(JSON.stringify({ value: oidc })));
    await new Promise<void>((resolve) => runner.listen(0, "127.0.0.1", () => resolve()));
    try {
      ws.file("gh.yaml", `vault:\n  auth:\n    method: jwt\n    role: secrecy\n    audience: vault\n${FULL_MAPPING}`);
      const gh = await ws.run([...DEBUG_JSON, "-c", "gh.yaml", "--", ...printEnv("DB_PASSWORD")], {
        VAULT_TOKEN: undefined,
        ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${(runner.address() as AddressInfo).port}/token?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
      });
      assert.equal(gh.code, 0, gh.stderr);
      assertQuiet(gh, oidc, oidc.split(".")[2]!, requestToken);
    } finally {
      runner.close();
    }
  });

  it("with a refused Kubernetes login: the 77 names Vault's reason, never the JWT", async () => {
    // Its own mount, trusting another key than the one that signed the token.
    await vault.admin.enableAuth("k8s-refused", "kubernetes");
    await vault.admin.writeKubernetesConfig({ pem_keys: [newSigningKey("RS256").publicKeyPem] }, "k8s-refused");
    await vault.admin.writeKubernetesRole(
      "secrecy",
      { bound_service_account_names: ["app"], bound_service_account_namespaces: ["prod"], audience: "vault", policies: ["secrecy-read"] },
      "k8s-refused",
    );
    const sa = mintJwt(newSigningKey("ES256"), serviceAccountClaims({ namespace: "prod", name: "app", audience: "vault" }));
    ws.file("sa-token-bad", sa);
    ws.file("k8s-bad.yaml", `vault:\n  auth:\n    method: kubernetes\n    path: k8s-refused\n    role: secrecy\n    token_file: sa-token-bad\n${FULL_MAPPING}`);
    const r = await ws.run([...DEBUG_JSON, "-c", "k8s-bad.yaml", "--", ...printEnv("DB_PASSWORD")], { VAULT_TOKEN: undefined });
    assert.equal(r.code, 77, r.stderr);
    const records = assertQuiet(r, sa, sa.split(".")[2]!);
    assert.ok(
      records.some((rec) => String(rec.msg).includes("Vault rejected the Kubernetes login at auth/k8s-refused (403: permission denied)")),
      r.stderr,
    );
  });

  it("when reads are retried after 5xx answers", async () => {
    await vault.control.fault({ path_prefix: "secret/data/myapp/db", status: 503, count: 2 });
    const result = await ws.run([...DEBUG_JSON, "-c", "full.yaml", "--", ...printEnv("DB_PASSWORD")]);
    assert.equal(result.code, 0, result.stderr);
    const records = assertQuiet(result);
    assert.equal(records.filter((r) => r.msg === "retrying Vault").length, 2);
  });

  it("--log-level silent prints nothing at all on success", async () => {
    const result = await ws.run(["--log-level", "silent", "-c", "full.yaml", "-e", "full.env", "--", ...printEnv("DB_PASSWORD")]);
    assert.equal(result.code, 0);
    assert.equal(result.stderr, "");
    assert.deepEqual(JSON.parse(result.stdout), { DB_PASSWORD: SEED.db.password });
  });
});

describe("failing runs log no secret", () => {
  const failures: Array<[string, string, number, Record<string, string | undefined>?]> = [
    ["a missing field (keys listed)", "env:\n  A: vault://secret/myapp/db#nope\n", 78],
    ["several keys without #field", "env:\n  A: vault://secret/myapp/db\n  B: vault://kv/legacy#token\n", 65],
    ["a missing secret next to resolved ones", "env:\n  A: vault://secret/nope#x\n  B: vault://secret/myapp/db#password\n  C: vault://secret/myapp/single\n", 78],
    ["a missing pointer into nested values", "env:\n  A: vault://secret/myapp/config#/nested/b/7\n  B: vault://secret/myapp/db#password\n", 78],
    ["an expand: key that is no variable name", "expand:\n  - from: vault://secret/secrecy/badkeys\n", 65],
    ["a revoked token", "env:\n  A: vault://secret/myapp/db#password\n", 77, { VAULT_TOKEN: "REVOKED" }],
    ["a denied path", "env:\n  A: vault://secret/myapp/db#password\n  B: vault://secret/myapp/single\n", 77, { VAULT_TOKEN: "CONFIG_ONLY" }],
    ["both token and AppRole variables", "env:\n  A: vault://secret/myapp/db#password\n", 65, { VAULT_ROLE_ID: "r", VAULT_SECRET_ID: "s" }],
    ["an env_var() that is not set, next to a secret", `env:\n  A: "${SEED.db.password}{{ env_var('NOT_SET') }}"\n`, 65],
    ["a template error after a pasted secret", `env:\n  A: "{{ vault('secret/myapp/db#password') }} ${SEED.db.password} {{ nope() }}"\n`, 65],
    ["a template error before a pasted secret", `env:\n  A: "{{ vault('secret/myapp/db#password') ${SEED.single.value} }}"\n`, 65],
    ["an unclosed {{ before a pasted secret", `env:\n  A: "{{ vault('secret/myapp/db#password') }}{{${SEED.legacy.token}"\n`, 65],
    ["a YAML syntax error on a line holding a secret", `env:\n  A: "${SEED.db.password}\n  B: x\n`, 65],
    ["a value of the wrong type", `env:\n  A:\n    nested: ${SEED.db.password}\n`, 65],
    ["an unquoted #field naming a missing key in a .env file", "", 78],
  ];

  before(async () => {
    await vault.control.putSecret("secret/secrecy/badkeys", { "1st": SEED.db.password });
  });

  for (const [what, yaml, code, extra] of failures) {
    it(`${what}: ${code}`, async () => {
      const env: Record<string, string | undefined> = { ...extra };
      if (env.VAULT_TOKEN === "REVOKED") {
        env.VAULT_TOKEN = await vault.admin.createToken({ policies: ["secrecy-read"] });
        await vault.admin.revokeToken(env.VAULT_TOKEN);
      } else if (env.VAULT_TOKEN === "CONFIG_ONLY") {
        await vault.admin.writePolicy("secrecy-config-only", { "secret/data/myapp/config": ["read"] });
        env.VAULT_TOKEN = await vault.admin.createToken({ policies: ["secrecy-config-only"] });
      }
      ws.file("failing.yaml", yaml);
      ws.file("failing.env", `B="vault://secret/myapp/db#password"\nA=vault://secret/myapp/db#nope\nC=${SEED.legacy.token}\n`);
      const args = yaml === "" ? ["-e", "failing.env"] : ["-c", "failing.yaml"];
      const result = await ws.run([...DEBUG_JSON, "--start-timeout", "1s", ...args, "--", NODE, "-e", ""], env);
      assert.equal(result.code, code, result.stderr);
      const records = assertQuiet(result, ...Object.values(env).filter((v): v is string => v !== undefined && v.length > 3));
      assert.ok(
        records.some((r) => r.level === "error" && r.exit_code === code),
        result.stderr,
      );
    });
  }
});

describe("--mask", () => {
  before(() => {
    ws.file(
      "mask.yaml",
      "env:\n  DB_PASSWORD: vault://secret/myapp/db#password\n  DATABASE_URL: \"postgres://u:{{ vault('secret/myapp/db#password') }}@db\"\n  LEGACY: vault://kv/legacy#token\n  PORT: 8080\n",
    );
  });

  // Writes each secret to stdout and stderr, one of them split across two writes with a pause.
  const SCRIPT = `
    const e = process.env;
    process.stdout.write("password=" + e.DB_PASSWORD + "\\nurl=" + e.DATABASE_URL + "\\nport=" + e.PORT + "\\n");
    process.stderr.write("legacy=" + e.LEGACY + "\\n");
    const half = e.LEGACY.length >> 1;
    process.stdout.write("split=" + e.LEGACY.slice(0, half));
    setTimeout(() => process.stdout.write(e.LEGACY.slice(half) + "\\n"), 50);`;

  it("replaces every resolved secret in the child's stdout and stderr with *****", async () => {
    const result = await ws.run(["--mask", "-c", "mask.yaml", "--", NODE, "-e", SCRIPT]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "password=*****\nurl=*****\nport=8080\nsplit=*****\n");
    assert.match(result.stderr, /^legacy=\*\*\*\*\*$/m);
    assert.deepEqual(leakedSecrets(result.stdout + result.stderr), []);
  });

  it("without --mask the child's output is untouched", async () => {
    const result = await ws.run(["-c", "mask.yaml", "--", NODE, "-e", SCRIPT]);
    assert.equal(result.code, 0, result.stderr);
    const url = `postgres://u:${SEED.db.password}@db`;
    assert.equal(result.stdout, `password=${SEED.db.password}\nurl=${url}\nport=8080\nsplit=${SEED.legacy.token}\n`);
    assert.match(result.stderr, new RegExp(`^legacy=${SEED.legacy.token}$`, "m"));
  });

  it("masks nothing that is not a resolved secret", async () => {
    const result = await ws.run(["--mask", "-c", "mask.yaml", "--", NODE, "-e", `process.stdout.write(${JSON.stringify(SEEDED_SECRET_VALUES.slice(1).join(" "))})`]);
    assert.equal(result.code, 0, result.stderr);
    // Only secret/myapp/db#password and kv/legacy#token were resolved; the other seeded values pass.
    assert.equal(
      result.stdout,
      SEEDED_SECRET_VALUES.slice(1)
        .map((v) => (v === SEED.legacy.token ? "*****" : v))
        .join(" "),
    );
  });
});
