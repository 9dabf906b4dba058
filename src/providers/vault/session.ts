/**
 * The Vault login of one envject process: a token given by the user, one read from a file someone
 * else keeps alive (Vault Agent's sink), none (an Agent with auto-auth adds it), or one obtained by
 * a login method (AppRole, Kubernetes, JWT, AWS IAM, cert: login/) on first use. Concurrent
 * callers share one login. Renewal is layered on top of this (token-keeper.ts), which logs in again
 * through relogin() (or re-reads the token file through reread()) and learns of every login
 * through onLogin.
 */
import { type Clock, systemClock } from "../../clock.js";
import { AuthError } from "../../errors.js";
import type { Logger } from "../../log/logger.js";
import { errorForStatus, saysInvalidToken, vaultErrorMessages } from "./errors.js";
import type { VaultEnvelope, VaultHttpClient } from "./http.js";
import { readCredentialFile } from "./login/method.js";
import type { VaultAuthSettings } from "./settings.js";

export interface VaultLogin {
  token: string;
  /**
   * Seconds the token was valid for at `obtainedAt`: AppRole's `lease_duration`, lookup-self's
   * `ttl` for a given token (0 for a token that never expires); undefined when lookup-self was denied.
   */
  leaseDuration?: number;
  /** The TTL the token was created with (lookup-self `creation_ttl`; AppRole's `lease_duration`): what a renewal asks for. */
  creationTtl?: number;
  renewable?: boolean;
  obtainedAt: number;
  /** Counts the logins of this session (1, 2, …): the holder of the leases read under it. */
  serial: number;
}

export class VaultSession {
  private login: Promise<VaultLogin> | undefined;
  /** The token of `login` as soon as it is known, before Vault has confirmed it (see tokenInHand()). */
  private early: Promise<string> | undefined;
  private serials = 0;
  /**
   * A given token's lookup-self answered a bare 403 ("permission denied", no "invalid token"): a
   * token that may not look itself up, or a bad token on an older Vault, which says only that.
   */
  lookupDenied = false;
  /** Told of every login that becomes current (the first, and each re-login). */
  onLogin: ((login: VaultLogin) => void) | undefined;

  constructor(
    private readonly client: VaultHttpClient,
    readonly auth: VaultAuthSettings,
    private readonly logger: Logger,
    /** Stamps each login's obtainedAt, from which the token keeper schedules (the system clock in production). */
    private readonly clock: Pick<Clock, "now"> = systemClock,
  ) {}

  /** Whether envject obtains its token itself (a login method), so it may log in again and revoke it. */
  get canLogin(): boolean {
    return this.auth.kind === "login";
  }

  /** Where the token comes from, for messages (never the token itself). */
  get tokenSource(): string {
    const auth = this.auth;
    if (auth.kind === "login") return `${auth.login.title} login at auth/${auth.login.path}`;
    if (auth.kind === "token_file") return `the token file ${auth.file}`;
    return auth.source;
  }

  /** The current token, logging in first when needed. A failed login is not cached, so a retry logs in again. */
  async token(deadline?: number): Promise<string> {
    return (await this.current(deadline)).token;
  }

  /** The current login (token and what Vault said about it at login). */
  current(deadline?: number): Promise<VaultLogin> {
    if (!this.login) {
      let reveal: (token: string) => void = () => {};
      const revealed = new Promise<string>((resolve) => (reveal = resolve));
      const pending = this.authenticate(deadline, false, reveal);
      this.login = pending;
      this.early = Promise.race([revealed, pending.then((login) => login.token)]);
      this.early.catch(() => {}); // the login's own promise carries the failure
      pending.then(
        (login) => {
          if (this.login === pending) this.onLogin?.(login);
        },
        () => {
          if (this.login === pending) {
            this.login = undefined;
            this.early = undefined;
          }
        },
      );
    }
    return this.login;
  }

  /**
   * The token requests can carry while the current login is still being confirmed: a given token,
   * or a token file's, is known before its look-up (lookup-self) answers, so a request that needs
   * the token only as a header (mount discovery) can go out alongside it; a login method's token
   * comes with its login. Rejects as current() does. Whether that token is good is current()'s
   * answer: a caller uses what it got with this token only once current() has resolved to it.
   */
  tokenInHand(deadline?: number): Promise<string> {
    const login = this.current(deadline);
    return this.early ?? login.then((l) => l.token);
  }

  /**
   * Logs in again with AppRole and makes the new token the current one for every later request
   * (requests under way finish with the old one, which stays valid until it expires). A failure
   * leaves the current token in place.
   */
  async relogin(deadline?: number): Promise<VaultLogin> {
    if (this.auth.kind !== "login") throw new TypeError("only a session with a login method can log in again");
    const login = await this.authenticate(deadline, true);
    this.adoptLogin(login);
    return login;
  }

  /**
   * token_file: reads the file again and, when it holds another token, makes that the current one
   * (checked with lookup-self first). Resolves to whether the token changed. A missing or
   * unreadable file, or an invalid new token, rejects (AuthError); the current token stays.
   */
  async reread(deadline?: number): Promise<boolean> {
    if (this.auth.kind !== "token_file") throw new TypeError("only a token_file session can read its token again");
    const token = await readCredentialFile(this.auth.file, "Vault token");
    const current = this.login ? await this.login.catch(() => undefined) : undefined;
    if (current?.token === token) return false;
    const login = await this.checkToken(token, this.tokenSource, deadline);
    this.adoptLogin(login);
    return true;
  }

  /** Forgets the token so the next call logs in again (AppRole). */
  reset(): void {
    this.login = undefined;
    this.early = undefined;
  }

  private adoptLogin(login: VaultLogin): void {
    this.login = Promise.resolve(login);
    this.early = Promise.resolve(login.token);
    this.onLogin?.(login);
  }

  /** Logs in (or checks the given token); `reveal` is told a given token's value before Vault is asked about it. */
  private async authenticate(deadline?: number, again = false, reveal?: (token: string) => void): Promise<VaultLogin> {
    const auth = this.auth;
    switch (auth.kind) {
      case "token":
        return this.checkToken(auth.token, auth.source, deadline, reveal);
      case "token_file":
        return this.checkToken(await readCredentialFile(auth.file, "Vault token"), this.tokenSource, deadline, reveal);
      case "none":
        this.logger.debug("sending no Vault token: the Vault Agent or proxy adds its own (auto-auth)", { source: auth.source });
        return { token: "", obtainedAt: this.clock.now(), serial: ++this.serials };
      case "login":
        break;
    }
    const method = auth.login;
    const path = method.path;
    const request = await method.request({ logger: this.logger, deadline });
    for (const secret of request.secrets) this.logger.redactor.add(secret);
    const res = await this.client.request({ method: "POST", path: `auth/${path}/login`, body: request.body, deadline });
    if (res.status >= 300) {
      if (res.status === 400 || res.status === 401 || res.status === 403) {
        const reasons = vaultErrorMessages(res.body);
        throw new AuthError(`Vault rejected the ${method.title} login at auth/${path} (${res.status}${reasons.length ? `: ${reasons.join("; ")}` : ""})`);
      }
      throw errorForStatus(res, `logging in with ${method.title} at auth/${path}`, this.client.address);
    }
    const block = (res.body as VaultEnvelope | undefined)?.auth;
    if (!block || typeof block.client_token !== "string" || block.client_token === "") {
      throw new AuthError(`${method.title} login at auth/${path} returned no token`);
    }
    this.logger.redactor.add(block.client_token);
    this.logger.info(again ? `logged in to Vault again with ${method.title}` : `logged in to Vault with ${method.title}`, { path: `auth/${path}`, ttl: block.lease_duration });
    return {
      token: block.client_token,
      leaseDuration: block.lease_duration,
      creationTtl: block.lease_duration,
      renewable: block.renewable,
      obtainedAt: this.clock.now(),
      serial: ++this.serials,
    };
  }

  /**
   * Looks the given token up once (`auth/token/lookup-self`, in Vault's default policy), so an
   * invalid or expired token is one clear error instead of a 403 per secret. A token that may not
   * look itself up is used as it is.
   */
  private async checkToken(token: string, source: string, deadline?: number, reveal?: (token: string) => void): Promise<VaultLogin> {
    this.logger.redactor.add(token);
    reveal?.(token);
    const res = await this.client.request({ method: "GET", path: "auth/token/lookup-self", token, deadline });
    if (res.status === 200) {
      const data = (res.body as VaultEnvelope | undefined)?.data as { ttl?: number; creation_ttl?: number; renewable?: boolean } | undefined;
      this.logger.debug("using a Vault token", { source, ttl: data?.ttl });
      return { token, leaseDuration: data?.ttl, creationTtl: data?.creation_ttl, renewable: data?.renewable, obtainedAt: this.clock.now(), serial: ++this.serials };
    }
    if (res.status === 403) {
      if (saysInvalidToken(res.body)) {
        throw new AuthError(`the Vault token from ${source} is invalid, expired or revoked (403 on auth/token/lookup-self)`);
      }
      this.logger.debug('the token may not look itself up (or an older Vault says only "permission denied" for a bad token); using it as it is', { source });
      this.lookupDenied = true;
      return { token, obtainedAt: this.clock.now(), serial: ++this.serials };
    }
    throw errorForStatus(res, "looking up the Vault token", this.client.address);
  }
}
