/**
 * The watch engine against an in-memory store and a fake clock: one stamp per secret per
 * interval, coalesced re-reads, outages, per-secret failures, lease renewal and re-reads.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { secretIdentity } from "../../src/config/reference.js";
import { AuthError, NotFoundError } from "../../src/errors.js";
import { type SecretChange, WatchController } from "../../src/watch/controller.js";
import { captureLogger } from "../support/logger.js";
import { FakeClock } from "./fake-clock.js";
import { FakeStore, readerFor, ref } from "./fake-store.js";
import { renewalFraction } from "../../src/providers/renewal.js";

// This process renews at 2/3 exactly (its one draw is 0.5): the schedule is tested here, its jitter in test/providers/renewal.test.ts.
renewalFraction({ random: () => 0.5 });

async function setup(refs: string[], prepare: (store: FakeStore) => void, options: { poll?: boolean; intervalMs?: number; retire?: boolean; randoms?: number[] } = {}) {
  const clock = new FakeClock();
  if (options.randoms) clock.randoms = options.randoms;
  const store = new FakeStore(clock);
  prepare(store);
  const { reader, providers } = readerFor(store);
  for (const r of refs) await reader.read(ref(r));
  const { logger, count, lines } = captureLogger();
  const applied: SecretChange[][] = [];
  const controller = new WatchController({
    reader,
    providers,
    logger,
    intervalMs: options.intervalMs ?? 1000,
    poll: options.poll ?? true,
    clock,
    apply: async (changes) => void applied.push(changes),
    retireReplacedLogins: options.retire ?? false,
  });
  controller.start();
  return { clock, store, reader, controller, applied, count, lines };
}

describe("watch controller", () => {
  it("polls one stamp per distinct secret per interval, however many variables use it, always once", async () => {
    const s = await setup(["vault://secret/a#k1", "vault://secret/a#k2", "vault://secret/a#k3", "vault://secret/b#x"], (store) => {
      store.kv("secret/a", { k1: "1", k2: "2", k3: "3" });
      store.kv("secret/b", { x: "x" });
    });
    s.clock.randoms = Array.from({ length: 100 }, (_, i) => (i * 0.37) % 1);
    await s.clock.advance(20_000);
    for (const path of ["secret/a", "secret/b"]) {
      const n = s.store.count("stamp", path);
      assert.ok(n >= 18 && n <= 22, `about 20 polls of ${path} in 20 intervals, got ${n}`);
    }
    assert.equal(s.store.count("read"), 2, "no data read without a change");
    assert.ok(
      s.store.calls.filter((c) => c.op === "stamp").every((c) => c.once),
      "every poll is a single attempt",
    );
    assert.deepEqual(s.applied, []);
    s.controller.close();
  });

  // The poll-rate window of test/cli/watch-rotation.test.ts (2 secrets used by 3 variables, a 5 s
  // window after the start, `--interval 1s`) in simulated time, at both ends of the ±10 % jitter
  // and across it: the same bound, the tighter one a fake clock allows (no scheduling slack), and
  // over a minute, where a jitter wider than ±10 % would show.
  for (const [label, draw] of [
    ["every interval 10 % short", () => 0],
    ["no jitter", () => 0.5],
    ["every interval 10 % long", () => 0.999],
    ["jitter spread over its range", (i: number) => (i * 0.37) % 1],
  ] as const) {
    it(`the poll rate over a 5 s window stays within the interval ±10 %, one stamp per secret per poll (${label})`, async () => {
      const s = await setup(
        ["vault://secret/rot/app#password", "vault://secret/rot/app#username", "vault://secret/rot/other#key"],
        (store) => {
          store.kv("secret/rot/app", { username: "u", password: "p" });
          store.kv("secret/rot/other", { key: "k" });
        },
        { randoms: Array.from({ length: 400 }, (_, i) => draw(i)) },
      );
      const stamps = (from: number, path: string) => s.store.calls.slice(from).filter((c) => c.op === "stamp" && c.path === path).length;
      await s.clock.advance(2300); // the first polls have happened (each at its phase within the first interval)
      const before = s.store.calls.length;
      await s.clock.advance(5000);
      const seconds = 5;
      for (const path of ["secret/rot/app", "secret/rot/other"]) {
        const n = stamps(before, path);
        assert.ok(n >= Math.floor(seconds / 1.1) - 1 && n <= Math.ceil(seconds / 0.9) + 1, `${n} polls of ${path} in ${seconds} s (the end-to-end bound)`);
        assert.ok(n >= Math.floor(seconds / 1.1) && n <= Math.ceil(seconds / 0.9), `${n} polls of ${path} in ${seconds} s: 4..6 at ±10 %`);
      }
      assert.equal(s.store.calls.slice(before).filter((c) => c.op === "read").length, 0, "no data read while nothing changes");
      await s.clock.advance(55_000);
      for (const path of ["secret/rot/app", "secret/rot/other"]) {
        const n = stamps(before, path);
        assert.ok(n >= Math.floor(60 / 1.1) && n <= Math.ceil(60 / 0.9), `${n} polls of ${path} in 60 s: 54..67 at ±10 %`);
      }
      s.controller.close();
    });
  }

  it("a burst of changes is re-read once and applied as one change, with the versions", async () => {
    const s = await setup(["vault://secret/a#k"], (store) => store.kv("secret/a", { k: "old" }));
    await s.clock.advance(1500);
    s.store.kv("secret/a", { k: "new1" });
    await s.clock.advance(1100); // a poll sees version 2 and opens the settle window
    s.store.kv("secret/a", { k: "new2" });
    s.store.kv("secret/a", { k: "new3" });
    await s.clock.advance(5000);
    assert.equal(s.applied.length, 1, "one change");
    assert.equal(s.store.count("read", "secret/a"), 2, "one fresh re-read");
    assert.deepEqual(
      s.applied[0]!.map((c) => ({ display: c.display, before: c.before, after: c.after, reason: c.reason })),
      [{ display: "vault://secret/a", before: "1", after: "4", reason: "version" }],
    );
    const doc = await s.reader.read(ref("vault://secret/a#k"));
    assert.deepEqual(doc.data, { k: "new3" }, "the reader answers the new document");
    await s.clock.advance(5000);
    assert.equal(s.applied.length, 1, "the new version is the baseline: no further change");
    s.controller.close();
  });

  it("an unreachable store: one warning, polling paused, one recovery line, and a change made meanwhile is picked up at once", async () => {
    const s = await setup(["vault://secret/a#k", "vault://secret/b#k"], (store) => {
      store.kv("secret/a", { k: "a" });
      store.kv("secret/b", { k: "b" });
    });
    await s.clock.advance(1200);
    s.store.down = true;
    await s.clock.advance(1200);
    assert.equal(s.count("warn", /Vault is unreachable; the command keeps running with its current values/), 1);
    const before = s.store.calls.length;
    await s.clock.advance(30_000);
    const during = s.store.calls.slice(before);
    assert.ok(during.length <= 6, `backoff probes only, not a poll per secret per interval (${during.length} calls in 30 s)`);
    assert.equal(s.count("warn", /unreachable/), 1, "still one warning");
    s.store.kv("secret/b", { k: "b2" });
    s.store.down = false;
    await s.clock.advance(35_000);
    assert.equal(s.count("info", /Vault is reachable again after \d+s/), 1);
    assert.equal(s.applied.length, 1);
    assert.equal(s.applied[0]![0]!.display, "vault://secret/b");
    s.controller.close();
  });

  it("a secret that becomes unreadable warns once, keeps being polled with backoff, and a changed comeback is a change", async () => {
    const s = await setup(["vault://secret/a#k"], (store) => store.kv("secret/a", { k: "a" }));
    s.store.failures.set("secret/a", new AuthError("permission denied on secret/a"));
    await s.clock.advance(60_000);
    assert.equal(s.count("warn", /vault:\/\/secret\/a cannot be read now/), 1, "one warning for the state change");
    const polls = s.store.count("stamp");
    assert.ok(polls >= 3 && polls < 30, `still polled, with backoff (${polls} polls in 60 s)`);
    s.store.failures.delete("secret/a");
    s.store.kv("secret/a", { k: "back" });
    await s.clock.advance(70_000);
    assert.equal(s.count("info", /vault:\/\/secret\/a can be read again/), 1);
    assert.equal(s.applied.length, 1);
    s.controller.close();
  });

  it("a secret deleted with its metadata and written again comes back at version 1 — the same number, yet a change", async () => {
    const s = await setup(["vault://secret/a#k"], (store) => store.kv("secret/a", { k: "old" }));
    s.store.failures.set("secret/a", new NotFoundError("no secret at secret/a (KV v2 mount secret)"));
    await s.clock.advance(5000);
    assert.equal(s.count("warn", /vault:\/\/secret\/a cannot be read now/), 1);
    s.store.failures.delete("secret/a");
    s.store.recreate("secret/a", { k: "new" });
    await s.clock.advance(70_000);
    assert.equal(s.applied.length, 1, "applied once");
    assert.deepEqual(
      s.applied[0]!.map((c) => ({ before: c.before, after: c.after })),
      [{ before: "1", after: "1" }],
    );
    assert.deepEqual((await s.reader.read(ref("vault://secret/a#k"))).data, { k: "new" });
    assert.equal(s.store.count("read", "secret/a"), 2, "one re-read, then the new stamp is the baseline");
    s.controller.close();
  });

  it("polls answered without the version's time compare by version number: no re-read while nothing changes, a new version still is one", async () => {
    const s = await setup(["vault://secret/a#k"], (store) => store.kv("secret/a", { k: "one" }));
    s.store.untimedStamps = true;
    await s.clock.advance(20_000);
    assert.equal(s.store.count("read"), 1, "no re-read for `v1` against `v1@…`");
    s.store.kv("secret/a", { k: "two" });
    await s.clock.advance(5000);
    assert.equal(s.applied.length, 1);
    await s.clock.advance(20_000);
    assert.equal(s.applied.length, 1, "and not again");
    assert.equal(s.store.count("read"), 2);
    s.controller.close();
  });

  it("a new version whose data cannot be read: one warning, the child keeps its value, no flapping 'readable again' lines", async () => {
    const s = await setup(["vault://secret/a#k"], (store) => store.kv("secret/a", { k: "a" }));
    s.store.readFailures.set("secret/a", new AuthError("permission denied on secret/data/a"));
    s.store.kv("secret/a", { k: "b" });
    await s.clock.advance(30_000);
    assert.equal(s.count("warn", /cannot be read now/), 1);
    assert.equal(s.count("info", /can be read again/), 0);
    assert.ok(s.store.count("read") >= 3, "the re-read is tried again");
    assert.equal(s.applied.length, 0);
    s.store.readFailures.delete("secret/a");
    await s.clock.advance(5000);
    assert.equal(s.count("info", /can be read again/), 1);
    assert.equal(s.applied.length, 1, "applied once readable");
    s.controller.close();
  });

  it("renews a lease at 2/3 asking for the first duration, reads it again at once when the grant is shorter, and keeps both leases for revocation", async () => {
    const s = await setup(["vault://database/creds/ro#username"], (store) => store.leased("database/creds/ro", 30, 60));
    await s.clock.advance(20_500);
    assert.equal(s.store.count("renew"), 1, "renewed at 20 s");
    assert.equal(s.applied.length, 0);
    await s.clock.advance(20_000);
    assert.equal(s.store.count("renew"), 2, "renewed at 40 s, granted 20 s instead of 30");
    assert.equal(s.store.count("read"), 2, "read again at once, 20 s before the lease ends, with no settle window");
    await s.clock.advance(16_000);
    assert.equal(s.store.count("renew"), 2, "the old lease is not renewed a third time, the new one not yet");
    assert.equal(s.applied.length, 1);
    assert.equal(s.applied[0]![0]!.reason, "lease");
    const ids = s.reader.leases("vault").map((l) => l.id);
    assert.deepEqual(ids, ["database/creds/ro/lease-2", "database/creds/ro/lease-1"], "the current lease and the one still valid");
    assert.equal(s.store.count("stamp"), 0, "a leased secret is never polled");
    s.controller.close();
  });

  it("a renewal refused re-reads the secret at once", async () => {
    const s = await setup(["vault://database/creds/ro#username"], (store) => store.leased("database/creds/ro", 30, 600));
    s.store.renewFailure = new NotFoundError("lease not found");
    await s.clock.advance(23_000);
    assert.equal(s.store.count("read"), 2);
    assert.equal(s.applied.length, 1);
    s.controller.close();
  });

  it("a failed re-read's retry is dropped when the secret was read meanwhile (by a new login): one apply, no extra re-read", async () => {
    const s = await setup(["vault://database/creds/ro#username"], (store) => store.leased("database/creds/ro", 30, 600));
    s.store.renewFailure = new NotFoundError("lease not found");
    s.store.readFailures.set("database/creds/ro", new NotFoundError("no role ro"));
    await s.clock.advance(20_100);
    assert.equal(s.store.count("read"), 2, "the refused renewal read it again at once, and that read failed");
    assert.equal(s.applied.length, 0);
    s.store.renewFailure = undefined;
    s.store.readFailures.clear();
    // A new login before the retry's backoff (at least 1 s) is over: it reads the secret at once.
    s.controller.rereadLeased("vault");
    await s.clock.advance(10);
    assert.equal(s.store.count("read"), 3);
    assert.equal(s.applied.length, 1);
    await s.clock.advance(10_000);
    assert.equal(s.store.count("read"), 3, "the retry found the secret read already and did nothing");
    assert.equal(s.applied.length, 1, "one apply: the child is not restarted a second time");
    s.controller.close();
  });

  it("a change whose re-read finds the store down is deferred and read once the store answers, applied once", async () => {
    const s = await setup(["vault://secret/a#k"], (store) => store.kv("secret/a", { k: "old" }));
    s.store.kv("secret/a", { k: "new" });
    await s.clock.advance(600); // the first poll (at 500 ms) sees version 2 and opens the settle window
    assert.equal(s.store.count("read"), 1, "not read yet: the settle window runs");
    s.store.down = true;
    await s.clock.advance(1000);
    assert.equal(s.store.count("read"), 2, "the re-read was tried and found the store down");
    assert.equal(s.count("warn", /Vault is unreachable/), 1);
    await s.clock.advance(20_000);
    assert.equal(s.store.count("read"), 2, "nothing is read while the store is down");
    s.store.down = false;
    await s.clock.advance(65_000);
    assert.equal(s.store.count("read"), 3, "read once on recovery");
    assert.deepEqual(
      s.applied.map((b) => b.map((c) => [c.before, c.after])),
      [[["1", "2"]]],
    );
    s.controller.close();
  });

  it("a renewal that finds the store down is taken when it answers (by its probe), without a re-read", async () => {
    const s = await setup(["vault://database/creds/ro#username"], (store) => store.leased("database/creds/ro", 30, 600));
    await s.clock.advance(19_000);
    s.store.down = true;
    await s.clock.advance(1500); // the renewal at 20 s fails: the store is down
    assert.equal(s.store.count("renew"), 1);
    assert.equal(s.count("warn", /Vault is unreachable/), 1);
    s.store.down = false;
    await s.clock.advance(2000); // the probe (a renewal of that lease) answers
    assert.equal(s.count("info", /Vault is reachable again/), 1);
    const renewals = s.store.count("renew");
    assert.ok(renewals >= 2, `renewed by the probe (${renewals} renewals)`);
    assert.equal(s.store.count("read"), 1, "no re-read: the lease was renewed");
    await s.clock.advance(20_000);
    assert.equal(s.store.count("renew"), renewals + 1, "then renewed on its schedule, 2/3 into the new grant");
    assert.equal(s.applied.length, 0);
    s.controller.close();
  });

  it("a lease step due while the store is known down waits, sending nothing, and is taken at once when it answers", async () => {
    const s = await setup(["vault://database/creds/ro#username", "vault://secret/a#k"], (store) => {
      store.leased("database/creds/ro", 30, 600);
      store.kv("secret/a", { k: "a" });
    });
    await s.clock.advance(15_000);
    s.store.down = true;
    await s.clock.advance(2000); // a poll finds the store down
    assert.equal(s.count("warn", /Vault is unreachable/), 1);
    await s.clock.advance(6000); // the renewal falls due at 20 s
    assert.equal(s.store.count("renew"), 0, "no renewal sent to a store known down (its probe is a poll)");
    s.store.down = false;
    const before = s.store.calls.length;
    await s.clock.advance(20_000);
    assert.equal(s.count("info", /Vault is reachable again/), 1);
    const renewAt = s.store.calls.slice(before).findIndex((c) => c.op === "renew");
    assert.ok(renewAt >= 0, "renewed once the store answers");
    assert.equal(s.store.count("read"), 2, "no re-read: the lease was renewed");
    assert.equal(s.applied.length, 0);
    s.controller.close();
  });

  it("a new login re-reads every leased secret; --no-watch still renews leases but polls nothing", async () => {
    const s = await setup(
      ["vault://database/creds/ro#username", "vault://secret/a#k"],
      (store) => {
        store.leased("database/creds/ro", 30, 600);
        store.kv("secret/a", { k: "a" });
      },
      { poll: false },
    );
    await s.clock.advance(21_000);
    assert.equal(s.store.count("renew"), 1);
    s.controller.rereadLeased("vault");
    await s.clock.advance(2000);
    assert.equal(s.applied.length, 1);
    assert.deepEqual(
      s.applied[0]!.map((c) => [c.id, c.reason]),
      [[secretIdentity(ref("vault://database/creds/ro")), "login"]],
    );
    assert.equal(s.store.count("stamp"), 0, "no version polling under --no-watch");
    s.controller.close();
    const left = s.store.calls.length;
    await s.clock.advance(600_000);
    assert.equal(s.store.calls.length, left, "nothing after close");
  });

  it("after a new login, a lease read meanwhile under the old one is read again, applied once, and the old login is retired after the apply", async () => {
    const retired: string[] = [];
    const s = await setup(["vault://database/creds/ro#username"], (store) => store.leased("database/creds/ro", 30, 600), { retire: true });
    const login = (holder: string) => ({ holder, retireOld: async () => void retired.push(holder) });
    s.store.holder = "2";
    s.controller.rereadLeased("vault", login("2"));
    await s.clock.advance(0);
    assert.equal(s.store.count("read"), 2, "one re-read (the first read was at start)");
    assert.equal(s.applied.length, 1);
    assert.deepEqual(retired, ["2"], "the replaced login is retired once its lease was read again and applied");

    // The re-read lands with a lease of the login just replaced (it raced the login): it is not
    // applied but read again, under the new login, and only that is applied.
    s.store.afterLeasedRead = () => {
      s.store.holder = "3";
      s.store.afterLeasedRead = undefined;
    };
    s.controller.rereadLeased("vault", login("3"));
    await s.clock.advance(0);
    assert.equal(s.store.count("read"), 4, "read twice: under the old login, then under the new one");
    assert.equal(s.applied.length, 2, "applied once");
    assert.deepEqual(retired, ["2", "3"]);

    // A store that keeps answering with an older holder is read again once, not forever.
    s.controller.rereadLeased("vault", login("4"));
    await s.clock.advance(0);
    assert.equal(s.store.count("read"), 6);
    assert.equal(s.applied.length, 3);
    s.controller.close();
  });

  it("keeps the replaced login when applying does not replace the command (signal, none)", async () => {
    const retired: string[] = [];
    const s = await setup(["vault://database/creds/ro#username"], (store) => store.leased("database/creds/ro", 30, 600));
    s.controller.rereadLeased("vault", { holder: "2", retireOld: async () => void retired.push("2") });
    await s.clock.advance(0);
    assert.equal(s.applied.length, 1);
    assert.deepEqual(retired, []);
    s.controller.close();
  });

  describe("denials and the login (the token is looked up before warning per secret)", () => {
    const two = (store: FakeStore) => {
      store.kv("secret/a", { k: "a" });
      store.kv("secret/b", { k: "b" });
    };
    const withVerify = (store: FakeStore, answer: () => "valid" | "replaced" | "failing") => {
      const calls = { n: 0 };
      Object.assign(store, { verifyLogin: async () => (calls.n++, answer()) });
      return calls;
    };

    it("one path denied by a policy while the others read: warned at once, the token never looked up", async () => {
      const s = await setup(["vault://secret/a#k", "vault://secret/b#k"], two);
      const calls = withVerify(s.store, () => "valid");
      s.store.failures.set("secret/b", new AuthError("Vault denied reading secret/data/b (403: permission denied)"));
      await s.clock.advance(10_000);
      assert.equal(s.count("warn", /vault:\/\/secret\/b cannot be read now/), 1);
      assert.equal(s.count("warn", /./), 1);
      assert.equal(calls.n, 0);
      s.controller.close();
    });

    it("every path denied, the token valid (a policy change): looked up once, then each path warned about once", async () => {
      const s = await setup(["vault://secret/a#k", "vault://secret/b#k"], two);
      const calls = withVerify(s.store, () => "valid");
      for (const p of ["secret/a", "secret/b"]) s.store.failures.set(p, new AuthError(`Vault denied reading ${p} (403: permission denied)`));
      await s.clock.advance(30_000);
      assert.equal(calls.n, 1, "looked up once, not once per poll");
      assert.equal(s.count("warn", /vault:\/\/secret\/a cannot be read now/), 1);
      assert.equal(s.count("warn", /vault:\/\/secret\/b cannot be read now/), 1);
      s.controller.close();
    });

    it('a denial saying "invalid token" while a new login is failing: no per-secret warning; a new login re-checks every secret at once', async () => {
      const s = await setup(["vault://secret/a#k", "vault://secret/b#k"], two);
      const calls = withVerify(s.store, () => "failing");
      for (const p of ["secret/a", "secret/b"]) s.store.failures.set(p, new AuthError(`Vault denied reading ${p} (403: permission denied; invalid token)`, { credentialsInvalid: true }));
      await s.clock.advance(30_000);
      assert.equal(s.count("warn", /./), 0, s.lines.join("\n"));
      assert.equal(calls.n, 1, "the lost login is not looked up again and again");
      s.store.failures.clear();
      s.store.kv("secret/a", { k: "a2" });
      const before = s.store.count("stamp");
      s.controller.rereadLeased("vault", { holder: "2", retireOld: async () => {} });
      await s.clock.advance(10);
      assert.equal(s.store.count("stamp"), before + 2, "both secrets polled at once after the new login");
      await s.clock.advance(5000);
      assert.equal(s.applied.length, 1, "the change made meanwhile is applied");
      assert.equal(s.count("info", /can be read again/), 0, "nothing was warned, so no recovery line either");
      s.controller.close();
    });
  });
});
