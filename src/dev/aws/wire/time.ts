/** Times on the wire: epoch seconds as JSON numbers with a millisecond fraction (`1700000000.123`). */

/** Current time in whole epoch milliseconds. */
export function nowMs(): number {
  return Date.now();
}

/** Epoch milliseconds to the wire's epoch seconds (a number, at most three decimals). */
export function epochSeconds(ms: number): number {
  return Math.round(ms) / 1000;
}

/** Midnight UTC of the day of `ms`: AWS records LastAccessedDate to the day only. */
export function dayStartMs(ms: number): number {
  return Math.floor(ms / 86_400_000) * 86_400_000;
}
