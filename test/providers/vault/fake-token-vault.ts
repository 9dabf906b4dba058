/**
 * A fake Vault for the token keeper's fake-clock tests: the token endpoints (AppRole login,
 * renew-self, lookup-self, revoke-self) answered in-process as Vault answers them, with TTLs
 * counted on a FakeClock instead of the wall clock (the HTTP double counts on real time, so a
 * keeper on a fake clock cannot be judged against it). Its request log is the witness. It stands
 * in for VaultHttpClient: the real VaultSession and TokenKeeper run on top of it.
 */
import type { VaultHttpClient, VaultRequest, VaultResponse } from "../../../src/providers/vault/http.js";
import type { FakeClock } from "../../watch/fake-clock.js";

interface FakeToken {
  /** Epoch ms (fake) at which it ends. */
  expiresAt: number;
  /** Epoch ms (fake) past which no renewal extends it (its max TTL). */
  maxEnd: number;
  renewable: boolean;
  creationTtl: number;
  revoked: boolean;
}

interface FakeRole {
  secretId: string;
  ttl: number;
  maxTtl: number;
  /** Logins the secret_id allows (Infinity: any number). */
  usesLeft: number;
}

export interface LoggedRequest {
  /** Fake epoch ms. */
  at: number;
  method: string;
  path: string;
  status: number;
  token?: string;
  body?: unknown;
}

export class FakeTokenVault {
  readonly address = "http://127.0.0.1:8200";
  readonly log: LoggedRequest[] = [];
  /** While set, every request answers 503 "Vault is sealed". */
  sealed = false;
  /** The next `count` requests to `path` answer `status`. */
  readonly faults: Array<{ path: string; status: number; count: number }> = [];
  private readonly tokens = new Map<string, FakeToken>();
  private readonly roles = new Map<string, FakeRole>();
  private serial = 0;

  constructor(private readonly clock: FakeClock) {}

  /** This fake as the keeper's HTTP client (it answers request() only). */
  get client(): VaultHttpClient {
    return this as unknown as VaultHttpClient;
  }

  /** A token of `ttl` seconds (0: it never expires, like root's; max TTL `maxTtl`, unlimited when omitted), as `vault token create` makes it. */
  createToken(opts: { ttl: number; maxTtl?: number; renewable?: boolean }): string {
    return this.issue(opts.ttl, opts.maxTtl, opts.renewable ?? true);
  }

  /** An AppRole whose logins get tokens of `ttl` s (max `maxTtl` s); `uses` logins per secret_id (any when omitted). */
  createAppRole(opts: { ttl: number; maxTtl: number; uses?: number }): { roleId: string; secretId: string } {
    const roleId = `role-${++this.serial}`;
    const secretId = `secret-id-${this.serial}`;
    this.roles.set(roleId, { secretId, ttl: opts.ttl, maxTtl: opts.maxTtl, usesLeft: opts.uses ?? Infinity });
    return { roleId, secretId };
  }

  revoke(token: string): void {
    const t = this.tokens.get(token);
    if (t) t.revoked = true;
  }

  /** Requests to `path` (answered `status`, when given). */
  count(path: string, status?: number): number {
    return this.log.filter((e) => e.path === path && (status === undefined || e.status === status)).length;
  }

  /** When (fake epoch ms) the requests to `path` answered `status` were made. */
  times(path: string, status = 200): number[] {
    return this.log.filter((e) => e.path === path && e.status === status).map((e) => e.at);
  }

  async request(req: VaultRequest): Promise<VaultResponse> {
    const res = this.answer(req);
    this.log.push({ at: this.clock.now(), method: req.method, path: req.path, status: res.status, token: req.token, body: req.body });
    return { ...res, headers: {} };
  }

  private answer(req: VaultRequest): { status: number; body: unknown } {
    if (this.sealed) return failure(503, "Vault is sealed");
    const fault = this.faults.find((f) => f.path === req.path && f.count > 0);
    if (fault) {
      fault.count--;
      return failure(fault.status, "injected failure");
    }
    const now = this.clock.now();
    if (req.path === "auth/approle/login" && req.method === "POST") {
      const { role_id, secret_id } = req.body as { role_id?: string; secret_id?: string };
      const role = this.roles.get(role_id ?? "");
      if (!role || role.secretId !== secret_id || role.usesLeft <= 0) return failure(400, "invalid role or secret ID");
      role.usesLeft--;
      const token = this.issue(role.ttl, role.maxTtl, true);
      return { status: 200, body: { auth: { client_token: token, accessor: `accessor-${token}`, lease_duration: role.ttl, renewable: true, policies: ["app"] } } };
    }
    const t = req.token ? this.tokens.get(req.token) : undefined;
    const valid = t !== undefined && !t.revoked && now < t.expiresAt;
    if (!valid) return failure(403, "permission denied", "invalid token");
    switch (req.path) {
      case "auth/token/lookup-self":
        return { status: 200, body: { data: { ttl: Number.isFinite(t.expiresAt) ? Math.floor((t.expiresAt - now) / 1000) : 0, creation_ttl: t.creationTtl, renewable: t.renewable } } };
      case "auth/token/renew-self": {
        if (!t.renewable) return failure(400, "lease is not renewable");
        const increment = (req.body as { increment?: number } | undefined)?.increment ?? t.creationTtl;
        const granted = Math.max(0, Math.min(increment, Math.floor((t.maxEnd - now) / 1000)));
        t.expiresAt = now + granted * 1000;
        return { status: 200, body: { auth: { client_token: req.token, lease_duration: granted, renewable: true } } };
      }
      case "auth/token/revoke-self":
        t.revoked = true;
        return { status: 204, body: undefined };
      default:
        return failure(404, `no handler for ${req.path}`);
    }
  }

  private issue(ttl: number, maxTtl: number | undefined, renewable: boolean): string {
    const now = this.clock.now();
    const token = `hvs.fake-${++this.serial}`;
    this.tokens.set(token, { expiresAt: ttl === 0 ? Infinity : now + ttl * 1000, maxEnd: maxTtl === undefined ? Infinity : now + maxTtl * 1000, renewable, creationTtl: ttl, revoked: false });
    return token;
  }
}

function failure(status: number, ...errors: string[]): { status: number; body: unknown } {
  return { status, body: { errors } };
}
