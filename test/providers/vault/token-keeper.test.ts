/**
 * keepAlive: envject's own token kept alive against the Vault double's real TTL accounting, with
 * short TTLs. Each scenario has its own double (its request log is the witness: renew-self and
 * login counts, their order, which token read what), and the scenarios run side by side. Waits
 * are for events, with generous limits; nothing asserts how long something took.
 */
import { approleAuth } from "../../support/vault-auth.js";
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { EnvjectError } from "../../../src/errors.js";
import type { KeepAliveEvents } from "../../../src/providers/provider.js";
import type { VaultProvider } from "../../../src/providers/vault/provider.js";
import type { RequestLogEntry } from "../../../src/dev/vault/client.js";
import { type SeededVault, startSeededVault } from "../../support/vault-fixture.js";
import { eventually, harness, ref, settingsFor, sleep, soon } from "./harness.js";

const open: VaultProvider[] = [];
const doubles: SeededVault[] = [];

after(async () => {
  for (const p of open) await p.close();
  for (const d of doubles) await d.close();
});

async function vault(): Promise<SeededVault> {
  const sv = await startSeededVault();
  doubles.push(sv);
  await sv.admin.writePolicy("app", {
    "secret/data/*": ["read"],
    "secret/metadata/*": ["read"],
    "database/creds/*": ["read"],
  });
  return sv;
}

interface Recorder extends KeepAliveEvents {
  newLogins: number;
  fatal: EnvjectError | undefined;
}

function recorder(onNewLogin: () => void = () => {}): Recorder {
  const r: Recorder = {
    newLogins: 0,
    fatal: undefined,
    onNewLogin() {
      r.newLogins++;
      onNewLogin();
    },
    onFatal(error) {
      r.fatal = error;
    },
  };
  return r;
}

const count = (log: RequestLogEntry[], path: string, status?: number) => log.filter((e) => e.path === path && (status === undefined || e.status === status)).length;
const LOGIN = "auth/approle/login";
const RENEW = "auth/token/renew-self";

async function appRole(sv: SeededVault, role: string, opts: Parameters<SeededVault["admin"]["createAppRole"]>[1]) {
  const { roleId, secretId } = await sv.admin.createAppRole(role, { policies: ["app"], ...opts });
  return harness(settingsFor(sv, approleAuth(roleId, secretId)), open);
}

describe("keepAlive", { concurrency: true }, () => {
  it("AppRole (token_ttl 3s, max 6s): renews, logs in again near the max TTL, reads keep working under the new token; close() stops it", { timeout: 60_000 }, async () => {
    const sv = await vault();
    const h = await appRole(sv, "short", { token_ttl: 3, token_max_ttl: 6 });
    const leaseIds: string[] = [];
    const readLease = async () => {
      const doc = await h.provider.read(ref("vault://database/creds/readonly"), { deadline: soon() });
      leaseIds.push(doc.lease!.id);
    };
    await readLease();
    // The watcher re-reads leased secrets under the new token when told of a new login.
    const events = recorder(() => void readLease());
    h.provider.keepAlive(events);

    const started = Date.now();
    let reads = 0;
    while (Date.now() - started < 10_000) {
      const doc = await h.provider.read(ref("vault://secret/myapp/db"), { deadline: soon(), once: true });
      assert.equal((doc.data as Record<string, string>).username, "app_user");
      reads++;
      await sleep(400);
    }
    const log = await sv.admin.requests();
    assert.equal(events.fatal, undefined, String(events.fatal));
    assert.ok(count(log, RENEW, 200) >= 2, `renew-self calls: ${count(log, RENEW, 200)}`);
    assert.ok(count(log, LOGIN, 200) >= 2, `logins (first + re-login): ${count(log, LOGIN, 200)}`);
    assert.equal(events.newLogins, count(log, LOGIN, 200) - 1);
    // Order: a renewal came before the first re-login (renew first, log in again near the max TTL).
    const firstRenew = log.findIndex((e) => e.path === RENEW);
    const logins = log.map((e, i) => (e.path === LOGIN ? i : -1)).filter((i) => i >= 0);
    assert.ok(firstRenew > logins[0]! && firstRenew < logins[1]!, "login, renew-self, then re-login");
    // Every secret read succeeded, and later reads used a newer token than the first ones.
    const secretReads = log.filter((e) => e.path === "secret/data/myapp/db");
    assert.equal(secretReads.length, reads);
    assert.ok(secretReads.every((e) => e.status === 200));
    assert.notEqual(secretReads[0]!.token_accessor, secretReads.at(-1)!.token_accessor);
    // The leased secret was read again under each new token.
    await eventually(() => leaseIds.length === events.newLogins + 1, "leases re-read after each new login");
    const leases = await sv.admin.leases();
    const owners = new Set(leases.filter((l) => leaseIds.includes(l.lease_id)).map((l) => l.token_accessor));
    assert.equal(owners.size, leaseIds.length);
    // Log lines: re-login at info, renewal at debug, no token.
    assert.ok(h.lines.some((l) => / INFO .*logged in to Vault again with AppRole/.test(l)));
    assert.ok(h.lines.some((l) => / DEBUG renewed Vault token/.test(l)));
    assert.ok(!h.lines.some((l) => / WARN /.test(l)), h.lines.filter((l) => / WARN /.test(l)).join("\n"));

    await h.provider.close();
    await sv.admin.clearRequests();
    await sleep(4_000);
    assert.deepEqual(await sv.admin.requests(), [], "no request after close()");
  });

  it("token auth with a short, non-renewable token: one warning naming its source, then onFatal with an AuthError (77)", { timeout: 30_000 }, async () => {
    const sv = await vault();
    const token = await sv.admin.createToken({ policies: ["app"], ttl: 3, renewable: false });
    const h = harness(settingsFor(sv, { kind: "token", method: "token", token, source: "VAULT_TOKEN" }), open);
    await h.provider.read(ref("vault://secret/myapp/db"), { deadline: soon() });
    const events = recorder();
    h.provider.keepAlive(events);
    await eventually(() => events.fatal !== undefined, "onFatal");
    assert.equal(events.fatal!.exitCode, 77);
    assert.equal(events.fatal!.name, "AuthError");
    assert.match(events.fatal!.message, /VAULT_TOKEN/);
    const warnings = h.lines.filter((l) => / WARN .*can no longer be renewed/.test(l));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /source=VAULT_TOKEN/);
    assert.match(warnings[0]!, /expires_at=/);
    assert.equal(events.newLogins, 0);
    // A non-renewable token is not sent to renew-self at all.
    assert.equal(count(await sv.admin.requests(), RENEW), 0);
    for (const text of [...h.lines, events.fatal!.message]) assert.ok(!text.includes(token), "the token never appears");
  });

  it("token auth with a renewable token near its max TTL: renews, warns once when the grant is short, then onFatal (77)", { timeout: 30_000 }, async () => {
    const sv = await vault();
    const token = await sv.admin.createToken({ policies: ["app"], ttl: 3, explicit_max_ttl: 5 });
    const h = harness(settingsFor(sv, { kind: "token", method: "token", token, source: "~/.vault-token" }), open);
    const events = recorder();
    h.provider.keepAlive(events);
    await eventually(() => events.fatal !== undefined, "onFatal");
    assert.equal(events.fatal!.exitCode, 77);
    const log = await sv.admin.requests();
    assert.ok(count(log, RENEW, 200) >= 1, "renewed before the max TTL");
    const warnAt = h.lines.findIndex((l) => / WARN .*can no longer be renewed/.test(l));
    const renewedAt = h.lines.findIndex((l) => /renewed Vault token/.test(l));
    assert.ok(renewedAt >= 0 && warnAt > renewedAt, "renewed, then warned");
    assert.equal(h.lines.filter((l) => / WARN .*can no longer be renewed/.test(l)).length, 1);
  });

  it("a Vault sealed during renewal: renewal is retried, one warning, and it resumes after unseal without onFatal", { timeout: 40_000 }, async () => {
    const sv = await vault();
    // 12 s: two failed attempts and a retry after unseal all fit before it expires, whatever the jitter.
    const token = await sv.admin.createToken({ policies: ["app"], ttl: 12 });
    const h = harness(settingsFor(sv, { kind: "token", method: "token", token, source: "VAULT_TOKEN" }), open);
    await h.provider.read(ref("vault://secret/myapp/db"), { deadline: soon() });
    const events = recorder();
    h.provider.keepAlive(events);
    await sv.admin.seal();
    await eventually(async () => count(await sv.admin.requests(), RENEW, 503) >= 2, "two renewal attempts while sealed");
    await sv.admin.unseal();
    await eventually(async () => count(await sv.admin.requests(), RENEW, 200) >= 1, "renewal after unseal");
    assert.equal(events.fatal, undefined);
    assert.equal(h.lines.filter((l) => / WARN .*could not renew the Vault token/.test(l)).length, 1);
    assert.ok(h.lines.some((l) => / INFO .*Vault answers again/.test(l)));
    // The token is alive with a fresh TTL: reads work.
    await h.provider.read(ref("vault://secret/myapp/db"), { deadline: soon(), once: true });
    const renews = (await sv.admin.requests()).filter((e) => e.path === RENEW).map((e) => e.status);
    assert.deepEqual(renews.slice(0, 2), [503, 503]);
    assert.equal(renews.at(-1), 200);
  });

  it("AppRole whose re-login is refused (single-use secret_id): retried until the token expires, then onFatal (77)", { timeout: 30_000 }, async () => {
    const sv = await vault();
    const h = await appRole(sv, "once", { token_ttl: 3, token_max_ttl: 3, secret_id_num_uses: 1 });
    const events = recorder();
    h.provider.keepAlive(events);
    await eventually(() => events.fatal !== undefined, "onFatal");
    assert.equal(events.fatal!.exitCode, 77);
    assert.match(events.fatal!.message, /AppRole/);
    const log = await sv.admin.requests();
    assert.equal(count(log, LOGIN, 200), 1);
    assert.ok(count(log, LOGIN, 400) >= 1, "re-login attempted");
    assert.equal(events.newLogins, 0);
    assert.equal(h.lines.filter((l) => / WARN .*could not log in to Vault again/.test(l)).length, 1);
  });

  it("AppRole whose re-login is refused while the command holds no leases: keeps trying past the token's end, one warning, never onFatal", { timeout: 40_000 }, async () => {
    const sv = await vault();
    const h = await appRole(sv, "once-kv", { token_ttl: 2, token_max_ttl: 2, secret_id_num_uses: 1 });
    const events = { ...recorder(), holdsLeases: () => false };
    h.provider.keepAlive(events);
    await eventually(async () => count(await sv.admin.requests(), LOGIN, 400) >= 4, "4 refused logins", 30_000);
    assert.equal(events.fatal, undefined, "not fatal: no leased credentials ended with the token");
    assert.equal(h.lines.filter((l) => / WARN .*could not log in to Vault again/.test(l)).length, 1, "one warning, not one per attempt");
    assert.equal(h.lines.filter((l) => / INFO .*Vault token has ended; the command keeps running/.test(l)).length, 1);
    await h.provider.close();
  });

  it("verifyLogin: a valid token is \"valid\"; a revoked AppRole token is replaced (\"replaced\", onNewLogin); a revoked given token is onFatal (77)", { timeout: 30_000 }, async () => {
    const sv = await vault();
    const a = await appRole(sv, "verify", { token_ttl: 3600 });
    const appEvents = recorder();
    await a.provider.read(ref("vault://secret/myapp/single"), { deadline: soon() });
    a.provider.keepAlive(appEvents);
    assert.equal(await a.provider.verifyLogin(), "valid");
    const accessor = (await sv.admin.tokens()).find((t) => t.path === "auth/approle/login" && t.state === "active")!.accessor;
    await sv.admin.revokeAccessor(accessor);
    assert.equal(await a.provider.verifyLogin(), "replaced");
    assert.equal(appEvents.newLogins, 1);
    assert.equal(appEvents.fatal, undefined);
    await a.provider.read(ref("vault://secret/myapp/single"), { deadline: soon() });

    const token = await sv.admin.createToken({ policies: ["app"], ttl: "1h" });
    const g = harness(settingsFor(sv, { kind: "token", method: "token", token, source: "VAULT_TOKEN" }), open);
    const givenEvents = recorder();
    await g.provider.read(ref("vault://secret/myapp/single"), { deadline: soon() });
    g.provider.keepAlive(givenEvents);
    await sv.admin.revokeToken(token);
    assert.equal(await g.provider.verifyLogin(), "failing");
    assert.equal(givenEvents.fatal?.exitCode, 77);
    assert.match(givenEvents.fatal!.message, /token from VAULT_TOKEN is no longer valid/);
    assert.ok(!givenEvents.fatal!.message.includes(token), "the token is never in the message");
  });

  it("a root token (never expires) needs nothing: no renewal request", { timeout: 20_000 }, async () => {
    const sv = await vault();
    const h = harness(settingsFor(sv), open);
    await h.provider.read(ref("vault://secret/myapp/db"), { deadline: soon() });
    await sv.admin.clearRequests();
    const events = recorder();
    h.provider.keepAlive(events);
    await sleep(2_000);
    assert.deepEqual(await sv.admin.requests(), []);
    assert.equal(events.fatal, undefined);
    assert.ok(h.lines.some((l) => /never expires; nothing to renew/.test(l)));
  });

  it("a token whose renewal is further away than a timer can wait (40 days) is not renewed early", { timeout: 20_000 }, async () => {
    const sv = await vault();
    await sv.admin.config({ max_token_ttl: 100 * 86_400 });
    const token = await sv.admin.createToken({ policies: ["app"], ttl: "960h" });
    const h = harness(settingsFor(sv, { kind: "token", method: "token", token, source: "VAULT_TOKEN" }), open);
    await h.provider.read(ref("vault://secret/myapp/db"), { deadline: soon() });
    await sv.admin.clearRequests();
    // Node clamps an overlong setTimeout to 1 ms, with this warning: the renewal would spin or fire at once.
    const overflows: string[] = [];
    const onWarning = (w: Error) => {
      if (w.name === "TimeoutOverflowWarning") overflows.push(w.message);
    };
    process.on("warning", onWarning);
    const events = recorder();
    h.provider.keepAlive(events);
    await sleep(1_500);
    process.off("warning", onWarning);
    assert.deepEqual(overflows, []);
    assert.equal(count(await sv.admin.requests(), RENEW), 0);
    assert.equal(events.fatal, undefined);
    await h.provider.close();
  });

  it("a single failed renewal does not stop renewal: a 500 is retried and renewal goes on", { timeout: 30_000 }, async () => {
    const sv = await vault();
    const token = await sv.admin.createToken({ policies: ["app"], ttl: 6 });
    const h = harness(settingsFor(sv, { kind: "token", method: "token", token, source: "VAULT_TOKEN" }), open);
    await sv.admin.fault({ path_prefix: RENEW, status: 500, count: 1 });
    const events = recorder();
    h.provider.keepAlive(events);
    await eventually(async () => count(await sv.admin.requests(), RENEW, 200) >= 2, "two renewals after the failure");
    const renews = (await sv.admin.requests()).filter((e) => e.path === RENEW).map((e) => e.status);
    assert.equal(renews[0], 500);
    assert.equal(events.fatal, undefined);
    await h.provider.close();
  });
});
