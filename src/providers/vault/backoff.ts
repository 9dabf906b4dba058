/**
 * The delay before the next attempt after consecutive failures while envject runs (PRODUCT §6):
 * exponential from 1 s to 60 s with jitter, so a fleet that lost Vault together does not come
 * back in lockstep.
 */
const FIRST_MS = 1000;
const CEILING_MS = 60_000;

/** Milliseconds to wait after the `failures`-th consecutive failure (1-based): 1 s..60 s, jittered. */
export function backoffDelay(failures: number, random: () => number = Math.random): number {
  const ceiling = Math.min(CEILING_MS, FIRST_MS * 2 ** Math.max(0, failures - 1));
  // Jitter in the upper half of the step: the wait still grows with each failure.
  return Math.max(FIRST_MS, ceiling * (0.5 + 0.5 * random()));
}
