/**
 * The watch engine of `envject run` (PRODUCT.md §6): one poller per distinct secret that has a
 * stamp, a renewal schedule per lease, one outage tracker per store, and one batcher through which
 * every change — a new version, a lease that cannot be renewed, a new login — becomes a fresh
 * re-read of just the secrets concerned, handed to `apply` one batch at a time.
 */
import { AuthError, EnvjectError, NotFoundError } from "../errors.js";
import { type SecretRef, displayRef } from "../config/reference.js";
import type { Logger } from "../log/logger.js";
import { type Lease, type NewLogin, type ReadOptions, type SecretDocument, type SecretProvider, sameStamp } from "../providers/provider.js";
import type { ProviderName, ProviderSet } from "../resolve/provider-set.js";
import type { ReadRecord, SecretReader } from "../resolve/reader.js";
import { type Clock, TimerGroup, type TimerHandle, systemClock } from "./clock.js";
import { ChangeBatcher } from "./coalesce.js";
import { nextLeaseStep } from "./leases.js";
import { LoginTracker } from "./logins.js";
import { StoreOutage, isOutage } from "./outage.js";
import { Poller } from "./poller.js";
import { runtimeBackoff } from "../backoff.js";
import { settleWindow } from "./schedule.js";

/** Why a secret was read again. */
export type ChangeReason = "version" | "lease" | "login";

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

interface Watched {
  id: string;
  ref: SecretRef;
  store: ProviderName;
  display: string;
  /** The baseline: the stamp of the document in use. */
  stamp?: string;
  /** A stamp that already marked this secret dirty (so the next poll does not mark it again). */
  seen?: string;
  lease?: Lease;
  /** What each renewal asks for: the duration first granted. */
  requestedSeconds?: number;
  leaseTimer?: TimerHandle;
  /** A lease step that came due while the store was down. */
  leaseOverdue?: "renew" | "reread";
  poller?: Poller;
  /** The kind of failure reading this secret now (warned once per change of state). */
  problem?: string;
  failures: number;
  /** A re-read that could not be made while the store was down: done again on recovery. */
  pendingReread: boolean;
  reason?: ChangeReason;
  /** The login a lease read under an older one was read again for (once per login, so never a loop). */
  staleFor?: string;
  /** Whether the current problem was warned about (a denial waits for the login check first). */
  warned?: boolean;
  /** The last request about this secret was denied (403). */
  denied?: boolean;
  /** Why the last request about it failed (for a warning given later). */
  lastReason?: string;
  /** Not found, and the `expand:` folders were checked before warning (it may have left one). */
  folderChecked?: boolean;
}

/**
 * Per store, what envject knows of its login while requests are denied: `checking` while the
 * token is being looked up, `valid` when it was found good (the denials are policies; not looked
 * up again until a request of the store works), `lost` while a new login cannot be had (the
 * provider retries and reports it; denials are then not warned about per secret).
 */
type LoginState = "checking" | "valid" | "lost";

/** Whether a document can be watched: it has a stamp to poll, or a lease to renew. */
export function isWatchable(doc: SecretDocument | undefined): boolean {
  return doc?.stamp !== undefined || doc?.lease !== undefined;
}

export class WatchController {
  private readonly timers: TimerGroup;
  private readonly watched = new Map<string, Watched>();
  private readonly outages = new Map<ProviderName, StoreOutage>();
  private readonly batcher: ChangeBatcher;
  private readonly rereading = new Set<string>();
  private readonly logins: LoginTracker;
  private readonly logger: Logger;
  private readonly loginStates = new Map<ProviderName, LoginState>();
  /** Per store, how many new logins it had: a denial of a request sent before the latest one is stale. */
  private readonly loginEpochs = new Map<ProviderName, number>();

  constructor(private readonly options: WatchControllerOptions) {
    this.timers = new TimerGroup(options.clock ?? systemClock);
    this.logins = new LoginTracker(options.retireReplacedLogins ?? false);
    this.logger = options.logger;
    this.batcher = new ChangeBatcher({
      settleMs: settleWindow(options.intervalMs),
      timers: this.timers,
      flush: (ids) => this.reread(ids),
      onError: (error) => this.logger.error("applying a secret change failed", { reason: error instanceof Error ? error.message : String(error) }),
    });
  }

  /** Secrets polled for versions. */
  get polled(): number {
    return [...this.watched.values()].filter((w) => w.poller).length;
  }

  /** Secrets whose lease is renewed. */
  get leased(): number {
    return [...this.watched.values()].filter((w) => w.lease).length;
  }

  /** Secrets of `store` whose lease is renewed: leased credentials the command holds. */
  leasedOf(store: ProviderName): number {
    return [...this.watched.values()].filter((w) => w.store === store && w.lease).length;
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
      if (used.has(id) || w.lease || this.rereadComing(w)) continue;
      w.poller?.stop();
      this.watched.delete(id);
      this.options.reader.forget(id);
    }
  }

  private watch(id: string, record: ReadRecord): void {
    const doc = record.doc;
    if (!doc || !isWatchable(doc)) return;
    if (!doc.lease && !this.options.poll) return;
    const w: Watched = {
      id,
      ref: record.ref,
      store: record.ref.provider,
      display: displayRef({ ...record.ref, field: undefined }),
      stamp: doc.stamp,
      failures: 0,
      pendingReread: false,
    };
    this.watched.set(id, w);
    if (doc.lease) {
      w.lease = doc.lease;
      w.requestedSeconds = doc.lease.durationSeconds;
      this.scheduleLease(w);
    } else {
      w.poller = new Poller({ intervalMs: this.options.intervalMs, timers: this.timers, check: () => this.check(w) });
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
    if (login) this.loggedInAgain(store);
    for (const w of this.watched.values()) {
      if (w.store !== store || !w.lease) continue;
      if (login && w.lease.holder === login.holder) continue; // already read under the new login
      // A re-read in flight may have started under the old login: its result is checked when it lands.
      if (this.rereading.has(w.id)) w.reason = "login";
      else this.mark(w, "login");
    }
    this.retireSettled();
  }

  /** Revokes the replaced logins of every store none of whose leased secrets still waits to be read under the new login. */
  private retireSettled(): void {
    if (this.timers.isClosed) return;
    this.logins.retireSettled((store) => [...this.watched.values()].some((w) => w.store === store && w.reason === "login"));
  }

  /** Stops every poll and timer; a batch in flight finishes its requests but applies nothing new after a close. */
  close(): void {
    for (const w of this.watched.values()) w.poller?.stop();
    this.timers.close();
  }

  /** Whether `w` waits in a batch or is being read again now: polling or renewing it would be wasted. */
  private rereadComing(w: Watched): boolean {
    return this.batcher.has(w.id) || this.rereading.has(w.id);
  }

  private mark(w: Watched, reason: ChangeReason): void {
    w.reason = reason;
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
  private async check(w: Watched): Promise<number | undefined> {
    if (this.outage(w.store).down || this.timers.isClosed) return undefined;
    // A re-read is coming anyway: polling now would only repeat what it will learn.
    if (this.rereadComing(w)) return undefined;
    const epoch = this.loginEpoch(w.store);
    try {
      const provider = await this.options.providers.get(w.store);
      const stamp = await provider.stamp(w.ref, this.requestOptions());
      this.readable(w, "poll");
      // Not only "a higher version": a secret deleted and written again may come back at the same
      // number, with another creation time in its stamp (a secret that comes back changed is a change).
      if (!sameStamp(stamp, w.stamp) && !sameStamp(stamp, w.seen)) {
        w.seen = stamp;
        this.logger.debug("secret version changed", { reference: w.display });
        this.mark(w, "version");
      }
      return undefined;
    } catch (error) {
      return this.failed(w, error, "poll", epoch);
    }
  }

  /**
   * A failed request about `w`: an outage marks the store down (its own loop takes over); any
   * other failure (denied, deleted) is warned once per change of state, and answered with a
   * backoff delay for the next attempt. The child keeps its values either way. A denial that may
   * be the login's, not a policy's — Vault said "invalid token", or every secret of the store is
   * denied at once — is warned about only once the login check says the token is good.
   */
  private failed(w: Watched, error: unknown, operation: "poll" | "read", epoch: number): number | undefined {
    if (isOutage(error)) {
      this.outage(w.store).failed(error);
      return undefined;
    }
    if (error instanceof AuthError && epoch !== this.loginEpoch(w.store)) {
      // Sent under the login that has just been replaced: it says nothing about the new one.
      this.logger.debug("secret denied under the replaced login; checking it again under the new one", { reference: w.display });
      return undefined;
    }
    const kind = `${operation}:${error instanceof EnvjectError ? error.name : "Error"}`;
    const reason = error instanceof Error ? error.message : String(error);
    w.denied = error instanceof AuthError;
    w.lastReason = reason;
    if (w.problem !== kind) {
      w.problem = kind;
      w.warned = false;
    }
    const state = this.loginStates.get(w.store);
    if (error instanceof NotFoundError && operation === "poll" && !w.folderChecked && this.checkFolders(w.store)) {
      // A secret removed from an expand: folder is no longer wanted: its folder's poll says so
      // (and stops this poll); only one still missing at its next poll is warned about.
      w.folderChecked = true;
      this.logger.debug("secret not found; checking the expand: folders first", { reference: w.display, reason });
    } else if (w.denied && state === "lost") {
      this.logger.debug("secret cannot be read while the login is lost", { reference: w.display, reason });
    } else if (w.denied && ((error as AuthError).credentialsInvalid || (state !== "valid" && this.allDenied(w.store)))) {
      this.logger.debug("secret denied; checking the store's login", { reference: w.display, reason });
      void this.checkLogin(w.store);
    } else if (!w.warned && state !== "checking") {
      this.warnUnreadable(w, reason);
    } else {
      this.logger.debug("secret still cannot be read", { reference: w.display, reason });
    }
    w.failures += 1;
    return Math.max(this.options.intervalMs, runtimeBackoff(w.failures, this.timers.clock.random()));
  }

  /** Polls every watched `expand:` folder of `store` now; whether there is one. */
  private checkFolders(store: ProviderName): boolean {
    const folders = [...this.watched.values()].filter((f) => f.store === store && f.ref.folder && f.poller);
    for (const f of folders) if (!this.rereadComing(f)) f.poller!.checkNow();
    return folders.length > 0;
  }

  private warnUnreadable(w: Watched, reason: string): void {
    w.warned = true;
    this.logger.warn(`${w.display} cannot be read now; the command keeps its current values`, { reference: w.display, reason });
  }

  /** Whether every secret of `store` is denied now: those polled, or (a store with leases only) every one. */
  private allDenied(store: ProviderName): boolean {
    const mine = [...this.watched.values()].filter((w) => w.store === store);
    const polled = mine.filter((w) => w.poller);
    const judged = polled.length > 0 ? polled : mine;
    return judged.length > 0 && judged.every((w) => w.denied);
  }

  /** Looks the store's login up once (concurrent callers share it) and acts on what it says. */
  private async checkLogin(store: ProviderName): Promise<void> {
    if (this.loginStates.get(store) === "checking" || this.timers.isClosed) return;
    this.loginStates.set(store, "checking");
    let check;
    try {
      const provider = await this.options.providers.get(store);
      if (!provider.verifyLogin) return this.loginValid(store);
      check = await provider.verifyLogin();
    } catch (error) {
      this.loginStates.delete(store);
      if (isOutage(error)) this.outage(store).failed(error);
      else this.loginValid(store);
      return;
    }
    if (this.timers.isClosed) return;
    if (check === "valid") return this.loginValid(store);
    if (check === "failing") {
      // The provider warned (once) and retries with backoff; its next login clears this (loggedInAgain).
      if (this.loginStates.get(store) === "checking") this.loginStates.set(store, "lost");
      return;
    }
    // "replaced": onNewLogin came first and has re-checked the store's secrets.
    if (this.loginStates.get(store) === "checking") this.loginStates.delete(store);
  }

  /** The login is good: the denials are policies, each warned about as before. */
  private loginValid(store: ProviderName): void {
    this.loginStates.set(store, "valid");
    for (const w of this.watched.values()) {
      if (w.store === store && w.denied && !w.warned) this.warnUnreadable(w, w.lastReason ?? "denied");
    }
  }

  private loginEpoch(store: ProviderName): number {
    return this.loginEpochs.get(store) ?? 0;
  }

  /** A new login of `store` works: what its old login could not read is tried again at once, its failures forgotten. */
  private loggedInAgain(store: ProviderName): void {
    this.loginEpochs.set(store, this.loginEpoch(store) + 1);
    this.loginStates.delete(store);
    for (const w of this.watched.values()) {
      if (w.store !== store || !w.denied) continue;
      w.failures = 0;
      w.denied = false;
      if (!w.warned) w.problem = undefined;
      if (w.poller && !this.rereadComing(w)) w.poller.checkNow();
    }
  }

  /**
   * A request about `w` worked. Only the same kind of request clears a problem: a version that
   * can be polled says nothing about data that cannot be read (metadata allowed, data denied).
   */
  private readable(w: Watched, operation: "poll" | "read"): void {
    w.denied = false;
    // Something of this store can be read: its login works, and a later denial is looked at afresh.
    if (this.loginStates.get(w.store) === "valid") this.loginStates.delete(w.store);
    if (w.problem !== undefined && !w.problem.startsWith(`${operation}:`)) return;
    w.failures = 0;
    w.folderChecked = undefined;
    if (w.problem === undefined) return;
    w.problem = undefined;
    if (w.warned) this.logger.info(`${w.display} can be read again`, { reference: w.display });
    w.warned = false;
  }

  /** Re-reads one batch of secrets (fresh, once each), commits what was read, and applies it. */
  private async reread(ids: ReadonlySet<string>): Promise<void> {
    const changes: SecretChange[] = [];
    await Promise.all(
      [...ids].map(async (id) => {
        const w = this.watched.get(id);
        if (!w) return;
        let reason = w.reason ?? "version";
        if (this.outage(w.store).down) {
          w.pendingReread = true;
          return;
        }
        this.rereading.add(id);
        const epoch = this.loginEpoch(w.store);
        try {
          const before = this.options.reader.all().get(id)?.doc;
          const doc = await this.options.reader.reread(id, this.requestOptions());
          // Committed even when envject is ending, so a lease it carries is revoked at exit.
          this.options.reader.commit(id, doc);
          if (this.timers.isClosed) return;
          reason = w.reason ?? reason;
          const newest = this.logins.newest(w.store);
          if (doc.lease && !this.logins.holds(w.store, doc.lease) && w.staleFor !== newest) {
            // Read under a login that has just been replaced: its lease ends with the old token.
            // Read it again under the new one (once per login), and apply only that: one restart.
            w.staleFor = newest;
            this.mark(w, "login");
            return;
          }
          this.readable(w, "read");
          w.pendingReread = false;
          w.seen = undefined;
          w.reason = undefined;
          w.stamp = doc.stamp;
          if (doc.lease) {
            w.lease = doc.lease;
            w.requestedSeconds = doc.lease.durationSeconds;
            w.leaseOverdue = undefined;
            this.scheduleLease(w);
          }
          changes.push({ id, ref: w.ref, display: w.display, reason, before: before?.version, after: doc.version });
        } catch (error) {
          // Not read: the next poll that sees the new stamp marks it again.
          w.seen = undefined;
          if (isOutage(error)) {
            w.pendingReread = true;
            this.outage(w.store).failed(error);
            return;
          }
          const delay = this.failed(w, error, "read", epoch);
          // A leased secret has no poller to notice it is back: try again after the backoff
          // (at once when it was denied under a login that has been replaced meanwhile).
          if (!w.poller) {
            if (delay === undefined) this.mark(w, w.reason ?? reason);
            else this.timers.after(delay, () => this.mark(w, reason));
          }
        } finally {
          this.rereading.delete(id);
        }
      }),
    );
    if (changes.length > 0 && !this.timers.isClosed) await this.options.apply(changes);
    this.retireSettled();
  }

  private scheduleLease(w: Watched): void {
    w.leaseTimer?.cancel();
    w.leaseTimer = undefined;
    const lease = w.lease;
    if (!lease || lease.durationSeconds <= 0) return;
    const step = nextLeaseStep(lease, w.requestedSeconds ?? lease.durationSeconds);
    w.leaseTimer = this.timers.after(step.at - this.timers.clock.now(), () => {
      w.leaseTimer = undefined;
      void this.leaseStep(w, step.action);
    });
  }

  /** Renews the lease of `w`, or reads the secret again when renewing is pointless or refused. */
  private async leaseStep(w: Watched, action: "renew" | "reread"): Promise<void> {
    // A re-read is already coming (after a new login, say): it brings a new lease, and its schedule.
    if (this.rereadComing(w)) return;
    if (this.outage(w.store).down) {
      w.leaseOverdue = action;
      return;
    }
    w.leaseOverdue = undefined;
    const lease = w.lease!;
    const provider = await this.options.providers.get(w.store);
    if (action === "reread" || !provider.renewLease) {
      this.logger.info(`the lease of ${w.display} is near its max TTL; reading the secret again`, { reference: w.display, lease_id: lease.id });
      return this.mark(w, "lease");
    }
    try {
      const granted = await provider.renewLease(lease, w.requestedSeconds ?? lease.durationSeconds, this.requestOptions());
      if (w.lease?.id !== lease.id || this.timers.isClosed) return; // replaced meanwhile
      this.renewed(w, granted);
    } catch (error) {
      if (isOutage(error)) {
        w.leaseOverdue = "renew";
        this.outage(w.store).failed(error);
        return;
      }
      this.logger.info(`the lease of ${w.display} cannot be renewed; reading the secret again`, {
        reference: w.display,
        lease_id: lease.id,
        reason: error instanceof Error ? error.message : String(error),
      });
      this.mark(w, "lease");
    }
  }

  private renewed(w: Watched, granted: Lease): void {
    w.lease = granted;
    this.options.reader.renewed(w.id, granted);
    this.logger.debug("renewed lease", { reference: w.display, lease_id: granted.id, ttl: granted.durationSeconds });
    this.scheduleLease(w);
  }

  /** One cheap request to a store that was down: a stamp if it has a polled secret, else a lease renewal. */
  private async probe(store: ProviderName): Promise<void> {
    const provider: SecretProvider = await this.options.providers.get(store);
    const mine = [...this.watched.values()].filter((w) => w.store === store);
    const stamped = mine.find((w) => w.stamp !== undefined);
    if (stamped) {
      await provider.stamp(stamped.ref, this.requestOptions());
      return;
    }
    const leased = mine.find((w) => w.lease);
    if (leased && provider.renewLease) {
      const lease = leased.lease!;
      const granted = await provider.renewLease(lease, leased.requestedSeconds ?? lease.durationSeconds, this.requestOptions());
      if (leased.lease?.id === lease.id && !this.timers.isClosed) {
        leased.leaseOverdue = undefined;
        this.renewed(leased, granted);
      }
      return;
    }
    // Nothing cheap to ask (never a stamp of a leased secret: that would read new credentials);
    // the re-check on "recovery" tries for real and reports the store down again if it still is.
  }

  /** The store answers again: everything of it is checked at once, so a change made meanwhile is picked up. */
  private recheck(store: ProviderName): void {
    for (const w of this.watched.values()) {
      if (w.store !== store) continue;
      if (w.pendingReread) {
        w.pendingReread = false;
        this.mark(w, w.reason ?? "version");
      } else if (w.leaseOverdue) {
        void this.leaseStep(w, w.leaseOverdue);
      } else {
        w.poller?.checkNow();
      }
    }
  }
}
