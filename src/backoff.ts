/**
 * Exponential backoff, the one rule behind every wait after failures: start-up retries
 * (providers/retry.ts), crash restarts (supervise/crash-policy.ts), and the waits while envject
 * runs — store outages, unreadable secrets, Vault token renewal (docs/contract/rotation.md#store-outages: 1 s..60 s with
 * jitter). Each caller adds its own jitter to the ceiling.
 */

/** The wait before attempt `attempt` (1-based) at most: `initialMs` doubled per attempt, capped at `maxMs`. */
export function backoffCeiling(attempt: number, initialMs: number, maxMs: number): number {
  // The exponent is bounded first, so 2^n stays finite for any attempt count.
  return Math.min(Math.max(0, initialMs) * 2 ** Math.min(Math.max(attempt - 1, 0), 52), Math.max(0, maxMs));
}

/** The first wait while envject runs (docs/contract/rotation.md#store-outages). */
export const RUNTIME_BACKOFF_MIN_MS = 1000;
/** The longest wait while envject runs (docs/contract/rotation.md#store-outages). */
export const RUNTIME_BACKOFF_MAX_MS = 60_000;

/**
 * The wait after the `failures`-th failure in a row (1-based) while envject runs: 1 s..60 s,
 * jittered within the upper half of its step (`random` in [0, 1)), so waits still grow with each
 * failure but a fleet that lost a store together does not come back in lockstep.
 */
export function runtimeBackoff(failures: number, random: number): number {
  const ceiling = backoffCeiling(failures, RUNTIME_BACKOFF_MIN_MS, RUNTIME_BACKOFF_MAX_MS);
  return Math.max(RUNTIME_BACKOFF_MIN_MS, ceiling * (0.5 + 0.5 * random));
}
