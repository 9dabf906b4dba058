/**
 * What the tests of examples/ share: where the examples are, a long-running envject started in an
 * example's folder (its output collected, stopped by a signal), polling, and a GET on loopback.
 * The examples run in place, with the committed files, and a hermetic environment (their own HOME).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { get } from "node:http";
import { join } from "node:path";
import { BIN, ROOT } from "../support/cli.js";

/** The folder of examples/<name>. */
export function exampleDir(name: string): string {
  return join(ROOT, "examples", name);
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LongRun {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  exit: Promise<Exit>;
}

/** Starts `envject args…` in `cwd` with exactly `env`; killed after `safetyMs` (a safety net, not an assertion). */
export function startEnvject(args: string[], cwd: string, env: Record<string, string>, safetyMs = 90_000): LongRun {
  const proc = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  proc.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  proc.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exit = new Promise<Exit>((resolve) => proc.on("close", (code, signal) => resolve({ code, signal })));
  const safety = setTimeout(() => proc.kill("SIGKILL"), safetyMs);
  void exit.then(() => clearTimeout(safety));
  return { proc, stdout: () => out, stderr: () => err, exit };
}

/** Waiting: the shared helper (test/support/wait.ts). */
export { waitFor } from "../support/wait.js";

/** GET http://127.0.0.1:port/path → status and body. */
export function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host: "127.0.0.1", port, path }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    }).on("error", reject);
  });
}
