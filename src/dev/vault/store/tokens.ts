/**
 * Service tokens with real TTL accounting. A token stops working when it is revoked, when its
 * expire time passes, or when its parent stops working (Vault revokes the children of a revoked
 * or expired token); `endOf` computes that moment lazily, so nothing runs on timers.
 */
import { base62 } from "../ids.js";

export interface TokenEntry {
  id: string;
  accessor: string;
  /** Namespace path the token belongs to ("" = root). */
  namespace: string;
  policies: string[];
  meta: Record<string, string> | null;
  displayName: string;
  /** Creation path: auth/token/create, auth/approle/login, auth/token/root. */
  path: string;
  issueMs: number;
  /** TTL granted at creation, seconds (lookup's creation_ttl). */
  creationTtl: number;
  /** null = never expires (root). */
  expireMs: number | null;
  explicitMaxTtl: number;
  period: number;
  renewable: boolean;
  /** Uses left when `limitedUses`; 0 otherwise. */
  numUses: number;
  limitedUses: boolean;
  parentId: string | null;
  entityId: string;
  /** What renewals use as backend TTL / max TTL (an AppRole's token_ttl / token_max_ttl). */
  backendTtl: number;
  backendMaxTtl: number;
  lastRenewalMs: number | null;
  revokedMs: number | null;
  revokeReason: string | null;
}

export interface TokenEnd {
  atMs: number;
  /** "expired", "revoked", "uses-exhausted", or "parent-" + one of those. */
  cause: string;
}

/** A token id the way a Vault 1.10+ server shapes it; child-namespace tokens carry the namespace id. */
export function newTokenId(namespaceId: string | null): string {
  return `hvs.${base62(24)}${namespaceId ? `.${namespaceId}` : ""}`;
}

/** A token accessor: 24 base62 characters (plus the namespace id in a child namespace). */
export function newAccessor(namespaceId: string | null): string {
  return `${base62(24)}${namespaceId ? `.${namespaceId}` : ""}`;
}

/** Every token ever issued, by id and by accessor (ended tokens stay, for the control views). */
export class TokenStore {
  private readonly byId = new Map<string, TokenEntry>();
  private readonly byAccessor = new Map<string, TokenEntry>();

  add(entry: TokenEntry): TokenEntry {
    this.byId.set(entry.id, entry);
    this.byAccessor.set(entry.accessor, entry);
    return entry;
  }

  get(id: string): TokenEntry | undefined {
    return this.byId.get(id);
  }

  getByAccessor(accessor: string): TokenEntry | undefined {
    return this.byAccessor.get(accessor);
  }

  all(): TokenEntry[] {
    return [...this.byId.values()];
  }

  /** When (and why) the token stopped or will stop working; undefined = never. */
  endOf(entry: TokenEntry, depth = 0): TokenEnd | undefined {
    let end: TokenEnd | undefined;
    const consider = (atMs: number | null, cause: string) => {
      if (atMs !== null && (!end || atMs < end.atMs)) end = { atMs, cause };
    };
    consider(entry.revokedMs, entry.revokeReason ?? "revoked");
    consider(entry.expireMs, "expired");
    const parent = entry.parentId && depth < 64 ? this.byId.get(entry.parentId) : undefined;
    if (parent) {
      const parentEnd = this.endOf(parent, depth + 1);
      if (parentEnd) consider(parentEnd.atMs, parentEnd.cause.startsWith("parent-") ? parentEnd.cause : `parent-${parentEnd.cause}`);
    }
    return end;
  }

  /** A token that exists and has not ended by `nowMs`. */
  valid(id: string | undefined, nowMs: number): TokenEntry | undefined {
    if (!id) return undefined;
    const entry = this.byId.get(id);
    if (!entry) return undefined;
    const end = this.endOf(entry);
    return end && end.atMs <= nowMs ? undefined : entry;
  }

  /** Revokes the token (its children follow through `endOf`). */
  revoke(entry: TokenEntry, nowMs: number, reason = "revoked"): void {
    if (entry.revokedMs === null) {
      entry.revokedMs = nowMs;
      entry.revokeReason = reason;
    }
  }

  /**
   * Counts one use of a limited-use token before the request runs (lookup-self then shows the
   * decremented count); returns true when this was the last use, so the caller revokes the token
   * once the request is done.
   */
  use(entry: TokenEntry): boolean {
    if (!entry.limitedUses) return false;
    entry.numUses -= 1;
    return entry.numUses <= 0;
  }
}
