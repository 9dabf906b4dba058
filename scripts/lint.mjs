// `npm run lint`: ESLint (type-aware), the import graph (dependency-cruiser: no circle, no upward
// import between layers) and the format (Prettier), run side by side; each one's output is shown
// whole once all have finished, and the exit code is non-zero when any of them failed.
// `npm test` without filters runs this after the type check, so CI fails on any of them.
// `npm run format` (`node scripts/lint.mjs --write`) rewrites the same files in Prettier's format.
import { spawn, spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";

/** What is linted and formatted: the code, and these tools' own configuration. */
const ESLINT_PATHS = ["src", "test", "scripts", "bench", "bin", "eslint.config.js"];
const GRAPH_PATHS = ["src", "test", "scripts", "bench"];
const FORMAT_GLOBS = ["src/**/*.ts", "test/**/*.{ts,mjs}", "scripts/*.{ts,mjs,cjs}", "bin/*.cjs", "bench/*.{ts,mjs}", "eslint.config.js", ".dependency-cruiser.cjs"];

const ESLINT = "node_modules/eslint/bin/eslint.js";
const DEPCRUISE = "node_modules/dependency-cruiser/bin/dependency-cruise.mjs";
const PRETTIER = "node_modules/prettier/bin/prettier.cjs";

if (process.argv.includes("--write")) {
  const r = spawnSync(process.execPath, [PRETTIER, "--write", "--log-level", "warn", ...FORMAT_GLOBS], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}

/** Runs one tool; resolves with its exit status and everything it printed. */
function step(name, args) {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    child.on("error", (error) => resolve({ name, status: 1, stdout, stderr: `${stderr}${error.message}\n`, seconds: 0 }));
    child.on("close", (code) => resolve({ name, status: code ?? 1, stdout, stderr, seconds: (performance.now() - started) / 1000 }));
  });
}

const [eslint, graph, format] = await Promise.all([
  step("eslint", [ESLINT, "--max-warnings", "0", ...ESLINT_PATHS]),
  step("import graph", [DEPCRUISE, "--config", ".dependency-cruiser.cjs", ...GRAPH_PATHS]),
  step("format", [PRETTIER, "--list-different", ...FORMAT_GLOBS]),
]);

const unformatted = format.stdout.split("\n").filter(Boolean);
// prettier --list-different exits 1 when files differ and 2 on an error (a file it cannot parse).
if (format.status === 1 && unformatted.length > 0) {
  format.stdout = `not in Prettier's format (run \`npm run format\`):\n  ${unformatted.join("\n  ")}\n`;
}

for (const r of [eslint, graph, format]) {
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
}
for (const r of [eslint, graph, format]) console.log(`lint: ${r.name} ${r.status === 0 ? "ok" : "FAILED"} (${r.seconds.toFixed(1)} s)`);
process.exit([eslint, graph, format].every((r) => r.status === 0) ? 0 : 1);
