/**
 * Vault's framework.CalculateTTL: how long a token or lease lives after a login, a create or a
 * renewal. All inputs are whole seconds; times are truncated to the second as Vault does, so the
 * capped-TTL warning prints whole-second durations ("TTL of \"1h0m0s\" exceeded the effective
 * max_ttl of \"29m10s\"; TTL value is capped accordingly").
 */
import { goDurationString } from "./duration.js";

export interface TtlInput {
  /** Requested increment (renewals) or TTL (creation); 0 = none asked. */
  increment: number;
  /** The backend's TTL for this kind of token/lease (role TTL); 0 = none. */
  backendTtl: number;
  period: number;
  /** The backend's max TTL (role max TTL); 0 = none. */
  backendMaxTtl: number;
  explicitMaxTtl: number;
  /** Issue time of the token/lease in epoch ms (the max TTL counts from here). */
  startMs: number;
  nowMs: number;
  systemDefaultTtl: number;
  systemMaxTtl: number;
}

export type TtlResult = { ok: true; ttl: number; warnings: string[] } | { ok: false; error: string };

/** Computes the granted TTL and Vault's warnings; errors carry Vault's exact message. */
export function calculateTtl(input: TtlInput): TtlResult {
  const now = Math.floor(input.nowMs / 1000);
  const start = Math.floor(input.startMs / 1000);
  let maxTtl = input.systemMaxTtl;
  if (input.backendMaxTtl > 0 && input.backendMaxTtl < maxTtl) maxTtl = input.backendMaxTtl;
  if (input.explicitMaxTtl > 0 && input.explicitMaxTtl < maxTtl) maxTtl = input.explicitMaxTtl;
  if (maxTtl <= 0) return { ok: false, error: "max TTL must be greater than zero" };

  const warnings: string[] = [];
  let ttl: number;
  let maxValid: number | undefined;
  if (input.period > 0) {
    let period = input.period;
    if (period > maxTtl) {
      warnings.push(`period of "${goDurationString(period)}" exceeded the effective max_ttl of "${goDurationString(maxTtl)}"; period value is capped accordingly`);
      period = maxTtl;
    }
    ttl = period;
    if (input.explicitMaxTtl > 0) maxValid = start + input.explicitMaxTtl;
  } else {
    ttl = input.increment > 0 ? input.increment : input.backendTtl > 0 ? input.backendTtl : input.systemDefaultTtl;
    maxValid = start + maxTtl;
  }
  if (maxValid !== undefined) {
    const maxValidTtl = maxValid - now;
    if (maxValidTtl < 0) return { ok: false, error: "past the max TTL, cannot renew" };
    if (maxValidTtl - ttl < 0) {
      warnings.push(`TTL of "${goDurationString(ttl)}" exceeded the effective max_ttl of "${goDurationString(maxValidTtl)}"; TTL value is capped accordingly`);
      ttl = maxValidTtl;
    }
  }
  return { ok: true, ttl, warnings };
}
