// Mapping-file parse time against the number of entries (npm run bench:parse). Wall-clock numbers
// belong here, not in tests: they are recorded in docs/RELIABILITY.md ("Bad input") with the
// machine and the date. Each size is a fresh file of N `env` entries, a mix of references,
// templates, literals and numbers, loaded through loadMapping as `-c FILE` would.
//
//   node --import tsx bench/parse.bench.ts [N …]      default: 2500 20000 100000
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadMapping } from "../src/config/mapping.js";

const sizes = process.argv.slice(2).map(Number);
if (sizes.length === 0) sizes.push(2_500, 20_000, 100_000);

function entry(i: number): string {
  const name = `VAR_${String(i).padStart(6, "0")}`;
  switch (i % 4) {
    case 0:
      return `  ${name}: vault://secret/app/s${i % 50}#key${i}`;
    case 1:
      return `  ${name}: "{{ vault('secret/app/s${i % 50}#k') }}-{{ env_var('HOME') }}"`;
    case 2:
      return `  ${name}: plain-value-${i}`;
    default:
      return `  ${name}: ${i}.10`;
  }
}

const dir = mkdtempSync(join(tmpdir(), "envject-parse-bench-"));

/** Writes a mapping of `n` entries, loads it, and returns the milliseconds loadMapping took and the file's size. */
async function parse(n: number): Promise<{ ms: number; bytes: number }> {
  const lines = ["vault:", "  mount: secret", "env:"];
  for (let i = 0; i < n; i++) lines.push(entry(i));
  const text = `${lines.join("\n")}\n`;
  const file = join(dir, `mapping-${n}.yaml`);
  writeFileSync(file, text);
  const started = process.hrtime.bigint();
  const mapping = await loadMapping(file, { environ: {}, explicit: true });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (mapping.env.length !== n) throw new Error(`expected ${n} bindings, got ${mapping.env.length}`);
  return { ms, bytes: Buffer.byteLength(text) };
}

try {
  // The first load compiles yaml, valibot and the parsers: keep that out of the first row.
  await parse(200);
  console.log("| entries | file size | parse ms | entries/s |");
  console.log("| --- | --- | --- | --- |");
  for (const n of sizes) {
    const { ms, bytes } = await parse(n);
    console.log(`| ${n} | ${(bytes / 1024).toFixed(0)} KiB | ${ms.toFixed(0)} | ${Math.round((n / ms) * 1000)} |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
