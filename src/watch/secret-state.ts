/**
 * The state of each secret the watch engine holds (docs/contract/rotation.md). A secret is one of two kinds,
 * fixed by its first read: POLLED (it has a stamp: KV, AWS, a folder's listing; a poll compares
 * it) or LEASED (a dynamic secret's lease: renewed, never polled); a re-read never changes it (no
 * store answers a polled secret with a lease, or a leased one with a stamp: a leased document has
 * none). Each kind has one `state`, moved only by the named transitions below; a transition
 * called in a state it does not leave is refused (returns false, nothing changes). Vault's
 * `api/lifetime_watcher.go` `RenewBehavior*` set is the model: a small state set, each value
 * documented.
 *
 * Polled secret (`PolledSecret.state`)
 *
 * | state       | meaning                                                                          |
 * | ----------- | -------------------------------------------------------------------------------- |
 * | `polling`   | polled on its schedule; `stamp` is the baseline, the stamp of the values in use   |
 * | `queued`    | a poll saw a new stamp: the secret waits in the batch to be read again            |
 * | `rereading` | the re-read is in flight                                                          |
 * | `deferred`  | the re-read could not be made, the store being down: made when it answers again   |
 *
 * | transition       | from → to                                  | when                                   |
 * | ---------------- | ------------------------------------------ | -------------------------------------- |
 * | `markChanged`    | polling → queued                           | a poll saw a stamp neither in use nor already queued |
 * | `beginReread`    | queued → rereading                         | its batch is handled                   |
 * | `deferReread`    | queued, rereading → deferred               | the store is down (at the batch, or answering the re-read) |
 * | `resumeReread`   | deferred → queued                          | the store answers again                |
 * | `finishReread`   | rereading → polling                        | read and committed: the new stamp is the baseline |
 * | `failReread`     | rereading → polling                        | not read (denied, not found): the next poll that sees the new stamp queues it again |
 * | `abandonReread`  | rereading → polling                        | envject closed the watch meanwhile (or the re-read ended otherwise) |
 *
 * Leased secret (`LeasedSecret.state`)
 *
 * | state       | meaning                                                                          |
 * | ----------- | -------------------------------------------------------------------------------- |
 * | `holding`   | holds its lease; a timer renews it at 2/3, or reads the secret again near its max TTL |
 * | `overdue`   | a lease step (`overdueStep`: renew or re-read) came due while the store was down: taken when it answers again |
 * | `queued`    | must be read again (`owed`: lease, login, version): waits in the batch            |
 * | `rereading` | the re-read is in flight                                                          |
 * | `deferred`  | the re-read could not be made, the store being down: made when it answers again   |
 * | `retrying`  | the re-read failed (denied, say): queued again after a backoff                    |
 *
 * | transition       | from → to                                          | when                               |
 * | ---------------- | -------------------------------------------------- | ---------------------------------- |
 * | `queueReread`    | any → queued (from rereading: one more re-read follows) | a lease step, a new login, a retry |
 * | `beginReread`    | queued → rereading                                 | its batch is handled               |
 * | `deferReread`    | queued, rereading → deferred                       | the store is down                  |
 * | `resumeReread`   | deferred → queued                                  | the store answers again            |
 * | `finishReread`   | rereading → holding (queued stays queued)          | read and committed: its new lease is held |
 * | `failReread`     | rereading → retrying                               | not read (denied, not found)       |
 * | `abandonReread`  | rereading → holding                                | envject closed the watch meanwhile |
 * | `markOverdue`    | holding, retrying, overdue → overdue               | a lease step came due, or a renewal found the store down |
 * | `catchUp`        | overdue → holding                                  | the store answers: the step is taken now |
 *
 * What a secret's requests have told about reading it (`Readability.state`) is orthogonal to both:
 * a secret may be unreadable in any of the states above. It is warned about once per change.
 *
 * | state       | meaning                                                                          |
 * | ----------- | -------------------------------------------------------------------------------- |
 * | `readable`  | its last request of each kind worked                                             |
 * | `failing`   | a request failed (`problem` says which kind, how); not warned about (yet)        |
 * | `warned`    | the failure was warned about; the next success of that kind logs "can be read again" |
 *
 * | transition       | from → to                                          | when                               |
 * | ---------------- | -------------------------------------------------- | ---------------------------------- |
 * | `markUnreadable` | any → failing (warned stays warned for the same problem) | a request failed            |
 * | `markWarned`     | failing → warned                                   | the warning was logged             |
 * | `markReadable`   | failing, warned → readable (a success of the problem's own kind of request) | a request worked |
 * | `forgive`        | failing → readable (warned stays); counts reset     | a new login of its store          |
 */
import { type SecretRef, displayRef } from "../config/reference.js";
import type { Lease } from "../providers/provider.js";
import type { ProviderName } from "../resolve/provider-set.js";
import type { TimerHandle } from "./clock.js";
import type { LeaseStep } from "./leases.js";

/** Why a secret was read again. */
export type ChangeReason = "version" | "lease" | "login";

export type PolledState = "polling" | "queued" | "rereading" | "deferred";
export type LeasedState = "holding" | "overdue" | "queued" | "rereading" | "deferred" | "retrying";
export type ReadabilityState = "readable" | "failing" | "warned";

/** Which kind of request failed or worked: a poll (stamp) or a read of the data. */
export type RequestKind = "poll" | "read";

/** The part of a poller a polled secret drives (./poller.ts). */
export interface PollSchedule {
  start(): void;
  checkNow(): void;
  stop(): void;
}

/** What one secret's requests told about reading it; see the table at the top of this module. */
export class Readability {
  private current: ReadabilityState = "readable";
  /** The failing kind of request and error (`read:AuthError`); undefined while readable. */
  private failure: string | undefined;
  /** The last request about this secret was denied (403). */
  denied = false;
  /** Why the last request failed (for a warning given later). */
  lastReason: string | undefined;
  /** Failures in a row, for the backoff. */
  failures = 0;
  /** Not found, and the `expand:` folders were checked before warning (it may have left one). */
  folderChecked = false;

  get state(): ReadabilityState {
    return this.current;
  }

  /** `<request>:<error name>` of the current failure; undefined while readable. */
  get problem(): string | undefined {
    return this.failure;
  }

  /** A `request` failed with error `name`: a new problem is `failing` until warned about. */
  markUnreadable(request: RequestKind, name: string, reason: string, denied: boolean): void {
    const problem = `${request}:${name}`;
    this.denied = denied;
    this.lastReason = reason;
    if (this.failure !== problem) {
      this.failure = problem;
      this.current = "failing";
    }
    this.failures += 1;
  }

  /** The failure was warned about. Refused unless `failing`. */
  markWarned(): boolean {
    if (this.current !== "failing") return false;
    this.current = "warned";
    return true;
  }

  /**
   * A `request` worked. Only the same kind of request clears a problem: a version that can be
   * polled says nothing about data that cannot be read (metadata allowed, data denied). Returns
   * whether the problem cleared had been warned about (then "can be read again" is due).
   */
  markReadable(request: RequestKind): boolean {
    this.denied = false;
    if (this.failure !== undefined && !this.failure.startsWith(`${request}:`)) return false;
    this.failures = 0;
    this.folderChecked = false;
    if (this.current === "readable") return false;
    const wasWarned = this.current === "warned";
    this.failure = undefined;
    this.current = "readable";
    return wasWarned;
  }

  /**
   * A new login of the store: a denial is forgotten (tried again at once, backoff reset); a
   * problem not yet warned about is dropped, one warned about stays until a request works.
   */
  forgive(): void {
    this.failures = 0;
    this.denied = false;
    if (this.current === "failing") {
      this.current = "readable";
      this.failure = undefined;
    }
  }
}

abstract class WatchedSecret<S extends string> {
  readonly store: ProviderName;
  /** The secret without its field, as users write it: `vault://secret/myapp/db`. */
  readonly display: string;
  readonly readability = new Readability();
  protected current: S;

  constructor(
    readonly id: string,
    readonly ref: SecretRef,
    initial: S,
  ) {
    this.store = ref.provider;
    this.display = displayRef({ ...ref, field: undefined });
    this.current = initial;
  }

  get state(): S {
    return this.current;
  }

  /** Whether it waits in a batch or is being read again now: polling or renewing it would be wasted. */
  get rereadComing(): boolean {
    return this.current === "queued" || this.current === "rereading";
  }

  /** Moves to `to` when in one of `from`; refused (false) otherwise. */
  protected move(from: readonly S[], to: S): boolean {
    if (!from.includes(this.current)) return false;
    this.current = to;
    return true;
  }

  /** queued → rereading: its batch is being handled. */
  beginReread(): boolean {
    return this.move(["queued" as S], "rereading" as S);
  }

  /** queued, rereading → deferred: the store is down; read again when it answers. */
  deferReread(): boolean {
    return this.move(["queued", "rereading"] as S[], "deferred" as S);
  }

  /** deferred → queued: the store answers again. */
  resumeReread(): boolean {
    return this.move(["deferred" as S], "queued" as S);
  }
}

/** A secret with a stamp, polled for new versions. */
export class PolledSecret extends WatchedSecret<PolledState> {
  readonly kind = "polled";
  readonly poller: PollSchedule;
  /** The baseline: the stamp of the document in use. */
  stamp: string | undefined;
  /** A stamp that already queued this secret (so the next poll does not queue it again). */
  seen: string | undefined;

  constructor(id: string, ref: SecretRef, stamp: string | undefined, poller: (secret: PolledSecret) => PollSchedule) {
    super(id, ref, "polling");
    this.stamp = stamp;
    this.poller = poller(this);
  }

  /** polling → queued: a poll saw `stamp`. Refused elsewhere (a re-read is coming or owed: it reads the newest). */
  markChanged(stamp: string): boolean {
    if (!this.move(["polling"], "queued")) return false;
    this.seen = stamp;
    return true;
  }

  override deferReread(): boolean {
    if (!super.deferReread()) return false;
    this.seen = undefined;
    return true;
  }

  /** rereading → polling: read and committed; `stamp` (the new document's) is the baseline. */
  finishReread(stamp: string | undefined): boolean {
    if (!this.move(["rereading"], "polling")) return false;
    this.stamp = stamp;
    this.seen = undefined;
    return true;
  }

  /** rereading → polling: not read; the next poll that sees the new stamp queues it again. */
  failReread(): boolean {
    if (!this.move(["rereading"], "polling")) return false;
    this.seen = undefined;
    return true;
  }

  /** rereading → polling: the re-read ended without a result to adopt (the watch was closed). */
  abandonReread(): boolean {
    return this.move(["rereading"], "polling");
  }
}

/** A secret with a lease (a dynamic secret): renewed, read again near its max TTL, never polled. */
export class LeasedSecret extends WatchedSecret<LeasedState> {
  readonly kind = "leased";
  lease: Lease;
  /** What each renewal asks for: the duration first granted. */
  requestedSeconds: number;
  /** The timer of the next lease step. */
  leaseTimer: TimerHandle | undefined;
  /** Why it must be read again, from when that is known until a re-read succeeds. */
  owed: ChangeReason | undefined;
  /** The login a lease read under an older one was read again for (once per login, so never a loop). */
  staleFor: string | undefined;
  private step: LeaseStep["action"] | undefined;

  constructor(id: string, ref: SecretRef, lease: Lease) {
    super(id, ref, "holding");
    this.lease = lease;
    this.requestedSeconds = lease.durationSeconds;
  }

  /** In `overdue`: the lease step that came due while the store was down. */
  get overdueStep(): LeaseStep["action"] | undefined {
    return this.current === "overdue" ? this.step : undefined;
  }

  /** any → queued: it must be read again for `reason` (from rereading: once more after the read in flight). */
  queueReread(reason: ChangeReason): boolean {
    this.owed = reason;
    this.current = "queued";
    return true;
  }

  /**
   * rereading → holding: read and committed; its new lease (when it came with one) is held from
   * now. Queued again meanwhile (a retry came due while it was read), it adopts the lease and stays
   * queued: one more re-read follows.
   */
  finishReread(lease: Lease | undefined): boolean {
    if (this.current !== "queued" && !this.move(["rereading"], "holding")) return false;
    this.owed = undefined;
    if (lease) {
      this.lease = lease;
      this.requestedSeconds = lease.durationSeconds;
    }
    return true;
  }

  /** rereading → retrying: not read; queued again (queueReread) after a backoff. `owed` is kept. */
  failReread(): boolean {
    return this.move(["rereading"], "retrying");
  }

  /** rereading → holding: the re-read ended without a result to adopt (the watch was closed). */
  abandonReread(): boolean {
    return this.move(["rereading"], "holding");
  }

  /**
   * holding, retrying, overdue → overdue: lease step `step` came due (or a renewal failed) while the
   * store was down. Refused when a re-read is coming or owed (it brings a new lease anyway).
   */
  markOverdue(step: LeaseStep["action"]): boolean {
    if (!this.move(["holding", "retrying", "overdue"], "overdue")) return false;
    this.step = step;
    return true;
  }

  /** overdue → holding: the store answers; the overdue step is being taken now. */
  catchUp(): boolean {
    if (!this.move(["overdue"], "holding")) return false;
    this.step = undefined;
    return true;
  }
}

/** A secret the watch engine holds: polled or leased (dispatch on `kind`, then on `state`). */
export type Watched = PolledSecret | LeasedSecret;
