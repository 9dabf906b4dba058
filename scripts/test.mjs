// Runs every test/**/*.test.ts with node:test. Node 20 expands no globs and a bare --test ignores
// .ts files (a green run with no test executed), so the files are listed explicitly.
// Extra arguments filter by path substring: `npm test -- vault`. A run without them type-checks and
// lints first.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}
const filters = process.argv.slice(2);
const files = find("test")
  .sort()
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
// tsx strips types without checking them, so a whole run type-checks first (CI runs `npm test`):
// a type error fails it, and so does a lint finding. A filtered run (`npm test -- vault`) skips
// both for speed.
if (filters.length === 0) {
  const tsc = spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json", "--noEmit"], { stdio: "inherit" });
  if (tsc.status !== 0) {
    console.error("type check failed (tsc --noEmit); run `npm run typecheck` to see it alone");
    process.exit(tsc.status ?? 1);
  }
  // Then the lint (scripts/lint.mjs: ESLint, the import graph, the format): any finding fails the run.
  const lint = spawnSync(process.execPath, ["scripts/lint.mjs"], { stdio: "inherit" });
  if (lint.status !== 0) {
    console.error("lint failed; run `npm run lint` to see it alone");
    process.exit(lint.status ?? 1);
  }
}
const r = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=2", ...files], { stdio: "inherit" });
process.exit(r.status ?? 1);
