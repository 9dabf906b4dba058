/**
 * The `--mask` filter's matcher: where in a run of bytes each secret starts (longest first), and
 * whether a tail may still grow into one.
 *
 * The scan is Wu–Manber's multi-pattern search: a window as long as the shortest secret slides
 * over the bytes, and a table indexed by a hash of the window's last four bytes (three, or fewer,
 * when the shortest secret is short) says how far it may jump before a secret could start inside
 * it. Bytes that occur in no secret are jumped over, up to (shortest secret − 3) at a time, so the
 * cost per byte does not grow with the number of secrets. Where the table says a secret may end
 * the window (jump 0), the window's first two bytes must begin some secret, and only then are the
 * secrets whose window ends with the same hash — usually one — compared byte by byte; a second
 * table then says how far the window may move on past that gram.
 */

/** Bits of the hash of a window's last bytes (the index of the jump tables). */
const HASH_BITS = 18;
const HASH_SHIFT = 32 - HASH_BITS;
/** Multiplier of the gram hash (Knuth's golden-ratio constant): it spreads ASCII text well. */
const HASH_MULTIPLIER = 0x9e3779b1;
/** From this shortest secret on, the window's last four bytes index the tables, not three. */
const FOUR_BYTE_GRAMS_FROM = 8;

/** The longest jump the table stores (a byte); longer windows just jump 255 at a time. */
const MAX_SHIFT = 255;

export interface Matcher {
  /** How many distinct non-empty secrets there are (0: nothing to mask). */
  count: number;
  /** The secrets' UTF-8 bytes, longest first. */
  secrets: Buffer[];
  /** The same bytes in byte order, for the pending-tail look-up. */
  sorted: Buffer[];
  /** Length of the shortest secret: the window. */
  shortest: number;
  longest: number;
  /** How many trailing bytes of the window index `shift` (4 or 3, or the window when shorter). */
  gram: number;
  /** How far the window may move on, by the (hash of the) window's last `gram` bytes; 0: a secret may end the window. */
  shift: Uint8Array;
  /** Where `shift` says 0: how far the window may move on once the secrets ending there have been compared. */
  after: Uint8Array;
  /** The secrets (indices into `secrets`, longest first) by the same index of their window's last bytes. */
  byWindowEnd: Map<number, number[]>;
  /** 1 for each pair of bytes (first × 256 + second) some secret begins with; for one-byte windows, each first byte. */
  starts: Uint8Array;
  /** Bytes that begin a secret longer than one byte. */
  pendingFirst: Uint8Array;
  /** Pairs of bytes (first × 256 + second) that begin a secret longer than two bytes. */
  pendingPair: Uint8Array;
  /** The same for three bytes (by tripleIndex, so 1 only says maybe) and secrets longer than three. */
  pendingTriple: Uint8Array;
  /** findAll's scratch space: the lanes' windows to compare (grown to the longest input seen). */
  hits: Int32Array;
  /** Where each of the four lanes stopped, then how far its hits go. */
  lanes: Int32Array;
}

export function buildMatcher(values: readonly string[]): Matcher {
  const unique = [...new Set(values.filter((v) => v.length > 0))];
  const secrets = unique.map((v) => Buffer.from(v, "utf8")).sort((a, b) => b.length - a.length);
  const shortest = secrets.length > 0 ? secrets[secrets.length - 1]!.length : 0;
  const gram = shortest >= FOUR_BYTE_GRAMS_FROM ? 4 : Math.min(3, shortest);
  const shift = new Uint8Array(gram >= 3 ? 1 << HASH_BITS : 1 << (8 * gram));
  shift.fill(Math.min(MAX_SHIFT, shortest - gram + 1));
  const after = new Uint8Array(shift.length);
  after.fill(Math.min(MAX_SHIFT, shortest - gram + 1));
  const byWindowEnd = new Map<number, number[]>();
  const starts = new Uint8Array(shortest >= 2 ? 1 << 16 : 256);
  const pendingFirst = new Uint8Array(256);
  const pendingPair = new Uint8Array(1 << 16);
  const pendingTriple = new Uint8Array(1 << 16);
  secrets.forEach((s, index) => {
    // Each gram ending at `end` (exclusive) inside the window-long prefix: a window whose last
    // gram is this one must move on (shortest − end) bytes to line it up with the secret's.
    for (let end = gram; end <= shortest; end++) {
      const h = gramIndex(s, end - gram, gram);
      shift[h] = Math.min(shift[h]!, shortest - end);
      if (end < shortest) after[h] = Math.min(after[h]!, shortest - end);
    }
    const key = gramIndex(s, shortest - gram, gram);
    const bucket = byWindowEnd.get(key);
    if (bucket) bucket.push(index);
    else byWindowEnd.set(key, [index]);
    starts[shortest >= 2 ? (s[0]! << 8) | s[1]! : s[0]!] = 1;
    if (s.length > 1) pendingFirst[s[0]!] = 1;
    if (s.length > 2) pendingPair[(s[0]! << 8) | s[1]!] = 1;
    if (s.length > 3) pendingTriple[tripleIndex(s[0]!, s[1]!, s[2]!)] = 1;
  });
  return {
    count: secrets.length,
    secrets,
    sorted: [...secrets].sort((a, b) => Buffer.compare(a, b)),
    shortest,
    longest: secrets[0]?.length ?? 0,
    gram,
    shift,
    after,
    byWindowEnd,
    starts,
    pendingFirst,
    pendingPair,
    pendingTriple,
    hits: new Int32Array(0),
    lanes: new Int32Array(8),
  };
}

/** The table index of the `gram` bytes at `at` (the hot loops write the same formulas inline). */
function gramIndex(bytes: Uint8Array, at: number, gram: number): number {
  if (gram === 4) return Math.imul((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!, HASH_MULTIPLIER) >>> HASH_SHIFT;
  if (gram === 3) return Math.imul((bytes[at]! << 16) | (bytes[at + 1]! << 8) | bytes[at + 2]!, HASH_MULTIPLIER) >>> HASH_SHIFT;
  return gram === 2 ? (bytes[at]! << 8) | bytes[at + 1]! : bytes[at]!;
}

/**
 * Every position of `data` from `from` on where a secret starts, each with the longest secret
 * starting there, as flat [start, length, start, length, …] in increasing order. Only secrets
 * wholly inside `data` are found; one running past its end is the pending tail's business.
 *
 * Two things make the scan fast. A window's last four bytes are read as one (a DataView's
 * getUint32, big-endian so the number is the same as gramIndex's), not byte by byte. And since
 * each step waits on the one before (the next window depends on this one's jump), a long run is
 * cut into four quarters scanned in one loop, step for step: the processor works on four
 * independent chains at once.
 */
export function findAll(data: Buffer, from: number, m: Matcher): number[] {
  const n = data.length;
  const w = m.shortest;
  const quarter = (n - from) >> 2;
  const found: number[] = [];
  if (m.gram !== 4) return scanShort(data, from + w - 1, m, found);
  const view = new DataView(data.buffer, data.byteOffset, n);
  if (quarter < 4 * w) return scan(data, view, from + w - 1, n, m, found);
  // Lane k finds the secrets starting in [from + k·quarter, from + (k+1)·quarter) (the last: to
  // the end), so its windows end before the next lane's first start + w − 1.
  const region = quarter + 4;
  if (m.hits.length < 4 * region) m.hits = new Int32Array(4 * region);
  const at = m.lanes;
  const end0 = from + quarter + w - 1;
  const end1 = end0 + quarter;
  const end2 = end1 + quarter;
  runLanes(view, from + w - 1, end0, end1, end2, region, m);
  const { hits } = m;
  verify(data, hits, 0, at[4]!, m, found);
  scan(data, view, at[0]!, end0, m, found);
  verify(data, hits, region, at[5]!, m, found);
  scan(data, view, at[1]!, end1, m, found);
  verify(data, hits, 2 * region, at[6]!, m, found);
  scan(data, view, at[2]!, end2, m, found);
  verify(data, hits, 3 * region, at[7]!, m, found);
  return scan(data, view, at[3]!, view.byteLength, m, found);
}

/**
 * The four lanes' loop, alone in its function so that it compiles quickly (the scan starts
 * slow until it does): runs the lanes until one reaches its end, noting the windows to compare in
 * each lane's stretch of `m.hits` (a typed store: a call or an array push here would cost the loop
 * its registers), and leaves in `m.lanes` where each lane stopped and how far its hits go.
 */
function runLanes(view: DataView, first: number, end0: number, end1: number, end2: number, region: number, m: Matcher): void {
  const { shift, after, starts, hits } = m;
  const w = m.shortest;
  const n = view.byteLength;
  let a = first;
  let b = end0;
  let c = end1;
  let d = end2;
  let ka = 0;
  let kb = region;
  let kc = 2 * region;
  let kd = 3 * region;
  while (a < end0 && b < end1 && c < end2 && d < n) {
    const ha = Math.imul(view.getUint32(a - 3), HASH_MULTIPLIER) >>> HASH_SHIFT;
    const hb = Math.imul(view.getUint32(b - 3), HASH_MULTIPLIER) >>> HASH_SHIFT;
    const hc = Math.imul(view.getUint32(c - 3), HASH_MULTIPLIER) >>> HASH_SHIFT;
    const hd = Math.imul(view.getUint32(d - 3), HASH_MULTIPLIER) >>> HASH_SHIFT;
    const ja = shift[ha]!;
    const jb = shift[hb]!;
    const jc = shift[hc]!;
    const jd = shift[hd]!;
    if (ja !== 0) a += ja;
    else {
      if (starts[view.getUint16(a - w + 1)] === 1) hits[ka++] = a - w + 1;
      a += after[ha]!;
    }
    if (jb !== 0) b += jb;
    else {
      if (starts[view.getUint16(b - w + 1)] === 1) hits[kb++] = b - w + 1;
      b += after[hb]!;
    }
    if (jc !== 0) c += jc;
    else {
      if (starts[view.getUint16(c - w + 1)] === 1) hits[kc++] = c - w + 1;
      c += after[hc]!;
    }
    if (jd !== 0) d += jd;
    else {
      if (starts[view.getUint16(d - w + 1)] === 1) hits[kd++] = d - w + 1;
      d += after[hd]!;
    }
  }
  const at = m.lanes;
  at[0] = a;
  at[1] = b;
  at[2] = c;
  at[3] = d;
  at[4] = ka;
  at[5] = kb;
  at[6] = kc;
  at[7] = kd;
}

/** A lane's windows that may hold a secret (their starts, hits[from..to)), compared in order after the loop. */
function verify(data: Buffer, hits: Int32Array, from: number, to: number, m: Matcher, found: number[]): void {
  for (let k = from; k < to; k++) candidate(data, hits[k]!, gramIndex(data, hits[k]! + m.shortest - 4, 4), m, found);
}

/** One lane of four-byte grams: the windows whose last byte is at `last` and on, before `end`; appends to `found` and returns it. */
function scan(data: Buffer, view: DataView, last: number, end: number, m: Matcher, found: number[]): number[] {
  const { shortest, shift, after, starts } = m;
  while (last < end) {
    const h = Math.imul(view.getUint32(last - 3), HASH_MULTIPLIER) >>> HASH_SHIFT;
    const jump = shift[h]!;
    if (jump !== 0) last += jump;
    else {
      const start = last - shortest + 1;
      if (starts[view.getUint16(start)] === 1) candidate(data, start, h, m, found);
      last += after[h]!;
    }
  }
  return found;
}

/** The scan for a shortest secret under eight bytes (three-byte grams, or the window itself when shorter). */
function scanShort(data: Buffer, last: number, m: Matcher, found: number[]): number[] {
  const { shortest, shift, after, gram, starts } = m;
  const n = data.length;
  if (gram === 3) {
    while (last < n) {
      const h = Math.imul((data[last - 2]! << 16) | (data[last - 1]! << 8) | data[last]!, HASH_MULTIPLIER) >>> HASH_SHIFT;
      const jump = shift[h]!;
      if (jump !== 0) last += jump;
      else {
        const start = last - shortest + 1;
        if (starts[(data[start]! << 8) | data[start + 1]!] === 1) candidate(data, start, h, m, found);
        last += after[h]!;
      }
    }
  } else {
    while (last < n) {
      const h = gram === 2 ? (data[last - 1]! << 8) | data[last]! : data[last]!;
      if (shift[h] === 0) candidate(data, last - shortest + 1, h, m, found);
      last += 1;
    }
  }
  return found;
}

/** Where the window ending in hash `h` may hold a secret: records the longest one that starts at `start`. */
function candidate(data: Buffer, start: number, h: number, m: Matcher, found: number[]): void {
  const bucket = m.byWindowEnd.get(h);
  if (!bucket) return;
  for (const index of bucket) {
    const s = m.secrets[index]!;
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

/** True when `data` from `p` to its end is the beginning of a secret longer than that. */
export function isPending(data: Buffer, p: number, m: Matcher): boolean {
  const n = data.length;
  if (m.pendingFirst[data[p]!] === 0) return false;
  if (n - p === 1) return true;
  if (m.pendingPair[(data[p]! << 8) | data[p + 1]!] === 0) return false;
  if (n - p === 2) return true;
  if (m.pendingTriple[tripleIndex(data[p]!, data[p + 1]!, data[p + 2]!)] === 0) return false;
  // In byte order the secrets that begin with the tail come right after where the tail would be:
  // the tail itself, if it is a secret, then the longer ones.
  const { sorted } = m;
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareTail(data, p, sorted[mid]!) > 0) lo = mid + 1;
    else hi = mid;
  }
  for (let k = lo; k < sorted.length && k <= lo + 1; k++) {
    const s = sorted[k]!;
    if (s.length < n - p || compareTail(data, p, s.subarray(0, n - p)) !== 0) return false;
    if (s.length > n - p) return true;
  }
  return false;
}

/** The pending-tail filter's index of a tail's first three bytes. */
function tripleIndex(a: number, b: number, c: number): number {
  return Math.imul((a << 16) | (b << 8) | c, HASH_MULTIPLIER) >>> 16;
}

/** Byte order of `data` from `p` to its end against `secret`. */
function compareTail(data: Buffer, p: number, secret: Buffer): number {
  const len = Math.min(data.length - p, secret.length);
  for (let i = 0; i < len; i++) {
    const d = data[p + i]! - secret[i]!;
    if (d !== 0) return d;
  }
  return data.length - p - secret.length;
}

/**
 * The matcher built last in this process, by its key: a child's stdout and stderr filters mask the
 * same secrets, and share the tables (about 600 KiB) instead of building them twice.
 */
let lastBuilt: { key: string; matcher: Matcher } | undefined;

/** Rebuilds the matcher only when the secret list changed. */
export class MatcherCache {
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
      if (lastBuilt?.key !== key) lastBuilt = { key, matcher: buildMatcher(values) };
      this.matcher = lastBuilt.matcher;
      this.key = key;
    }
    this.last = values;
    this.lastLength = values.length;
    return this.matcher;
  }
}
