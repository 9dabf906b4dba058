/**
 * Leases of dynamic secrets. A lease ends at its expire time, when it is revoked, when its mount
 * is disabled, or when the token that created it stops working (Vault revokes a token's leases
 * with it). States are computed on demand from those times, so a test can ask at any moment which
 * credentials are still valid.
 */
import type { TokenStore } from "./tokens.js";

export interface LeaseEntry {
  id: string;
  namespace: string;
  /** Mount path relative to its namespace, with trailing slash ("database/"). */
  mountPath: string;
  mountUuid: string;
  role: string;
  username: string;
  /** Kept only to answer renewals; never listed or logged. */
  password: string;
  tokenId: string;
  tokenAccessor: string;
  issueMs: number;
  expireMs: number;
  renewable: boolean;
  /** The role's default_ttl and max_ttl at issue time, seconds. */
  backendTtl: number;
  backendMaxTtl: number;
  lastRenewalMs: number | null;
  /** Successful renewals so far. */
  renewals: number;
  revokedMs: number | null;
  revokeReason: string | null;
}

export type LeaseState = "active" | "expired" | "revoked";

export interface LeaseStatus {
  state: LeaseState;
  /** Why it ended: "expired", "revoked", "mount-disabled", "token-expired", "token-revoked"… */
  reason: string | null;
  endedMs: number | null;
}

/** Every lease ever issued, by id (ended leases stay, for the control view). */
export class LeaseStore {
  private readonly leases = new Map<string, LeaseEntry>();

  add(lease: LeaseEntry): void {
    this.leases.set(lease.id, lease);
  }

  get(id: string): LeaseEntry | undefined {
    return this.leases.get(id);
  }

  all(): LeaseEntry[] {
    return [...this.leases.values()];
  }

  /** The lease's state at `nowMs`, counting the owning token's end as a revocation. */
  status(lease: LeaseEntry, nowMs: number, tokens: TokenStore): LeaseStatus {
    let endedMs: number = lease.expireMs;
    let reason = "expired";
    if (lease.revokedMs !== null && lease.revokedMs < endedMs) {
      endedMs = lease.revokedMs;
      reason = lease.revokeReason ?? "revoked";
    }
    const owner = tokens.get(lease.tokenId);
    const ownerEnd = owner ? tokens.endOf(owner) : undefined;
    if (ownerEnd && ownerEnd.atMs < endedMs) {
      endedMs = ownerEnd.atMs;
      reason = ownerEnd.cause.includes("expired") ? "token-expired" : "token-revoked";
    }
    if (endedMs > nowMs) return { state: "active", reason: null, endedMs: null };
    return { state: reason === "expired" ? "expired" : "revoked", reason, endedMs };
  }

  revoke(lease: LeaseEntry, nowMs: number, reason = "revoked"): void {
    if (lease.revokedMs === null) {
      lease.revokedMs = nowMs;
      lease.revokeReason = reason;
    }
  }
}
