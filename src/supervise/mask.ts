/**
 * The `--mask` output filter: the child's stdout/stderr bytes with every secret value replaced by
 * `*****`.
 *
 * It works on bytes, not text: secrets are matched by their UTF-8 bytes, so binary or non-UTF-8
 * output passes through unchanged and a multi-byte secret split between two chunks is still found.
 *
 * Matching is leftmost-longest: scanning left to right, at each position the longest secret that
 * starts there is masked (so a secret containing another is hidden whole). Only bytes whose fate
 * depends on data not yet seen — a tail that is the beginning of some secret — are held back, and
 * they go out with the next chunk or at the end; everything else is passed on at once, so normal
 * output is not delayed and the result does not depend on how the output was chunked.
 *
 * The scan is Wu–Manber's multi-pattern search: a window as long as the shortest secret slides
 * over the bytes, and a table indexed by the window's last three bytes says how far it may jump
 * before a secret could start inside it. Bytes that occur in no secret are jumped over, up to
 * (shortest secret − 2) at a time, so the cost per byte does not grow with the number of secrets;
 * only where the table says a secret may start are the secrets with the same first bytes compared.
 */
import { Transform } from "node:stream";

/** What each secret occurrence becomes (the same mask as the logger's redactor). */
export const MASK = "*****";
const MASK_BYTES = Buffer.from(MASK, "latin1");

/** Returns a Transform that masks every value `secrets()` returns; the list is read again for each chunk, so secrets added later apply from then on. */
export function createMaskStream(secrets: () => readonly string[]): Transform {
  const matchers = new MatcherCache();
  let held: Buffer | undefined;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const data = held ? Buffer.concat([held, chunk]) : chunk;
      const { output, rest } = mask(data, matchers.for(secrets()), false);
      held = rest.length > 0 ? Buffer.from(rest) : undefined;
      if (output.length > 0) callback(null, output);
      else callback();
    },
    flush(callback) {
      const { output } = mask(held ?? Buffer.alloc(0), matchers.for(secrets()), true);
      held = undefined;
      if (output.length > 0) callback(null, output);
      else callback();
    },
  });
}

/** Masks a whole latin1 string in one go (what the stream produces for any chunking of the same bytes). */
export function maskText(text: string, secrets: readonly string[]): string {
  return mask(Buffer.from(text, "latin1"), buildMatcher(secrets), true).output.toString("latin1");
}

/** Bits of the hash of a window's last three bytes (the shift table's index). */
const HASH_BITS = 18;
const HASH_MASK = (1 << HASH_BITS) - 1;

/** The hash of three bytes, `a` first (findAll's hot loop writes the same formula inline). */
function hash3(a: number, b: number, c: number): number {
  return ((a << 12) ^ (b << 6) ^ c) & HASH_MASK;
}

interface Matcher {
  /** The secrets' UTF-8 bytes, longest first; empty when there is nothing to mask. */
  secrets: Buffer[];
  /** The same bytes read as latin1 strings, sorted, for the pending-tail look-up. */
  sorted: string[];
  /** Length of the shortest secret: the window. */
  shortest: number;
  longest: number;
  /** How many trailing bytes of the window index `shift` (3, or the window when shorter). */
  gram: number;
  /** How far the window may move on, by the hash of its last `gram` bytes (0: a secret may start at the window). */
  shift: Uint8Array;
  /** The secrets by their first `gram` bytes (a big-endian number), longest first. */
  byPrefix: Map<number, Buffer[]>;
  /** Bytes that begin some secret. */
  firstBytes: Uint8Array;
}

/** The longest jump the table stores (a byte); longer windows just jump 255 at a time. */
const MAX_SHIFT = 255;

function buildMatcher(values: readonly string[]): Matcher {
  const unique = [...new Set(values.filter((v) => v.length > 0))];
  const secrets = unique.map((v) => Buffer.from(v, "utf8")).sort((a, b) => b.length - a.length);
  const shortest = secrets.length > 0 ? secrets[secrets.length - 1]!.length : 0;
  const gram = Math.min(3, shortest);
  const shift = new Uint8Array(gram === 3 ? 1 << HASH_BITS : 1 << (8 * gram));
  shift.fill(Math.min(MAX_SHIFT, shortest - gram + 1));
  const byPrefix = new Map<number, Buffer[]>();
  const firstBytes = new Uint8Array(256);
  for (const s of secrets) {
    // Each gram ending at `end` (exclusive) inside the window-long prefix: a window whose last
    // gram is this one must move on (shortest − end) bytes to line it up with the secret's.
    for (let end = gram; end <= shortest; end++) {
      const h = gramIndex(s, end - gram, gram);
      shift[h] = Math.min(shift[h]!, shortest - end);
    }
    const key = prefixKey(s, 0, gram);
    const bucket = byPrefix.get(key);
    if (bucket) bucket.push(s);
    else byPrefix.set(key, [s]);
    firstBytes[s[0]!] = 1;
  }
  return {
    secrets,
    sorted: secrets.map((s) => s.toString("latin1")).sort(),
    shortest,
    longest: secrets[0]?.length ?? 0,
    gram,
    shift,
    byPrefix,
    firstBytes,
  };
}

function gramIndex(bytes: Uint8Array, at: number, gram: number): number {
  if (gram === 3) return hash3(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!);
  return prefixKey(bytes, at, gram);
}

function prefixKey(bytes: Uint8Array, at: number, gram: number): number {
  let key = 0;
  for (let i = 0; i < gram; i++) key = key * 256 + bytes[at + i]!;
  return key;
}

/**
 * Every position of `data` where a secret starts, each with the longest secret starting there, as
 * flat [start, length, start, length, …] in increasing order. Only secrets wholly inside `data`
 * are found; one running past its end is the pending tail's business.
 */
function findAll(data: Buffer, m: Matcher): number[] {
  const found: number[] = [];
  const { shortest, shift, gram } = m;
  const n = data.length;
  // `last` is the index of the window's last byte; the window is data[last-shortest+1 .. last].
  let last = shortest - 1;
  if (gram === 3) {
    // The hot loop, kept free of calls: most windows end in a gram no secret has, and jump.
    while (last < n) {
      const jump = shift[((data[last - 2]! << 12) ^ (data[last - 1]! << 6) ^ data[last]!) & HASH_MASK]!;
      if (jump !== 0) last += jump;
      else {
        candidate(data, last - shortest + 1, m, found);
        last += 1;
      }
    }
  } else {
    while (last < n) {
      const jump = shift[prefixKey(data, last - gram + 1, gram)]!;
      if (jump !== 0) last += jump;
      else {
        candidate(data, last - shortest + 1, m, found);
        last += 1;
      }
    }
  }
  return found;
}

/** Where the table says a secret may start: records the longest one that does. */
function candidate(data: Buffer, start: number, m: Matcher, found: number[]): void {
  const bucket = m.byPrefix.get(prefixKey(data, start, m.gram));
  if (!bucket) return;
  for (const s of bucket) {
    if (startsAt(data, start, s)) {
      found.push(start, s.length);
      return;
    }
  }
}

function startsAt(data: Buffer, at: number, secret: Buffer): boolean {
  const len = secret.length;
  if (at + len > data.length) return false;
  for (let i = 0; i < len; i++) if (data[at + i] !== secret[i]) return false;
  return true;
}

/**
 * Masks `data` and splits it into the part whose masking is settled (`output`) and the tail that
 * might still become part of a secret when more bytes arrive (`rest`, a view of `data`). With
 * `final`, nothing more will arrive and `rest` is empty.
 */
function mask(data: Buffer, m: Matcher, final: boolean): { output: Buffer; rest: Buffer } {
  const n = data.length;
  if (m.secrets.length === 0 || n === 0) return { output: data, rest: data.subarray(n) };
  // Before this index every secret starting there ends inside `data`: nothing is pending.
  const tailStart = final ? n : Math.max(0, n - m.longest + 1);
  const found = findAll(data, m);
  const pieces: Buffer[] = [];
  let pos = 0;
  let i = 0;
  const settle = (until: number) => {
    if (until > pos) pieces.push(data.subarray(pos, until));
    return { output: pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces), rest: data.subarray(until) };
  };
  for (;;) {
    while (i < found.length && found[i]! < pos) i += 2;
    const next = i < found.length ? found[i]! : n;
    for (let p = Math.max(pos, tailStart); p < next; p++) if (isPending(data, p, m)) return settle(p);
    if (i >= found.length) return settle(n);
    // A complete match near the end is still pending when a longer secret could extend it.
    if (next >= tailStart && isPending(data, next, m)) return settle(next);
    if (next > pos) pieces.push(data.subarray(pos, next));
    pieces.push(MASK_BYTES);
    pos = next + found[i + 1]!;
  }
}

/** True when `data` from `p` to its end is the beginning of a secret longer than that. */
function isPending(data: Buffer, p: number, m: Matcher): boolean {
  if (m.firstBytes[data[p]!] === 0) return false;
  const tail = data.toString("latin1", p);
  // In sorted order the secrets that begin with `tail` come right after where `tail` would be.
  const { sorted } = m;
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < tail) lo = mid + 1;
    else hi = mid;
  }
  for (let k = lo; k < sorted.length && sorted[k]!.startsWith(tail); k++) if (sorted[k]!.length > tail.length) return true;
  return false;
}

/** Rebuilds the matcher only when the secret list changed. */
class MatcherCache {
  private key = "";
  private last: readonly string[] | undefined;
  private lastLength = 0;
  private matcher: Matcher = buildMatcher([]);

  for(values: readonly string[]): Matcher {
    // The redactor hands back the same array until a secret is added: then nothing to compare.
    if (values === this.last && values.length === this.lastLength) return this.matcher;
    // Otherwise compared by content: a caller may well hand back the same array mutated.
    // Values never contain NUL (docs/contract/environment.md#names-and-values), so it is a safe separator.
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
