/**
 * What the signal and process reliability tests share: a child program that records its pid and
 * every signal it gets, and can fork grandchildren, ignore SIGTERM or exit on its own; and
 * running the real bundled CLI on it with a marker in the environment, so every process of a run
 * is found in /proc wherever it was re-parented to (test/support/processes.ts).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BIN, hermeticEnv } from "../support/cli.js";
import { type Started, startProcess, waitFor } from "../supervise/fixtures/processes.js";

export const NODE = process.execPath;

/**
 * The child, steered by its environment: PROC_LOG (the file it appends to: `ready <pid> <ms>`,
 * `signal <pid> <SIG> <inspector url or ->`, `term <pid> <ms>`, `grandchild <pid>`, `detached
 * <pid>`, `detached-ready <pid>` (its SIGTERM handler is in); <ms> is Date.now()), IGNORE_TERM
 * (survive SIGTERM), TERM_EXIT (the code it exits with on SIGTERM, default 0), TERM_DELAY_MS (exit
 * that long after the first SIGTERM; SLOW_DELAY_MS (2 s by default) while the file SLOW_FILE exists), GRANDCHILD (fork
 * `sleep 300`), DETACHED_GRANDCHILD (fork, in a session of its own, a node that ignores SIGTERM),
 * EXIT_AFTER_MS + EXIT_CODE (exit on its own).
 */
export const CHILD_SOURCE = `
import { appendFileSync, existsSync } from "node:fs";
import { spawn } from "node:child_process";
import inspector from "node:inspector";
const log = process.env.PROC_LOG;
const write = (s) => appendFileSync(log, s + "\\n");
for (const s of ["SIGHUP", "SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGINT"]) process.on(s, () => write("signal " + process.pid + " " + s + " " + (inspector.url() ?? "-")));
let terms = 0;
process.on("SIGTERM", () => {
  write("term " + process.pid + " " + Date.now());
  if (process.env.IGNORE_TERM || ++terms > 1) return;
  const slow = process.env.SLOW_FILE && existsSync(process.env.SLOW_FILE);
  const delay = slow ? Number(process.env.SLOW_DELAY_MS || 2000) : Number(process.env.TERM_DELAY_MS || 0);
  const exit = () => process.exit(Number(process.env.TERM_EXIT || 0));
  if (delay > 0) setTimeout(exit, delay);
  else exit();
});
if (process.env.GRANDCHILD) {
  const g = spawn("sleep", ["300"], { stdio: "ignore" });
  write("grandchild " + g.pid);
}
if (process.env.DETACHED_GRANDCHILD) {
  const src = "process.on('SIGTERM', () => {}); require('node:fs').appendFileSync(process.env.PROC_LOG, 'detached-ready ' + process.pid + require('node:os').EOL); setInterval(() => {}, 1 << 30)";
  const g = spawn(process.execPath, ["-e", src], { detached: true, stdio: "ignore" });
  g.unref();
  write("detached " + g.pid);
}
write("ready " + process.pid + " " + Date.now());
if (process.env.EXIT_AFTER_MS) setTimeout(() => process.exit(Number(process.env.EXIT_CODE || 0)), Number(process.env.EXIT_AFTER_MS));
setInterval(() => {}, 1 << 30);
`;

/** Writes the child into `dir` and returns its path. */
export function writeChild(dir: string): string {
  const path = join(dir, "proc-child.mjs");
  writeFileSync(path, CHILD_SOURCE);
  return path;
}

/** The lines of the child's log (none before it exists). */
export function logLines(log: string): string[] {
  return existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
}

/** The pids named by the log lines starting with `kind` (`ready`, `grandchild`, `detached`). */
export function pidsIn(log: string, kind: string): number[] {
  return logLines(log)
    .filter((l) => l.startsWith(`${kind} `))
    .map((l) => Number(l.split(" ")[1]));
}

/** Waits for the `n`th `ready` line and returns that child's pid. */
export async function nthReady(log: string, n = 1, limitMs = 30_000): Promise<number> {
  const pids = await waitFor(`child #${n} ready in ${log}`, () => (pidsIn(log, "ready").length >= n ? pidsIn(log, "ready") : undefined), limitMs);
  return pids[n - 1]!;
}

/** The environment of a run: hermetic, HOME = `dir`, the marker, the child's log, plus `extra`. */
export function runEnv(dir: string, marker: string, log: string, extra: Record<string, string> = {}): Record<string, string> {
  return hermeticEnv(dir, { PROC_MARK: marker, PROC_LOG: log, ...extra });
}

/** `node bin/envject.cjs args… -- node child` in `dir` (no mapping file: no secrets, a warning). */
export function startEnvject(dir: string, child: string, args: string[], env: Record<string, string>, command: string[] = [NODE, child]): Started {
  return startProcess(NODE, [BIN, "--log-level", "debug", ...args, "--", ...command], { cwd: dir, env });
}

/** envject's log lines at `level` matching `pattern`. */
export function logged(stderr: string, level: "DEBUG" | "INFO" | "WARN" | "ERROR", pattern: RegExp): string[] {
  return stderr.split("\n").filter((l) => l.includes(` envject ${level.padEnd(5)} `) && pattern.test(l));
}
