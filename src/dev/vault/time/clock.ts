/**
 * Wall-clock time for TTL accounting and timestamps. Times are epoch milliseconds with a
 * sub-millisecond fraction, so RFC3339Nano stamps look like Vault's (nine digits, trailing zeros
 * trimmed) and later events never sort before earlier ones.
 */

/** Current time in epoch milliseconds (fractional, monotonic within the process). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Go's time.Now().Unix(): whole seconds, truncated. */
export function unixSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/** Formats like Go's time.RFC3339Nano in UTC: `2018-03-22T02:24:06.945319214Z`. */
export function rfc3339Nano(ms: number): string {
  const wholeMs = Math.floor(ms);
  const seconds = Math.floor(wholeMs / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  const base = new Date(seconds * 1000).toISOString().slice(0, 19);
  const fraction = String(Math.min(nanos, 999_999_999)).padStart(9, "0").replace(/0+$/, "");
  return `${base}${fraction ? `.${fraction}` : ""}Z`;
}
