/**
 * The numbers behind the watch timers, as pure functions of a random draw: when a secret is
 * polled, how long changes are collected before they are applied, and the splay. (Waits after
 * failures follow the shared rule in ../backoff.ts.)
 */

/** Poll intervals vary by ±10%, so a fleet started together drifts apart instead of polling in lockstep. */
export const POLL_JITTER = 0.1;
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

/** How long changes are collected before one re-read: half the interval, at most 2 s. */
export function settleWindow(intervalMs: number): number {
  return Math.min(intervalMs / 2, SETTLE_MAX_MS);
}

/** The random delay before an action under `--splay`: uniform in [0, splay]. */
export function splayDelay(splayMs: number, random: number): number {
  return splayMs * random;
}
