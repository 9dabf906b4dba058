/**
 * Running envject under the module-trace preload (module-trace.mjs) and reading what its own
 * process loaded — not its child's, which the same NODE_OPTIONS traces too.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const TRACE_HOOK = join(import.meta.dirname, "module-trace.mjs");

export interface ModuleTrace {
  /** The variables that make a run trace its loads into this trace's file. */
  env: Record<string, string>;
  /** Every module envject's own process loaded, once it has exited (it must have been traced to its exit). `context` (say, envject's stderr) goes into a failure. */
  envjectLoaded(context?: string): string[];
}

/** A trace written to a new file in `dir`, of the specifiers containing `match` (default "@aws-sdk"; "/" for every module). */
export function moduleTrace(dir: string, match?: string): ModuleTrace {
  const file = join(dir, `trace-${Date.now()}-${Math.random().toString(36).slice(2)}.jsonl`);
  return {
    env: { NODE_OPTIONS: `--import ${TRACE_HOOK}`, MODULE_TRACE_FILE: file, ...(match === undefined ? {} : { MODULE_TRACE_MATCH: match }) },
    envjectLoaded(context = "") {
      assert.ok(existsSync(file), `the trace hook ran:\n${context}`);
      const records = readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { main: string; kind: string; name: string });
      const own = records.filter((r) => r.main.endsWith("envject.mjs"));
      assert.ok(
        own.some((r) => r.kind === "exit"),
        "envject's own process was traced to its exit",
      );
      return own.filter((r) => r.kind !== "exit").map((r) => r.name);
    },
  };
}
