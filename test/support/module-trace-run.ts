/**
 * Running envject under the module-trace preload (module-trace.mjs) and reading what its own
 * process loaded — not its child's, which the same NODE_OPTIONS traces too: the external modules it
 * required or imported (the AWS SDK), and the source modules of its bundle that ran
 * (bundle-coverage.ts; the CLI is one file, each of its modules evaluated only when first imported).
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { bundleSourcesRun } from "./bundle-coverage.js";

const TRACE_HOOK = join(import.meta.dirname, "module-trace.mjs");

export interface ModuleTrace {
  /** The variables that make a run trace its loads into this trace's files. */
  env: Record<string, string>;
  /** Every module envject's own process loaded or ran, once it has exited (it must have been traced to its exit). `context` (say, envject's stderr) goes into a failure. */
  envjectLoaded(context?: string): string[];
}

/** A trace written to new files in `dir`, of the modules whose name contains `match` (default "@aws-sdk"; "/" for every module). */
export function moduleTrace(dir: string, match = "@aws-sdk"): ModuleTrace {
  const id = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const file = join(dir, `trace-${id}.jsonl`);
  const coverage = join(dir, `coverage-${id}`);
  return {
    env: { NODE_OPTIONS: `--import ${TRACE_HOOK}`, MODULE_TRACE_FILE: file, MODULE_TRACE_MATCH: match, NODE_V8_COVERAGE: coverage },
    envjectLoaded(context = "") {
      assert.ok(existsSync(file), `the trace hook ran:\n${context}`);
      const records = readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { main: string; kind: string; name: string });
      const own = records.filter((r) => /[\\/]bin[\\/]envject\.cjs$/.test(r.main));
      assert.ok(
        own.some((r) => r.kind === "exit"),
        `envject's own process was traced to its exit:\n${context}`,
      );
      const external = own.filter((r) => r.kind !== "exit").map((r) => r.name);
      return [...external, ...bundleSourcesRun(coverage).filter((s) => s.includes(match))];
    },
  };
}
