// Throughput of the --mask output filter (npm run bench): 64 MiB of log-like text containing
// secrets, fed in 16 KiB chunks (a typical pipe read): through a plain pass-through for
// comparison, then the filter with 20 secrets and with 1000 (random 16–40 character values, like
// passwords and tokens, from a fixed seed). Targets (issue 12): ≥ 1 GiB/s with 20, ≥ 500 MiB/s
// with 1000.
//
// Each row is run six times, each through a new stream: the first pass is shown on its own, as it
// includes the JIT compiling the code (V8 runs it interpreted for the first few MiB, about a tenth
// of a second on this machine class); the throughput is the median of the other five, which is
// what a long-running child's output sees.
import { PassThrough, type Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Readable, Writable } from "node:stream";
import { createMaskStream } from "../src/supervise/mask.js";

const secrets = Array.from({ length: 20 }, (_, i) => `s3cr3t-value-${i}-${"x".repeat(i)}`);
/** A small fixed-seed generator (mulberry32), so every run masks the same 1000 values. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = seeded(12);
const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const many = Array.from({ length: 1000 }, () => Array.from({ length: 16 + Math.floor(random() * 25) }, () => alphabet[Math.floor(random() * alphabet.length)]).join(""));
const chunkSize = 16 * 1024;
const totalBytes = 64 * 1024 * 1024;
/** 1 MiB of log lines, every 50th holding one of `values`; the bench feeds it 64 times over. */
function logBlock(values: readonly string[]): Buffer {
  const line = (i: number) => `2026-11-27T00:00:00Z INFO request ${i} path=/api/v1/items user=alice took=12ms${i % 50 === 0 ? ` token=${values[(i / 50) % values.length]}` : ""}\n`;
  let text = "";
  for (let i = 0; text.length < 1024 * 1024; i++) text += line(i);
  return Buffer.from(text);
}

/** Seconds to push the 64 MiB through a new `make()` (wall clock, and this process's CPU time), and the bytes that came out. */
async function pass(make: () => Transform, block: Buffer): Promise<{ seconds: number; cpuSeconds: number; received: number }> {
  let sent = 0;
  const source = new Readable({
    read() {
      if (sent >= totalBytes) return this.push(null);
      const offset = sent % block.length;
      const chunk = block.subarray(offset, Math.min(block.length, offset + chunkSize));
      sent += chunk.length;
      this.push(chunk);
    },
  });
  let received = 0;
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      received += chunk.length;
      cb();
    },
  });
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  await pipeline(source, make(), sink);
  const used = process.cpuUsage(cpu);
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, cpuSeconds: (used.user + used.system) / 1e6, received };
}

const PASSES = 6;
const mibPerSecond = (seconds: number) => `${(totalBytes / 1024 / 1024 / seconds).toFixed(0)} MiB/s`;

async function run(label: string, make: () => Transform, block: Buffer): Promise<void> {
  const passes: { seconds: number; cpuSeconds: number; received: number }[] = [];
  for (let i = 0; i < PASSES; i++) passes.push(await pass(make, block));
  const median = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1]!;
  const warm = passes.slice(1);
  const wall = warm.map((p) => p.seconds).sort((a, b) => a - b);
  const spread = `${mibPerSecond(wall[wall.length - 1]!)}–${mibPerSecond(wall[0]!)}`;
  console.log(
    `| ${label} | ${(totalBytes / 1024 / 1024).toFixed(0)} MiB | ${mibPerSecond(median(wall))} (${spread}) | ${mibPerSecond(median(warm.map((p) => p.cpuSeconds)))} | ${mibPerSecond(passes[0]!.seconds)} | ${(passes[0]!.received / 1024 / 1024).toFixed(1)} MiB out |`,
  );
}

// The CPU-time column divides by the seconds this process was on a CPU (all its threads), so it
// reads much the same when other work shares the machine; the wall-clock one is what a user sees.
console.log(`\n| output filter | input | throughput, median of ${PASSES - 1} (range) | the same by CPU time | first pass (JIT warming up) | output |`);
console.log("| --- | --- | --- | --- | --- | --- |");
const few = logBlock(secrets);
const lots = logBlock(many);
await run("pass-through (no --mask)", () => new PassThrough(), few);
await run("--mask, 20 secrets", () => createMaskStream(() => secrets), few);
await run("--mask, 1000 secrets", () => createMaskStream(() => many), lots);
