/**
 * No secret escapes (issue 13, docs/RELIABILITY.md "No secret escapes"): seeded secrets — Vault
 * and AWS values, a JWT-shaped value, the root token, an AppRole secret_id and the tokens Vault
 * issues — never appear in envject's own output at any log level and format, in `check`, in the
 * process list (`/proc/<pid>/cmdline` of envject and of every process under it), or in any file
 * envject writes other than a `files:` entry; and the directory a SIGKILLed envject leaves behind
 * is removed by the next start that writes files.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { BIN, type CliResult } from "../support/cli.js";
import { AWS_SEEDED_SECRET_VALUES, type SeededAws, awsEnv, startSeededAws } from "../support/aws-fixture.js";
import { SEEDED_SECRET_VALUES, type SeededVault, startSeededVault } from "../support/vault-fixture.js";
import { NODE, Workspace } from "../cli/e2e.js";
import { descendantsOf, isRunning } from "../support/processes.js";
import { waitFor } from "../support/wait.js";

const JWT = "eyJhbGciOiJSUzI1NiIsImtpZCI6InNlY3JlY3kifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YXBwIn0.c2lnLVNlY3JlY3ktSnd0LTcxYjI";
const ROTATED = "pw-Rotated-Secrecy-5e6f7a8b";
const HAS_PROC = existsSync("/proc/self/stat");

let vault: SeededVault;
let aws: SeededAws;
let ws: Workspace;
let approle: { roleId: string; secretId: string };

/** Everything that must never leave envject: filled in `before` once the doubles exist. */
const secrets: string[] = [];

before(async () => {
  vault = await startSeededVault();
  aws = await startSeededAws();
  ws = new Workspace(vault);
  await vault.control.putSecret("secret/secrecy/jwt", { token: JWT });
  await vault.control.putSecret("secret/secrecy/rotating", { value: "pw-Before-Rotation-1a2b3c4d" });
  await vault.admin.writePolicy("secrecy-all", { "secret/data/*": ["read"], "secret/metadata/*": ["read"], "kv/*": ["read"], "database/creds/*": ["read"] });
  approle = await vault.admin.createAppRole("secrecy-all", { policies: ["secrecy-all"] });
  secrets.push(...SEEDED_SECRET_VALUES, ...AWS_SEEDED_SECRET_VALUES, JWT, ROTATED, "pw-Before-Rotation-1a2b3c4d", vault.rootToken, approle.secretId, awsEnv(aws.url).AWS_SECRET_ACCESS_KEY!);
  ws.file("all.yaml", MAPPING);
  ws.file("all.env", 'FROM_DOTENV="vault://secret/myapp/single"\n');
});
after(async () => {
  ws.cleanup();
  await aws.close();
  await vault.close();
});

const MAPPING = `env:
  DB_PASSWORD: vault://secret/myapp/db#password
  DATABASE_URL: "postgres://{{ vault('secret/myapp/db#username') }}:{{ vault('secret/myapp/db#password') }}@db/app"
  LEGACY_TOKEN: vault://kv/legacy#token
  DB_CREDS_PASSWORD: vault://database/creds/readonly#password
  SA_JWT: vault://secret/secrecy/jwt#token
  ROTATING: vault://secret/secrecy/rotating#value
  AWS_DB_PASSWORD: aws://prod/db#password
  AWS_API_KEY: aws://prod/api-key
files:
  TLS_KEY_FILE: vault://secret/myapp/tls#key
`;

/** The secrets in `text` (by length only, never the value, in the assertion message). */
function leaks(text: string): string[] {
  const found = secrets.filter((s) => text.includes(s)).map((s) => `a ${s.length}-character secret starting ${JSON.stringify(s.slice(0, 3))}`);
  // Tokens Vault issued to envject (AppRole logins): hvs. and 24 base62 characters.
  if (/hvs\.[A-Za-z0-9]{24}/.test(text)) found.push("an hvs. token");
  return found;
}

function env(extra: Record<string, string | undefined> = {}): Record<string, string> {
  return ws.env({ ...awsEnv(aws.url), ...extra });
}

const LEVELS = ["debug", "info", "warn", "error"] as const;
const FORMATS = ["text", "json"] as const;

/** Runs the CLI in the workspace with AWS settings too. */
function run(args: string[], extra: Record<string, string | undefined> = {}): Promise<CliResult> {
  return ws.run(args, { ...awsEnv(aws.url), ...extra });
}

describe("envject's own output holds no secret, at every level and format", () => {
  for (const level of LEVELS) {
    for (const format of FORMATS) {
      it(`${level}, ${format}: a run that succeeds (AppRole), one that fails, and check`, async () => {
        const log = ["--log-level", level, "--log-format", format];
        const appRole = { VAULT_TOKEN: undefined, VAULT_ROLE_ID: approle.roleId, VAULT_SECRET_ID: approle.secretId };
        const ok = await run([...log, "-c", "all.yaml", "-e", "all.env", "--", NODE, "-e", "process.stdout.write(String(process.env.SA_JWT === process.argv[1]))", JWT], appRole);
        assert.equal(ok.code, 0, ok.stderr);
        assert.equal(ok.stdout, "true", "the child got the values");
        assert.deepEqual(leaks(ok.stderr), [], ok.stderr);

        ws.file("fail.yaml", MAPPING.replace("files:\n", "  MISSING: vault://secret/myapp/db#no_such_field\nfiles:\n"));
        const failed = await run([...log, "-c", "fail.yaml", "--", NODE, "-e", ""], appRole);
        assert.equal(failed.code, 78, failed.stderr);
        assert.deepEqual(leaks(failed.stdout + failed.stderr), [], failed.stderr);
        assert.match(failed.stderr, /no_such_field/, "the failure is reported");

        const check = await run([...log, "check", "-c", "all.yaml", "-e", "all.env"]);
        assert.equal(check.code, 0, check.stderr);
        assert.match(check.stdout, /SA_JWT/, "check lists the variables");
        assert.deepEqual(leaks(check.stdout + check.stderr), [], check.stdout + check.stderr);
      });
    }
  }

  it("a watched rotation at debug level, text and JSON, logs that the value changed but not the values", async () => {
    for (const format of FORMATS) {
      await vault.control.putSecret("secret/secrecy/rotating", { value: "pw-Before-Rotation-1a2b3c4d" });
      const child = startEnvject(["--log-level", "debug", "--log-format", format, "--watch", "--interval", "1s", "-c", "all.yaml", "--", ...readyChild()]);
      try {
        const first = await child.ready();
        await vault.control.putSecret("secret/secrecy/rotating", { value: ROTATED });
        const second = await child.ready(first.pid);
        assert.notEqual(second.pid, first.pid, "the child was restarted with the new value");
        assert.equal(second.rotating, ROTATED);
      } finally {
        const result = await child.stop();
        assert.equal(result.code, 0, "the child exits 0 on SIGTERM, and so does envject");
        assert.match(result.stderr, /secret\/secrecy\/rotating/, "the change is logged");
        assert.deepEqual(leaks(result.stderr), [], result.stderr);
      }
    }
  });
});

describe("the process list and the files envject writes", { skip: !HAS_PROC && "needs Linux /proc" }, () => {
  it("no secret in /proc/<pid>/cmdline of envject or any process under it, no credential in the child's environment", async () => {
    const child = startEnvject(["--watch", "-c", "all.yaml", "--", ...readyChild()], { VAULT_TOKEN: undefined, VAULT_ROLE_ID: approle.roleId, VAULT_SECRET_ID: approle.secretId });
    try {
      const ready = await child.ready();
      const pids = [child.process.pid!, ...descendantsOf(child.process.pid!).map((p) => p.pid)];
      assert.ok(pids.includes(ready.pid), `the child ${ready.pid} is under envject (${pids.join(", ")})`);
      for (const pid of pids) {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
        assert.deepEqual(leaks(cmdline), [], `pid ${pid}: ${cmdline}`);
      }
      const childEnviron = readFileSync(`/proc/${ready.pid}/environ`, "utf8");
      for (const credential of [approle.secretId, approle.roleId, vault.rootToken]) assert.ok(!childEnviron.includes(credential), "a credential reached the child");
      assert.ok(!/hvs\.[A-Za-z0-9]{24}/.test(childEnviron), "the token envject logged in with reached the child");
      assert.ok(childEnviron.includes(`DB_PASSWORD=${SEEDED_SECRET_VALUES[0]}`), "the child does hold its secrets (the check looks at the right process)");
    } finally {
      await child.stop();
    }
  });

  it("no file envject writes holds a secret, except the files: entry, which is gone after exit", async () => {
    ws.file("tmp/.keep", "");
    ws.file("runtime/.keep", "");
    const scanned = [ws.dir, "/dev/shm"].filter((d) => existsSync(d));
    const before = new Set(scanned.flatMap((d) => filesUnder(d)));
    const extra = { TMPDIR: join(ws.dir, "tmp"), XDG_RUNTIME_DIR: join(ws.dir, "runtime") };
    const child = startEnvject(["--watch", "--log-level", "debug", "-c", "all.yaml", "-e", "all.env", "--", ...readyChild()], extra);
    let secretFile: string;
    try {
      const ready = await child.ready();
      secretFile = ready.file;
      const holding = scanned
        .flatMap((d) => filesUnder(d))
        .filter((f) => !before.has(f) && ownedByRun(f, child.process.pid!, ws.dir))
        .filter((f) => leaks(safeRead(f)).length > 0);
      assert.deepEqual(holding, [secretFile], "only the files: entry holds a secret while envject runs");
    } finally {
      await child.stop();
    }
    assert.equal(existsSync(secretFile), false, "the files: entry is removed on exit");
    const left = scanned.flatMap((d) => filesUnder(d)).filter((f) => !before.has(f) && ownedByRun(f, child.process.pid!, ws.dir));
    assert.deepEqual(
      left.filter((f) => leaks(safeRead(f)).length > 0),
      [],
      "no file holds a secret after exit",
    );
  });

  it("a SIGKILLed envject leaves its tmpfs directory; the next start that writes files removes it", async () => {
    const killed = startEnvject(["-c", "all.yaml", "--", ...readyChild()]);
    const ready = await killed.ready();
    const directory = join(ready.file, "..");
    killed.process.kill("SIGKILL");
    await killed.stop();
    await waitUntil(() => !isRunning(ready.pid), "the child dies with envject (parent-death signal)");
    assert.equal(existsSync(ready.file), true, "SIGKILL leaves the files: entry behind (documented)");

    const next = await run(["-c", "all.yaml", "--", NODE, "-e", "process.stdout.write(require('fs').readFileSync(process.env.TLS_KEY_FILE, 'utf8').length > 0 ? 'ok' : 'empty')"]);
    assert.equal(next.code, 0, next.stderr);
    assert.equal(next.stdout, "ok");
    assert.equal(existsSync(directory), false, "the next start removed the leftover directory");
  });
});

// --- helpers ---------------------------------------------------------------------------------

interface Ready {
  pid: number;
  file: string;
  rotating: string;
}

/** A child that writes {pid, TLS_KEY_FILE, ROTATING} to $READY_FILE (a new line per start) and waits for SIGTERM. */
function readyChild(): string[] {
  return [
    NODE,
    "-e",
    "require('fs').appendFileSync(process.argv[1], JSON.stringify({ pid: process.pid, file: process.env.TLS_KEY_FILE ?? '', rotating: process.env.ROTATING ?? '' }) + '\\n'); process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000)",
    readyPath(),
  ];
}

let readyCounter = 0;
let currentReady = "";
function readyPath(): string {
  currentReady = join(ws.dir, `ready-${process.pid}-${++readyCounter}.jsonl`);
  return currentReady;
}

interface Running {
  process: ChildProcess;
  /** The newest start the child reported, once its pid differs from `previousPid`. */
  ready(previousPid?: number): Promise<Ready>;
  /** SIGTERM (unless already exited), then the result. */
  stop(): Promise<CliResult>;
}

function startEnvject(args: string[], extra: Record<string, string | undefined> = {}): Running {
  const readyFile = currentReady;
  const proc = spawn(NODE, [BIN, ...args], { cwd: ws.dir, env: env(extra), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  proc.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  proc.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => proc.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  const safety = setTimeout(() => proc.kill("SIGKILL"), 60_000);
  done.then(
    () => clearTimeout(safety),
    () => clearTimeout(safety),
  );
  return {
    process: proc,
    async ready(previousPid?: number) {
      let latest: Ready | undefined;
      await waitUntil(() => {
        if (proc.exitCode !== null) assert.fail(`envject exited (${proc.exitCode}):\n${stderr}`);
        if (!existsSync(readyFile)) return false;
        const lines = readFileSync(readyFile, "utf8").trim().split("\n").filter(Boolean);
        latest = lines.length > 0 ? (JSON.parse(lines.at(-1)!) as Ready) : undefined;
        return latest !== undefined && latest.pid !== previousPid;
      }, `the child started (stderr so far:\n${stderr})`);
      return latest!;
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      return done;
    },
  };
}

/** The shared wait (test/support/wait.ts), with this file's argument order. */
async function waitUntil(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(what, condition, timeoutMs);
}

/** Regular files under `dir` (recursively; unreadable folders skipped). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const path = join(dir, name);
    try {
      const info = statSync(path);
      if (info.isDirectory()) out.push(...filesUnder(path));
      else if (info.isFile()) out.push(path);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * Whether `file` can be this run's: anything under the workspace, and under /dev/shm only in an
 * envject-* directory whose .owner names this envject (other test files run alongside).
 */
function ownedByRun(file: string, envjectPid: number, workspace: string): boolean {
  if (file.startsWith(`${workspace}/`)) return !/\/ready-\d+-\d+\.jsonl$/.test(file) && !file.endsWith(".yaml") && !file.endsWith(".env");
  const match = /^\/dev\/shm\/(envject-[^/]+)\//.exec(file);
  if (!match) return false;
  return safeRead(`/dev/shm/${match[1]}/.owner`).startsWith(`${envjectPid} `);
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
