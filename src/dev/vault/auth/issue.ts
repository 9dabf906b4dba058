/**
 * Issuing, describing and renewing tokens: shared by auth/token/create, AppRole login and
 * renew-self. TTLs follow CalculateTTL against the system max (control `max_token_ttl`); the auth
 * block and the lookup data have Vault's fields.
 */
import type { DoubleState, Namespace } from "../state.js";
import { newAccessor, newTokenId, type TokenEntry } from "../store/tokens.js";
import { rfc3339Nano, unixSeconds } from "../time/clock.js";
import { calculateTtl } from "../time/ttl.js";
import { errorReply, ok, type AuthBlock, type Reply } from "../wire/reply.js";

/** policyutil.SanitizePolicies: lower-case, trimmed, de-duplicated, sorted; "root" stands alone; "default" added unless asked not to. */
export function sanitizePolicies(policies: string[], addDefault: boolean): string[] {
  let list = policies.map((p) => p.trim().toLowerCase()).filter((p) => p !== "");
  if (list.includes("root")) return ["root"];
  if (addDefault && !list.includes("default")) list.push("default");
  list = [...new Set(list)].sort();
  return list;
}

export interface IssueRequest {
  ns: Namespace;
  policies: string[];
  meta: Record<string, string> | null;
  displayName: string;
  path: string;
  parent: TokenEntry | null;
  renewable: boolean;
  /** Requested TTL, seconds (0 = backend/system default). */
  ttl: number;
  explicitMaxTtl: number;
  period: number;
  numUses: number;
  backendTtl: number;
  backendMaxTtl: number;
  entityId: string;
  id?: string;
}

export type IssueResult = { ok: true; entry: TokenEntry; warnings: string[] } | { ok: false; reply: Reply };

/** Creates and stores a token; a root-policy token without a TTL never expires. */
export function issueToken(state: DoubleState, r: IssueRequest, nowMs: number): IssueResult {
  const nsId = r.ns.path === "" ? null : r.ns.id;
  let ttl = 0;
  let warnings: string[] = [];
  const neverExpires = r.policies.includes("root") && r.ttl === 0 && r.period === 0 && r.explicitMaxTtl === 0;
  if (!neverExpires) {
    const result = calculateTtl({
      increment: r.ttl,
      backendTtl: r.backendTtl,
      period: r.period,
      backendMaxTtl: r.backendMaxTtl,
      explicitMaxTtl: r.explicitMaxTtl,
      startMs: nowMs,
      nowMs,
      systemDefaultTtl: state.config.defaultTtl,
      systemMaxTtl: state.config.maxTokenTtl,
    });
    if (!result.ok) return { ok: false, reply: errorReply(400, result.error) };
    ttl = result.ttl;
    warnings = result.warnings;
  }
  const entry = state.tokens.add({
    id: r.id ?? newTokenId(nsId),
    accessor: newAccessor(nsId),
    namespace: r.ns.path,
    policies: r.policies,
    meta: r.meta,
    displayName: r.displayName,
    path: r.path,
    issueMs: nowMs,
    creationTtl: ttl,
    expireMs: neverExpires ? null : nowMs + ttl * 1000,
    explicitMaxTtl: r.explicitMaxTtl,
    period: r.period,
    renewable: neverExpires ? false : r.renewable,
    numUses: r.numUses,
    limitedUses: r.numUses > 0,
    parentId: r.parent?.id ?? null,
    entityId: r.entityId,
    backendTtl: r.backendTtl > 0 ? r.backendTtl : ttl,
    backendMaxTtl: r.backendMaxTtl,
    lastRenewalMs: null,
    revokedMs: null,
    revokeReason: null,
  });
  return { ok: true, entry, warnings };
}

/** The `auth` block of a login, create or renew response. */
export function authBlock(entry: TokenEntry, leaseDuration: number): AuthBlock {
  return {
    client_token: entry.id,
    accessor: entry.accessor,
    policies: entry.policies,
    token_policies: entry.policies.length > 0 ? entry.policies : undefined,
    metadata: entry.meta,
    lease_duration: leaseDuration,
    renewable: entry.renewable,
    entity_id: entry.entityId,
    token_type: "service",
    orphan: entry.parentId === null,
    mfa_requirement: null,
    num_uses: entry.numUses,
  };
}

/** Seconds left, as Vault's leaseEntry.ttl(): expire minus now rounded to the second, truncated. */
export function remainingTtl(expireMs: number, nowMs: number): number {
  return Math.trunc((expireMs - Math.round(nowMs / 1000) * 1000) / 1000);
}

/** handleLookup's data for a token. */
export function lookupData(entry: TokenEntry, nowMs: number): Record<string, unknown> {
  const data: Record<string, unknown> = {
    accessor: entry.accessor,
    creation_time: unixSeconds(entry.issueMs),
    creation_ttl: entry.creationTtl,
    display_name: entry.displayName,
    entity_id: entry.entityId,
    expire_time: entry.expireMs === null ? null : rfc3339Nano(entry.expireMs),
    explicit_max_ttl: entry.explicitMaxTtl,
    id: entry.id,
    issue_time: rfc3339Nano(entry.issueMs),
    meta: entry.meta,
    num_uses: entry.numUses,
    orphan: entry.parentId === null,
    path: entry.path,
    policies: entry.policies,
    renewable: entry.expireMs !== null && entry.renewable,
    ttl: entry.expireMs === null ? 0 : remainingTtl(entry.expireMs, nowMs),
    type: "service",
  };
  if (entry.period > 0) data.period = entry.period;
  if (entry.namespace !== "") data.namespace_path = `${entry.namespace}/`;
  if (entry.lastRenewalMs !== null) {
    data.last_renewal_time = unixSeconds(entry.lastRenewalMs);
    data.last_renewal = rfc3339Nano(entry.lastRenewalMs);
  }
  return data;
}

/** expiration.RenewToken: extends the token by CalculateTTL, 400 for tokens that cannot renew. */
export function renewToken(state: DoubleState, entry: TokenEntry, increment: number, nowMs: number): Reply {
  if (entry.expireMs === null || !entry.renewable) return errorReply(400, "lease is not renewable");
  const result = calculateTtl({
    increment,
    backendTtl: entry.backendTtl,
    period: entry.period,
    backendMaxTtl: entry.backendMaxTtl,
    explicitMaxTtl: entry.explicitMaxTtl,
    startMs: entry.issueMs,
    nowMs,
    systemDefaultTtl: state.config.defaultTtl,
    systemMaxTtl: state.config.maxTokenTtl,
  });
  if (!result.ok) return errorReply(400, result.error);
  entry.expireMs = nowMs + result.ttl * 1000;
  entry.lastRenewalMs = nowMs;
  // Token-store tokens renew by their last granted TTL; auth methods re-supply theirs.
  if (entry.path.startsWith("auth/token/")) entry.backendTtl = result.ttl;
  return ok({ auth: authBlock(entry, result.ttl), warnings: result.warnings, mountType: "token" });
}
