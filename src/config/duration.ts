/**
 * DURATION values (docs/contract/command-line.md#durations-and-signals): a number with a unit (`500ms`, `30s`, `5m`, `1h`), a sum of
 * such terms (`1m30s`), or a bare number meaning seconds (`45`, `0.5`).
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a DURATION into milliseconds; returns undefined when `text` is not one. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const term = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;
  let total = 0;
  let index = 0;
  while (index < s.length) {
    term.lastIndex = index;
    const m = term.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    index = term.lastIndex;
  }
  return Math.round(total);
}

/** Formats milliseconds for messages, as Go and Vault print durations: 1500 → "1.5s", 90000 → "1m30s", 3600000 → "1h0m0s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(3))}s`;
  const seconds = Math.round(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  // Zero minutes and seconds are kept after a larger unit ("1h0m0s"), as in `vault` output and the README.
  return `${h ? `${h}h` : ""}${m}m${s}s`;
}
