/**
 * The `--mask` output filter: the child's stdout/stderr bytes with every secret value replaced by
 * `*****`.
 *
 * It works on bytes, not text: each Buffer is read as latin1 (one char per byte, both ways), and
 * secrets are matched by their UTF-8 bytes read the same way, so binary or non-UTF-8 output passes
 * through unchanged and a multi-byte secret split between two chunks is still found.
 *
 * Matching is leftmost-longest: scanning left to right, at each position the longest secret that
 * starts there is masked (so a secret containing another is hidden whole). Only bytes whose fate
 * depends on data not yet seen — a tail that is the beginning of some secret — are held back, and
 * they go out with the next chunk or at the end; everything else is passed on at once, so normal
 * output is not delayed and the result does not depend on how the output was chunked.
 */
import { Transform } from "node:stream";

/** What each secret occurrence becomes (the same mask as the logger's redactor). */
export const MASK = "*****";

/** Returns a Transform that masks every value `secrets()` returns; the list is read again for each chunk, so secrets added later apply from then on. */
export function createMaskStream(secrets: () => readonly string[]): Transform {
  const matchers = new MatcherCache();
  let held = "";
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const { output, rest } = mask(held + chunk.toString("latin1"), matchers.for(secrets()), false);
      held = rest;
      if (output.length > 0) callback(null, Buffer.from(output, "latin1"));
      else callback();
    },
    flush(callback) {
      const { output } = mask(held, matchers.for(secrets()), true);
      held = "";
      if (output.length > 0) callback(null, Buffer.from(output, "latin1"));
      else callback();
    },
  });
}

/** Masks a whole latin1 string in one go (what the stream produces for any chunking of the same bytes). */
export function maskText(text: string, secrets: readonly string[]): string {
  return mask(text, buildMatcher(secrets), true).output;
}

interface Matcher {
  /** Alternation of the secrets, longest first, so at any position the longest match wins. */
  regex: RegExp | undefined;
  /** Secrets as latin1 strings of their UTF-8 bytes, longest first. */
  secrets: string[];
  longest: number;
  firstChars: ReadonlySet<string>;
}

/**
 * Masks `text` and splits it into the part whose masking is settled (`output`) and the tail that
 * might still become part of a secret when more bytes arrive (`rest`). With `final`, nothing more
 * will arrive and `rest` is empty.
 */
function mask(text: string, matcher: Matcher, final: boolean): { output: string; rest: string } {
  const { regex } = matcher;
  if (!regex || text.length === 0) return { output: text, rest: "" };
  // Before this index every secret starting there ends inside `text`: nothing is pending.
  const tailStart = final ? text.length : Math.max(0, text.length - matcher.longest + 1);
  let output = "";
  let pos = 0;
  regex.lastIndex = 0;
  for (;;) {
    const match = regex.exec(text);
    const next = match ? match.index : text.length;
    for (let p = Math.max(pos, tailStart); p < next; p++) {
      if (isPending(text, p, matcher)) return { output: output + text.slice(pos, p), rest: text.slice(p) };
    }
    if (!match) return { output: output + text.slice(pos), rest: "" };
    // A complete match near the end is still pending when a longer secret could extend it.
    if (match.index >= tailStart && isPending(text, match.index, matcher)) {
      return { output: output + text.slice(pos, match.index), rest: text.slice(match.index) };
    }
    output += text.slice(pos, match.index) + MASK;
    pos = match.index + match[0].length;
  }
}

/** True when `text` from `p` to its end is the beginning of a secret longer than that. */
function isPending(text: string, p: number, matcher: Matcher): boolean {
  if (!matcher.firstChars.has(text[p]!)) return false;
  const tail = text.slice(p);
  return matcher.secrets.some((s) => s.length > tail.length && s.startsWith(tail));
}

function buildMatcher(values: readonly string[]): Matcher {
  const secrets = [...new Set(values.filter((v) => v.length > 0).map((v) => Buffer.from(v, "utf8").toString("latin1")))];
  secrets.sort((a, b) => b.length - a.length);
  return {
    regex: secrets.length > 0 ? new RegExp(secrets.map(escapeRegExp).join("|"), "g") : undefined,
    secrets,
    longest: secrets[0]?.length ?? 0,
    firstChars: new Set(secrets.map((s) => s[0]!)),
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
}

/** Rebuilds the matcher (a compiled regex) only when the secret list changed. */
class MatcherCache {
  private key = "";
  private last: readonly string[] | undefined;
  private lastLength = 0;
  private matcher: Matcher = buildMatcher([]);

  for(values: readonly string[]): Matcher {
    // The redactor hands back the same array until a secret is added: then nothing to compare.
    if (values === this.last && values.length === this.lastLength) return this.matcher;
    // Otherwise compared by content: a caller may well hand back the same array mutated.
    // Values never contain NUL (PRODUCT.md §4), so it is a safe separator.
    const key = values.join("\u0000");
    if (key !== this.key) {
      this.matcher = buildMatcher(values);
      this.key = key;
    }
    this.last = values;
    this.lastLength = values.length;
    return this.matcher;
  }
}
