/**
 * The per-secret state machines of the watch engine (src/watch/secret-state.ts): every named
 * transition from each state it leaves, and every other state refusing it (false, nothing changed).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Lease } from "../../src/providers/provider.js";
import { type LeasedState, LeasedSecret, type PolledState, PolledSecret, Readability } from "../../src/watch/secret-state.js";
import { ref } from "./fake-store.js";

const POLLED_STATES: readonly PolledState[] = ["polling", "queued", "rereading", "deferred"];
const LEASED_STATES: readonly LeasedState[] = ["holding", "overdue", "queued", "rereading", "deferred", "retrying"];

const lease = (id: string, durationSeconds = 30): Lease => ({ id, durationSeconds, renewable: true, obtainedAt: 0 });

function newPolled(): PolledSecret {
  return new PolledSecret("id-a", ref("vault://secret/a#k"), "v1@1", () => ({ start() {}, checkNow() {}, stop() {} }));
}

/** A polled secret brought to `state` by legal transitions only. */
function polledIn(state: PolledState): PolledSecret {
  const w = newPolled();
  if (state === "polling") return w;
  assert.ok(w.markChanged("v2@2"));
  if (state === "queued") return w;
  if (state === "deferred") return (assert.ok(w.deferReread()), w);
  assert.ok(w.beginReread());
  return w;
}

function newLeased(): LeasedSecret {
  return new LeasedSecret("id-l", ref("vault://database/creds/ro#username"), lease("l-1"));
}

/** A leased secret brought to `state` by legal transitions only. */
function leasedIn(state: LeasedState): LeasedSecret {
  const w = newLeased();
  switch (state) {
    case "holding":
      return w;
    case "overdue":
      assert.ok(w.markOverdue("renew"));
      return w;
    case "queued":
      assert.ok(w.queueReread("lease"));
      return w;
    case "deferred":
      assert.ok(w.queueReread("lease") && w.deferReread());
      return w;
    case "rereading":
      assert.ok(w.queueReread("lease") && w.beginReread());
      return w;
    case "retrying":
      assert.ok(w.queueReread("lease") && w.beginReread() && w.failReread());
      return w;
  }
}

/** Calls `transition` in every state of `all`: those in `legal` go to `to`, the others refuse it and stay. */
function table<S extends string, W extends { state: S }>(all: readonly S[], make: (s: S) => W, transition: (w: W) => boolean, legal: Partial<Record<S, S>>): void {
  for (const from of all) {
    const w = make(from);
    const accepted = transition(w);
    const to = legal[from];
    if (to === undefined) {
      assert.equal(accepted, false, `refused in ${from}`);
      assert.equal(w.state, from, `refused in ${from}: the state stays`);
    } else {
      assert.equal(accepted, true, `accepted in ${from}`);
      assert.equal(w.state, to, `${from} → ${to}`);
    }
  }
}

describe("polled secret states", () => {
  it("starts polling, with the stamp read as its baseline", () => {
    const w = newPolled();
    assert.equal(w.kind, "polled");
    assert.equal(w.state, "polling");
    assert.equal(w.stamp, "v1@1");
    assert.equal(w.display, "vault://secret/a");
    assert.equal(w.rereadComing, false);
  });

  it("markChanged: polling → queued, remembering the stamp seen; refused elsewhere (a re-read is coming or owed)", () => {
    table(POLLED_STATES, polledIn, (w) => w.markChanged("v3@3"), { polling: "queued" });
    const w = newPolled();
    w.markChanged("v3@3");
    assert.equal(w.seen, "v3@3");
    assert.equal(w.stamp, "v1@1", "the baseline stays until the re-read");
  });

  it("beginReread: queued → rereading only", () => {
    table(POLLED_STATES, polledIn, (w) => w.beginReread(), { queued: "rereading" });
  });

  it("deferReread: queued or rereading → deferred", () => {
    table(POLLED_STATES, polledIn, (w) => w.deferReread(), { queued: "deferred", rereading: "deferred" });
  });

  it("resumeReread: deferred → queued only", () => {
    table(POLLED_STATES, polledIn, (w) => w.resumeReread(), { deferred: "queued" });
  });

  it("finishReread: rereading → polling, the new stamp the baseline", () => {
    table(POLLED_STATES, polledIn, (w) => w.finishReread("v2@2"), { rereading: "polling" });
    const w = polledIn("rereading");
    w.finishReread("v2@2");
    assert.equal(w.stamp, "v2@2");
    assert.equal(w.seen, undefined);
  });

  it("failReread: rereading → polling, the old baseline kept and the seen stamp forgotten (the next poll queues it again)", () => {
    table(POLLED_STATES, polledIn, (w) => w.failReread(), { rereading: "polling" });
    const w = polledIn("rereading");
    w.failReread();
    assert.equal(w.stamp, "v1@1");
    assert.equal(w.seen, undefined);
    assert.ok(w.markChanged("v2@2"), "queued again by the next poll");
  });

  it("abandonReread: rereading → polling only", () => {
    table(POLLED_STATES, polledIn, (w) => w.abandonReread(), { rereading: "polling" });
  });

  it("the state is moved only by the transitions: assigning it is a type error", () => {
    const w = newPolled();
    // @ts-expect-error -- `state` has no setter (npm run typecheck fails if that changes)
    assert.throws(() => (w.state = "queued"), TypeError);
    assert.equal(w.state, "polling");
  });

  it("a re-read is coming exactly while queued or rereading", () => {
    for (const s of POLLED_STATES) assert.equal(polledIn(s).rereadComing, s === "queued" || s === "rereading", s);
  });
});

describe("leased secret states", () => {
  it("starts holding its lease, asking each renewal for the duration first granted", () => {
    const w = newLeased();
    assert.equal(w.kind, "leased");
    assert.equal(w.state, "holding");
    assert.equal(w.requestedSeconds, 30);
    assert.equal(w.owed, undefined);
  });

  it("queueReread: any state → queued, with the reason owed", () => {
    table(LEASED_STATES, leasedIn, (w) => w.queueReread("login"), { holding: "queued", overdue: "queued", queued: "queued", rereading: "queued", deferred: "queued", retrying: "queued" });
    assert.equal(newLeased().owed, undefined, "a fresh one owes nothing");
    const w = newLeased();
    w.queueReread("login");
    assert.equal(w.owed, "login");
  });

  it("beginReread: queued → rereading only", () => {
    table(LEASED_STATES, leasedIn, (w) => w.beginReread(), { queued: "rereading" });
  });

  it("deferReread: queued or rereading → deferred, the reason still owed", () => {
    table(LEASED_STATES, leasedIn, (w) => w.deferReread(), { queued: "deferred", rereading: "deferred" });
    const w = leasedIn("rereading");
    w.deferReread();
    assert.equal(w.owed, "lease");
  });

  it("resumeReread: deferred → queued only", () => {
    table(LEASED_STATES, leasedIn, (w) => w.resumeReread(), { deferred: "queued" });
  });

  it("finishReread: rereading → holding with the new lease and nothing owed; queued again meanwhile, it stays queued", () => {
    table(LEASED_STATES, leasedIn, (w) => w.finishReread(lease("l-2", 60)), { rereading: "holding", queued: "queued" });
    const w = leasedIn("rereading");
    w.finishReread(lease("l-2", 60));
    assert.equal(w.lease.id, "l-2");
    assert.equal(w.requestedSeconds, 60, "renewals now ask for the new lease's duration");
    assert.equal(w.owed, undefined);
  });

  it("finishReread without a lease keeps the one held", () => {
    const w = leasedIn("rereading");
    w.finishReread(undefined);
    assert.equal(w.state, "holding");
    assert.equal(w.lease.id, "l-1");
  });

  it("failReread: rereading → retrying, the reason still owed", () => {
    table(LEASED_STATES, leasedIn, (w) => w.failReread(), { rereading: "retrying" });
    assert.equal(leasedIn("retrying").owed, "lease");
  });

  it("abandonReread: rereading → holding only", () => {
    table(LEASED_STATES, leasedIn, (w) => w.abandonReread(), { rereading: "holding" });
  });

  it("markOverdue: holding, retrying, overdue → overdue, remembering the step; refused while a re-read is coming or owed", () => {
    table(LEASED_STATES, leasedIn, (w) => w.markOverdue("reread"), { holding: "overdue", retrying: "overdue", overdue: "overdue" });
    const w = newLeased();
    w.markOverdue("renew");
    assert.equal(w.overdueStep, "renew");
    w.markOverdue("reread");
    assert.equal(w.overdueStep, "reread", "the latest step due");
  });

  it("catchUp: overdue → holding only, the step forgotten", () => {
    table(LEASED_STATES, leasedIn, (w) => w.catchUp(), { overdue: "holding" });
    const w = leasedIn("overdue");
    w.catchUp();
    assert.equal(w.overdueStep, undefined);
  });

  it("the overdue step is only told in the overdue state", () => {
    const w = leasedIn("overdue");
    w.queueReread("lease");
    assert.equal(w.overdueStep, undefined);
  });

  it("a re-read is coming exactly while queued or rereading", () => {
    for (const s of LEASED_STATES) assert.equal(leasedIn(s).rereadComing, s === "queued" || s === "rereading", s);
  });
});

describe("readability", () => {
  it("starts readable", () => {
    const r = new Readability();
    assert.equal(r.state, "readable");
    assert.equal(r.problem, undefined);
    assert.equal(r.failures, 0);
  });

  it("markUnreadable: a new problem is failing, counted, with its reason and whether it was a denial", () => {
    const r = new Readability();
    r.markUnreadable("poll", "AuthError", "denied", true);
    assert.equal(r.state, "failing");
    assert.equal(r.problem, "poll:AuthError");
    assert.equal(r.denied, true);
    assert.equal(r.lastReason, "denied");
    r.markUnreadable("poll", "AuthError", "denied again", true);
    assert.equal(r.failures, 2);
  });

  it("markWarned: failing → warned only", () => {
    const r = new Readability();
    assert.equal(r.markWarned(), false, "refused while readable");
    r.markUnreadable("poll", "NotFoundError", "gone", false);
    assert.equal(r.markWarned(), true);
    assert.equal(r.state, "warned");
    assert.equal(r.markWarned(), false, "refused once warned");
  });

  it("the same problem again stays warned; another problem is failing (to be warned about) again", () => {
    const r = new Readability();
    r.markUnreadable("poll", "NotFoundError", "gone", false);
    r.markWarned();
    r.markUnreadable("poll", "NotFoundError", "gone", false);
    assert.equal(r.state, "warned");
    r.markUnreadable("poll", "AuthError", "denied", true);
    assert.equal(r.state, "failing");
  });

  it("markReadable: a success of the problem's own kind of request clears it, telling whether it had been warned about", () => {
    const r = new Readability();
    r.markUnreadable("read", "AuthError", "denied", true);
    r.markWarned();
    assert.equal(r.markReadable("poll"), false, "a poll says nothing about reading the data");
    assert.equal(r.state, "warned");
    assert.equal(r.denied, false, "but the last request was not denied");
    assert.equal(r.markReadable("read"), true, "warned: 'can be read again' is due");
    assert.equal(r.state, "readable");
    assert.equal(r.failures, 0);
    assert.equal(r.markReadable("read"), false, "nothing to clear");
  });

  it("markReadable of a problem not warned about clears it silently", () => {
    const r = new Readability();
    r.markUnreadable("poll", "AuthError", "denied", true);
    assert.equal(r.markReadable("poll"), false);
    assert.equal(r.state, "readable");
  });

  it("forgive: a new login drops a problem not yet warned about and resets the backoff; a warned one stays", () => {
    const failing = new Readability();
    failing.markUnreadable("poll", "AuthError", "denied", true);
    failing.forgive();
    assert.deepEqual([failing.state, failing.problem, failing.failures, failing.denied], ["readable", undefined, 0, false]);
    const warned = new Readability();
    warned.markUnreadable("poll", "AuthError", "denied", true);
    warned.markWarned();
    warned.forgive();
    assert.deepEqual([warned.state, warned.problem, warned.failures, warned.denied], ["warned", "poll:AuthError", 0, false]);
  });
});
