/**
 * Keeping envject's own Vault token alive while it runs, on Vault Agent's lifetime-watcher rules:
 * renew (`renew-self`) once 2/3 of the TTL has passed, asking for the TTL the token was created
 * with; when Vault grants less than asked (the max TTL is near) or refuses, a login method of
 * envject's own (AppRole, Kubernetes, JWT, AWS, cert) logs in again
 * at once and the watcher is told, so leased secrets are
 * read again under the new token before the old one, and its leases, expire; a given token is
 * warned about once and, when it has expired, ends envject (77). Failures are retried with backoff
 * (1 s..60 s, never past the token's expiry): no single failure stops renewal for good. An AppRole
 * login refused past the token's end is fatal only when the command holds leases (they ended with
 * the token); with KV values only, envject keeps trying. verify() answers the watcher's "is the
 * token still good?" after denials (lookup-self), replacing an invalid token at once.
 *
 * Time: every schedule here (renewal, re-login, backoff, expiry checks) runs on the injected
 * Clock (../../clock.ts; the system clock in production, a fake one in unit tests), and "2/3" is
 * this process's renewal fraction, 2/3 ± 10 % drawn once and shared with the lease renewals
 * (../renewal.ts). Real time stays where it bounds the outside world: the request timeouts of
 * vault/http.ts and aws/client.ts (a socket waits in real time, whatever a clock says; the
 * deadlines handed to them are epoch ms, which the system clock's now() is), and the token
 * file's stat polling (fs.watchFile).
 *
 * A token someone else keeps alive (`token_file`, Vault Agent's sink) is never renewed or revoked:
 * the file is watched, and read again when it changes or when Vault says the token is invalid; a
 * new token in it becomes the current one for polling and lease renewal. With method `none` (an
 * Agent with auto-auth) there is no token to keep.
 */
import { AuthError, type EnvjectError, UnavailableError } from "../../errors.js";
import type { Logger } from "../../log/logger.js";
import type { KeepAliveEvents, LoginCheck } from "../provider.js";
import { runtimeBackoff } from "../../backoff.js";
import { type Clock, type TimerHandle, systemClock } from "../../clock.js";
import { renewalFraction, renewalInstant } from "../renewal.js";
import type { VaultHttpClient } from "./http.js";
import { unwatchFile, watchFile } from "node:fs";
import type { VaultLogin, VaultSession } from "./session.js";
import { type RenewOutcome, lookupSelf, remainingTtl, renewSelf, revokeSelf } from "./token-renewal.js";

export interface TokenKeeperOptions {
  /** Time for every schedule (default: the system clock). */
  clock?: Clock;
  /** The part of each grant after which it is renewed (default: the process's, see ../renewal.ts). */
  fraction?: number;
}

interface Tracked {
  login: VaultLogin;
  /** Epoch ms when the token expires, by Vault's last word on it. */
  expiresAt: number;
  /** Seconds each renewal asks for: the TTL first granted. */
  increment: number;
}

export class TokenKeeper {
  private tracked: Tracked | undefined;
  private timer: TimerHandle | undefined;
  private closed = false;
  /** Bumped by every new login and by close(): an answer that arrives for an older one is dropped. */
  private generation = 0;
  /** Consecutive failed attempts (renewal, re-login, first login); 0 when the last one worked. */
  private failures = 0;
  private warnedExpiry = false;
  /** AppRole: a new login is being retried after a failure (cleared by the next login that works). */
  private loginFailing = false;
  /** AppRole: said once per failing spell that the token ended and the command keeps running without a login. */
  private saidRunningOn = false;
  private readonly listener = (login: VaultLogin) => this.adopt(login);
  /** token_file: the file being watched (fs.watchFile: stat polling, so an Agent's rename-into-place is seen). */
  private watchedFile: string | undefined;
  private readonly clock: Clock;
  /** Of each grant, the part after which it is renewed (the process's fraction unless given). */
  private readonly fraction: number;

  constructor(
    private readonly client: VaultHttpClient,
    private readonly session: VaultSession,
    private readonly logger: Logger,
    private readonly events: KeepAliveEvents,
    options: TokenKeeperOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.fraction = options.fraction ?? renewalFraction(this.clock);
  }

  /** Starts following the session's login (the current one, and every later one) until close(). */
  start(): void {
    const auth = this.session.auth;
    if (auth.kind === "none") return; // the Agent keeps its own token
    this.session.onLogin = this.listener;
    if (auth.kind === "token_file") this.watchTokenFile(auth.file);
    void this.bootstrap();
  }

  /** Follows the token file: a change is read at once (a rename-into-place too: stat polling every 2 s, unref'd). */
  private watchTokenFile(file: string): void {
    watchFile(file, { interval: TOKEN_FILE_POLL_MS, persistent: false }, (curr, prev) => {
      if (curr.mtimeMs !== prev.mtimeMs || curr.ino !== prev.ino || curr.size !== prev.size) void this.rereadTokenFile("the file changed");
    });
    this.watchedFile = file;
  }

  /**
   * token_file: reads the file again. A new token becomes current (onLogin → adopt); the same
   * token or an unreadable file changes nothing but is said. Resolves to whether the token changed.
   */
  private async rereadTokenFile(why: string): Promise<boolean> {
    if (this.closed) return false;
    try {
      const changed = await this.session.reread();
      if (changed) this.logger.info("read a new Vault token from the token file", { file: this.watchedFile, why });
      return changed;
    } catch (error) {
      this.logger.warn("could not use the token file; keeping the current token", { file: this.watchedFile, reason: messageOf(error) });
      return false;
    }
  }

  /** Stops every timer; answers still on their way are ignored, and no request is made afterwards. */
  close(): void {
    this.closed = true;
    this.generation++;
    this.timer?.cancel();
    this.timer = undefined;
    if (this.session.onLogin === this.listener) this.session.onLogin = undefined;
    if (this.watchedFile) unwatchFile(this.watchedFile);
    this.watchedFile = undefined;
  }

  /** A login method of envject's own (AppRole, Kubernetes, JWT, AWS, cert): it logs in again and revokes what it replaced. */
  private get ownsLogin(): boolean {
    return this.session.canLogin;
  }

  /** The login method's name for messages ("AppRole", "Kubernetes"…). */
  private get title(): string {
    const auth = this.session.auth;
    return auth.kind === "login" ? auth.login.title : "a token";
  }

  /** Where the token came from, for messages (never the token itself). */
  private get tokenSource(): string {
    return this.session.tokenSource;
  }

  private async bootstrap(): Promise<void> {
    try {
      const login = await this.session.current();
      // A login made just now was adopted through onLogin already.
      if (!this.closed && this.tracked?.login !== login) this.adopt(login);
    } catch (error) {
      if (this.closed || this.tracked) return;
      if (error instanceof AuthError) return this.fatal(error);
      this.failed("log in to Vault", error);
      this.schedule(this.clock.now() + runtimeBackoff(this.failures, this.clock.random()), () => this.bootstrap());
    }
  }

  /** Follows `login` from now on: schedules its renewal (or nothing, for a token that never expires). */
  private adopt(login: VaultLogin): void {
    if (this.closed) return;
    const replaced = this.tracked !== undefined && this.tracked.login.token !== login.token ? this.tracked.login.token : undefined;
    this.generation++;
    this.timer?.cancel();
    if (this.failures > 0) this.logger.info("Vault login works again", { after_failures: this.failures });
    this.failures = 0;
    this.warnedExpiry = false;
    this.loginFailing = false;
    this.saidRunningOn = false;
    const ttl = login.leaseDuration;
    if (this.session.auth.kind === "token_file") {
      // Someone else (Vault Agent) renews it; envject only follows the file, and checks it at its expiry.
      this.tracked = { login, expiresAt: ttl !== undefined && ttl > 0 ? login.obtainedAt + ttl * 1000 : Infinity, increment: 0 };
      if (Number.isFinite(this.tracked.expiresAt)) this.schedule(this.tracked.expiresAt, () => this.checkExpired());
    } else if (ttl === undefined || ttl <= 0) {
      this.tracked = { login, expiresAt: Infinity, increment: 0 };
      this.logger.debug(ttl === 0 ? "the Vault token never expires; nothing to renew" : "the Vault token's TTL is unknown (lookup-self denied); not renewing it", {
        source: this.tokenSource,
      });
    } else {
      const increment = login.creationTtl !== undefined && login.creationTtl > 0 ? login.creationTtl : ttl;
      this.tracked = { login, expiresAt: login.obtainedAt + ttl * 1000, increment };
      const at = renewalInstant(login.obtainedAt, ttl * 1000, this.fraction);
      if (login.renewable === false) this.schedule(at, () => this.endOfLife("the token is not renewable", true));
      else this.schedule(at, () => this.renew());
    }
    if (replaced !== undefined) this.notifyNewLogin(replaced, login);
  }

  /**
   * Tells the watcher, handing it a way to revoke the replaced token (with its leases) once the
   * command runs on credentials read under the new one. The watcher's handler must not turn a
   * successful login into a failed one (and another login).
   */
  private notifyNewLogin(oldToken: string, login: VaultLogin): void {
    try {
      this.events.onNewLogin({ holder: String(login.serial), retireOld: () => this.retire(oldToken) });
    } catch (error) {
      this.logger.error("re-reading the leased secrets after a new Vault login failed", { reason: messageOf(error) });
    }
  }

  private async renew(): Promise<void> {
    const t = this.tracked!;
    const gen = this.generation;
    let outcome: RenewOutcome;
    try {
      outcome = await renewSelf(this.client, t.login.token, t.increment, t.expiresAt);
    } catch (error) {
      if (gen !== this.generation) return;
      this.failed("renew the Vault token", error, t);
      if (this.clock.now() >= t.expiresAt) return this.expired(`Vault could not be reached to renew it: ${messageOf(error)}`);
      this.schedule(Math.min(this.clock.now() + runtimeBackoff(this.failures, this.clock.random()), t.expiresAt), () => this.renew());
      return;
    }
    if (gen !== this.generation) return;
    this.recovered();
    if (outcome.kind === "invalid") return this.expired(`Vault says it is invalid (${outcome.reason})`);
    if (outcome.kind === "refused") return this.endOfLife(`Vault refused to renew it (${outcome.reason})`, true);
    t.expiresAt = this.clock.now() + outcome.granted * 1000;
    this.logger.debug("renewed Vault token", { ttl: outcome.granted, asked: t.increment });
    // Granted less than asked: the max TTL is near, and renewing again could only shorten it. Log
    // in again now rather than later: the leased secrets must be read again under the new token
    // and the command restarted before this token — and with it their leases — expires.
    if (outcome.granted < t.increment) return this.endOfLife(`it reaches its max TTL (granted ${outcome.granted}s of ${t.increment}s asked)`, true);
    this.schedule(renewalInstant(this.clock.now(), outcome.granted * 1000, this.fraction), () => this.renew());
  }

  /**
   * The token will not be renewed any further: AppRole logs in again (at once, or at 2/3 of what
   * is left for a token that was never renewable); a given token is warned about, then checked
   * when it should expire.
   */
  private endOfLife(reason: string, atOnce: boolean): void {
    const t = this.tracked!;
    if (this.ownsLogin) {
      const now = this.clock.now();
      const at = atOnce ? now : renewalInstant(now, t.expiresAt - now, this.fraction);
      this.logger.info(`the Vault token can no longer be renewed; logging in again with ${this.title}`, {
        reason,
        login_at: new Date(at).toISOString(),
        expires_at: new Date(t.expiresAt).toISOString(),
      });
      this.schedule(at, () => this.relogin());
      return;
    }
    if (!this.warnedExpiry) {
      this.warnedExpiry = true;
      this.logger.warn("the Vault token can no longer be renewed; envject will stop the command and exit (77) when it expires", {
        source: this.tokenSource,
        reason,
        expires_at: new Date(t.expiresAt).toISOString(),
      });
    }
    this.schedule(t.expiresAt, () => this.checkExpired());
  }

  private async relogin(): Promise<void> {
    const t = this.tracked!;
    const gen = this.generation;
    try {
      // On success the session calls onLogin: adopt() takes the new token from there.
      await this.session.relogin();
    } catch (error) {
      if (gen !== this.generation) return;
      const retryable = error instanceof UnavailableError && error.retryable;
      const ended = this.clock.now() >= t.expiresAt;
      // Refused for good and the token is gone: fatal only when the command's leased credentials
      // (dynamic secrets) went with it. Values read from KV stay valid without a token, so the
      // command keeps running on them while envject keeps trying to log in.
      if (!retryable && ended && this.leasesEndWithToken()) {
        return this.fatal(
          new AuthError(
            `could not log in to Vault again with ${this.title} (${messageOf(error)}), and envject's token expired at ${new Date(t.expiresAt).toISOString()}, ending the command's leased credentials with it`,
            { cause: error },
          ),
        );
      }
      this.loginFailing = true;
      this.failed(`log in to Vault again with ${this.title}`, error, t);
      if (ended && !this.saidRunningOn) {
        this.saidRunningOn = true;
        this.logger.info("the Vault token has ended; the command keeps running with its current values while envject keeps trying to log in", {
          expires_at: new Date(t.expiresAt).toISOString(),
        });
      }
      const next = this.clock.now() + runtimeBackoff(this.failures, this.clock.random());
      // Never sleep past the expiry: a login refused for good must end envject then, not later.
      this.schedule(this.clock.now() < t.expiresAt ? Math.min(next, t.expiresAt) : next, () => this.relogin());
    }
  }

  /** Whether the command holds leased credentials that end with the token (asked of the watcher; assumed when it cannot say). */
  private leasesEndWithToken(): boolean {
    try {
      return this.events.holdsLeases?.() ?? true;
    } catch {
      return true;
    }
  }

  /**
   * The watcher saw its requests denied: is the token still good? Looked up once
   * (`auth/token/lookup-self`). Valid (or a token that may not look itself up, so nothing can be
   * told): "valid", the denials are policies. Invalid: an AppRole token is replaced by a new login
   * at once ("replaced", or "failing" while that is retried with backoff); a given token ends
   * envject (77). Throws UnavailableError when Vault cannot answer.
   */
  async verify(): Promise<LoginCheck> {
    const t = this.tracked;
    if (this.closed) return "failing";
    // No login followed yet: nothing to tell the denials apart with; they are warned about as policies.
    if (!t) return "valid";
    // Already known to be lost and being retried: one more login attempt would skip the backoff.
    if (this.loginFailing) return "failing";
    const gen = this.generation;
    const outcome = await lookupSelf(this.client, t.login.token);
    if (this.closed) return "failing";
    if (gen !== this.generation) return "replaced"; // a new login came meanwhile
    if (outcome.kind === "valid") return "valid";
    // A bare "permission denied" from a token that could not look itself up at start tells nothing.
    if (outcome.kind === "denied" && t.login.leaseDuration === undefined) return "valid";
    const reason = `${outcome.reason} on auth/token/lookup-self`;
    if (this.session.auth.kind === "token_file") {
      if (await this.rereadTokenFile("Vault says the token is invalid")) return "replaced";
      this.fatal(new AuthError(`the Vault token in the token file ${this.session.auth.file} is no longer valid (${reason}), and the file holds no newer one; is Vault Agent running?`));
      return "failing";
    }
    if (!this.ownsLogin) {
      this.fatal(new AuthError(`the Vault token from ${this.tokenSource} is no longer valid: it was revoked or has expired (${reason}); give envject a new token`));
      return "failing";
    }
    t.expiresAt = Math.min(t.expiresAt, this.clock.now());
    this.timer?.cancel();
    this.timer = undefined;
    this.logger.warn(`the Vault token was revoked or has expired; logging in again with ${this.title}`, { reason });
    await this.relogin();
    return gen !== this.generation ? "replaced" : "failing";
  }

  /** The token is gone (or past its expiry with Vault out of reach): AppRole logs in again, a given token is fatal. */
  private expired(reason: string): void {
    const t = this.tracked!;
    t.expiresAt = Math.min(t.expiresAt, this.clock.now());
    if (this.session.auth.kind === "token_file") {
      const file = this.session.auth.file;
      void this.rereadTokenFile("the token expired").then((changed) => {
        if (!changed) this.fatal(new AuthError(`the Vault token in the token file ${file} has expired or was revoked (${reason}), and the file holds no newer one; is Vault Agent running?`));
      });
      return;
    }
    if (this.ownsLogin) {
      this.logger.warn(`the Vault token has expired or was revoked; logging in again with ${this.title}`, { reason });
      void this.relogin();
      return;
    }
    this.fatal(new AuthError(`the Vault token from ${this.tokenSource} has expired or was revoked (${reason}); give envject a new token`));
  }

  /** A given token's expected expiry has come: lookup-self decides (it may have been renewed elsewhere). */
  private async checkExpired(): Promise<void> {
    const t = this.tracked!;
    const gen = this.generation;
    let left: number | undefined;
    try {
      left = await remainingTtl(this.client, t.login.token);
    } catch (error) {
      if (gen !== this.generation) return;
      return this.expired(`it expired at ${new Date(t.expiresAt).toISOString()}, and Vault could not be reached to look it up: ${messageOf(error)}`);
    }
    if (gen !== this.generation) return;
    if (left === undefined) return this.expired(`it expired at ${new Date(t.expiresAt).toISOString()}`);
    // Still valid: our clock ran a little ahead of Vault's, or it was renewed elsewhere.
    t.expiresAt = this.clock.now() + left * 1000;
    this.schedule(this.clock.now() + Math.max(1, left) * 1000, () => this.checkExpired());
  }

  /** One line when failures start (warn), one per later attempt at debug. */
  private failed(what: string, error: unknown, t?: Tracked): void {
    this.failures++;
    const fields = {
      reason: messageOf(error),
      expires_at: t && Number.isFinite(t.expiresAt) ? new Date(t.expiresAt).toISOString() : undefined,
    };
    if (this.failures === 1) this.logger.warn(`could not ${what}; retrying with backoff`, fields);
    else this.logger.debug(`could not ${what}; retrying`, { attempt: this.failures, ...fields });
  }

  /** Revokes a token envject logged in for and no longer uses (`revoke-self`, in the default policy); best effort. */
  private async retire(token: string): Promise<void> {
    if (!this.ownsLogin) return; // never revoke a token envject did not create
    try {
      // A request deadline: it bounds a socket, so it is real time (see the top of this file).
      await revokeSelf(this.client, token, Date.now() + 5000);
      this.logger.debug("revoked the replaced Vault token and its leases");
    } catch (error) {
      this.logger.debug("could not revoke the replaced Vault token; it ends with its TTL", { reason: messageOf(error) });
    }
  }

  private recovered(): void {
    if (this.failures === 0) return;
    this.logger.info("Vault answers again; keeping the token alive", { after_failures: this.failures });
    this.failures = 0;
  }

  private fatal(error: EnvjectError): void {
    if (this.closed) return;
    this.close();
    this.events.onFatal(error);
  }

  /** Runs `step` at epoch ms `at` (unref'd: it never keeps envject alive), unless a newer login or close() came first. */
  private schedule(at: number, step: () => unknown): void {
    this.timer?.cancel();
    if (this.closed) return;
    const gen = this.generation;
    this.timer = this.clock.after(at - this.clock.now(), () => {
      if (gen !== this.generation || this.closed) return;
      void step();
    });
  }
}

/** How often the token file is stat'ed. */
const TOKEN_FILE_POLL_MS = 2000;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
