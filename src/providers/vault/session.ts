/**
 * The Vault login of one envject process: a token given by the user, or one obtained by AppRole
 * login on first use. Concurrent callers share one login. (Renewal and re-login are layered on
 * top of this by the watch code.)
 */
import { AuthError } from "../../errors.js";
import type { Logger } from "../../log/logger.js";
import { errorForStatus, vaultErrorMessages } from "./errors.js";
import type { VaultAuthBlock, VaultEnvelope, VaultHttpClient } from "./http.js";
import type { VaultAuthSettings } from "./settings.js";

export interface VaultLogin {
  token: string;
  /** Seconds the token was granted for at login (AppRole), undefined for a given token. */
  leaseDuration?: number;
  renewable?: boolean;
  obtainedAt: number;
}

export class VaultSession {
  private login: Promise<VaultLogin> | undefined;

  constructor(
    private readonly client: VaultHttpClient,
    readonly auth: VaultAuthSettings,
    private readonly logger: Logger,
  ) {}

  /** The current token, logging in first when needed. A failed login is not cached, so a retry logs in again. */
  async token(): Promise<string> {
    return (await this.current()).token;
  }

  /** The current login (token and what Vault said about it at login). */
  current(): Promise<VaultLogin> {
    if (!this.login) {
      this.login = this.authenticate();
      this.login.catch(() => {
        this.login = undefined;
      });
    }
    return this.login;
  }

  /** Forgets the token so the next call logs in again (AppRole). */
  reset(): void {
    this.login = undefined;
  }

  private async authenticate(): Promise<VaultLogin> {
    if (this.auth.method === "token") {
      this.logger.debug("using a Vault token", { source: this.auth.source });
      this.logger.redactor.add(this.auth.token);
      return { token: this.auth.token, obtainedAt: Date.now() };
    }
    const { roleId, secretId, path } = this.auth;
    const res = await this.client.request({ method: "POST", path: `auth/${path}/login`, body: { role_id: roleId, secret_id: secretId } });
    if (res.status >= 300) {
      if (res.status === 400 || res.status === 403) {
        const reasons = vaultErrorMessages(res.body);
        throw new AuthError(`Vault rejected the AppRole login at auth/${path} (${res.status}${reasons.length ? `: ${reasons.join("; ")}` : ""})`);
      }
      throw errorForStatus(res, `logging in with AppRole at auth/${path}`, this.client.address);
    }
    const auth = (res.body as VaultEnvelope | undefined)?.auth as VaultAuthBlock | null | undefined;
    if (!auth || typeof auth.client_token !== "string" || auth.client_token === "") {
      throw new AuthError(`AppRole login at auth/${path} returned no token`);
    }
    this.logger.redactor.add(auth.client_token);
    this.logger.info("logged in to Vault with AppRole", { path: `auth/${path}`, ttl: auth.lease_duration });
    return { token: auth.client_token, leaseDuration: auth.lease_duration, renewable: auth.renewable, obtainedAt: Date.now() };
  }
}
