/**
 * Dynamic secrets and envject's own login while watching (docs/contract/rotation.md#leases): leases renewed at 2/3,
 * read again (and the child restarted with new credentials) once they cannot be extended, revoked
 * at exit; an AppRole token renewed and replaced by a new login, the leases read again under it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RequestLogEntry } from "../../src/dev/vault/client.js";
import { watchSuite, pause } from "../watch/e2e-harness.js";

const count = (log: RequestLogEntry[], path: string) => log.filter((e) => e.path === path).length;

describe("envject run keeps leases and its login alive", () => {
  const suite = watchSuite(async (vault) => {
    await vault.admin.createDatabaseRole("short", { default_ttl: 3, max_ttl: 6 });
    await vault.admin.writePolicy("watch-app", {
      "secret/data/*": ["read"],
      "secret/metadata/*": ["read"],
      "database/creds/*": ["read"],
      "sys/internal/ui/mounts/*": ["read"],
    });
  });
  const start = (mapping: string, args: string[], vars: string[], extra: Record<string, string | undefined> = {}) => suite.start(suite.workspace(mapping), args, vars, extra);

  it("a lease (TTL 3 s, max 6 s) is renewed, then read again near its max TTL: the child restarts with new credentials; leases are revoked at exit", async () => {
    await suite.vault.control.clearRequests();
    const run = start("env:\n  DB_USER: vault://database/creds/short#username\n  DB_PASS: vault://database/creds/short#password\n", [], ["DB_USER"]);
    await run.waitForStarts(1);
    await run.waitForStarts(2, 30_000);
    const [first, second] = run.starts();
    assert.notEqual(second!.env!.DB_USER, first!.env!.DB_USER, "new credentials");
    const log = await suite.vault.control.requests();
    assert.ok(count(log, "sys/leases/renew") >= 1, "the lease was renewed before it was replaced");
    assert.equal(log.filter((e) => e.path === "sys/leases/renew" && e.status !== 200).length, 0, "no refused renewal");
    assert.equal(log.filter((e) => e.path.startsWith("database/creds/") && e.status !== 200).length, 0, "no failed read");
    assert.equal(count(log, "database/creds/short"), 2, "one read at start, one replacement");
    assert.equal(run.lines("INFO", /lease of vault:\/\/database\/creds\/short is near its max TTL/).length, 1, run.stderr);
    const end = await run.stop();
    assert.equal(end.code, 0, run.stderr);
    const leases = (await suite.vault.admin.leases()).filter((l) => l.role === "short");
    assert.equal(leases.filter((l) => l.state === "active").length, 0, `no lease left active: ${JSON.stringify(leases.map((l) => [l.state, l.reason]))}`);
  });

  it("an AppRole token (TTL 3 s, max 6 s) is renewed and replaced by new logins; leases are read again under each login; no read fails", { timeout: 60_000 }, async () => {
    const { roleId, secretId } = await suite.vault.admin.createAppRole("watcher", { policies: ["watch-app"], token_ttl: 3, token_max_ttl: 6 });
    await suite.vault.control.clearRequests();
    const run = start("env:\n  DB_USER: vault://database/creds/readonly#username\n  K: vault://secret/myapp/single#value\n", [], ["DB_USER", "K"], {
      VAULT_TOKEN: undefined,
      VAULT_ROLE_ID: roleId,
      VAULT_SECRET_ID: secretId,
    });
    await run.waitForStarts(1);
    await pause(15_000);
    const log = await suite.vault.control.requests();
    assert.ok(count(log, "auth/token/renew-self") >= 1, `renew-self in the log:\n${run.stderr}`);
    assert.ok(count(log, "auth/approle/login") >= 3, `re-logins in the log (${count(log, "auth/approle/login")}):\n${run.stderr}`);
    const failed = log.filter((e) => !e.path.startsWith("auth/") && !e.path.startsWith("sys/leases/") && e.status !== 200);
    assert.deepEqual(
      failed.map((e) => `${e.method} ${e.path} ${e.status}`),
      [],
      "no failed read",
    );
    const starts = run.starts();
    assert.ok(starts.length >= 2, "the child was restarted with credentials read under a new login");
    assert.equal(new Set(starts.map((s) => s.env!.DB_USER)).size, starts.length, "each start got fresh credentials");
    assert.equal(run.lines("WARN", /./).length, 0, `no warning:\n${run.stderr}`);
    assert.equal(run.events().filter((e) => e.event === "exit").length, starts.length - 1, "the child keeps running between restarts");
    await run.stop();
  });
});
