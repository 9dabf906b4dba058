/**
 * examples/dotenv-migration, run as its README says (in its folder): `envject -e before.env`
 * passes the literal values through unchanged without contacting a store; `envject -e after.env`
 * gives the app the same names with the values of the Vault and Secrets Manager doubles —
 * including the unquoted `vault://…#password`, where `#` is the field, not a comment.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { hermeticEnv, runCli, tempDir } from "../support/cli.js";
import { AWS_SEED, type SeededAws, awsEnv, leakedAwsSecrets, startSeededAws } from "../support/aws-fixture.js";
import { SEED, type SeededVault, leakedSecrets, startSeededVault } from "../support/vault-fixture.js";
import { childJson, printEnv } from "../cli/e2e.js";
import { exampleDir } from "./example-run.js";

const DIR = exampleDir("dotenv-migration");
const sha = (value: string) => createHash("sha256").update(value).digest("hex").slice(0, 12);

/** What before.env says, value by value (the test's own reading of it). */
const LITERALS: Record<string, string> = {
  DB_HOST: "localhost",
  DB_PORT: "5432",
  DB_USER: "app_user",
  DB_PASSWORD: "fake-local-password-123",
  API_KEY: "fake-api-key-for-local-dev",
  THEME_COLOR: "#336699",
  GREETING: "hello # not a comment inside quotes",
};

/** The names a dotenv file defines, in order. */
function definedNames(file: string): string[] {
  return [...readFileSync(join(DIR, file), "utf8").matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
}

/** show-env.mjs's lines → {NAME: {length, sha}} (or "missing"). */
function shown(stdout: string): Record<string, { length: number; sha: string } | "missing"> {
  const out: Record<string, { length: number; sha: string } | "missing"> = {};
  for (const line of stdout.split("\n").filter(Boolean)) {
    const m = /^(\w+)\s+(?:(\d+) characters\s+sha256 ([0-9a-f]{12})|(missing))$/.exec(line);
    assert.ok(m, `unexpected line from show-env.mjs: ${JSON.stringify(line)}`);
    out[m[1]!] = m[4] ? "missing" : { length: Number(m[2]), sha: m[3]! };
  }
  return out;
}

const expected = (values: Record<string, string>) => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { length: v.length, sha: sha(v) }]));

let vault: SeededVault;
let aws: SeededAws;
let home: { path: string; cleanup: () => void };
let env: Record<string, string>;
before(async () => {
  vault = await startSeededVault();
  aws = await startSeededAws();
  home = tempDir("envject-example-dotenv-");
  env = hermeticEnv(home.path, { ...awsEnv(aws.url), VAULT_ADDR: vault.url, VAULT_TOKEN: vault.rootToken });
});
after(async () => {
  home?.cleanup();
  await vault?.close();
  await aws?.close();
});

describe("examples/dotenv-migration", () => {
  it("after.env is before.env with values swapped: the same names in the same order, every one the app needs", () => {
    assert.deepEqual(definedNames("after.env"), definedNames("before.env"));
    assert.deepEqual(definedNames("before.env"), Object.keys(LITERALS));
    assert.match(readFileSync(join(DIR, "after.env"), "utf8"), /^DB_PASSWORD=vault:\/\/secret\/myapp\/db#password\s/m, "the reference is unquoted");
  });

  it("envject -e before.env: the literals pass through unchanged and no store is asked", async () => {
    const r = await runCli(["-e", "before.env", "--", "node", "show-env.mjs"], { cwd: DIR, env, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(shown(r.stdout), expected(LITERALS));
    assert.deepEqual(await vault.control.requests(), [], "no request to Vault");
    assert.deepEqual(await aws.control.requests(), [], "no request to Secrets Manager");
  });

  it("envject -e after.env: the same names arrive, the references replaced by the doubles' values", async () => {
    const secrets = { ...LITERALS, DB_USER: SEED.db.username, DB_PASSWORD: SEED.db.password, API_KEY: AWS_SEED.apiKey };
    const r = await runCli(["-e", "after.env", "--", "node", "show-env.mjs"], { cwd: DIR, env, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const got = shown(r.stdout);
    assert.deepEqual(Object.keys(got), Object.keys(LITERALS), "the same names as with before.env");
    assert.deepEqual(got, expected(secrets));
    assert.deepEqual([...leakedSecrets(r.stdout + r.stderr), ...leakedAwsSecrets(r.stdout + r.stderr)], [], "no secret value printed");

    // The exact values, as a child that prints them sees them (the hash above is only a prefix).
    const exact = childJson(await runCli(["-e", "after.env", "--", ...printEnv(...Object.keys(LITERALS))], { cwd: DIR, env, timeoutMs: 60_000 }));
    assert.deepEqual(exact, secrets);
  });

  it("envject check -e after.env lists the three references, never a value", async () => {
    const r = await runCli(["check", "-e", "after.env"], { cwd: DIR, env, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout
      .trim()
      .split("\n")
      .slice(1)
      .map((line) => line.split(/\s+/));
    assert.deepEqual(
      rows.map(([name, source, , status]) => [name, source, status]),
      [
        ["DB_USER", "vault://secret/myapp/db#username", "ok"],
        ["DB_PASSWORD", "vault://secret/myapp/db#password", "ok"],
        ["API_KEY", "aws-sm://prod/api-key", "ok"],
      ],
    );
    assert.deepEqual([...leakedSecrets(r.stdout + r.stderr), ...leakedAwsSecrets(r.stdout + r.stderr)], []);
  });
});
