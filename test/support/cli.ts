/**
 * Running the real, bundled CLI (`bin/envject.cjs`) as a child process, the way users do, with a
 * hermetic environment: its own HOME, no inherited Vault/AWS settings, AWS SDK kept on loopback.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");
export const BIN = join(ROOT, "bin/envject.cjs");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string;
  /** Kill the CLI after this long (a safety net, not an assertion). */
  timeoutMs?: number;
}

/** A temporary directory removed by `cleanup()`. */
export function tempDir(prefix = "envject-test-"): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** A minimal environment for the CLI: PATH, a fresh HOME, loopback-only AWS settings, plus `extra`. */
export function hermeticEnv(home: string, extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: home,
    LANG: "C.UTF-8",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_ACCESS_KEY_ID: "AKIDTESTTESTTESTTEST",
    AWS_SECRET_ACCESS_KEY: "test-secret-access-key",
    AWS_REGION: "us-east-1",
    AWS_ENDPOINT_URL_SECRETS_MANAGER: "http://127.0.0.1:9",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    ...extra,
  };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** Runs `envject args…` and collects its exit status and output. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return runProgram(process.execPath, [BIN, ...args], options);
}

/** Runs `file args…` (a wrapper around envject, such as `script` or `unshare`) like runCli. */
export function runProgram(file: string, args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? hermeticEnv(tmpdir()),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
    child.stdin.end(options.input ?? "");
  });
}
