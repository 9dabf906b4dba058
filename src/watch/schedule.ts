/**
 * The numbers behind every watch timer, as pure functions of a random draw: when a secret is
 * polled, how long a failing store or secret waits before the next attempt, and how long changes
 * are collected before they are applied.
 */

/** Poll intervals vary by ±10%, so a fleet started together drifts apart instead of polling in lockstep. */
export const POLL_JITTER = 0.1;
export const BACKOFF_MIN_MS = 1000;
export const BACKOFF_MAX_MS = 60_000;
/** The settle window never exceeds this: a rotation should reach the child within one interval. */
export const SETTLE_MAX_MS = 2000;

/** Delay before a secret's first poll: a random phase within one interval (`random` in [0, 1)). */
export function firstPollDelay(intervalMs: number, random: number): number {
  return intervalMs * random;
}

/** Delay between two polls of one secret: the interval ±10%. */
export function pollDelay(intervalMs: number, random: number): number {
  return intervalMs * (1 - POLL_JITTER + 2 * POLL_JITTER * random);
}

/**
 * Delay before retry number `attempt` (1-based) after failures: exponential from 1 s, capped at
 * 60 s, with full jitter between 1 s and that ceiling.
 */
export function backoffDelay(attempt: number, random: number): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.max(0, attempt - 1));
  return BACKOFF_MIN_MS + (ceiling - BACKOFF_MIN_MS) * random;
}

/** How long changes are collected before one re-read: half the interval, at most 2 s. */
export function settleWindow(intervalMs: number): number {
  return Math.min(intervalMs / 2, SETTLE_MAX_MS);
}

/** The random delay before an action under `--splay`: uniform in [0, splay]. */
export function splayDelay(splayMs: number, random: number): number {
  return splayMs * random;
}
