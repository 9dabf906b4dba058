/**
 * Fault matrix: login, tokens and leases (docs/RELIABILITY.md, section "login"). Each row runs the
 * real bundled CLI with `--watch` against its own Vault double (so sealing one does not disturb
 * another row) and asserts the documented outcome: the log lines, the exit code, and what happened
 * to the child — which appends a JSON line per start and exit (with the variables it saw), so a
 * restart, a stop or "kept running" is a fact read from its file, not a guess.
 *
 * Rows run a few at a time (they mostly wait on short TTLs); every wait is for a log line, a
 * request count or a child event, with generous limits.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RequestLogEntry } from "../../src/dev/vault/client.js";
import { type SeededVault, startSeededVault } from "../support/vault-fixture.js";
import { Workspace } from "../cli/e2e.js";
import { WatchedRun, pause } from "../watch/e2e-harness.js";

const POLICY = {
  "secret/data/*": ["read"],
  "secret/metadata/*": ["read"],
  "database/creds/*": ["read"],
  "sys/internal/ui/mounts/*": ["read"],
};

const count = (log: readonly RequestLogEntry[], path: string, status?: number) => log.filter((e) => e.path === path && (status === undefined || e.status === status)).length;

interface Row {
  vault: SeededVault;
  /** Starts `envject --watch --interval 1s args… -- node child` with `mapping`; the child reports `vars`. */
  start(mapping: string, vars: string[], extra?: Record<string, string | undefined>, args?: string[]): WatchedRun;
  /** A workspace for one-shot runs (`ws.run`). */
  workspace(mapping: string): Workspace;
}

/** One row: its own seeded double (with the `app` policy and a short `short` database role), cleaned up after. */
async function row(body: (r: Row) => Promise<void>): Promise<void> {
  const vault = await startSeededVault();
  await vault.admin.writePolicy("app", POLICY);
  await vault.admin.createDatabaseRole("short", { default_ttl: 2, max_ttl: 4 });
  const runs: WatchedRun[] = [];
  const spaces: Workspace[] = [];
  const workspace = (mapping: string) => {
    const ws = new Workspace(vault);
    spaces.push(ws);
    ws.file("envject.yaml", mapping);
    return ws;
  };
  try {
    await body({
      vault,
      workspace,
      start: (mapping, vars, extra = {}, args = []) => {
        const run = WatchedRun.start(workspace(mapping), ["--watch", "--interval", "1s", ...args], vars, extra);
        runs.push(run);
        return run;
      },
    });
    for (const run of runs) assert.deepEqual(run.leakedValues(), [], `envject logged a secret value:\n${run.stderr}`);
  } finally {
    runs.forEach((r) => r.kill());
    spaces.forEach((s) => s.cleanup());
    await vault.close();
  }
}

/** Waits for envject to end (fails with its log after `ms`). */
async function ended(run: WatchedRun, ms = 45_000) {
  const end = await Promise.race([run.ended, pause(ms).then(() => undefined)]);
  assert.ok(end, `envject still running ${ms / 1000} s later:\n${run.stderr}`);
  return end;
}

/** The accessor of the active token an AppRole login issued (tokens are never shown, accessors are). */
async function appRoleAccessor(vault: SeededVault): Promise<string> {
  const tokens = (await vault.admin.tokens()).filter((t) => t.path === "auth/approle/login" && t.state === "active");
  assert.equal(tokens.length, 1, `one active AppRole token: ${JSON.stringify(tokens)}`);
  return tokens[0]!.accessor;
}

const KV2 = "env:\n  A: vault://secret/fm/a#v\n  B: vault://secret/fm/b#v\n";
const KV_AND_LEASE = "env:\n  A: vault://secret/fm/a#v\n  DB_USER: vault://database/creds/readonly#username\n";
const noDeniedWarnings = (run: WatchedRun) => assert.equal(run.lines("WARN", /cannot be read now/).length, 0, `no per-secret denial warning:\n${run.stderr}`);

async function seedKv(vault: SeededVault): Promise<void> {
  await vault.control.putSecret("secret/fm/a", { v: "fm-A-One-1010" });
  await vault.control.putSecret("secret/fm/b", { v: "fm-B-One-2020" });
}

describe("fault matrix: login, tokens and leases", { concurrency: 3 }, () => {
  // ---- at start ---------------------------------------------------------------------------

  it('at start: an invalid token (Vault says "invalid token") is one error, exit 77, nothing started', { timeout: 60_000 }, () =>
    row(async ({ vault, workspace }) => {
      await seedKv(vault);
      const res = await workspace(KV2).run(["--watch", "--", process.execPath, "-e", "console.log('child ran')"], { VAULT_TOKEN: "hvs.not-a-real-token-0000" });
      assert.equal(res.code, 77, res.stderr);
      const errors = res.stderr.split("\n").filter((l) => l.includes(" ERROR "));
      assert.equal(errors.length, 1, `one error line:\n${res.stderr}`);
      assert.match(errors[0]!, /token from VAULT_TOKEN is invalid, expired or revoked/);
      assert.equal(res.stdout, "", "the command never ran");
    }),
  );

  it('at start: an invalid token on an older Vault (a bare "permission denied") is one error, exit 77', { timeout: 60_000 }, () =>
    row(async ({ vault, workspace }) => {
      await seedKv(vault);
      await vault.admin.config({ forbidden_style: "plain" });
      const res = await workspace(KV2).run(["--watch", "--", process.execPath, "-e", "console.log('child ran')"], { VAULT_TOKEN: "hvs.not-a-real-token-0000" });
      assert.equal(res.code, 77, res.stderr);
      const errors = res.stderr.split("\n").filter((l) => l.includes(" ERROR "));
      assert.equal(errors.length, 1, `one error line, not one per secret:\n${res.stderr}`);
      assert.match(errors[0]!, /cannot resolve A, B .*token from VAULT_TOKEN is invalid or lacks permission/);
      assert.equal(res.stdout, "");
    }),
  );

  it("at start: a valid token that may not look itself up (no default policy) still runs", { timeout: 60_000 }, () =>
    row(async ({ vault, workspace }) => {
      await seedKv(vault);
      const token = await vault.admin.createToken({ policies: ["app"], no_default_policy: true, ttl: "1h" });
      const res = await workspace(KV2).run(["--", process.execPath, "-e", "process.stdout.write(process.env.A + ',' + process.env.B)"], { VAULT_TOKEN: token });
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, "fm-A-One-1010,fm-B-One-2020");
      assert.equal(count(await vault.control.requests(), "auth/token/lookup-self", 403), 1, "lookup-self was denied (a policy, not a bad token)");
    }),
  );

  it("at start: AppRole with a wrong secret_id is one error, exit 77, nothing started", { timeout: 60_000 }, () =>
    row(async ({ vault, workspace }) => {
      await seedKv(vault);
      const { roleId } = await vault.admin.createAppRole("fm", { policies: ["app"] });
      const res = await workspace(KV2).run(["--watch", "--", process.execPath, "-e", "console.log('child ran')"], {
        VAULT_TOKEN: undefined,
        VAULT_ROLE_ID: roleId,
        VAULT_SECRET_ID: "00000000-0000-0000-0000-000000000000",
      });
      assert.equal(res.code, 77, res.stderr);
      const errors = res.stderr.split("\n").filter((l) => l.includes(" ERROR "));
      assert.equal(errors.length, 1, `one error line:\n${res.stderr}`);
      assert.match(errors[0]!, /Vault rejected the AppRole login at auth\/approle \(400: invalid role or secret ID\)/);
      assert.equal(res.stdout, "");
    }),
  );

  // ---- mid-run ----------------------------------------------------------------------------

  it("mid-run: a given token revoked: noticed at the next poll (not the next renewal), the child stopped, exit 77", { timeout: 60_000 }, () =>
    row(async ({ vault, start }) => {
      await seedKv(vault);
      const token = await vault.admin.createToken({ policies: ["app"], ttl: "1h" });
      const run = start(KV2, ["A", "B"], { VAULT_TOKEN: token });
      await run.waitForStarts(1);
      await vault.admin.revokeToken(token);
      const end = await ended(run);
      assert.equal(end.code, 77, run.stderr);
      const errors = run.lines("ERROR", /./);
      assert.equal(errors.length, 1, `one error line:\n${run.stderr}`);
      assert.match(errors[0]!, /token from VAULT_TOKEN is no longer valid: it was revoked or has expired/);
      noDeniedWarnings(run);
      assert.deepEqual(
        run.events().map((e) => e.event),
        ["start", "exit"],
        "the child was stopped, not restarted",
      );
      assert.ok(count(await vault.control.requests(), "auth/token/lookup-self") >= 2, "the token was looked up when the reads were denied");
      assert.ok(!run.stderr.includes(token), "the token is never printed");
    }),
  );

  it("mid-run: an AppRole token revoked (KV values only): logs in again, the child keeps running", { timeout: 60_000 }, () =>
    row(async ({ vault, start }) => {
      await seedKv(vault);
      const { roleId, secretId } = await vault.admin.createAppRole("fm", { policies: ["app"], token_ttl: 3600 });
      const run = start(KV2, ["A", "B"], { VAULT_TOKEN: undefined, VAULT_ROLE_ID: roleId, VAULT_SECRET_ID: secretId });
      await run.waitForStarts(1);
      await vault.admin.revokeAccessor(await appRoleAccessor(vault));
      await run.waitFor("a new AppRole login", () => run.lines("INFO", /logged in to Vault again with AppRole/).length > 0);
      // The polls work again under the new login: a change made now is applied.
      await vault.control.putSecret("secret/fm/a", { v: "fm-A-Two-1111" });
      await run.waitForStarts(2);
      assert.equal(run.starts()[1]!.env!.A, "fm-A-Two-1111");
      assert.equal(run.starts().length, 2, "restarted only for the change, not for the login");
      assert.equal(run.lines("WARN", /revoked or has expired; logging in again/).length, 1, run.stderr);
      noDeniedWarnings(run);
      assert.equal(run.lines("ERROR", /./).length, 0, run.stderr);
      const end = await run.stop();
      assert.equal(end.code, 0, run.stderr);
    }),
  );

  it("mid-run: an AppRole token revoked (with a lease): logs in again, the lease is read again, the child restarted with new credentials", { timeout: 60_000 }, () =>
    row(async ({ vault, start }) => {
      await seedKv(vault);
      const { roleId, secretId } = await vault.admin.createAppRole("fm", { policies: ["app"], token_ttl: 3600 });
      const run = start(KV_AND_LEASE, ["A", "DB_USER"], { VAULT_TOKEN: undefined, VAULT_ROLE_ID: roleId, VAULT_SECRET_ID: secretId });
      await run.waitForStarts(1);
      await vault.admin.revokeAccessor(await appRoleAccessor(vault));
      await run.waitForStarts(2);
      const [first, second] = run.starts();
      assert.notEqual(second!.env!.DB_USER, first!.env!.DB_USER, "new database credentials");
      assert.equal(second!.env!.A, "fm-A-One-1010");
      const lease = (await vault.admin.leases()).find((l) => l.username === second!.env!.DB_USER);
      assert.equal(lease?.state, "active", "the new credentials are valid");
      noDeniedWarnings(run);
      assert.equal(run.lines("ERROR", /./).length, 0, run.stderr);
      await pause(2000);
      assert.equal(run.starts().length, 2, "one restart");
      assert.equal((await run.stop()).code, 0, run.stderr);
    }),
  );

  it("mid-run: AppRole secret_id revoked, then the token reaches its max TTL (KV values only): the child keeps running, one warning", { timeout: 60_000 }, () =>
    row(async ({ vault, start }) => {
      await seedKv(vault);
      // A secret_id good for one login: every later login is refused, as after `secret-id/destroy`.
      const { roleId, secretId } = await vault.admin.createAppRole("fm", { policies: ["app"], token_ttl: 2, token_max_ttl: 4, secret_id_num_uses: 1 });
      const run = start(KV2, ["A", "B"], { VAULT_TOKEN: undefined, VAULT_ROLE_ID: roleId, VAULT_SECRET_ID: secretId });
      await run.waitForStarts(1);
      await run.waitFor("the token to end", () => run.lines("INFO", /Vault token has ended; the command keeps running/).length > 0);
      // Several more login attempts, with backoff.
      const until = Date.now() + 40_000;
      while (Date.now() < until && count(await vault.control.requests(), "auth/approle/login", 400) < 4) await pause(500);
      assert.ok(count(await vault.control.requests(), "auth/approle/login", 400) >= 4, `envject kept trying to log in:\n${run.stderr}`);
      assert.equal(run.lines("WARN", /could not log in to Vault again with AppRole/).length, 1, `one warning, not one per attempt:\n${run.stderr}`);
      noDeniedWarnings(run);
      assert.equal(run.lines("ERROR", /./).length, 0, run.stderr);
      assert.deepEqual(
        run.events().map((e) => e.event),
        ["start"],
        "the child keeps running, not restarted",
      );
      assert.equal((await run.stop()).code, 0, run.stderr);
    }),
  );

  it("mid-run: AppRole secret_id revoked, then the token reaches its max TTL (with a lease): the child is stopped, exit 77", { timeout: 60_000 }, () =>
    row(async ({ vault, start }) => {
      await seedKv(vault);
      const { roleId, secretId } = await vault.admin.createAppRole("fm", { policies: ["app"], token_ttl: 2, token_max_ttl: 4, secret_id_num_uses: 1 });
      const run = start(KV_AND_LEASE, ["A", "DB_USER"], { VAULT_TOKEN: undefined, VAULT_ROLE_ID: roleId, VAULT_SECRET_ID: secretId });
      await run.waitForStarts(1);
      const end = await ended(run);
      assert.equal(end.code, 77, run.stderr);
      const errors = run.lines("ERROR", /./);
      assert.equal(errors.length, 1, run.stderr);
      assert.match(errors[0]!, /could not log in to Vault again with AppRole .*ending the command's leased credentials/);
      assert.deepEqual(
        run.events().map((e) => e.event),
        ["start", "exit"],
        "the child was stopped",
      );
    }),
  );

  it("mid-run: AppRole login refused for a while at max TTL, then accepted: the child keeps running, one warning, one recovery line", { timeout: 60_000 }, () =>
    row(async ({ vault, start }) => {
      await seedKv(vault);
      const { roleId, secretId } = await vault.admin.createAppRole("fm", { policies: ["app"], token_ttl: 2, token_max_ttl: 4 });
      const run = start(KV2, ["A", "B"], { VAULT_TOKEN: undefined, VAULT_ROLE_ID: roleId, VAULT_SECRET_ID: secretId });
      await run.waitForStarts(1);
      await vault.control.fault({ path_prefix: "auth/approle/login", status: 400, count: 4, body: { errors: ["invalid role or secret ID"] } });
      await run.waitFor("the recovery", () => run.lines("INFO", /Vault login works again/).length > 0, 45_000);
      assert.equal(run.lines("WARN", /could not log in to Vault again with AppRole/).length, 1, `one warning:\n${run.stderr}`);
      noDeniedWarnings(run);
      await vault.control.putSecret("secret/fm/b", { v: "fm-B-Two-2121" });
      await run.waitForStarts(2);
      assert.equal(run.starts()[1]!.env!.B, "fm-B-Two-2121", "polling works under the new login");
      assert.equal(run.events().filter((e) => e.event === "exit").length, 1, "the child ran until that change");
      assert.equal((await run.stop()).code, 0, run.stderr);
    }),
  );

  it("mid-run: permission removed on one path: that variable is warned about by name, the others keep working", { timeout: 60_000 }, () =>
    row(async ({ vault, start }) => {
      await seedKv(vault);
      const auth = await vault.admin.createTokenAuth({ policies: ["app"], ttl: "1h" });
      const run = start(KV2, ["A", "B"], { VAULT_TOKEN: auth.client_token });
      await run.waitForStarts(1);
      await vault.control.deny("secret/metadata/fm/b", auth.accessor);
      await vault.control.deny("secret/data/fm/b", auth.accessor);
      await run.waitFor("the warning", () => run.lines("WARN", /cannot be read now/).length > 0);
      await vault.control.putSecret("secret/fm/a", { v: "fm-A-Two-1111" });
      await run.waitForStarts(2);
      assert.equal(run.starts()[1]!.env!.A, "fm-A-Two-1111", "a change to a readable path is applied");
      assert.equal(run.starts()[1]!.env!.B, "fm-B-One-2020", "the denied variable keeps its value");
      const warnings = run.lines("WARN", /./);
      assert.equal(warnings.length, 1, run.stderr);
      assert.match(warnings[0]!, /vault:\/\/secret\/fm\/b cannot be read now; the command keeps its current values/);
      assert.equal(run.lines("ERROR", /./).length, 0, run.stderr);
      assert.equal((await run.stop()).code, 0, run.stderr);
    }),
  );

  it("mid-run: permission removed on every path (the token is fine): the token is looked up, each path warned about, the child keeps running", { timeout: 60_000 }, () =>
    row(async ({ vault, start }) => {
      await seedKv(vault);
      const auth = await vault.admin.createTokenAuth({ policies: ["app"], ttl: "1h" });
      const run = start(KV2, ["A", "B"], { VAULT_TOKEN: auth.client_token });
      await run.waitForStarts(1);
      await vault.control.clearRequests();
      await vault.control.deny("secret/", auth.accessor);
      await run.waitFor("two warnings", () => run.lines("WARN", /cannot be read now/).length >= 2);
      await pause(3000);
      const warnings = run.lines("WARN", /./);
      assert.equal(warnings.length, 2, run.stderr);
      assert.ok(warnings.some((w) => w.includes("vault://secret/fm/a")) && warnings.some((w) => w.includes("vault://secret/fm/b")), run.stderr);
      assert.ok(count(await vault.control.requests(), "auth/token/lookup-self", 200) >= 1, "the token was looked up and found valid");
      assert.deepEqual(
        run.events().map((e) => e.event),
        ["start"],
        "the child keeps running",
      );
      assert.equal((await run.stop()).code, 0, run.stderr);
    }),
  );

  it("mid-run: a lease reaches its max TTL while Vault is sealed: the child keeps running, then is restarted with new credentials once Vault is back", { timeout: 60_000 }, () =>
    row(async ({ vault, start }) => {
      await seedKv(vault);
      const run = start("env:\n  A: vault://secret/fm/a#v\n  DB_USER: vault://database/creds/short#username\n", ["A", "DB_USER"]);
      await run.waitForStarts(1);
      await vault.admin.seal();
      // The lease (TTL 2 s, max 4 s) ends while sealed.
      await run.waitFor("the unreachable warning", () => run.lines("WARN", /Vault is unreachable/).length > 0);
      await pause(5000);
      assert.equal(run.starts().length, 1, "no restart while Vault is down");
      await vault.admin.unseal();
      await run.waitForStarts(2, 45_000);
      const [first, second] = run.starts();
      assert.notEqual(second!.env!.DB_USER, first!.env!.DB_USER, "new credentials");
      assert.equal(run.lines("WARN", /Vault is unreachable/).length, 1, run.stderr);
      assert.equal(run.lines("ERROR", /./).length, 0, run.stderr);
      assert.equal((await run.stop()).code, 0, run.stderr);
    }),
  );

  it("mid-run: an AppRole token expires while Vault is sealed: the child keeps running; envject logs in again once Vault is back", { timeout: 60_000 }, () =>
    row(async ({ vault, start }) => {
      await seedKv(vault);
      const { roleId, secretId } = await vault.admin.createAppRole("fm", { policies: ["app"], token_ttl: 2, token_max_ttl: 60 });
      const run = start(KV2, ["A", "B"], { VAULT_TOKEN: undefined, VAULT_ROLE_ID: roleId, VAULT_SECRET_ID: secretId });
      await run.waitForStarts(1);
      await vault.admin.seal();
      await run.waitFor("the token's end", () => run.lines("WARN", /Vault token has expired or was revoked; logging in again/).length > 0);
      await pause(2000);
      await vault.admin.unseal();
      await run.waitFor("the new login", () => run.lines("INFO", /logged in to Vault again with AppRole/).length > 0, 45_000);
      await vault.control.putSecret("secret/fm/a", { v: "fm-A-Two-1111" });
      await run.waitForStarts(2, 45_000);
      assert.equal(run.starts()[1]!.env!.A, "fm-A-Two-1111", "polling works under the new login");
      assert.equal(run.events().filter((e) => e.event === "exit").length, 1, "the child ran through the outage, until that change");
      noDeniedWarnings(run);
      assert.equal(run.lines("ERROR", /./).length, 0, run.stderr);
      assert.equal((await run.stop()).code, 0, run.stderr);
    }),
  );

  it("mid-run: a given token expires while Vault is sealed: the child is stopped, exit 77", { timeout: 60_000 }, () =>
    row(async ({ vault, start }) => {
      await seedKv(vault);
      const token = await vault.admin.createToken({ policies: ["app"], ttl: "3s" });
      const run = start(KV2, ["A", "B"], { VAULT_TOKEN: token });
      await run.waitForStarts(1);
      await vault.admin.seal();
      const end = await ended(run);
      assert.equal(end.code, 77, run.stderr);
      const errors = run.lines("ERROR", /./);
      assert.equal(errors.length, 1, run.stderr);
      assert.match(errors[0]!, /token from VAULT_TOKEN has expired or was revoked .*could not be reached/);
      assert.deepEqual(
        run.events().map((e) => e.event),
        ["start", "exit"],
        "the child was stopped",
      );
    }),
  );
});
