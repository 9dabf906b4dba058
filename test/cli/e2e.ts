/**
 * What the end-to-end tests of `envject run` share: a workspace (its own HOME and working
 * directory, holding the mapping and .env files) that runs the real bundled CLI against a Vault
 * double, and child programs — `node -e` one-liners — that report what they received as JSON, so
 * assertions compare exact values.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { type CliOptions, type CliResult, hermeticEnv, runCli, tempDir } from "../support/cli.js";
import type { RequestLogEntry } from "../../src/dev/vault/client.js";
import { after, before } from "node:test";
import { type SeededVault, startSeededVault } from "../support/vault-fixture.js";

export const NODE = process.execPath;

/** A child that prints `{NAME: value or null}` for each name given, as JSON on stdout. */
export function printEnv(...names: string[]): string[] {
  return [NODE, "-e", "process.stdout.write(JSON.stringify(Object.fromEntries(process.argv.slice(1).map((n) => [n, process.env[n] ?? null]))))", ...names];
}

/** A child that prints its whole environment as JSON on stdout. */
export function printAllEnv(): string[] {
  return [NODE, "-e", "process.stdout.write(JSON.stringify(process.env))"];
}

/** A child that prints its arguments as a JSON array on stdout (node itself takes the `--` before them). */
export function printArgv(...args: string[]): string[] {
  return [NODE, "-e", "process.stdout.write(JSON.stringify(process.argv.slice(1)))", "--", ...args];
}

/** A child that exits with `code` (and prints nothing). */
export function exitWith(code: number): string[] {
  return [NODE, "-e", `process.exit(${code})`];
}

/** Where a Vault double listens, and the token that opens it. */
export interface VaultTarget {
  url: string;
  rootToken: string;
}

/** A temporary HOME and working directory in which the CLI runs with a hermetic environment. */
export class Workspace {
  readonly dir: string;
  private readonly removeDir: () => void;

  /** With `vault`, every run gets VAULT_ADDR and VAULT_TOKEN (root) unless `extra` overrides them (undefined removes). */
  constructor(private readonly vault?: VaultTarget) {
    const { path, cleanup } = tempDir("envject-e2e-");
    this.dir = path;
    this.removeDir = cleanup;
  }

  /** Writes `content` to `name` (relative to the workspace; folders created) and returns the absolute path. */
  file(name: string, content: string): string {
    const path = join(this.dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    return path;
  }

  /** The environment of a run: hermetic, HOME = the workspace, the double's address and root token, then `extra`. */
  env(extra: Record<string, string | undefined> = {}): Record<string, string> {
    const vault = this.vault ? { VAULT_ADDR: this.vault.url, VAULT_TOKEN: this.vault.rootToken } : {};
    return hermeticEnv(this.dir, { ...vault, ...extra });
  }

  /** Runs `envject args…` in the workspace. */
  run(args: string[], extra: Record<string, string | undefined> = {}, options: Omit<CliOptions, "env"> = {}): Promise<CliResult> {
    return runCli(args, { cwd: this.dir, timeoutMs: 60_000, ...options, env: this.env(extra) });
  }

  cleanup(): void {
    this.removeDir();
  }
}

/** The JSON a child printed; fails with envject's stderr when the run did not succeed. */
export function childJson<T = Record<string, string | null>>(result: CliResult): T {
  assert.equal(result.code, 0, `envject failed (code ${result.code}, signal ${result.signal}):\n${result.stderr}`);
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    assert.fail(`the child printed no JSON: ${JSON.stringify(result.stdout)}\nstderr:\n${result.stderr}`);
  }
}

/** How many logged requests have this method and path (query ignored unless given). */
export function countRequests(log: readonly RequestLogEntry[], method: string, path: string, query?: Record<string, string>): number {
  return log.filter((r) => r.method === method && r.path === path && (query === undefined || JSON.stringify(r.query) === JSON.stringify(query))).length;
}

/** The ERROR lines of a text-format log. */
export function errorLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => / envject ERROR /.test(line));
}

/** A user mistake is one log line, never a JavaScript stack trace. */
export function assertNoStackTrace(stderr: string): void {
  assert.doesNotMatch(stderr, /^\s+at .+[(:]\d+/m, `stack trace in stderr:\n${stderr}`);
  assert.doesNotMatch(stderr, /internal error/, `internal error in stderr:\n${stderr}`);
}

/** A loopback port on which nothing listens (taken from the kernel, then released). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A seeded Vault double and a workspace pointed at it, for the suite (or file) that calls this:
 * started in a `before` hook, closed in an `after` hook; `mapping`, when given, is written as
 * envject.yaml. Read `vault` and `ws` inside tests and hooks (they exist once `before` ran).
 */
export function seededWorkspace(mapping?: string): { readonly vault: SeededVault; readonly ws: Workspace } {
  let vault: SeededVault | undefined;
  let ws: Workspace | undefined;
  before(async () => {
    vault = await startSeededVault();
    ws = new Workspace(vault);
    if (mapping !== undefined) ws.file("envject.yaml", mapping);
  });
  after(async () => {
    ws?.cleanup();
    await vault?.close();
  });
  return {
    get vault() {
      return vault ?? assert.fail("seededWorkspace: used before its before() hook ran");
    },
    get ws() {
      return ws ?? assert.fail("seededWorkspace: used before its before() hook ran");
    },
  };
}
