import assert from "node:assert/strict";
import type { Transform } from "node:stream";
import { describe, it } from "node:test";
import fc from "fast-check";
import { createMaskStream, MASK, maskText } from "../../src/supervise/mask.js";

/** Writes `chunks` one by one, ends the stream and returns everything it produced. */
async function through(stream: Transform, chunks: readonly Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  stream.on("data", (d: Buffer) => out.push(d));
  const ended = new Promise((resolve) => stream.once("end", resolve));
  for (const chunk of chunks) stream.write(chunk);
  stream.end();
  await ended;
  return Buffer.concat(out);
}

function mask(chunks: readonly (string | Buffer)[], secrets: readonly string[]): Promise<Buffer> {
  return through(
    createMaskStream(() => secrets),
    chunks.map((c) => (typeof c === "string" ? Buffer.from(c, "utf8") : c)),
  );
}

/** Independent reference: scan the bytes left to right, masking the longest secret starting at each position. */
function reference(bytes: Buffer, secrets: readonly string[]): Buffer {
  const needles = secrets.filter((s) => s !== "").map((s) => Buffer.from(s, "utf8"));
  const out: Buffer[] = [];
  let i = 0;
  while (i < bytes.length) {
    let best = 0;
    for (const n of needles) if (n.length > best && bytes.subarray(i, i + n.length).equals(n)) best = n.length;
    if (best > 0) {
      out.push(Buffer.from(MASK));
      i += best;
    } else {
      out.push(bytes.subarray(i, i + 1));
      i += 1;
    }
  }
  return Buffer.concat(out);
}

/**
 * The same reference for large sets: at each position the longest secret starting there is found
 * by looking each candidate length up in a set of the secrets' bytes (as latin1 strings).
 */
function referenceBySet(bytes: Buffer, secrets: readonly string[]): Buffer {
  const set = new Set(secrets.filter((s) => s !== "").map((s) => Buffer.from(s, "utf8").toString("latin1")));
  const longest = Math.max(0, ...[...set].map((s) => s.length));
  const text = bytes.toString("latin1");
  let out = "";
  let i = 0;
  while (i < text.length) {
    let best = 0;
    for (let len = Math.min(longest, text.length - i); len > 0 && best === 0; len--) if (set.has(text.slice(i, i + len))) best = len;
    out += best > 0 ? MASK : text[i];
    i += best > 0 ? best : 1;
  }
  return Buffer.from(out, "latin1");
}

function split(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const p of [...points, bytes.length]) {
    chunks.push(bytes.subarray(start, p));
    start = p;
  }
  return chunks;
}

/**
 * The output made of `pieces` (a number picks a secret, a string is itself), masked by the stream
 * cut at `cuts` and by maskText on the whole, equals `expected`'s result for it.
 */
async function assertMasksLike(secrets: string[], pieces: readonly (number | string)[], cuts: readonly number[], expected: (bytes: Buffer, secrets: readonly string[]) => Buffer): Promise<void> {
  const bytes = Buffer.from(pieces.map((p) => (typeof p === "number" ? secrets[p % secrets.length]! : p)).join(""), "utf8");
  const whole = expected(bytes, secrets);
  assert.deepEqual(
    await through(
      createMaskStream(() => secrets),
      split(bytes, cuts),
    ),
    whole,
  );
  assert.deepEqual(Buffer.from(maskText(bytes.toString("latin1"), secrets), "latin1"), whole);
}

describe("mask stream", () => {
  it("replaces every occurrence of every secret with *****", async () => {
    const out = await mask(["user=admin pass=hunter2 again hunter2, token=abc123\n"], ["hunter2", "abc123"]);
    assert.equal(out.toString("utf8"), `user=admin pass=${MASK} again ${MASK}, token=${MASK}\n`);
  });

  it("hides a secret that contains another one whole (longest first)", async () => {
    const out = await mask(["[abcdef] [abc]"], ["abc", "abcdef"]);
    assert.equal(out.toString("utf8"), `[${MASK}] [${MASK}]`);
  });

  it("masks a secret split across chunk boundaries, including inside a multi-byte character", async () => {
    const secret = "pässwörd-€";
    const bytes = Buffer.from(`before ${secret} after`, "utf8");
    const start = bytes.indexOf(Buffer.from(secret, "utf8"));
    // Cut after each byte of the secret, so every boundary (also mid-character) is exercised.
    for (let cut = start + 1; cut < start + Buffer.byteLength(secret); cut++) {
      const out = await mask([bytes.subarray(0, cut), bytes.subarray(cut)], [secret]);
      assert.equal(out.toString("utf8"), `before ${MASK} after`, `cut at ${cut}`);
    }
    const oneByteChunks = [...bytes].map((b) => Buffer.from([b]));
    assert.equal((await mask(oneByteChunks, [secret])).toString("utf8"), `before ${MASK} after`);
  });

  it("passes binary output through byte for byte", async () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const bytes = Buffer.concat([all, all.reverse(), Buffer.from([0xff, 0xfe, 0x00, 0xc3])]);
    assert.deepEqual(await mask([bytes.subarray(0, 100), bytes.subarray(100)], ["not-in-there"]), bytes);
    assert.deepEqual(await mask([bytes], []), bytes);
  });

  it("passes output on at once, holding back only a tail that may begin a secret", async () => {
    const stream = createMaskStream(() => ["password"]);
    const seen: string[] = [];
    stream.on("data", (d: Buffer) => seen.push(d.toString("latin1")));
    stream.write(Buffer.from("hello pass"));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, ["hello "]);
    stream.write(Buffer.from("port\n"));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, ["hello ", "passport\n"]);
    stream.write(Buffer.from("x pa"));
    const ended = new Promise((r) => stream.once("end", r));
    stream.end();
    await ended;
    assert.deepEqual(seen, ["hello ", "passport\n", "x ", "pa"]);
  });

  it("reads the secret list at each chunk, so secrets added later are masked from then on", async () => {
    const secrets: string[] = [];
    const stream = createMaskStream(() => secrets);
    const out: Buffer[] = [];
    stream.on("data", (d: Buffer) => out.push(d));
    stream.write(Buffer.from("one rotated-1\n"));
    secrets.push("rotated-1");
    stream.write(Buffer.from("two rotated-1\n"));
    const ended = new Promise((r) => stream.once("end", r));
    stream.end();
    await ended;
    assert.equal(Buffer.concat(out).toString(), `one rotated-1\ntwo ${MASK}\n`);
  });

  it("ignores empty secrets", async () => {
    assert.equal((await mask(["abc"], ["", "b"])).toString(), `a${MASK}c`);
  });

  it("gives the same result for any chunking as for the whole output, and no secret survives", async () => {
    // Secrets never contain "*", so a surviving secret could not be an artefact of the mask itself.
    const char = fc.constantFrom("a", "b", "é", "€", "𝄞", "\n", "=", "x");
    const word = (min: number, max: number) => fc.array(char, { minLength: min, maxLength: max }).map((a) => a.join(""));
    const piece = fc.oneof(fc.record({ secret: fc.nat() }), fc.record({ text: word(0, 6) }), fc.record({ bytes: fc.uint8Array({ maxLength: 6 }) }));
    await fc.assert(
      fc.asyncProperty(fc.array(word(1, 7), { minLength: 1, maxLength: 4 }), fc.array(piece, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 12 }), async (secrets, pieces, cuts) => {
        const bytes = Buffer.concat(pieces.map((p) => ("secret" in p ? Buffer.from(secrets[p.secret % secrets.length]!, "utf8") : "text" in p ? Buffer.from(p.text, "utf8") : Buffer.from(p.bytes))));
        const whole = reference(bytes, secrets);
        const streamed = await through(
          createMaskStream(() => secrets),
          split(bytes, cuts),
        );
        assert.deepEqual(streamed, whole);
        assert.deepEqual(Buffer.from(maskText(bytes.toString("latin1"), secrets), "latin1"), whole);
        for (const s of secrets) assert.equal(streamed.indexOf(Buffer.from(s, "utf8")), -1, `secret ${JSON.stringify(s)} survived`);
      }),
      { numRuns: 400 },
    );
  });

  it("with 1000 secrets, many sharing prefixes, gives the reference result for any chunking", async () => {
    // A small alphabet makes the secrets overlap, contain one another and share first bytes, so
    // the matcher's jump table and prefix buckets are exercised where they could go wrong.
    const secretChar = fc.constantFrom("a", "b", "c", "é");
    const secretArb = fc.array(secretChar, { minLength: 1, maxLength: 14 }).map((a) => a.join(""));
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(secretArb, { minLength: 1000, maxLength: 1000 }),
        fc.array(fc.oneof(fc.nat(), fc.constantFrom("x", "a", "b", "\n", "é", "€")), { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        async (secrets, pieces, cuts) => {
          await assertMasksLike(secrets, pieces, cuts, reference);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("gives the reference result on long output in any chunking: secrets that overlap, contain one another, of one byte or many", async () => {
    // Kilobytes of output over a small alphabet, so that secrets overlap and sit next to one
    // another everywhere, cut into chunks long and short: this runs the matcher's four-lane scan
    // (long chunks, secrets of 8 bytes or more), its short-window scans (a secret under 8 bytes,
    // down to one), and the join of a held-back tail with the next chunk's first bytes.
    const char = fc.constantFrom("a", "b", "é", "x");
    const word = (min: number, max: number) => fc.array(char, { minLength: min, maxLength: max }).map((a) => a.join(""));
    const secretsArb = fc.oneof(
      fc.array(word(8, 24), { minLength: 1, maxLength: 6 }),
      fc.array(word(1, 24), { minLength: 1, maxLength: 6 }),
      // Prefixes of one another: a base and some of its beginnings.
      fc.tuple(word(8, 30), fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 4 })).map(([base, cuts]) => [base, ...cuts.map((c) => base.slice(0, c))]),
    );
    await fc.assert(
      fc.asyncProperty(secretsArb, fc.array(fc.oneof(fc.nat(), word(0, 40)), { minLength: 20, maxLength: 200 }), fc.array(fc.nat(), { maxLength: 30 }), async (secrets, pieces, cuts) => {
        await assertMasksLike(secrets, pieces, cuts, referenceBySet);
      }),
      { numRuns: 300 },
    );
  });

  it("with 1000 secrets of 8 to 20 bytes, many sharing prefixes, gives the reference result on long output in any chunking", async () => {
    const secretChar = fc.constantFrom("a", "b", "c", "é");
    const secretArb = fc.array(secretChar, { minLength: 8, maxLength: 20 }).map((a) => a.join(""));
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(secretArb, { minLength: 1000, maxLength: 1000 }),
        fc.array(fc.oneof(fc.nat(), fc.constantFrom("x", "a", "b", "c", "\n", "é", "€")), { minLength: 100, maxLength: 400 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        async (secrets, pieces, cuts) => {
          await assertMasksLike(secrets, pieces, cuts, referenceBySet);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("with 1000 long random secrets in log lines, masks each one and nothing else", async () => {
    const rng = fc.sample(fc.array(fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), { minLength: 12, maxLength: 40 }), { numRuns: 1000, seed: 42 });
    const secrets = [...new Set(rng.map((a) => a.join("")))];
    // The expected output is built alongside the input (random 12+ character values occur nowhere
    // else in these lines), so the check does not cost 1000 comparisons per byte.
    let text = "";
    let expected = "";
    for (let i = 0; i < 3000; i++) {
      const line = (token: string) => `2026-11-27T00:00:00Z INFO request ${i} user=alice${i % 3 === 0 ? ` token=${token}` : ""}\n`;
      text += line(secrets[i % secrets.length]!);
      expected += line(MASK);
    }
    const bytes = Buffer.from(text, "utf8");
    const whole = Buffer.from(expected, "utf8");
    const cuts = Array.from({ length: 40 }, (_, k) => k * 4099);
    assert.deepEqual(
      await through(
        createMaskStream(() => secrets),
        split(bytes, cuts),
      ),
      whole,
    );
    assert.equal(secrets.length, 1000);
  });
});
