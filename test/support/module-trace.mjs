// Preloaded with `NODE_OPTIONS=--import <this file>` by tests that must know which modules a
// process loads (e.g. "a Vault-only run never loads the AWS SDK"). When MODULE_TRACE_FILE is set,
// every ESM specifier resolved and, at exit, every CommonJS module loaded whose path or specifier
// contains MODULE_TRACE_MATCH (default "@aws-sdk") is appended to that file as a JSON line
// {pid, main, kind, name}; `main` is the process's script, so a test can tell envject from its child.
import { appendFileSync } from "node:fs";
import { createRequire, register } from "node:module";

const file = process.env.MODULE_TRACE_FILE;
if (file) {
  const match = process.env.MODULE_TRACE_MATCH || "@aws-sdk";
  const main = process.argv[1] ?? "";
  const record = (kind, name) => appendFileSync(file, JSON.stringify({ pid: process.pid, main, kind, name }) + "\n");
  register("./module-trace-hooks.mjs", import.meta.url, { data: { file, match, main, pid: process.pid } });
  const cache = createRequire(import.meta.url).cache;
  process.on("exit", () => {
    for (const path of Object.keys(cache)) if (path.includes(match)) record("cjs", path);
    // Always one line per traced process, so a test can tell "nothing loaded" from "not traced".
    record("exit", "");
  });
}
