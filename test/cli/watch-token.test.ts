/**
 * The login and the leases outlive `--no-watch`, and a given token's end ends envject
 * (docs/contract/rotation.md#the-vault-token, issue #4 "Token lifecycle"): without polling, a KV v2 change is left alone while
 * a dynamic secret's lease and the token are still renewed; a token that cannot live on (not
 * renewable, or at its explicit max TTL) is warned about before it expires, then the child is
 * stopped and envject exits 77 — the token never printed.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RequestLogEntry } from "../../src/dev/vault/client.js";
import { type WatchedRun, pause, watchSuite } from "../watch/e2e-harness.js";

const count = (log: readonly RequestLogEntry[], path: string) => log.filter((e) => e.path === path).length;

/** The highest sequence number in the request log (what came later has a higher one). */
const lastSeq = (log: readonly RequestLogEntry[]) => Math.max(0, ...log.map((e) => e.seq));

/**
 * The warning that a given token will expire: exactly one, logged before the expiry it names
 * (its own timestamp against its `expires_at` field: an order, not a duration).
 */
function assertWarnedBeforeExpiry(run: WatchedRun): void {
  const warnings = run.lines("WARN", /Vault token can no longer be renewed/);
  assert.equal(warnings.length, 1, `one expiry warning:\n${run.stderr}`);
  const loggedAt = Date.parse(warnings[0]!.split(" ")[0]!);
  const expiresAt = Date.parse(/ expires_at=(\S+)/.exec(warnings[0]!)?.[1] ?? "");
  assert.ok(Number.isFinite(loggedAt) && Number.isFinite(expiresAt), `the warning names the expiry: ${warnings[0]}`);
  assert.ok(loggedAt < expiresAt, `warned before the expiry: ${warnings[0]}`);
}

/** envject stopped the child because its token expired, after the warning, and exited 77. */
async function assertEndedWith77(run: WatchedRun, token: string): Promise<void> {
  const end = await Promise.race([run.ended, pause(30_000).then(() => undefined)]);
  assert.ok(end, `envject still running 30 s later:\n${run.stderr}`);
  assert.equal(end.code, 77, `exit code (signal ${end.signal}):\n${run.stderr}`);
  assertWarnedBeforeExpiry(run);
  const lines = run.stderr.split("\n");
  const warnAt = lines.findIndex((l) => / envject WARN  .*Vault token can no longer be renewed/.test(l));
  const errorAt = lines.findIndex((l) => / envject ERROR .*expired/.test(l));
  assert.ok(errorAt >= 0, `an error line says the token expired:\n${run.stderr}`);
  assert.ok(warnAt < errorAt, `the warning came before the end:\n${run.stderr}`);
  assert.deepEqual(
    run.events().map((e) => e.event),
    ["start", "exit"],
    "one child, stopped gracefully (SIGTERM) — not restarted, not left behind",
  );
  assert.ok(!run.stderr.includes(token), "the token is never printed");
}

describe("envject run: the login and leases under --no-watch, and a given token's end", () => {
  const suite = watchSuite(async (vault) => {
    await vault.admin.createDatabaseRole("nowatch", { default_ttl: 3, max_ttl: 30 });
    await vault.admin.writePolicy("lifecycle-app", {
      "secret/data/*": ["read"],
      "secret/metadata/*": ["read"],
      "database/creds/*": ["read"],
      "sys/internal/ui/mounts/*": ["read"],
      // Not in Vault's default policy: without it, a given token's leases end with their TTL (README).
      "sys/leases/revoke": ["update"],
    });
  });
  const start = (mapping: string, args: string[], vars: string[], extra: Record<string, string | undefined> = {}) => suite.start(suite.workspace(mapping), args, vars, extra);

  it("--no-watch: a KV v2 change neither restarts the child nor is polled for, while the lease (TTL 3 s) and the token (TTL 3 s) are still renewed", { timeout: 60_000 }, async () => {
    const admin = suite.vault.admin;
    await admin.writeKv2("secret/nowatch/app", { key: "nowatch-One-5151" });
    const auth = await admin.createTokenAuth({ policies: ["lifecycle-app"], ttl: "3s", renewable: true });
    await suite.vault.control.clearRequests();
    const run = start("env:\n  K: vault://secret/nowatch/app#key\n  DB_USER: vault://database/creds/nowatch#username\n", ["--no-watch"], ["K", "DB_USER"], { VAULT_TOKEN: auth.client_token });
    await run.waitForStarts(1);
    const startedAt = lastSeq(await suite.vault.control.requests());
    await admin.writeKv2("secret/nowatch/app", { key: "nowatch-Two-5252" });
    // Several polling intervals, and more than two lease and token lifetimes.
    await pause(8000);

    const log = await suite.vault.control.requests();
    // envject's own requests after the child started (the test's writes use the root token).
    const later = log.filter((e) => e.seq > startedAt && e.token_accessor === auth.accessor);
    assert.deepEqual(
      later.filter((e) => e.path.includes("/metadata/")).map((e) => `${e.method} ${e.path}`),
      [],
      "no version poll after the start",
    );
    assert.equal(later.filter((e) => e.path.startsWith("secret/data/")).length, 0, "no data read after the start either");
    assert.equal(run.starts().length, 1, `not restarted:\n${run.stderr}`);
    assert.equal(run.starts()[0]!.env!.K, "nowatch-One-5151", "the child keeps the value it started with");
    assert.equal(run.events().filter((e) => e.event === "exit").length, 0, "the child keeps running");

    assert.ok(count(later, "sys/leases/renew") >= 2, `the lease was renewed (${count(later, "sys/leases/renew")}):\n${run.stderr}`);
    assert.ok(count(later, "auth/token/renew-self") >= 2, `the token was renewed (${count(later, "auth/token/renew-self")}):\n${run.stderr}`);
    assert.deepEqual(
      later.filter((e) => e.status >= 400).map((e) => `${e.method} ${e.path} ${e.status}`),
      [],
      "no request failed",
    );
    assert.equal(count(log, "database/creds/nowatch"), 1, "the lease was renewed, not replaced (its max TTL is far)");
    const lease = (await admin.leases()).find((l) => l.username === run.starts()[0]!.env!.DB_USER);
    assert.ok(lease, "the child's database user is a lease the double issued");
    assert.equal(lease.state, "active", "the child's credentials are still valid");
    const token = (await admin.tokens()).find((t) => t.accessor === auth.accessor);
    assert.equal(token?.state, "active", "the token outlived several of its TTLs");

    const end = await run.stop();
    assert.equal(end.code, 0, run.stderr);
    const after = (await admin.leases()).filter((l) => l.role === "nowatch");
    assert.equal(after.filter((l) => l.state === "active").length, 0, "the lease is revoked at exit");
  });

  it("a given token that is not renewable (TTL 4 s): warned about before it expires, then the child is stopped and envject exits 77", { timeout: 60_000 }, async () => {
    const admin = suite.vault.admin;
    const token = await admin.createToken({ policies: ["lifecycle-app"], ttl: "4s", renewable: false });
    const run = start("env:\n  K: vault://secret/myapp/single#value\n", [], ["K"], { VAULT_TOKEN: token });
    await run.waitForStarts(1);
    await assertEndedWith77(run, token);
  });

  it("a given renewable token (TTL 3 s, explicit max TTL 5 s): renewed until its max TTL, warned about, then envject exits 77", { timeout: 60_000 }, async () => {
    const admin = suite.vault.admin;
    const auth = await admin.createTokenAuth({ policies: ["lifecycle-app"], ttl: "3s", explicit_max_ttl: "5s", renewable: true });
    await suite.vault.control.clearRequests();
    const run = start("env:\n  K: vault://secret/myapp/single#value\n", [], ["K"], { VAULT_TOKEN: auth.client_token });
    await run.waitForStarts(1);
    await assertEndedWith77(run, auth.client_token);
    const log = (await suite.vault.control.requests()).filter((e) => e.token_accessor === auth.accessor);
    const renewals = log.filter((e) => e.path === "auth/token/renew-self");
    assert.ok(renewals.length >= 1, `renew-self in the log:\n${run.stderr}`);
    assert.equal(renewals.filter((e) => e.status !== 200).length, 0, "every renewal was granted (capped, never refused)");
  });
});
