/**
 * examples/node-server, run as its README says (`envject --watch --interval 1s -c envject.yaml --
 * node server.js`, in its folder) against the Vault double: /health shows the seeded secret's
 * hash; a new version written to Vault restarts the server (a new pid, a new hash); SIGTERM to
 * envject reaches the server and its exit code comes out. No secret in any output.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { hermeticEnv, tempDir } from "../support/cli.js";
import { SEED, type SeededVault, startSeededVault } from "../support/vault-fixture.js";
import { exampleDir, httpGet, startEnvject, waitFor } from "./example-run.js";

const DIR = exampleDir("node-server");
const ROTATED = "pw-Example-Rotated-Fake-0042";
const hash = (value: string) => createHash("sha256").update(value).digest("hex").slice(0, 12);
const databaseUrl = (password: string) => `postgres://${SEED.db.username}:${password}@db.internal:5432/app`;

interface Health {
  ok: boolean;
  pid: number;
  started_at: string;
  db_user: string;
  db_password_sha256: string;
  database_url_sha256: string;
}

/** The `listening on PORT (pid PID, …)` lines, in order. */
function listening(stdout: string): { port: number; pid: number }[] {
  return [...stdout.matchAll(/^server: listening on (\d+) \(pid (\d+),/gm)].map((m) => ({ port: Number(m[1]), pid: Number(m[2]) }));
}

let vault: SeededVault;
let home: { path: string; cleanup: () => void };
before(async () => {
  vault = await startSeededVault();
  home = tempDir("envject-example-node-server-");
});
after(async () => {
  home?.cleanup();
  await vault?.close();
});

describe("examples/node-server", () => {
  it("without envject the server refuses to start and says why", () => {
    const r = spawnSync(process.execPath, ["server.js"], { cwd: DIR, env: hermeticEnv(home.path), encoding: "utf8" });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /missing DB_USER, DB_PASSWORD, DATABASE_URL: run me under envject/);
  });

  it("serves with the Vault secret, restarts with a new pid and hash when it rotates, and SIGTERM gives the server's exit code", async () => {
    const env = hermeticEnv(home.path, { VAULT_ADDR: vault.url, VAULT_TOKEN: vault.rootToken, PORT: "0" });
    const run = startEnvject(["--watch", "--interval", "1s", "-c", "envject.yaml", "--", "node", "server.js"], DIR, env);
    const output = () => `stdout:\n${run.stdout()}\nstderr:\n${run.stderr()}`;
    try {
      const first = await waitFor("the server to listen", () => listening(run.stdout())[0], 30_000, output);
      const before = JSON.parse((await httpGet(first.port, "/health")).body) as Health;
      const { started_at: startedAt, ...rest } = before;
      assert.match(startedAt, /^\d{4}-\d\d-\d\dT/);
      assert.deepEqual(rest, {
        ok: true,
        pid: first.pid,
        db_user: SEED.db.username,
        db_password_sha256: hash(SEED.db.password),
        database_url_sha256: hash(databaseUrl(SEED.db.password)),
      });
      assert.equal((await httpGet(first.port, "/")).status, 404);

      await vault.control.putSecret("secret/myapp/db", { username: SEED.db.username, password: ROTATED });
      const second = await waitFor("the restarted server to listen", () => listening(run.stdout())[1], 30_000, output);
      assert.notEqual(second.pid, first.pid, "a new process");
      const afterRotation = JSON.parse((await httpGet(second.port, "/health")).body) as Health;
      assert.equal(afterRotation.pid, second.pid);
      assert.equal(afterRotation.db_password_sha256, hash(ROTATED));
      assert.equal(afterRotation.database_url_sha256, hash(databaseUrl(ROTATED)));
      assert.notEqual(afterRotation.db_password_sha256, before.db_password_sha256);
      assert.match(run.stdout(), new RegExp(`^server: SIGTERM, closing \\(pid ${first.pid}\\)$`, "m"), "the old server was stopped gracefully");
      assert.match(run.stderr(), /vault:\/\/secret\/myapp\/db changed \(version 2 → 3\)/);
      assert.equal(listening(run.stdout()).length, 2, `one restart for one rotation:\n${output()}`);

      run.proc.kill("SIGTERM");
      const exit = await run.exit;
      assert.deepEqual(exit, { code: 0, signal: null }, output());
      assert.match(run.stdout(), new RegExp(`^server: SIGTERM, closing \\(pid ${second.pid}\\)$`, "m"), "SIGTERM reached the server");
      for (const secret of [SEED.db.password, ROTATED]) assert.ok(!run.stdout().includes(secret) && !run.stderr().includes(secret), `a secret was printed:\n${output()}`);
    } finally {
      run.proc.kill("SIGKILL");
    }
  });

  it("the server's own exit code comes out of envject", async () => {
    // SIGKILL of the server itself (not of envject): envject reports 128+9, as a shell would.
    const env = hermeticEnv(home.path, { VAULT_ADDR: vault.url, VAULT_TOKEN: vault.rootToken, PORT: "0" });
    const run = startEnvject(["--watch", "--interval", "1s", "-c", "envject.yaml", "--", "node", "server.js"], DIR, env);
    try {
      const up = await waitFor(
        "the server to listen",
        () => listening(run.stdout())[0],
        30_000,
        () => run.stderr(),
      );
      process.kill(up.pid, "SIGKILL");
      assert.deepEqual(await run.exit, { code: 137, signal: null }, run.stderr());
    } finally {
      run.proc.kill("SIGKILL");
    }
  });
});
