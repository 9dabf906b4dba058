/**
 * Durations the way Vault reads and prints them: request fields typed TypeDurationSecond accept
 * integer seconds or Go duration strings ("1h", "1m30s", "2d"); warnings print Go's
 * time.Duration.String() of whole seconds ("1h0m0s", "29m10s").
 */

const UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400 };

/** Thrown for an input no Vault field parser would accept; the message names the input, never a secret. */
export class DurationError extends Error {}

/** Parses a TypeDurationSecond field to whole seconds; null/undefined/"" are 0. */
export function parseDurationSeconds(raw: unknown): number {
  if (raw === null || raw === undefined || raw === "") return 0;
  if (typeof raw === "number") {
    if (!Number.isFinite(raw)) throw new DurationError(`invalid duration ${raw}`);
    return Math.trunc(raw);
  }
  if (typeof raw !== "string") throw new DurationError("duration must be a string or a number");
  const text = raw.trim();
  if (/^-?\d+$/.test(text)) return Number.parseInt(text, 10);
  const re = /(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h|d)/gy;
  let rest = text;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "") throw new DurationError(`time: invalid duration "${text}"`);
  let total = 0;
  let consumed = 0;
  re.lastIndex = 0;
  for (let m = re.exec(rest); m; m = re.exec(rest)) {
    total += Number.parseFloat(m[1]!) * UNIT_SECONDS[m[2]!]!;
    consumed = re.lastIndex;
  }
  if (consumed !== rest.length) throw new DurationError(`time: invalid duration "${text}"`);
  return sign * Math.trunc(total + 1e-9);
}

/** Go's time.Duration.String() for a whole number of seconds: 0 → "0s", 3600 → "1h0m0s", 1750 → "29m10s". */
export function goDurationString(seconds: number): string {
  if (seconds === 0) return "0s";
  const sign = seconds < 0 ? "-" : "";
  let s = Math.abs(Math.trunc(seconds));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (h > 0) return `${sign}${h}h${m}m${s}s`;
  if (m > 0) return `${sign}${m}m${s}s`;
  return `${sign}${s}s`;
}
