/**
 * The token keeper (keepAlive). Its schedule is judged on a fake clock against a fake Vault that
 * counts TTLs on that clock (fake-token-vault.ts): the real VaultSession and TokenKeeper, time moved
 * by the test, the fake's request log the witness (what was asked, when, with which answer).
 *
 * A few scenarios run end-to-end on the real clock against the Vault double over HTTP, each named
 * "end-to-end, real clock": renewal and re-login (one run, judged by several cases), a refused
 * re-login, and a renewal further away than a timer can wait. Each has its own double, and they
 * run side by side. Waits are for events, with generous limits; nothing asserts how long
 * something took.
 */
import { approleAuth } from "../../support/vault-auth.js";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { EnvjectError } from "../../../src/errors.js";
import type { KeepAliveEvents, NewLogin } from "../../../src/providers/provider.js";
import { Logger } from "../../../src/log/logger.js";
import { RENEW_FRACTION } from "../../../src/providers/renewal.js";
import { TokenKeeper } from "../../../src/providers/vault/token-keeper.js";
import { VaultSession } from "../../../src/providers/vault/session.js";
import type { VaultAuthSettings } from "../../../src/providers/vault/settings.js";
import type { VaultProvider } from "../../../src/providers/vault/provider.js";
import type { RequestLogEntry } from "../../../src/dev/vault/client.js";
import { type SeededVault, startSeededVault } from "../../support/vault-fixture.js";
import { FakeClock } from "../../watch/fake-clock.js";
import { FakeTokenVault } from "./fake-token-vault.js";
import { type Harness, eventually, harness, ref, settingsFor, sleep, soon } from "./harness.js";

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

function recorder(onNewLogin: (login: NewLogin) => void = () => {}): Recorder {
  const r: Recorder = {
    newLogins: 0,
    fatal: undefined,
    onNewLogin(login) {
      r.newLogins++;
      onNewLogin(login);
    },
    onFatal(error) {
      r.fatal = error;
    },
  };
  return r;
}

/** What onFatal was given (read through a call: an assertion on the field would narrow it for good). */
const fatalOf = (r: Recorder): EnvjectError | undefined => r.fatal;

const count = (log: RequestLogEntry[], path: string, status?: number) => log.filter((e) => e.path === path && (status === undefined || e.status === status)).length;
const LOGIN = "auth/approle/login";
const RENEW = "auth/token/renew-self";

async function appRole(sv: SeededVault, role: string, opts: Parameters<SeededVault["admin"]["createAppRole"]>[1]) {
  const { roleId, secretId } = await sv.admin.createAppRole(role, { policies: ["app"], ...opts });
  return harness(settingsFor(sv, approleAuth(roleId, secretId)), open);
}

/** A keeper on a fake clock: the real session and TokenKeeper over a FakeTokenVault, debug lines in `lines`. */
interface FakeKeeper {
  clock: FakeClock;
  vault: FakeTokenVault;
  lines: string[];
  session: VaultSession;
  /** When the keeper started (fake epoch ms). */
  t0: number;
  keeper: TokenKeeper;
}

function fakeVault(): { clock: FakeClock; vault: FakeTokenVault } {
  const clock = new FakeClock();
  return { clock, vault: new FakeTokenVault(clock) };
}

/** Starts a keeper for `auth` on `clock` (renewing at 2/3 exactly), telling `events`. */
async function startKeeper(f: { clock: FakeClock; vault: FakeTokenVault }, auth: VaultAuthSettings, events: KeepAliveEvents): Promise<FakeKeeper> {
  const lines: string[] = [];
  const logger = new Logger("debug", "text", { write: (l) => lines.push(l) });
  const session = new VaultSession(f.vault.client, auth, logger, f.clock);
  const keeper = new TokenKeeper(f.vault.client, session, logger, events, { clock: f.clock, fraction: RENEW_FRACTION });
  const t0 = f.clock.now();
  keeper.start();
  await f.clock.advance(0);
  return { ...f, lines, session, t0, keeper };
}

const given = (token: string, source = "VAULT_TOKEN"): VaultAuthSettings => ({ kind: "token", method: "token", token, source });
const LOOKUP = "auth/token/lookup-self";
const REVOKE = "auth/token/revoke-self";

describe("TokenKeeper on a fake clock: AppRole (token_ttl 3s, max 6s)", () => {
  async function start() {
    const f = fakeVault();
    const { roleId, secretId } = f.vault.createAppRole({ ttl: 3, maxTtl: 6 });
    const logins: NewLogin[] = [];
    const events = recorder((login) => logins.push(login));
    return { ...(await startKeeper(f, approleAuth(roleId, secretId), events)), events, logins };
  }

  it("renews at 2/3 of the TTL, asking for the TTL first granted", async () => {
    const k = await start();
    await k.clock.advance(1999);
    assert.equal(k.vault.count(RENEW), 0, "not before 2/3 of the TTL");
    await k.clock.advance(1);
    assert.deepEqual(k.vault.times(RENEW), [k.t0 + 2000]);
    assert.deepEqual(
      k.vault.log.filter((e) => e.path === RENEW).map((e) => e.body),
      [{ increment: 3 }],
    );
    k.keeper.close();
  });

  it("logs in again as soon as a renewal is granted less than asked (the max TTL is near), and tells the watcher once", async () => {
    const k = await start();
    await k.clock.advance(4000);
    assert.deepEqual(k.vault.times(RENEW), [k.t0 + 2000, k.t0 + 4000], "granted 3 s, then 2 s of 3 asked");
    assert.deepEqual(k.vault.times(LOGIN), [k.t0, k.t0 + 4000], "the first login, then the re-login at once");
    assert.equal(k.events.newLogins, 1);
    assert.equal(k.events.fatal, undefined);
    k.keeper.close();
  });

  it("the new token is the current one, and the replaced one is revoked once the watcher retires it", async () => {
    const k = await start();
    const first = await k.session.token();
    await k.clock.advance(4000);
    const second = await k.session.token();
    assert.notEqual(second, first);
    assert.equal(k.vault.count(REVOKE), 0, "nothing revoked before the watcher says so");
    await k.logins[0]!.retireOld();
    assert.deepEqual(
      k.vault.log.filter((e) => e.path === REVOKE).map((e) => e.token === first),
      [true],
      "the replaced token revoked, once",
    );
    k.keeper.close();
  });

  it("goes on under the new token: renewed at 2/3 of its TTL, and logged in again near its max TTL", async () => {
    const k = await start();
    await k.clock.advance(8000);
    assert.deepEqual(
      k.vault.times(RENEW),
      [2000, 4000, 6000, 8000].map((t) => k.t0 + t),
    );
    assert.deepEqual(
      k.vault.times(LOGIN),
      [0, 4000, 8000].map((t) => k.t0 + t),
    );
    assert.equal(k.events.newLogins, 2);
    k.keeper.close();
  });

  it("says the re-login at info and each renewal at debug, warns of nothing, and never logs a token", async () => {
    const k = await start();
    await k.clock.advance(4000);
    assert.ok(k.lines.some((l) => / INFO .*logged in to Vault again with AppRole/.test(l)));
    assert.ok(k.lines.some((l) => / DEBUG renewed Vault token/.test(l)));
    assert.ok(!k.lines.some((l) => / WARN /.test(l)), k.lines.filter((l) => / WARN /.test(l)).join("\n"));
    const tokens = k.vault.log.flatMap((e) => (e.token ? [e.token] : []));
    assert.ok(tokens.length > 0 && tokens.every((t) => k.lines.every((l) => !l.includes(t))), "no token in any line");
    k.keeper.close();
  });

  it("close() stops it: no timer left, and no request afterwards", async () => {
    const k = await start();
    await k.clock.advance(3000);
    k.keeper.close();
    const sent = k.vault.log.length;
    assert.equal(k.clock.timers, 0);
    await k.clock.advance(60_000);
    assert.equal(k.vault.log.length, sent);
  });
});

describe("TokenKeeper on a fake clock: given tokens", () => {
  it("a short, non-renewable token: one warning naming its source, never renew-self, then onFatal (77) when it expires", async () => {
    const f = fakeVault();
    const token = f.vault.createToken({ ttl: 3, renewable: false });
    const events = recorder();
    const k = await startKeeper(f, given(token), events);
    await k.clock.advance(2999);
    assert.equal(fatalOf(events), undefined, "not before it expires");
    const warnings = k.lines.filter((l) => / WARN .*can no longer be renewed/.test(l));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /source=VAULT_TOKEN/);
    assert.match(warnings[0]!, /expires_at=/);
    await k.clock.advance(1);
    assert.equal(events.fatal?.exitCode, 77);
    assert.equal(events.fatal.name, "AuthError");
    assert.match(events.fatal.message, /VAULT_TOKEN/);
    assert.equal(events.newLogins, 0);
    assert.equal(k.vault.count(RENEW), 0, "a non-renewable token is not sent to renew-self at all");
    for (const text of [...k.lines, events.fatal.message]) assert.ok(!text.includes(token), "the token never appears");
  });

  it("a renewable token near its max TTL: renews, warns once when the grant is short, then onFatal (77) when it expires", async () => {
    const f = fakeVault();
    const token = f.vault.createToken({ ttl: 3, maxTtl: 5 });
    const events = recorder();
    const k = await startKeeper(f, given(token, "~/.vault-token"), events);
    await k.clock.advance(4999);
    assert.deepEqual(k.vault.times(RENEW), [k.t0 + 2000, k.t0 + 4000], "granted 3 s, then 1 s of 3 asked");
    assert.equal(fatalOf(events), undefined);
    await k.clock.advance(1);
    assert.equal(events.fatal?.exitCode, 77);
    const warnAt = k.lines.findIndex((l) => / WARN .*can no longer be renewed/.test(l));
    const renewedAt = k.lines.findIndex((l) => /renewed Vault token/.test(l));
    assert.ok(renewedAt >= 0 && warnAt > renewedAt, "renewed, then warned");
    assert.equal(k.lines.filter((l) => / WARN .*can no longer be renewed/.test(l)).length, 1);
  });

  it("a Vault sealed during renewal: renewal is retried with backoff, one warning, and it resumes after unseal without onFatal", async () => {
    const f = fakeVault();
    const token = f.vault.createToken({ ttl: 12 });
    const events = recorder();
    const k = await startKeeper(f, given(token), events);
    f.vault.sealed = true;
    // Renewal at 8 s; the clock's random 0.5 makes the backoff 1 s, then 1.5 s.
    await k.clock.advance(9000);
    assert.deepEqual(k.vault.times(RENEW, 503), [k.t0 + 8000, k.t0 + 9000]);
    f.vault.sealed = false;
    await k.clock.advance(1500);
    assert.deepEqual(k.vault.times(RENEW, 200), [k.t0 + 10_500]);
    assert.equal(k.lines.filter((l) => / WARN .*could not renew the Vault token/.test(l)).length, 1);
    assert.ok(k.lines.some((l) => / INFO .*Vault answers again/.test(l)));
    // Renewed for a fresh 12 s: alive past the first TTL's end, next renewal 8 s later.
    await k.clock.advance(10_000);
    assert.equal(events.fatal, undefined);
    assert.deepEqual(k.vault.times(RENEW, 200), [k.t0 + 10_500, k.t0 + 18_500]);
    k.keeper.close();
  });

  it("a single failed renewal does not stop renewal: a 500 is retried and renewal goes on", async () => {
    const f = fakeVault();
    const token = f.vault.createToken({ ttl: 6 });
    f.vault.faults.push({ path: RENEW, status: 500, count: 1 });
    const events = recorder();
    const k = await startKeeper(f, given(token), events);
    await k.clock.advance(9000);
    assert.deepEqual(
      k.vault.log.filter((e) => e.path === RENEW).map((e) => [e.at - k.t0, e.status]),
      [
        [4000, 500],
        [5000, 200],
        [9000, 200],
      ],
    );
    assert.equal(events.fatal, undefined);
    k.keeper.close();
  });

  it("a root token (never expires) needs nothing: no request after its lookup, no timer", async () => {
    const f = fakeVault();
    const token = f.vault.createToken({ ttl: 0 });
    const events = recorder();
    const k = await startKeeper(f, given(token), events);
    assert.deepEqual(
      k.vault.log.map((e) => e.path),
      [LOOKUP],
    );
    await k.clock.advance(30 * 86_400_000);
    assert.deepEqual(
      k.vault.log.map((e) => e.path),
      [LOOKUP],
    );
    assert.equal(k.clock.timers, 0);
    assert.equal(events.fatal, undefined);
    assert.ok(k.lines.some((l) => /never expires; nothing to renew/.test(l)));
  });

  it("a token of 960 h is renewed at 2/3 of it (640 h), not earlier", async () => {
    const f = fakeVault();
    const token = f.vault.createToken({ ttl: 960 * 3600 });
    const events = recorder();
    const k = await startKeeper(f, given(token), events);
    await k.clock.advance(640 * 3_600_000 - 1);
    assert.equal(k.vault.count(RENEW), 0);
    await k.clock.advance(1);
    assert.deepEqual(k.vault.times(RENEW), [k.t0 + 640 * 3_600_000]);
    assert.equal(events.fatal, undefined);
    k.keeper.close();
  });
});

describe("TokenKeeper on a fake clock: AppRole whose re-login is refused (single-use secret_id)", () => {
  it("with leases: retried until the token expires, then onFatal (77), after one warning", async () => {
    const f = fakeVault();
    const { roleId, secretId } = f.vault.createAppRole({ ttl: 3, maxTtl: 3, uses: 1 });
    const events = recorder();
    const k = await startKeeper(f, approleAuth(roleId, secretId), events);
    // Renewed at 2 s for the 1 s left: log in again at once (refused), again at the expiry.
    await k.clock.advance(2999);
    assert.deepEqual(k.vault.times(LOGIN, 400), [k.t0 + 2000]);
    assert.equal(fatalOf(events), undefined, "not fatal while the token still runs");
    await k.clock.advance(1);
    assert.deepEqual(k.vault.times(LOGIN, 400), [k.t0 + 2000, k.t0 + 3000]);
    assert.equal(events.fatal?.exitCode, 77);
    assert.match(events.fatal.message, /AppRole/);
    assert.equal(k.vault.count(LOGIN, 200), 1);
    assert.equal(events.newLogins, 0);
    assert.equal(k.lines.filter((l) => / WARN .*could not log in to Vault again/.test(l)).length, 1);
  });

  it("without leases: keeps trying past the token's end with growing backoff, one warning, one line that it runs on, never onFatal", async () => {
    const f = fakeVault();
    const { roleId, secretId } = f.vault.createAppRole({ ttl: 2, maxTtl: 2, uses: 1 });
    const events = { ...recorder(), holdsLeases: () => false };
    const k = await startKeeper(f, approleAuth(roleId, secretId), events);
    await k.clock.advance(30_000);
    const refused = k.vault.times(LOGIN, 400).map((t) => t - k.t0);
    assert.ok(refused.length >= 4, `refused logins: ${refused.length}`);
    const gaps = refused.slice(1).map((t, i) => t - refused[i]!);
    assert.ok(
      gaps.every((g, i) => i === 0 || g >= gaps[i - 1]!),
      `the waits grow: ${gaps.join(", ")}`,
    );
    assert.equal(events.fatal, undefined, "not fatal: no leased credentials ended with the token");
    assert.equal(k.lines.filter((l) => / WARN .*could not log in to Vault again/.test(l)).length, 1, "one warning, not one per attempt");
    assert.equal(k.lines.filter((l) => / INFO .*Vault token has ended; the command keeps running/.test(l)).length, 1);
    k.keeper.close();
  });
});

describe("keepAlive end-to-end, real clock: AppRole (token_ttl 3s, max 6s) renewed, then logged in again, against the Vault double", { timeout: 60_000 }, () => {
  let sv: SeededVault;
  let h: Harness;
  let events: Recorder;
  const leaseIds: string[] = [];
  let reads = 0;
  let log: RequestLogEntry[] = [];

  before(async () => {
    sv = await vault();
    h = await appRole(sv, "short", { token_ttl: 3, token_max_ttl: 6 });
    const readLease = async () => {
      const doc = await h.provider.read(ref("vault://database/creds/readonly"), { deadline: soon() });
      leaseIds.push(doc.lease!.id);
    };
    await readLease();
    // The watcher re-reads leased secrets under the new token when told of a new login.
    events = recorder(() => void readLease());
    h.provider.keepAlive(events);
    const started = Date.now();
    while (Date.now() - started < 10_000) {
      const doc = await h.provider.read(ref("vault://secret/myapp/db"), { deadline: soon(), once: true });
      assert.equal((doc.data as Record<string, string>).username, "app_user");
      reads++;
      await sleep(400);
    }
    log = await sv.admin.requests();
  });

  it("renews, then logs in again near the max TTL, without onFatal", () => {
    assert.equal(events.fatal, undefined, String(events.fatal));
    assert.ok(count(log, RENEW, 200) >= 2, `renew-self calls: ${count(log, RENEW, 200)}`);
    assert.ok(count(log, LOGIN, 200) >= 2, `logins (first + re-login): ${count(log, LOGIN, 200)}`);
    assert.equal(events.newLogins, count(log, LOGIN, 200) - 1);
    // Order: a renewal came before the first re-login (renew first, log in again near the max TTL).
    const firstRenew = log.findIndex((e) => e.path === RENEW);
    const logins = log.map((e, i) => (e.path === LOGIN ? i : -1)).filter((i) => i >= 0);
    assert.ok(firstRenew > logins[0]! && firstRenew < logins[1]!, "login, renew-self, then re-login");
  });

  it("every secret read works, and later reads use a newer token than the first ones", () => {
    const secretReads = log.filter((e) => e.path === "secret/data/myapp/db");
    assert.equal(secretReads.length, reads);
    assert.ok(secretReads.every((e) => e.status === 200));
    assert.notEqual(secretReads[0]!.token_accessor, secretReads.at(-1)!.token_accessor);
  });

  it("the leased secret is read again under each new token", async () => {
    await eventually(() => leaseIds.length === events.newLogins + 1, "leases re-read after each new login");
    const leases = await sv.admin.leases();
    const owners = new Set(leases.filter((l) => leaseIds.includes(l.lease_id)).map((l) => l.token_accessor));
    assert.equal(owners.size, leaseIds.length);
  });

  it("says the re-login at info and the renewal at debug, and warns of nothing", () => {
    assert.ok(h.lines.some((l) => / INFO .*logged in to Vault again with AppRole/.test(l)));
    assert.ok(h.lines.some((l) => / DEBUG renewed Vault token/.test(l)));
    assert.ok(!h.lines.some((l) => / WARN /.test(l)), h.lines.filter((l) => / WARN /.test(l)).join("\n"));
  });

  it("close() stops it: no request afterwards", async () => {
    await h.provider.close();
    await sv.admin.clearRequests();
    await sleep(4_000);
    assert.deepEqual(await sv.admin.requests(), [], "no request after close()");
  });
});

describe("keepAlive against the Vault double", { concurrency: true }, () => {
  it("end-to-end, real clock: AppRole whose re-login is refused while the command holds no leases: keeps trying past the token's end, one warning, never onFatal", { timeout: 40_000 }, async () => {
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

  it('verifyLogin: a valid token is "valid"; a revoked AppRole token is replaced ("replaced", onNewLogin); a revoked given token is onFatal (77)', { timeout: 30_000 }, async () => {
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
    assert.match(givenEvents.fatal.message, /token from VAULT_TOKEN is no longer valid/);
    assert.ok(!givenEvents.fatal.message.includes(token), "the token is never in the message");
  });

  it("end-to-end, real clock: a token whose renewal is further away than a timer can wait (40 days) is not renewed early, and no timer overflows", { timeout: 20_000 }, async () => {
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
});
