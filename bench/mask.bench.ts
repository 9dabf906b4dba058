// Throughput of the --mask output filter (npm run bench): 64 MiB of log-like text containing
// 20 secrets, fed in 16 KiB chunks (a typical pipe read), once with the filter and once through a
// plain pass-through for comparison.
import { PassThrough, type Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Readable, Writable } from "node:stream";
import { createMaskStream } from "../src/supervise/mask.js";

const secrets = Array.from({ length: 20 }, (_, i) => `s3cr3t-value-${i}-${"x".repeat(i)}`);
const line = (i: number) => `2026-11-27T00:00:00Z INFO request ${i} path=/api/v1/items user=alice took=12ms${i % 50 === 0 ? ` token=${secrets[i % 20]}` : ""}\n`;
const chunkSize = 16 * 1024;
const totalBytes = 64 * 1024 * 1024;
let text = "";
for (let i = 0; text.length < 1024 * 1024; i++) text += line(i);
const block = Buffer.from(text);

async function run(label: string, make: () => Transform): Promise<void> {
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
  const sink = new Writable({ write(chunk: Buffer, _e, cb) { received += chunk.length; cb(); } });
  const started = process.hrtime.bigint();
  await pipeline(source, make(), sink);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`| ${label} | ${(totalBytes / 1024 / 1024).toFixed(0)} MiB | ${(totalBytes / 1024 / 1024 / seconds).toFixed(0)} MiB/s | ${(received / 1024 / 1024).toFixed(1)} MiB out |`);
}

console.log("\n| output filter | input | throughput | output |");
console.log("| --- | --- | --- | --- |");
await run("pass-through (no --mask)", () => new PassThrough());
await run("--mask, 20 secrets", () => createMaskStream(() => secrets));
