/**
 * `--mask` end to end: a real child writes secrets (split across writes, next to binary bytes) to
 * stdout and stderr; what comes out of envject has every secret replaced and everything else intact.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MASK } from "../../src/supervise/mask.js";
import { fixture, startHarness, within } from "./fixtures/processes.js";

const SECRETS = ["s3cr3t-Pässwörd", "tok_€€€_42"];
const BINARY = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

/** Splits each secret's UTF-8 bytes in two (mid-character for the multi-byte ones) around other output. */
function plan(label: string): Buffer[] {
  const chunks: Buffer[] = [Buffer.from(`${label} start\n`)];
  for (const secret of SECRETS) {
    const bytes = Buffer.from(secret, "utf8");
    const cut = bytes.indexOf(0xc3) > 0 ? bytes.indexOf(0xc3) + 1 : Math.floor(bytes.length / 2);
    chunks.push(Buffer.concat([Buffer.from(`${label} value=`), bytes.subarray(0, cut)]), Buffer.concat([bytes.subarray(cut), Buffer.from(" end\n")]));
  }
  chunks.push(BINARY, Buffer.from(`\n${label} again ${SECRETS[0]} and ${SECRETS[1]}\n`));
  return chunks;
}

/** What the output must be: the plain bytes with each secret's bytes replaced (secrets do not overlap here). */
function expected(chunks: Buffer[]): Buffer {
  let text = Buffer.concat(chunks).toString("latin1");
  for (const s of SECRETS) text = text.split(Buffer.from(s, "utf8").toString("latin1")).join(MASK);
  return Buffer.from(text, "latin1");
}

async function run(mask: string[] | undefined) {
  const stdout = plan("out");
  const stderr = plan("err");
  const arg = JSON.stringify({ stdout: stdout.map((c) => c.toString("base64")), stderr: stderr.map((c) => c.toString("base64")) });
  const harness = startHarness({ command: process.execPath, args: [fixture("output.mjs"), arg], mask, logLevel: "silent" });
  const exit = await within("harness exit", harness.exit);
  assert.equal(exit.code, 0, harness.stderr());
  return { stdout, stderr, out: harness.stdout(), err: harness.stderrBytes() };
}

describe("--mask (end-to-end, real processes and clock)", () => {
  it("masks every secret in stdout and stderr, and passes binary output through unchanged", async () => {
    const { stdout, stderr, out, err } = await run(SECRETS);
    assert.deepEqual(out, expected(stdout));
    assert.deepEqual(err, expected(stderr));
    for (const s of SECRETS) {
      assert.equal(out.indexOf(Buffer.from(s, "utf8")), -1);
      assert.equal(err.indexOf(Buffer.from(s, "utf8")), -1);
    }
    assert.ok(out.includes(BINARY), "binary bytes pass through");
    assert.equal(out.toString("latin1").split(MASK).length - 1, 4);
  });

  it("leaves output untouched without --mask (the child writes to envject's own stdout/stderr)", async () => {
    const { stdout, stderr, out, err } = await run(undefined);
    assert.deepEqual(out, Buffer.concat(stdout));
    assert.deepEqual(err, Buffer.concat(stderr));
  });
});
