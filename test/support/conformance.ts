/**
 * Conformance tests drive our doubles with real clients (hvac, the AWS CLI). When a client is not
 * installed, the test is skipped with a message naming the package to install; when CI=true a
 * missing client is a failure instead, so CI can never pass without running them.
 */
import { execFile, spawnSync } from "node:child_process";
import { test, type TestContext } from "node:test";
import { fileURLToPath } from "node:url";

export interface ClientRequirement {
  /** Human name of the client, e.g. "hvac (python3-hvac)". */
  name: string;
  available: boolean;
  /** Why the client is unusable (empty when available). */
  problem: string;
  /** What to run to install it, e.g. "sudo apt-get install -y python3-hvac". */
  installHint: string;
  /** A node:test `skip` value: the skip message, or false (available, or CI where missing must fail). */
  skip: string | false;
  /** Throws (failing the test) when the client is missing; a no-op otherwise. */
  assertAvailable(): void;
}

/**
 * Probes a client once. `check` returns true when usable, or false / a string saying what is
 * wrong; it may throw, which counts as missing.
 */
export function requireClient(name: string, check: () => boolean | string, installHint: string): ClientRequirement {
  let problem: string;
  try {
    const result = check();
    problem = result === true ? "" : typeof result === "string" && result !== "" ? result : "not found";
  } catch (error) {
    problem = (error as Error).message || "check failed";
  }
  const available = problem === "";
  const inCi = process.env.CI === "true";
  const message = `${name} is not available (${problem}); install it with: ${installHint}`;
  return {
    name,
    available,
    problem,
    installHint,
    skip: available || inCi ? false : message,
    assertAvailable() {
      if (!available) throw new Error(inCi ? `${message} — required because CI=true` : message);
    },
  };
}

/** Registers a node:test test that needs `client`: skipped when it is missing, failed when missing under CI=true. */
export function conformanceTest(name: string, client: ClientRequirement, fn: (t: TestContext) => Promise<void> | void): void {
  test(name, { skip: client.skip }, async (t) => {
    client.assertAvailable();
    await fn(t);
  });
}

// ---- hvac (Debian's python3-hvac) -----------------------------------------------------------------

/** Plain `python3` on PATH may be another Python without Debian's packages. */
export const PYTHON = "/usr/bin/python3";
const HVAC_INSTALL = "sudo apt-get install -y python3-hvac";

export interface HvacClientOptions {
  /** Human name (default "hvac (Debian python3-hvac)"). */
  name?: string;
  /** Modules imported besides hvac ("botocore.auth"); a failed import names the first one stderr mentions. */
  extraModules?: string[];
  /** What to install (default "sudo apt-get install -y python3-hvac"). */
  installHint?: string;
  /** Another prerequisite, checked first: a problem text, or undefined when met. */
  precheck?: () => string | undefined;
}

/** Probes once that /usr/bin/python3 imports hvac (and `extraModules`). */
export function hvacClient(options: HvacClientOptions = {}): ClientRequirement {
  const extra = options.extraModules ?? [];
  return requireClient(
    options.name ?? "hvac (Debian python3-hvac)",
    () => {
      const problem = options.precheck?.();
      if (problem) return problem;
      const probe = spawnSync(PYTHON, ["-c", `import ${["hvac", ...extra].join(", ")}`], { encoding: "utf8" });
      if (probe.error) return `${PYTHON}: ${probe.error.message}`;
      if (probe.status === 0) return true;
      const missing = extra.map((m) => m.split(".")[0]!).find((m) => probe.stderr.includes(m)) ?? "hvac";
      return `${PYTHON} cannot import ${missing}`;
    },
    options.installHint ?? HVAC_INSTALL,
  );
}

export interface HvacScriptRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The non-empty stdout lines ("ok NAME", "FAIL NAME: reason", "summary: …"). */
  lines: string[];
  /** The "FAIL …" lines. */
  failures: string[];
}

export interface HvacScriptOptions {
  /** Added to the child's environment. */
  env?: Record<string, string>;
  /** Start from PATH and HOME only instead of this process's environment (so no AWS settings leak in). */
  cleanEnv?: boolean;
}

/**
 * Runs test/conformance/<script> with /usr/bin/python3 without blocking this process's event loop
 * (the double lives here), and splits its output into lines. Loopback only: NO_PROXY keeps a
 * proxy setting from routing 127.0.0.1 elsewhere.
 */
export function runHvacScript(script: string, args: string[], options: HvacScriptOptions = {}): Promise<HvacScriptRun> {
  const path = fileURLToPath(new URL(`../conformance/${script}`, import.meta.url));
  const base: NodeJS.ProcessEnv = options.cleanEnv ? { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp" } : process.env;
  const env = { ...base, NO_PROXY: "127.0.0.1,localhost", no_proxy: "127.0.0.1,localhost", PYTHONWARNINGS: "ignore", ...options.env };
  return new Promise((resolve) => {
    execFile(PYTHON, [path, ...args], { timeout: 120_000, env }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      const lines = stdout.split("\n").filter((l) => l !== "");
      resolve({ code, stdout, stderr, lines, failures: lines.filter((l) => l.startsWith("FAIL ")) });
    });
  });
}
