/**
 * Running the real AWS CLI against a double, hermetically: its own HOME and config paths (so a
 * user's ~/.aws never leaks in), test credentials, a chosen region, no instance metadata, no
 * pager, JSON output, no proxy for loopback. Asynchronous, because the double lives in the
 * calling process's event loop.
 */
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Debian's AWS CLI v2 (2.9.19): called by full path, another `aws` may come first on PATH. */
export const AWS_V2 = "/usr/bin/aws";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (undefined when empty or not JSON). */
  json: any;
}

export interface CliOptions {
  region?: string;
  accessKeyId?: string;
  /** AWS_MAX_ATTEMPTS (default 1: no retries, so an injected error surfaces at once). */
  maxAttempts?: number;
}

/** `aws --version` of `binary` ("aws-cli/2.9.19 …"), or an empty string when it cannot run. */
export function cliVersion(binary: string): string {
  const probe = spawnSync(binary, ["--version"], { encoding: "utf8", env: { PATH: process.env.PATH ?? "", HOME: tmpdir() } });
  if (probe.error || probe.status !== 0) return "";
  return `${probe.stdout}${probe.stderr}`.trim();
}

/** The first `aws` on PATH when it is AWS CLI v1 (it knows BatchGetSecretValue), else undefined. */
export function findAwsV1(): string | undefined {
  const which = spawnSync("sh", ["-c", "command -v aws"], { encoding: "utf8" });
  const path = which.stdout.trim();
  if (path === "" || !cliVersion(path).startsWith("aws-cli/1.")) return undefined;
  return path;
}

/** A runner of `<binary> --endpoint-url <url> --output json secretsmanager <args…>`. */
export function awsCli(binary: string, url: string): (args: string[], options?: CliOptions) => Promise<CliResult> {
  const home = mkdtempSync(join(tmpdir(), "envject-awscli-"));
  return (args, options = {}) =>
    new Promise((resolve) => {
      const region = options.region ?? "us-east-1";
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: home,
        LANG: "C.UTF-8",
        AWS_CONFIG_FILE: join(home, "config"),
        AWS_SHARED_CREDENTIALS_FILE: join(home, "credentials"),
        AWS_ACCESS_KEY_ID: options.accessKeyId ?? "AKIDCONFORMANCE",
        AWS_SECRET_ACCESS_KEY: "conformance-secret-access-key",
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_PAGER: "",
        AWS_MAX_ATTEMPTS: String(options.maxAttempts ?? 1),
        AWS_RETRY_MODE: "standard",
        NO_PROXY: "127.0.0.1,localhost",
        no_proxy: "127.0.0.1,localhost",
        PYTHONWARNINGS: "ignore",
      };
      execFile(binary, ["--endpoint-url", url, "--output", "json", "secretsmanager", ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        let json: unknown;
        try {
          json = stdout.trim() === "" ? undefined : JSON.parse(stdout);
        } catch {
          json = undefined;
        }
        resolve({ code, stdout, stderr, json });
      });
    });
}
