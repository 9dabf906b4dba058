/**
 * The watch engine of `envject run` (docs/contract/rotation.md): one poller per distinct secret that has a
 * stamp, a renewal schedule per lease, one outage tracker per store, and one batcher through which
 * every change — a new version, a lease that cannot be renewed, a new login — becomes a fresh
 * re-read of just the secrets concerned, handed to `apply` one batch at a time. Each secret's
 * kind (polled or leased) and state live in ./secret-state.ts, which tables them.
 */
import type { SecretRef } from "../config/reference.js";
import type { Logger } from "../log/logger.js";
import { type Lease, type NewLogin, type ReadOptions, type SecretDocument, type SecretProvider, sameStamp } from "../providers/provider.js";
import type { ProviderName, ProviderSet } from "../resolve/provider-set.js";
import type { ReadRecord, SecretReader } from "../resolve/reader.js";
import { type Clock, TimerGroup, systemClock } from "./clock.js";
import { ChangeBatcher } from "./coalesce.js";
import { nextLeaseStep } from "./leases.js";
import { LoginTracker } from "./logins.js";
import { StoreOutage, isOutage } from "./outage.js";
import { Poller } from "./poller.js";
import { ReadFailures } from "./read-failures.js";
import { settleWindow } from "./schedule.js";
import { SlotTimers, slotStep } from "./slots.js";
import { type ChangeReason, LeasedSecret, PolledSecret, type Watched } from "./secret-state.js";

export type { ChangeReason } from "./secret-state.js";

/** One secret read again and committed to the reader. */
export interface SecretChange {
  id: string;
  ref: SecretRef;
  /** The secret without its field, as users write it: `vault://secret/myapp/db`. */
  display: string;
  reason: ChangeReason;
  /** The version before and after (KV v2 number, AWS VersionId), when the store has versions. */
  before?: string;
  after?: string;
}

export interface WatchControllerOptions {
  reader: SecretReader;
  providers: ProviderSet;
  logger: Logger;
  intervalMs: number;
  /** Poll versions; false under `--no-watch` (leases are renewed and logins kept all the same). */
  poll: boolean;
  /** Applies one batch of re-read secrets (already committed to the reader); batches never overlap. */
  apply: (changes: SecretChange[]) => Promise<void>;
  /**
   * Revoke a replaced login once its leased secrets have been read again and applied: true when
   * applying replaces the command (`restart`, `exit`), so nothing running still uses them.
   */
  retireReplacedLogins?: boolean;
  clock?: Clock;
}

/** Labels of the stores in messages. */
const STORE_LABELS: Record<ProviderName, string> = { vault: "Vault", aws: "AWS Secrets Manager" };

/** A single store request made by the watcher may take this long, at least. */
const REQUEST_TIMEOUT_MS = 15_000;

/** Whether a document can be watched: it has a stamp to poll, or a lease to renew. */
export function isWatchable(doc: SecretDocument | undefined): boolean {
  return doc?.stamp !== undefined || doc?.lease !== undefined;
}

/**
 * Watches the secrets a run has read. Each is a PolledSecret or a LeasedSecret (./secret-state.ts,
 * which tables their states and transitions); what happens to one is decided by its kind and
 * state, changed only through its named transitions.
 */
export class WatchController {
  private readonly timers: TimerGroup;
  /** The grid every poll falls on, so the polls due close together share one wake-up. */
  private readonly slots: SlotTimers;
  private readonly watched = new Map<string, Watched>();
  private readonly outages = new Map<ProviderName, StoreOutage>();
  private readonly batcher: ChangeBatcher;
  private readonly logins: LoginTracker;
  private readonly logger: Logger;
  private readonly failures: ReadFailures;

  constructor(private readonly options: WatchControllerOptions) {
    this.timers = new TimerGroup(options.clock ?? systemClock);
    this.slots = new SlotTimers(this.timers, slotStep(options.intervalMs));
    this.logins = new LoginTracker(options.retireReplacedLogins ?? false);
    this.logger = options.logger;
    this.batcher = new ChangeBatcher({
      settleMs: settleWindow(options.intervalMs),
      timers: this.timers,
      flush: (ids) => this.reread(ids),
      onError: (error) => this.logger.error("applying a secret change failed", { reason: error instanceof Error ? error.message : String(error) }),
    });
    this.failures = new ReadFailures({
      providers: options.providers,
      logger: this.logger,
      timers: this.timers,
      intervalMs: options.intervalMs,
      secrets: () => this.watched.values(),
      outage: (store) => this.outage(store),
      checkFolders: (store) => this.checkFolders(store),
    });
  }

  /** Secrets polled for versions. */
  get polled(): number {
    return [...this.watched.values()].filter((w) => w.kind === "polled").length;
  }

  /** Secrets whose lease is renewed. */
  get leased(): number {
    return [...this.watched.values()].filter((w) => w.kind === "leased").length;
  }

  /** Secrets of `store` whose lease is renewed: leased credentials the command holds. */
  leasedOf(store: ProviderName): number {
    return [...this.watched.values()].filter((w) => w.store === store && w.kind === "leased").length;
  }

  /** Starts polling every stamped secret (unless `poll` is off) and the renewal of every lease. */
  start(): void {
    for (const [id, record] of this.options.reader.all()) this.watch(id, record);
    this.logger.debug("watching secrets", { polled: this.polled, leased: this.leased, interval_ms: this.options.intervalMs });
  }

  /**
   * After a change was applied: watches the secrets read for it that are not watched yet (a
   * secret added to an `expand:` folder), and stops polling those no variable uses any more
   * (`used`: secret identities; a secret removed from a folder), and the reader forgets them, so
   * one added back is read afresh. Leased secrets stay.
   */
  sync(used: ReadonlySet<string>): void {
    if (this.timers.isClosed) return;
    for (const [id, record] of this.options.reader.all()) if (!this.watched.has(id) && used.has(id)) this.watch(id, record);
    for (const [id, w] of this.watched) {
      if (used.has(id) || w.kind === "leased" || w.rereadComing) continue;
      w.poller.stop();
      this.watched.delete(id);
      this.options.reader.forget(id);
    }
  }

  /** Watches a secret just read: leased when it came with a lease, else polled (unless `poll` is off). */
  private watch(id: string, record: ReadRecord): void {
    const doc = record.doc;
    if (!doc || !isWatchable(doc)) return;
    if (doc.lease) {
      const w = new LeasedSecret(id, record.ref, doc.lease);
      this.watched.set(id, w);
      this.scheduleLease(w);
    } else if (this.options.poll) {
      const w = new PolledSecret(id, record.ref, doc.stamp, (secret) => new Poller({ intervalMs: this.options.intervalMs, timers: this.timers, slots: this.slots, check: () => this.check(secret) }));
      this.watched.set(id, w);
      w.poller.start();
    }
  }

  /**
   * A new login replaced the token that holds the leases of `store`: read every leased secret of
   * it again, at once. `retireOld` (revoking the replaced login) runs once they have been read and
   * applied, when `retireReplacedLogins` is on.
   */
  rereadLeased(store: ProviderName, login?: NewLogin): void {
    if (login) this.logins.adopt(store, login);
    if (login) this.failures.loggedInAgain(store);
    for (const w of this.watched.values()) {
      if (w.store !== store || w.kind !== "leased") continue;
      if (login && w.lease.holder === login.holder) continue; // already read under the new login
      // A re-read in flight may have started under the old login: its result is checked when it lands.
      if (w.state === "rereading") w.owed = "login";
      else this.queue(w, "login");
    }
    this.retireSettled();
  }

  /** Revokes the replaced logins of every store none of whose leased secrets still waits to be read under the new login. */
  private retireSettled(): void {
    if (this.timers.isClosed) return;
    this.logins.retireSettled((store) => [...this.watched.values()].some((w) => w.store === store && w.kind === "leased" && w.owed === "login"));
  }

  /** Stops every poll and timer; a batch in flight finishes its requests but applies nothing new after a close. */
  close(): void {
    for (const w of this.watched.values()) if (w.kind === "polled") w.poller.stop();
    this.timers.close();
  }

  /** Leased `w` must be read again for `reason` (any state → queued), in the next batch. */
  private queue(w: LeasedSecret, reason: ChangeReason): void {
    if (this.timers.isClosed) {
      w.owed = reason;
      return;
    }
    w.queueReread(reason);
    this.enqueue(w, reason);
  }

  /** Hands `w` (already `queued`) to the batcher. */
  private enqueue(w: Watched, reason: ChangeReason): void {
    // Credentials about to end (a lease at its max TTL, a token being replaced) skip the settle window.
    this.batcher.mark(w.id, reason !== "version");
  }

  private requestOptions(): ReadOptions {
    return { once: true, deadline: this.timers.clock.now() + Math.max(REQUEST_TIMEOUT_MS, this.options.intervalMs) };
  }

  private outage(store: ProviderName): StoreOutage {
    let outage = this.outages.get(store);
    if (!outage) {
      outage = new StoreOutage({
        label: STORE_LABELS[store],
        timers: this.timers,
        logger: this.logger,
        probe: () => this.probe(store),
        onRecovered: () => this.recheck(store),
      });
      this.outages.set(store, outage);
    }
    return outage;
  }

  /** One poll: compare the secret's stamp with the baseline. Resolves with a backoff delay when it cannot be read. */
  private async check(w: PolledSecret): Promise<number | undefined> {
    if (this.outage(w.store).down || this.timers.isClosed) return undefined;
    // A re-read is coming anyway: polling now would only repeat what it will learn.
    if (w.rereadComing) return undefined;
    const epoch = this.failures.loginEpoch(w.store);
    try {
      const provider = await this.options.providers.get(w.store);
      const stamp = await provider.stamp(w.ref, this.requestOptions());
      this.failures.readable(w, "poll");
      // Not only "a higher version": a secret deleted and written again may come back at the same
      // number, with another creation time in its stamp (a secret that comes back changed is a change).
      if (!sameStamp(stamp, w.stamp) && !sameStamp(stamp, w.seen) && w.markChanged(stamp)) {
        this.logger.debug("secret version changed", { reference: w.display });
        this.enqueue(w, "version");
      }
      return undefined;
    } catch (error) {
      return this.failures.failed(w, error, "poll", epoch);
    }
  }

  /** Polls every watched `expand:` folder of `store` now; whether there is one. */
  private checkFolders(store: ProviderName): boolean {
    const folders = [...this.watched.values()].filter((f): f is PolledSecret => f.store === store && f.kind === "polled" && f.ref.folder === true);
    for (const f of folders) if (!f.rereadComing) f.poller.checkNow();
    return folders.length > 0;
  }

  /** Re-reads one batch of secrets (fresh, once each), commits what was read, and applies it. */
  private async reread(ids: ReadonlySet<string>): Promise<void> {
    const changes: SecretChange[] = [];
    await Promise.all(
      [...ids].map(async (id) => {
        const w = this.watched.get(id);
        if (!w) return;
        const change = w.kind === "polled" ? await this.rereadPolledOne(w) : await this.rereadLeasedOne(w);
        if (change) changes.push(change);
      }),
    );
    if (changes.length > 0 && !this.timers.isClosed) await this.options.apply(changes);
    this.retireSettled();
  }

  /** Reads `w`'s data (a batch handles it now): the document, committed, or the failure. Undefined when the store is down: deferred. */
  private async readAgain(w: Watched): Promise<{ doc?: SecretDocument; before?: SecretDocument; error?: unknown; epoch: number } | undefined> {
    if (this.outage(w.store).down) {
      w.deferReread();
      return undefined;
    }
    w.beginReread();
    const epoch = this.failures.loginEpoch(w.store);
    try {
      const before = this.options.reader.all().get(w.id)?.doc;
      const doc = await this.options.reader.reread(w.id, this.requestOptions());
      // Committed even when envject is ending, so a lease it carries is revoked at exit.
      this.options.reader.commit(w.id, doc);
      return { doc, before, epoch };
    } catch (error) {
      return { error, epoch };
    }
  }

  /** A polled secret's re-read: queued → rereading → polling (new baseline, or not read) or deferred. */
  private async rereadPolledOne(w: PolledSecret): Promise<SecretChange | undefined> {
    const read = await this.readAgain(w);
    if (!read) return undefined;
    try {
      if (read.doc) {
        if (this.timers.isClosed) return undefined;
        this.failures.readable(w, "read");
        w.finishReread(read.doc.stamp);
        return { id: w.id, ref: w.ref, display: w.display, reason: "version", before: read.before?.version, after: read.doc.version };
      }
      if (isOutage(read.error)) {
        w.deferReread();
        this.outage(w.store).failed(read.error);
        return undefined;
      }
      // Not read: the next poll that sees the new stamp queues it again.
      this.failures.failed(w, read.error, "read", read.epoch);
      w.failReread();
      return undefined;
    } finally {
      w.abandonReread();
    }
  }

  /** A leased secret's re-read: queued → rereading → holding (its new lease), queued again (read under a replaced login), retrying or deferred. */
  private async rereadLeasedOne(w: LeasedSecret): Promise<SecretChange | undefined> {
    const reason = w.owed ?? "version";
    const read = await this.readAgain(w);
    if (!read) return undefined;
    try {
      if (read.doc) {
        const doc = read.doc;
        if (this.timers.isClosed) return undefined;
        const newest = this.logins.newest(w.store);
        if (doc.lease && !this.logins.holds(w.store, doc.lease) && w.staleFor !== newest) {
          // Read under a login that has just been replaced: its lease ends with the old token.
          // Read it again under the new one (once per login), and apply only that: one restart.
          w.staleFor = newest;
          this.queue(w, "login");
          return undefined;
        }
        const applied = w.owed ?? reason;
        this.failures.readable(w, "read");
        w.finishReread(doc.lease);
        if (doc.lease) this.scheduleLease(w);
        return { id: w.id, ref: w.ref, display: w.display, reason: applied, before: read.before?.version, after: doc.version };
      }
      if (isOutage(read.error)) {
        w.deferReread();
        this.outage(w.store).failed(read.error);
        return undefined;
      }
      const delay = this.failures.failed(w, read.error, "read", read.epoch);
      // No poller notices a leased secret is back: try again after the backoff (at once when it
      // was denied under a login that has been replaced meanwhile).
      w.failReread();
      if (delay === undefined) this.queue(w, w.owed ?? reason);
      // Only while it is still owed: a re-read meanwhile (a new login's) brought a lease, or one is coming.
      else this.timers.after(delay, () => (w.state === "retrying" || w.state === "overdue" ? this.queue(w, reason) : undefined));
      return undefined;
    } finally {
      w.abandonReread();
    }
  }

  private scheduleLease(w: LeasedSecret): void {
    w.leaseTimer?.cancel();
    w.leaseTimer = undefined;
    const lease = w.lease;
    if (lease.durationSeconds <= 0) return;
    const step = nextLeaseStep(lease, w.requestedSeconds);
    w.leaseTimer = this.timers.after(step.at - this.timers.clock.now(), () => {
      w.leaseTimer = undefined;
      void this.leaseStep(w, step.action);
    });
  }

  /** Renews the lease of `w`, or reads the secret again when renewing is pointless or refused. */
  private async leaseStep(w: LeasedSecret, action: "renew" | "reread"): Promise<void> {
    // A re-read is already coming (after a new login, say): it brings a new lease, and its schedule.
    if (w.rereadComing) return;
    if (this.outage(w.store).down) {
      w.markOverdue(action);
      return;
    }
    w.catchUp();
    const lease = w.lease;
    const provider = await this.options.providers.get(w.store);
    if (action === "reread" || !provider.renewLease) {
      this.logger.info(`the lease of ${w.display} is near its max TTL; reading the secret again`, { reference: w.display, lease_id: lease.id });
      return this.queue(w, "lease");
    }
    try {
      const granted = await provider.renewLease(lease, w.requestedSeconds, this.requestOptions());
      if (w.lease.id !== lease.id || this.timers.isClosed) return; // replaced meanwhile
      this.renewed(w, granted);
    } catch (error) {
      if (isOutage(error)) {
        w.markOverdue("renew");
        this.outage(w.store).failed(error);
        return;
      }
      this.logger.info(`the lease of ${w.display} cannot be renewed; reading the secret again`, {
        reference: w.display,
        lease_id: lease.id,
        reason: error instanceof Error ? error.message : String(error),
      });
      this.queue(w, "lease");
    }
  }

  private renewed(w: LeasedSecret, granted: Lease): void {
    w.lease = granted;
    this.options.reader.renewed(w.id, granted);
    this.logger.debug("renewed lease", { reference: w.display, lease_id: granted.id, ttl: granted.durationSeconds });
    this.scheduleLease(w);
  }

  /**
   * One cheap request to a store that was down: a stamp if it has a polled secret with one, else
   * a renewal of a lease. Never a stamp of a leased secret: that would read new credentials.
   */
  private async probe(store: ProviderName): Promise<void> {
    const provider: SecretProvider = await this.options.providers.get(store);
    const mine = [...this.watched.values()].filter((w) => w.store === store);
    const stamped = mine.find((w): w is PolledSecret => w.kind === "polled" && w.stamp !== undefined);
    if (stamped) {
      await provider.stamp(stamped.ref, this.requestOptions());
      return;
    }
    const leased = mine.find((w): w is LeasedSecret => w.kind === "leased");
    if (leased && provider.renewLease) {
      const lease = leased.lease;
      const granted = await provider.renewLease(lease, leased.requestedSeconds, this.requestOptions());
      if (leased.lease.id === lease.id && !this.timers.isClosed) {
        leased.catchUp();
        this.renewed(leased, granted);
      }
      return;
    }
    // Nothing cheap to ask: the re-check on "recovery" tries for real and reports the store down
    // again if it still is.
  }

  /** The store answers again: everything of it is checked at once, so a change made meanwhile is picked up. */
  private recheck(store: ProviderName): void {
    for (const w of this.watched.values()) {
      if (w.store !== store) continue;
      if (w.kind === "polled") {
        if (w.state === "deferred") {
          w.resumeReread();
          this.enqueue(w, "version");
        } else {
          // polling: polled now; queued, rereading: that check is skipped, and the schedule restarts.
          w.poller.checkNow();
        }
        continue;
      }
      switch (w.state) {
        case "deferred":
          if (this.timers.isClosed) break;
          w.resumeReread();
          this.enqueue(w, w.owed ?? "version");
          break;
        case "overdue":
          void this.leaseStep(w, w.overdueStep!);
          break;
        default:
          // holding, retrying: its timers act; queued, rereading: a re-read is coming.
          break;
      }
    }
  }
}
