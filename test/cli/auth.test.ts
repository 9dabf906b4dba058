/**
 * How `envject run` authenticates to Vault (docs/contract/authentication.md, README "Authentication and TLS"):
 * token from VAULT_TOKEN, ~/.vault-token or the mapping; AppRole from the environment or the
 * mapping (also at another mount path), one login per run; the token-XOR-AppRole rule; what a
 * missing, rejected, revoked or under-privileged credential gives; namespaces.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import type { RequestLogEntry } from "../../src/dev/vault/client.js";
import { SEED, type SeededVault, startSeededVault } from "../support/vault-fixture.js";
import { Workspace, assertNoStackTrace, childJson, countRequests, errorLines, printEnv } from "./e2e.js";

let vault: SeededVault;
let ws: Workspace;

const MAPPING = `env:
  DB_PASSWORD: vault://secret/myapp/db#password
  DB_USER: vault://secret/myapp/db#username
  LOG_LEVEL: vault://secret/myapp/config#log_level
  SINGLE: vault://secret/myapp/single
  LEGACY_TOKEN: vault://kv/legacy#token
`;
const NAMES = ["DB_PASSWORD", "DB_USER", "LOG_LEVEL", "SINGLE", "LEGACY_TOKEN"];
const EXPECTED = { DB_PASSWORD: SEED.db.password, DB_USER: SEED.db.username, LOG_LEVEL: "debug", SINGLE: SEED.single.value, LEGACY_TOKEN: SEED.legacy.token };
const NO_TOKEN = { VAULT_TOKEN: undefined };

before(async () => {
  vault = await startSeededVault();
  await vault.admin.writePolicy("e2e-read-all", { "secret/data/*": ["read"], "kv/*": ["read"] });
  ws = new Workspace(vault);
  ws.file("envject.yaml", MAPPING);
});
after(async () => {
  ws.cleanup();
  await vault.close();
});
beforeEach(async () => {
  await vault.control.clearRequests();
});

/** Every request that read a secret was made with the token whose accessor is given. */
function assertReadsUsed(log: readonly RequestLogEntry[], accessor: string): void {
  const reads = log.filter((r) => r.path === "secret/data/myapp/db" || r.path === "kv/legacy");
  assert.equal(reads.length, 2);
  for (const r of reads) assert.equal(r.token_accessor, accessor, `${r.path} was read with another token`);
}

describe("token auth", () => {
  it("uses VAULT_TOKEN", async () => {
    const auth = await vault.admin.createTokenAuth({ policies: ["e2e-read-all"] });
    assert.deepEqual(childJson(await ws.run(["--", ...printEnv(...NAMES)], { VAULT_TOKEN: auth.client_token })), EXPECTED);
    assertReadsUsed(await vault.control.requests(), auth.accessor);
  });

  it("uses ~/.vault-token when no variable is set (what `vault login` writes)", async () => {
    const auth = await vault.admin.createTokenAuth({ policies: ["e2e-read-all"] });
    ws.file(".vault-token", `${auth.client_token}\n`);
    try {
      assert.deepEqual(childJson(await ws.run(["--", ...printEnv(...NAMES)], NO_TOKEN)), EXPECTED);
      assertReadsUsed(await vault.control.requests(), auth.accessor);
    } finally {
      ws.file(".vault-token", "");
    }
  });

  it("uses vault.auth.token from the mapping, with ${NAME} from envject's environment, before VAULT_TOKEN", async () => {
    const auth = await vault.admin.createTokenAuth({ policies: ["e2e-read-all"] });
    ws.file("token.yaml", `vault:\n  auth:\n    token: \${MY_VAULT_TOKEN}\n${MAPPING}`);
    const result = await ws.run(["-c", "token.yaml", "--", ...printEnv(...NAMES)], { MY_VAULT_TOKEN: auth.client_token, VAULT_TOKEN: "hvs.not-a-valid-token" });
    assert.deepEqual(childJson(result), EXPECTED);
    assertReadsUsed(await vault.control.requests(), auth.accessor);
  });

  it("withholds from the child the variables the mapping's auth settings read with ${NAME}", async () => {
    ws.file("named-token.yaml", `vault:\n  auth:\n    token: \${MY_VAULT_TOKEN}\n${MAPPING}`);
    const run = (extra: string[] = []) => ws.run(["-c", "named-token.yaml", ...extra, "--", ...printEnv("MY_VAULT_TOKEN", "DB_USER")], { VAULT_TOKEN: undefined, MY_VAULT_TOKEN: vault.rootToken });
    assert.deepEqual(childJson(await run()), { MY_VAULT_TOKEN: null, DB_USER: SEED.db.username });
    assert.deepEqual(childJson(await run(["--pass-credentials"])), { MY_VAULT_TOKEN: vault.rootToken, DB_USER: SEED.db.username });
  });

  it("fails with 65 naming the variable when ${NAME} in vault.auth.token is not set", async () => {
    ws.file("token.yaml", `vault:\n  auth:\n    token: \${MY_VAULT_TOKEN}\n${MAPPING}`);
    const result = await ws.run(["-c", "token.yaml", "--", ...printEnv(...NAMES)], NO_TOKEN);
    assert.equal(result.code, 65, result.stderr);
    assert.match(result.stderr, /token\.yaml:\d+:\d+ \(vault\.auth\.token\)/);
    assert.match(result.stderr, /MY_VAULT_TOKEN is not set/);
    assertNoStackTrace(result.stderr);
  });
});

describe("AppRole auth", () => {
  it("logs in with VAULT_ROLE_ID and VAULT_SECRET_ID, exactly once for all the secrets of a run", async () => {
    const { roleId, secretId } = await vault.admin.createAppRole("e2e-env", { policies: ["e2e-read-all"] });
    const result = await ws.run(["--", ...printEnv(...NAMES)], { ...NO_TOKEN, VAULT_ROLE_ID: roleId, VAULT_SECRET_ID: secretId });
    assert.deepEqual(childJson(result), EXPECTED);
    const log = await vault.control.requests();
    assert.equal(countRequests(log, "POST", "auth/approle/login"), 1);
    const login = (await vault.admin.tokens()).filter((t) => t.path === "auth/approle/login");
    const reader = log.find((r) => r.path === "secret/data/myapp/db")!.token_accessor;
    assert.ok(
      login.some((t) => t.accessor === reader),
      "the secrets were read with the AppRole token",
    );
  });

  it("a stale ~/.vault-token never overrides AppRole variables", async () => {
    const stale = await vault.admin.createToken({ policies: ["e2e-read-all"] });
    await vault.admin.revokeToken(stale);
    ws.file(".vault-token", stale);
    try {
      const { roleId, secretId } = await vault.admin.createAppRole("e2e-env", { policies: ["e2e-read-all"] });
      const result = await ws.run(["--", ...printEnv(...NAMES)], { ...NO_TOKEN, VAULT_ROLE_ID: roleId, VAULT_SECRET_ID: secretId });
      assert.deepEqual(childJson(result), EXPECTED);
      assert.equal(countRequests(await vault.control.requests(), "POST", "auth/approle/login"), 1);
    } finally {
      ws.file(".vault-token", "");
    }
  });

  it("logs in with method: approle, role_id/secret_id from ${…} and a custom path: in the mapping", async () => {
    await vault.admin.api("POST", "sys/auth/team-approle", { type: "approle" });
    const { roleId, secretId } = await vault.admin.createAppRole("e2e-team", { policies: ["e2e-read-all"] }, "team-approle");
    ws.file("approle.yaml", `vault:\n  auth:\n    method: approle\n    role_id: \${TEAM_ROLE}\n    secret_id: \${TEAM_SECRET}\n    path: team-approle\n${MAPPING}`);
    // VAULT_TOKEN is set too: an explicit method decides.
    const result = await ws.run(["-c", "approle.yaml", "--", ...printEnv(...NAMES)], { TEAM_ROLE: roleId, TEAM_SECRET: secretId });
    assert.deepEqual(childJson(result), EXPECTED);
    const log = await vault.control.requests();
    assert.equal(countRequests(log, "POST", "auth/team-approle/login"), 1);
    assert.equal(countRequests(log, "POST", "auth/approle/login"), 0);
    const token = (await vault.admin.tokens()).find((t) => t.accessor === log.find((r) => r.path === "kv/legacy")!.token_accessor);
    assert.equal(token?.path, "auth/team-approle/login");
  });

  it("a wrong secret_id is 77, naming the AppRole login, after one login attempt", async () => {
    const { roleId } = await vault.admin.createAppRole("e2e-env", { policies: ["e2e-read-all"] });
    const result = await ws.run(["--start-timeout", "1s", "--", ...printEnv(...NAMES)], { ...NO_TOKEN, VAULT_ROLE_ID: roleId, VAULT_SECRET_ID: "00000000-0000-0000-0000-000000000000" });
    assert.equal(result.code, 77, result.stderr);
    assert.match(result.stderr, /AppRole login at auth\/approle/);
    assert.match(result.stderr, /invalid role or secret ID/);
    assert.equal(countRequests(await vault.control.requests(), "POST", "auth/approle/login"), 1, "a rejected login is not retried per secret");
    assertNoStackTrace(result.stderr);
  });
});

describe("which credentials", () => {
  it("both VAULT_TOKEN and VAULT_ROLE_ID/VAULT_SECRET_ID set is 65 naming both, before any request", async () => {
    const result = await ws.run(["--", ...printEnv(...NAMES)], { VAULT_ROLE_ID: "role", VAULT_SECRET_ID: "secret" });
    assert.equal(result.code, 65, result.stderr);
    assert.match(result.stderr, /VAULT_TOKEN/);
    assert.match(result.stderr, /VAULT_ROLE_ID/);
    assert.match(result.stderr, /VAULT_SECRET_ID/);
    assert.equal(await vault.control.requestCount(), 0);
    assertNoStackTrace(result.stderr);
  });

  it("no credentials at all is 77 saying what to set", async () => {
    const result = await ws.run(["--", ...printEnv(...NAMES)], NO_TOKEN);
    assert.equal(result.code, 77, result.stderr);
    assert.match(result.stderr, /no Vault credentials/);
    assert.match(result.stderr, /set VAULT_TOKEN/);
    assert.match(result.stderr, /VAULT_ROLE_ID and VAULT_SECRET_ID/);
    assert.equal(errorLines(result.stderr).length, 1, "one line for the one cause");
    assert.equal(await vault.control.requestCount(), 0);
    assertNoStackTrace(result.stderr);
  });

  it("one AppRole variable without the other is 77 naming the missing one", async () => {
    const result = await ws.run(["--", ...printEnv(...NAMES)], { ...NO_TOKEN, VAULT_ROLE_ID: "role" });
    assert.equal(result.code, 77, result.stderr);
    assert.match(result.stderr, /VAULT_SECRET_ID/);
    assert.doesNotMatch(result.stderr, /needs VAULT_ROLE_ID/);
  });

  it("needs no Vault credentials when no Vault reference exists", async () => {
    ws.file("plain.yaml", "env:\n  PORT: 8080\n");
    assert.deepEqual(childJson(await ws.run(["-c", "plain.yaml", "--", ...printEnv("PORT")], NO_TOKEN)), { PORT: "8080" });
  });
});

describe("rejected tokens", () => {
  it("a revoked token is 77 with a hint that it is invalid, expired or revoked", async () => {
    const token = await vault.admin.createToken({ policies: ["e2e-read-all"] });
    await vault.admin.revokeToken(token);
    const result = await ws.run(["--start-timeout", "1s", "--", ...printEnv(...NAMES)], { VAULT_TOKEN: token });
    assert.equal(result.code, 77, result.stderr);
    assert.match(result.stderr, /invalid, expired or revoked/);
    assert.match(result.stderr, /DB_PASSWORD/);
    assert.match(result.stderr, /secret\/myapp\/db/);
    assert.ok(!result.stderr.includes(token), "the token is never printed");
    assertNoStackTrace(result.stderr);
  });

  it("a bad token is found once at start: one error line for every variable, and no secret read", async () => {
    const result = await ws.run(["--start-timeout", "1s", "--", ...printEnv(...NAMES)], { VAULT_TOKEN: "hvs.not-a-real-token" });
    assert.equal(result.code, 77, result.stderr);
    const lines = errorLines(result.stderr);
    assert.equal(lines.length, 1, result.stderr);
    for (const name of NAMES) assert.match(lines[0]!, new RegExp(name));
    assert.match(lines[0]!, /token from VAULT_TOKEN is invalid, expired or revoked/);
    const log = await vault.control.requests();
    assert.equal(countRequests(log, "GET", "auth/token/lookup-self"), 1);
    // The mount look-ups go out alongside the token look-up (they need the token only as a
    // header), one per mount, and are dropped with it; no secret is read.
    assert.deepEqual(
      log
        .filter((r) => r.path !== "auth/token/lookup-self")
        .map((r) => `${r.method} ${r.path.split("/").slice(0, 5).join("/")}`)
        .sort(),
      ["GET sys/internal/ui/mounts/kv", "GET sys/internal/ui/mounts/secret"],
      JSON.stringify(log),
    );
  });

  it("an expired token is 77 with the same hint", async () => {
    const auth = await vault.admin.createTokenAuth({ policies: ["e2e-read-all"], ttl: 1 });
    await waitUntil("the token expired", async () => (await vault.admin.tokens()).find((t) => t.accessor === auth.accessor)?.state === "expired");
    const result = await ws.run(["--start-timeout", "1s", "--", ...printEnv(...NAMES)], { VAULT_TOKEN: auth.client_token });
    assert.equal(result.code, 77, result.stderr);
    assert.match(result.stderr, /invalid, expired or revoked/);
    assertNoStackTrace(result.stderr);
  });

  it("a token whose policy does not grant the path is 77 naming the variable and the path", async () => {
    await vault.admin.writePolicy("e2e-only-config", { "secret/data/myapp/config": ["read"], "kv/*": ["read"] });
    const token = await vault.admin.createToken({ policies: ["e2e-only-config"] });
    const result = await ws.run(["--start-timeout", "1s", "--", ...printEnv(...NAMES)], { VAULT_TOKEN: token });
    assert.equal(result.code, 77, result.stderr);
    const lines = errorLines(result.stderr);
    const db = lines.find((l) => l.includes("DB_PASSWORD"));
    assert.ok(db, result.stderr);
    assert.match(db, /DB_USER/, "variables failing for one cause share a line");
    assert.match(db, /secret\/myapp\/db/);
    assert.match(db, /permission denied/);
    assert.ok(
      lines.some((l) => l.includes("SINGLE") && l.includes("secret/myapp/single")),
      result.stderr,
    );
    assert.ok(!lines.some((l) => l.includes("LOG_LEVEL") || l.includes("LEGACY_TOKEN")), "readable variables are not reported");
    assertNoStackTrace(result.stderr);
  });

  it("a path denied by the server is 77 naming the variable and the API path", async () => {
    await vault.control.deny("secret/data/myapp/single", "all");
    try {
      const result = await ws.run(["--start-timeout", "1s", "--", ...printEnv(...NAMES)]);
      assert.equal(result.code, 77, result.stderr);
      const lines = errorLines(result.stderr);
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0]!, /SINGLE/);
      assert.match(lines[0]!, /secret\/data\/myapp\/single/);
    } finally {
      await vault.control.clearDenials();
    }
  });
});

describe("namespaces", () => {
  const NS_VALUE = "ns-Only-Value-31f";
  before(async () => {
    await vault.admin.createNamespace("team");
    await vault.admin.withNamespace("team").writeKv2("secret/app/config", { key: NS_VALUE });
  });

  it("sends vault.namespace as X-Vault-Namespace and reads from that namespace", async () => {
    ws.file("ns.yaml", "vault:\n  namespace: team\nenv:\n  KEY: vault://secret/app/config#key\n");
    assert.deepEqual(childJson(await ws.run(["-c", "ns.yaml", "--", ...printEnv("KEY")])), { KEY: NS_VALUE });
    const reads = (await vault.control.requests()).filter((r) => r.path === "secret/data/app/config");
    assert.equal(reads.length, 1);
    assert.equal(reads[0]!.namespace, "team");
  });

  it("takes the namespace from VAULT_NAMESPACE, and the mapping's over it", async () => {
    ws.file("ns-env.yaml", "env:\n  KEY: vault://secret/app/config#key\n");
    assert.deepEqual(childJson(await ws.run(["-c", "ns-env.yaml", "--", ...printEnv("KEY")], { VAULT_NAMESPACE: "team" })), { KEY: NS_VALUE });
    assert.ok((await vault.control.requests()).every((r) => r.namespace === "team"));

    ws.file("ns.yaml", "vault:\n  namespace: team\nenv:\n  KEY: vault://secret/app/config#key\n");
    assert.deepEqual(childJson(await ws.run(["-c", "ns.yaml", "--", ...printEnv("KEY")], { VAULT_NAMESPACE: "elsewhere" })), { KEY: NS_VALUE });
  });

  it("without a namespace the secret is not found in the root namespace (78)", async () => {
    ws.file("ns-env.yaml", "env:\n  KEY: vault://secret/app/config#key\n");
    const result = await ws.run(["-c", "ns-env.yaml", "--start-timeout", "1s", "--", ...printEnv("KEY")]);
    assert.equal(result.code, 78, result.stderr);
    assert.match(result.stderr, /KEY/);
    assert.match(result.stderr, /secret\/app\/config/);
  });
});

async function waitUntil(what: string, check: () => Promise<boolean>, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
