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
 * The scan (mask-matcher.ts) is Wu–Manber's multi-pattern search, whose cost per byte does not
 * grow with the number of secrets. This file is the stream around it: each chunk is scanned where
 * it lies (a held-back tail is joined only with the chunk's first bytes, never with the whole
 * chunk), and a chunk goes on as it came when it holds no secret, or as one buffer otherwise.
 */
import { Transform } from "node:stream";
import { findAll, isPending, type Matcher, MatcherCache, buildMatcher } from "./mask-matcher.js";

/** What each secret occurrence becomes (the same mask as the logger's redactor). */
export const MASK = "*****";
const MASK_BYTES = Buffer.from(MASK, "latin1");
const EMPTY = Buffer.alloc(0);

/** Returns a Transform that masks every value `secrets()` returns; the list is read again for each chunk, so secrets added later apply from then on. */
export function createMaskStream(secrets: () => readonly string[]): Transform {
  const matchers = new MatcherCache();
  let held: Buffer | undefined;
  const out = new Output();
  const pass = (chunk: Buffer, final: boolean, callback: (error?: Error | null, data?: Buffer) => void) => {
    const rest = feed(held, chunk, matchers.for(secrets()), final, out);
    // `rest` is a view of the writer's chunk (or of a join): keep a copy of its few bytes.
    held = rest.length > 0 ? Buffer.from(rest) : undefined;
    const output = out.take();
    if (output.length > 0) callback(null, output);
    else callback();
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      pass(chunk, false, callback);
    },
    flush(callback) {
      pass(EMPTY, true, callback);
    },
  });
}

/** Masks a whole latin1 string in one go (what the stream produces for any chunking of the same bytes). */
export function maskText(text: string, secrets: readonly string[]): string {
  const out = new Output();
  feed(undefined, Buffer.from(text, "latin1"), buildMatcher(secrets), true, out);
  return out.take().toString("latin1");
}

/**
 * Masks `held` followed by `chunk` into `out` and returns the tail that might still become part of
 * a secret when more bytes arrive (a view of `chunk` or of a join; empty with `final`).
 */
function feed(held: Buffer | undefined, chunk: Buffer, m: Matcher, final: boolean, out: Output): Buffer {
  if (m.count === 0) {
    if (held) out.add(held, 0, held.length);
    out.add(chunk, 0, chunk.length);
    return EMPTY;
  }
  if (!held) return restOf(chunk, maskFrom(chunk, 0, m, final, out));
  const reach = m.longest - 1;
  if (chunk.length < 4 * m.longest) {
    // A short chunk: joining it with the held bytes costs less than the bookkeeping below.
    const data = Buffer.concat([held, chunk]);
    return restOf(data, maskFrom(data, 0, m, final, out));
  }
  // Every secret starting in the held bytes ends within the chunk's first (longest − 1) bytes, so
  // the held positions are decided on that short join; the scan then goes on in the chunk itself
  // from where the last of them left off.
  const h = held.length;
  const head = Buffer.concat([held, chunk.subarray(0, reach)]);
  const found = findAll(head, 0, m);
  let pos = 0;
  for (let i = 0; i < found.length && found[i]! < h; i += 2) {
    const start = found[i]!;
    if (start < pos) continue;
    out.add(head, pos, start);
    out.add(MASK_BYTES, 0, MASK_BYTES.length);
    pos = start + found[i + 1]!;
  }
  if (pos < h) {
    out.add(head, pos, h);
    pos = h;
  }
  return restOf(chunk, maskFrom(chunk, pos - h, m, final, out));
}

/** `data` from `start` on (no new view when that is nothing, as it mostly is). */
function restOf(data: Buffer, start: number): Buffer {
  return start < data.length ? data.subarray(start) : EMPTY;
}

/**
 * Masks `data` from `from` on into `out`, up to where the result is settled, and returns that
 * index: the start of the tail that might still become part of a secret when more bytes arrive
 * (`data.length` with `final`, when nothing more will).
 */
function maskFrom(data: Buffer, from: number, m: Matcher, final: boolean, out: Output): number {
  const n = data.length;
  // Before this index every secret starting there ends inside `data`: nothing is pending.
  const tailStart = final ? n : Math.max(from, n - m.longest + 1);
  const found = findAll(data, from, m);
  let pos = from;
  let i = 0;
  for (;;) {
    while (i < found.length && found[i]! < pos) i += 2;
    const next = i < found.length ? found[i]! : n;
    for (let p = Math.max(pos, tailStart); p < next; p++) {
      if (isPending(data, p, m)) {
        out.add(data, pos, p);
        return p;
      }
    }
    if (i >= found.length) {
      out.add(data, pos, n);
      return n;
    }
    // A complete match near the end is still pending when a longer secret could extend it.
    if (next >= tailStart && isPending(data, next, m)) {
      out.add(data, pos, next);
      return next;
    }
    out.add(data, pos, next);
    out.add(MASK_BYTES, 0, MASK_BYTES.length);
    pos = next + found[i + 1]!;
  }
}

/**
 * The settled output of one chunk, gathered as ranges of the input and masks: handed on as the
 * input's own bytes when that is all it is, otherwise copied once into one buffer (one write
 * downstream, not one per piece). Those buffers are cut from a shared slab, as Node's own pool
 * does for small buffers: allocating each chunk's output on its own costs as much as the scan.
 */
class Output {
  private readonly sources: Buffer[] = [];
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private length = 0;

  add(source: Buffer, start: number, end: number): void {
    if (end <= start) return;
    this.sources.push(source);
    this.starts.push(start);
    this.ends.push(end);
    this.length += end - start;
  }

  /** The output gathered since the last call, as one buffer. */
  take(): Buffer {
    const { sources, starts, ends } = this;
    const count = sources.length;
    let result: Buffer;
    if (count === 0) result = EMPTY;
    else if (count === 1) {
      const only = sources[0]!;
      result = starts[0] === 0 && ends[0] === only.length ? only : only.subarray(starts[0], ends[0]);
    } else {
      result = fromSlab(this.length);
      let at = 0;
      for (let k = 0; k < count; k++) {
        const source = sources[k]!;
        const start = starts[k]!;
        const end = ends[k]!;
        if (end - start <= 16) for (let j = start; j < end; j++) result[at++] = source[j]!;
        else {
          result.set(new Uint8Array(source.buffer, source.byteOffset + start, end - start), at);
          at += end - start;
        }
      }
    }
    sources.length = 0;
    starts.length = 0;
    ends.length = 0;
    this.length = 0;
    return result;
  }
}

/** Size of the slab output buffers are cut from (a bigger output gets its own). */
const SLAB_SIZE = 128 * 1024;
let slab = Buffer.alloc(0);
let slabUsed = 0;

/** An uninitialised buffer of `size` bytes, from the slab while it has room. */
function fromSlab(size: number): Buffer {
  if (size > SLAB_SIZE / 2) return Buffer.allocUnsafeSlow(size);
  if (slabUsed + size > slab.length) {
    slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
    slabUsed = 0;
  }
  const result = slab.subarray(slabUsed, slabUsed + size);
  // Keep each piece 8-byte aligned, as Node's pool does.
  slabUsed = (slabUsed + size + 7) & ~7;
  return result;
}
