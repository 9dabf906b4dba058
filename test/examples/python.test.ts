/**
 * examples/python, run as its README says (`envject -c envject.yaml -- /usr/bin/python3 app.py`,
 * in its folder) against the Vault double: the stdlib-only program sees every mapped variable
 * (names and lengths, never values), reads the `files:` secret from its 0600 file, and sees none
 * of envject's credentials. Skipped, with the package to install, where python3 is missing.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { hermeticEnv, runCli, tempDir } from "../support/cli.js";
import { requireClient } from "../support/conformance.js";
import { SEED, type SeededVault, leakedSecrets, startSeededVault } from "../support/vault-fixture.js";
import { exampleDir } from "./example-run.js";

const DIR = exampleDir("python");
const PYTHON = "/usr/bin/python3";
const python = requireClient("python3", () => spawnSync(PYTHON, ["--version"]).status === 0 || `${PYTHON} did not run`, "sudo apt-get install -y python3");

interface Report {
  variables: Record<string, number>;
  missing: string[];
  credentials_seen: string[];
  tls_key_file?: { mode: string; bytes: number; first_line: string };
}

let vault: SeededVault;
let home: { path: string; cleanup: () => void };
before(async () => {
  if (!python.available) return;
  vault = await startSeededVault();
  home = tempDir("envject-example-python-");
});
after(async () => {
  home?.cleanup();
  await vault?.close();
});

describe("examples/python", { skip: python.skip }, () => {
  it("the program gets every mapped variable and the key file; names and lengths only, no credentials", async () => {
    python.assertAvailable();
    const env = hermeticEnv(home.path, { VAULT_ADDR: vault.url, VAULT_TOKEN: vault.rootToken });
    const r = await runCli(["-c", "envject.yaml", "--", PYTHON, "app.py"], { cwd: DIR, env, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    assert.deepEqual(report.missing, []);
    assert.deepEqual(report.credentials_seen, [], "VAULT_TOKEN and the AWS keys are not passed on");
    const { TLS_KEY_FILE: pathLength, ...lengths } = report.variables;
    assert.deepEqual(lengths, {
      DB_USER: SEED.db.username.length,
      DB_PASSWORD: SEED.db.password.length,
      API_TOKEN: SEED.legacy.token.length,
      APP_LOG_LEVEL: SEED.config.log_level.length,
      APP_MAX_CONN: String(SEED.config.max_conn).length,
    });
    assert.ok(pathLength! > 0);
    assert.deepEqual(report.tls_key_file, { mode: "0o600", bytes: Buffer.byteLength(SEED.tls.key), first_line: "-----BEGIN PRIVATE KEY-----" });
    assert.deepEqual(leakedSecrets(r.stdout + r.stderr), [], "no secret value in any output");
  });

  it("the key file exists while the program runs and is gone once envject exits", async () => {
    python.assertAvailable();
    const env = hermeticEnv(home.path, { VAULT_ADDR: vault.url, VAULT_TOKEN: vault.rootToken });
    // The same mapping, a one-line program that prints the path it was given and whether it is there.
    const r = await runCli(["-c", "envject.yaml", "--", PYTHON, "-c", "import os; p = os.environ['TLS_KEY_FILE']; print(p, os.path.isfile(p))"], { cwd: DIR, env, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const [path, present] = r.stdout.trim().split(" ");
    assert.match(path!, /^\//, "an absolute path");
    assert.equal(present, "True", "the file is there while the program runs");
    assert.equal(existsSync(path!), false, `${path} was removed`);
  });

  it("a variable missing from the mapping: the program exits 1 and envject exits with its code", async () => {
    python.assertAvailable();
    const { path: dir, cleanup } = tempDir("envject-example-python-partial-");
    try {
      // The example's program with a mapping that lacks API_TOKEN.
      const env = hermeticEnv(home.path, { VAULT_ADDR: vault.url, VAULT_TOKEN: vault.rootToken });
      const mapping = `${dir}/partial.yaml`;
      writeFileSync(mapping, "env:\n  DB_USER: vault://secret/myapp/db#username\n");
      const r = await runCli(["-c", mapping, "--", PYTHON, "app.py"], { cwd: DIR, env, timeoutMs: 60_000 });
      assert.equal(r.code, 1, r.stderr);
      const report = JSON.parse(r.stdout) as Report;
      assert.deepEqual(report.missing, ["DB_PASSWORD", "API_TOKEN", "APP_LOG_LEVEL", "APP_MAX_CONN", "TLS_KEY_FILE"]);
    } finally {
      cleanup();
    }
  });
});
