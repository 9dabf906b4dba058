/**
 * What the watch end-to-end tests share: the real bundled CLI started in the background against
 * the doubles, and a child program that appends one JSON line per event (start, signal, exit) to
 * a log file, so tests assert the order and number of starts and the values each one saw.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before } from "node:test";
import { BIN } from "../support/cli.js";
import { type SeededVault, startSeededVault } from "../support/vault-fixture.js";
import { Workspace } from "../cli/e2e.js";

/**
 * The child: logs `start` with the variables named in WATCH_VARS, `signal` (SIGHUP) with the
 * content of the file named by the variable in WATCH_FILE_VAR, and `exit` on SIGTERM — unless
 * WATCH_SLOW_STOP is set, in which case it logs `term` and keeps running (a slow stopper).
 */
const CHILD = `
import { appendFileSync, readFileSync } from "node:fs";
const log = process.env.WATCH_LOG;
const names = (process.env.WATCH_VARS || "").split(",").filter(Boolean);
const write = (o) => appendFileSync(log, JSON.stringify({ pid: process.pid, ...o }) + "\\n");
write({ event: "start", env: Object.fromEntries(names.map((n) => [n, process.env[n] ?? null])) });
process.on("SIGHUP", () => {
  const v = process.env.WATCH_FILE_VAR;
  write({ event: "signal", file: v ? readFileSync(process.env[v], "utf8") : null });
});
process.on("SIGTERM", () => {
  if (process.env.WATCH_SLOW_STOP) return write({ event: "term" });
  write({ event: "exit" });
  process.exit(0);
});
setInterval(() => {}, 1 << 30);
`;

export interface ChildEvent {
  pid: number;
  event: "start" | "signal" | "exit" | "term";
  env?: Record<string, string | null>;
  file?: string | null;
}

export interface RunEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class WatchedRun {
  stderr = "";
  readonly ended: Promise<RunEnd>;
  private readonly proc: ChildProcess;
  private readonly log: string;

  private constructor(ws: Workspace, args: string[], extra: Record<string, string | undefined>, vars: string[]) {
    const child = ws.file("watch-child.mjs", CHILD);
    this.log = join(ws.dir, `events-${Math.random().toString(36).slice(2)}.jsonl`);
    this.proc = spawn(process.execPath, [BIN, ...args, "--", process.execPath, child], {
      cwd: ws.dir,
      env: ws.env({ WATCH_LOG: this.log, WATCH_VARS: vars.join(","), ...extra }),
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.proc.stderr!.setEncoding("utf8").on("data", (d: string) => (this.stderr += d));
    this.ended = new Promise((resolve) => this.proc.on("close", (code, signal) => resolve({ code, signal })));
  }

  /** Starts `envject args… -- node child` in the workspace; the child reports the variables `vars`. */
  static start(ws: Workspace, args: string[], vars: string[], extra: Record<string, string | undefined> = {}): WatchedRun {
    return new WatchedRun(ws, args, extra, vars);
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** Every event the children logged, in order. */
  events(): ChildEvent[] {
    if (!existsSync(this.log)) return [];
    return readFileSync(this.log, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as ChildEvent);
  }

  starts(): ChildEvent[] {
    return this.events().filter((e) => e.event === "start");
  }

  /**
   * Every value the children saw (variables and `files:` contents, 8 characters or more) that
   * appears in envject's log: envject never logs a value, so this must stay empty.
   */
  leakedValues(): string[] {
    const seen = new Set<string>();
    for (const e of this.events()) {
      for (const v of Object.values(e.env ?? {})) if (v) seen.add(v);
      if (e.file) seen.add(e.file);
    }
    return [...seen].filter((v) => v.length >= 8 && this.stderr.includes(v));
  }

  /** envject's log lines at `level` matching `pattern`. */
  lines(level: "DEBUG" | "INFO" | "WARN" | "ERROR", pattern: RegExp): string[] {
    return this.stderr.split("\n").filter((l) => l.includes(` envject ${level.padEnd(5)} `) && pattern.test(l));
  }

  /** Waits until `predicate` holds (checked every 100 ms); fails with envject's log after `timeoutMs`. */
  async waitFor(what: string, predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > until) assert.fail(`timed out waiting for ${what}\nevents: ${JSON.stringify(this.events())}\nstderr:\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Waits for the n-th start of the child. */
  waitForStarts(n: number, timeoutMs?: number): Promise<void> {
    return this.waitFor(`${n} start(s) of the child`, () => this.starts().length >= n, timeoutMs);
  }

  /** Sends `signal` to envject and waits for it to end. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<RunEnd> {
    this.proc.kill(signal);
    return this.ended;
  }

  /** Kills envject (if still running) — for test cleanup. */
  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGKILL");
  }
}

/** Whether a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export { pause } from "../support/wait.js";

/** What a Vault watch suite works with: the seeded double, and a way to start envject in a fresh workspace. */
export interface WatchSuite {
  /** The seeded Vault double (set once the suite's `before` hook has run). */
  readonly vault: SeededVault;
  /** A fresh workspace holding `mapping` as envject.yaml (removed after the suite). */
  workspace(mapping: string): Workspace;
  /** `envject --interval 1s args… -- node child` in `ws` (killed after the suite, if still running). */
  start(ws: Workspace, args: string[], vars: string[], extra?: Record<string, string | undefined>): WatchedRun;
}

/**
 * Registers the hooks of a watch suite against one seeded Vault double (call it inside
 * `describe`): `prepare` runs once after the double starts; every workspace and run is cleaned up.
 */
export function watchSuite(prepare?: (vault: SeededVault) => Promise<void>): WatchSuite {
  let vault: SeededVault | undefined;
  const runs: WatchedRun[] = [];
  const workspaces: Workspace[] = [];
  before(async () => {
    vault = await startSeededVault();
    await prepare?.(vault);
  });
  after(async () => {
    runs.forEach((r) => r.kill());
    workspaces.forEach((w) => w.cleanup());
    await vault?.close();
    // Whatever each test checked, no run may have logged a value its children saw.
    for (const run of runs) assert.deepEqual(run.leakedValues(), [], `envject logged a secret value:\n${run.stderr}`);
  });
  const started = (): SeededVault => {
    assert.ok(vault, "the watch suite's Vault double has not started yet");
    return vault;
  };
  // Plain closures (no `this`), so a suite may destructure `{ workspace, start }`.
  return {
    get vault() {
      return started();
    },
    workspace: (mapping) => {
      const ws = new Workspace(started());
      workspaces.push(ws);
      ws.file("envject.yaml", mapping);
      return ws;
    },
    start: (ws, args, vars, extra = {}) => {
      const run = WatchedRun.start(ws, ["--interval", "1s", ...args], vars, extra);
      runs.push(run);
      return run;
    },
  };
}
