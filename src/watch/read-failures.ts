/**
 * What a failed request about a watched secret means, and when it is warned about (docs/contract/rotation.md).
 * An outage is the store's (./outage.ts); a denial of a request sent under a login replaced since
 * says nothing; a denial that may be the login's, not a policy's — Vault said "invalid token", or
 * every secret of the store is denied at once — is warned about only once the login is looked up
 * and found good; anything else is warned once per problem (each secret's Readability,
 * ./secret-state.ts) and answered with a backoff delay. The child keeps its values either way.
 */
import { AuthError, EnvjectError, NotFoundError } from "../errors.js";
import type { Logger } from "../log/logger.js";
import type { ProviderName, ProviderSet } from "../resolve/provider-set.js";
import { runtimeBackoff } from "../backoff.js";
import type { TimerGroup } from "./clock.js";
import { type StoreOutage, isOutage } from "./outage.js";
import type { RequestKind, Watched } from "./secret-state.js";

/**
 * Per store, what envject knows of its login while requests are denied: `checking` while the
 * token is being looked up, `valid` when it was found good (the denials are policies; not looked
 * up again until a request of the store works), `lost` while a new login cannot be had (the
 * provider retries and reports it; denials are then not warned about per secret).
 */
type LoginState = "checking" | "valid" | "lost";

export interface ReadFailuresOptions {
  providers: ProviderSet;
  logger: Logger;
  timers: TimerGroup;
  intervalMs: number;
  /** Every secret watched now. */
  secrets: () => Iterable<Watched>;
  outage: (store: ProviderName) => StoreOutage;
  /** Polls the store's `expand:` folders now; whether it has one (a secret not found may have left one). */
  checkFolders: (store: ProviderName) => boolean;
}

export class ReadFailures {
  private readonly logger: Logger;
  private readonly loginStates = new Map<ProviderName, LoginState>();
  /** Per store, how many new logins it had: a denial of a request sent before the latest one is stale. */
  private readonly loginEpochs = new Map<ProviderName, number>();

  constructor(private readonly options: ReadFailuresOptions) {
    this.logger = options.logger;
  }

  /**
   * A failed request about `w` (sent when the store's login count was `epoch`): the delay before
   * the next attempt (backoff), or undefined when the failure says nothing about `w` (an outage,
   * a denial under a replaced login).
   */
  failed(w: Watched, error: unknown, operation: RequestKind, epoch: number): number | undefined {
    if (isOutage(error)) {
      this.options.outage(w.store).failed(error);
      return undefined;
    }
    if (error instanceof AuthError && epoch !== this.loginEpoch(w.store)) {
      // Sent under the login that has just been replaced: it says nothing about the new one.
      this.logger.debug("secret denied under the replaced login; checking it again under the new one", { reference: w.display });
      return undefined;
    }
    const reason = error instanceof Error ? error.message : String(error);
    const health = w.readability;
    health.markUnreadable(operation, error instanceof EnvjectError ? error.name : "Error", reason, error instanceof AuthError);
    const state = this.loginStates.get(w.store);
    if (error instanceof NotFoundError && operation === "poll" && !health.folderChecked && this.options.checkFolders(w.store)) {
      // A secret removed from an expand: folder is no longer wanted: its folder's poll says so
      // (and stops this poll); only one still missing at its next poll is warned about.
      health.folderChecked = true;
      this.logger.debug("secret not found; checking the expand: folders first", { reference: w.display, reason });
    } else if (health.denied && state === "lost") {
      this.logger.debug("secret cannot be read while the login is lost", { reference: w.display, reason });
    } else if (health.denied && ((error as AuthError).credentialsInvalid || (state !== "valid" && this.allDenied(w.store)))) {
      this.logger.debug("secret denied; checking the store's login", { reference: w.display, reason });
      void this.checkLogin(w.store);
    } else if (health.state !== "warned" && state !== "checking") {
      this.warnUnreadable(w, reason);
    } else {
      this.logger.debug("secret still cannot be read", { reference: w.display, reason });
    }
    return Math.max(this.options.intervalMs, runtimeBackoff(health.failures, this.options.timers.clock.random()));
  }

  private warnUnreadable(w: Watched, reason: string): void {
    w.readability.markWarned();
    this.logger.warn(`${w.display} cannot be read now; the command keeps its current values`, { reference: w.display, reason });
  }

  /** Whether every secret of `store` is denied now: those polled, or (a store with leases only) every one. */
  private allDenied(store: ProviderName): boolean {
    const mine = [...this.options.secrets()].filter((w) => w.store === store);
    const polled = mine.filter((w) => w.kind === "polled");
    const judged = polled.length > 0 ? polled : mine;
    return judged.length > 0 && judged.every((w) => w.readability.denied);
  }

  /** Looks the store's login up once (concurrent callers share it) and acts on what it says. */
  private async checkLogin(store: ProviderName): Promise<void> {
    if (this.loginStates.get(store) === "checking" || this.options.timers.isClosed) return;
    this.loginStates.set(store, "checking");
    let check;
    try {
      const provider = await this.options.providers.get(store);
      if (!provider.verifyLogin) return this.loginValid(store);
      check = await provider.verifyLogin();
    } catch (error) {
      this.loginStates.delete(store);
      if (isOutage(error)) this.options.outage(store).failed(error);
      else this.loginValid(store);
      return;
    }
    if (this.options.timers.isClosed) return;
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
    for (const w of this.options.secrets()) {
      const health = w.readability;
      if (w.store === store && health.denied && health.state !== "warned") this.warnUnreadable(w, health.lastReason ?? "denied");
    }
  }

  /** How many new logins `store` had: taken when a request is sent, handed back with its failure. */
  loginEpoch(store: ProviderName): number {
    return this.loginEpochs.get(store) ?? 0;
  }

  /** A new login of `store` works: what its old login could not read is tried again at once, its failures forgotten. */
  loggedInAgain(store: ProviderName): void {
    this.loginEpochs.set(store, this.loginEpoch(store) + 1);
    this.loginStates.delete(store);
    for (const w of this.options.secrets()) {
      if (w.store !== store || !w.readability.denied) continue;
      w.readability.forgive();
      if (w.kind === "polled" && !w.rereadComing) w.poller.checkNow();
    }
  }

  /** A request about `w` worked (see Readability.markReadable). */
  readable(w: Watched, operation: RequestKind): void {
    // Something of this store can be read: its login works, and a later denial is looked at afresh.
    if (this.loginStates.get(w.store) === "valid") this.loginStates.delete(w.store);
    if (w.readability.markReadable(operation)) this.logger.info(`${w.display} can be read again`, { reference: w.display });
  }
}
