/**
 * envject's own log lines end to end (README "Log lines"): the rotation line says each thing once
 * and carries structured fields in JSON, "starting command" names the real pid of every start, a
 * command that cannot be found fails before anything is announced, one-shot commands never log
 * "watching", and colour appears only at a terminal (and never with NO_COLOR).
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync } from "node:fs";
import { after, before, beforeEach, describe, it } from "node:test";
import { BIN } from "../support/cli.js";
import { type SeededVault, leakedSecrets } from "../support/vault-fixture.js";
import { watchSuite } from "../watch/e2e-harness.js";
import { NODE, Workspace, seededWorkspace } from "./e2e.js";

interface LogRecord {
  time: string;
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** Every JSON log line of `stderr` (all of them must be JSON). */
function records(stderr: string): LogRecord[] {
  return stderr
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      try {
        return JSON.parse(line) as LogRecord;
      } catch {
        return assert.fail(`not a JSON log line: ${line}\n${stderr}`);
      }
    });
}

/** How often `needle` occurs in `text`. */
function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

const ANSI = /\x1b\[[0-9;]*m/;

describe("the rotation line", () => {
  const suite = watchSuite();

  it("in JSON: reference, reason, from_version, to_version, variables and on_change are fields, not prose; each start logs its pid", async () => {
    await suite.vault.control.putSecret("secret/ll/json", { username: "ll-user-One", password: "pw-LL-Json-1111" });
    const ws = suite.workspace("env:\n  L_PASS: vault://secret/ll/json#password\n  L_USER: vault://secret/ll/json#username\n");
    const run = suite.start(ws, ["--log-format", "json"], ["L_PASS", "L_USER"]);
    await run.waitForStarts(1);
    await suite.vault.control.putSecret("secret/ll/json", { username: "ll-user-Two", password: "pw-LL-Json-2222" });
    await run.waitForStarts(2);
    await run.waitFor("the second start to be logged", () => records(run.stderr).filter((r) => r.msg === "starting command").length === 2);
    await run.stop();

    const logged = records(run.stderr);
    const rotation = logged.filter((r) => r.reference === "vault://secret/ll/json");
    assert.equal(rotation.length, 1, run.stderr);
    const line = rotation[0]!;
    assert.equal(line.level, "info");
    assert.equal(line.msg, "vault://secret/ll/json changed (version 1 → 2): new values for L_PASS, L_USER");
    assert.equal(line.reason, "version");
    assert.equal(line.from_version, "1");
    assert.equal(line.to_version, "2");
    assert.deepEqual(line.variables, ["L_PASS", "L_USER"]);
    assert.equal(line.on_change, "restart");
    assert.equal(line.secrets, undefined, "no prose copy of the message in a field");
    assert.equal(line.changes, undefined, "one secret: flat fields only");

    // "starting command" once per start, with the pid each child reported about itself.
    const starts = logged.filter((r) => r.msg === "starting command");
    assert.deepEqual(
      starts.map((r) => [r.pid, r.start]),
      run.starts().map((s, i) => [s.pid, i + 1]),
      run.stderr,
    );
    assert.ok(
      starts.every((r) => typeof r.pid === "number" && r.variable_count === 2 && r.secret_count === 1),
      run.stderr,
    );
    assert.deepEqual(leakedSecrets(run.stderr), []);
    assert.ok(!run.stderr.includes("pw-LL-Json-"), "no value in envject's log");
  });

  it("in text: the secret, its versions and each variable are named once, and no field repeats them", async () => {
    await suite.vault.control.putSecret("secret/ll/text", { username: "ll-user-One", password: "pw-LL-Text-1111" });
    const ws = suite.workspace("env:\n  T_PASS: vault://secret/ll/text#password\n  T_USER: vault://secret/ll/text#username\n");
    const run = suite.start(ws, [], ["T_PASS", "T_USER"]);
    await run.waitForStarts(1);
    await suite.vault.control.putSecret("secret/ll/text", { username: "ll-user-Two", password: "pw-LL-Text-2222" });
    await run.waitForStarts(2);
    await run.stop();

    const lines = run.lines("INFO", /vault:\/\/secret\/ll\/text/);
    assert.equal(lines.length, 1, run.stderr);
    const line = lines[0]!;
    assert.match(line, / envject INFO  vault:\/\/secret\/ll\/text changed \(version 1 → 2\): new values for T_PASS, T_USER$/);
    for (const once of ["vault://secret/ll/text", "1 → 2", "T_PASS", "T_USER"]) assert.equal(occurrences(line, once), 1, `${once} in: ${line}`);
    assert.doesNotMatch(line, /\b(secrets|reference|variables|from_version|to_version)=/);
    // The action is the next line's to say.
    assert.equal(run.lines("INFO", /^.* envject INFO  restarting the command with the new values$/).length, 1, run.stderr);
    const starts = run.lines("INFO", /starting command/);
    assert.deepEqual(
      starts.map((l) => /\bpid=(\d+)\b/.exec(l)?.[1]),
      run.starts().map((s) => String(s.pid)),
      run.stderr,
    );
  });
});

describe("command checks and the watching line", () => {
  const suite = seededWorkspace("env:\n  DB_PASSWORD: vault://secret/myapp/db#password\n");
  let vault: SeededVault;
  let ws: Workspace;
  beforeEach(() => {
    ({ vault, ws } = suite);
  });

  it("a command that is not found exits 127 with one error, before 'starting command' or 'watching' is logged", async () => {
    const r = await ws.run(["--", "no-such-program-xyz", "--flag"]);
    assert.equal(r.code, 127, r.stderr);
    assert.equal(occurrences(r.stderr, "command not found: no-such-program-xyz"), 1, r.stderr);
    assert.equal(r.stderr.split("\n").filter((l) => / envject ERROR /.test(l)).length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /starting command|watching/, r.stderr);
    assert.deepEqual(leakedSecrets(r.stderr), []);
  });

  it("a path that is missing (127), a file that is not executable (126) and a missing --shell (127) fail the same way", async () => {
    const plain = ws.file("not-executable.sh", "#!/bin/sh\nexit 0\n");
    chmodSync(plain, 0o644);
    const cases: Array<[string[], Record<string, string>, number, RegExp]> = [
      [["--", "./no/such/program"], {}, 127, /command not found: \.\/no\/such\/program/],
      [["--", plain], {}, 126, /command not executable: .*not-executable\.sh \(permission denied\)/],
      [["--shell", "--", "echo hi"], { SHELL: "/no/such/shell" }, 127, /command not found: \/no\/such\/shell/],
    ];
    for (const [args, extra, code, message] of cases) {
      const r = await ws.run(args, extra);
      assert.equal(r.code, code, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /starting command|watching/, r.stderr);
    }
  });

  it("a one-shot command does not log 'watching'; one that runs for a few seconds logs it once", async () => {
    const short = await ws.run(["--", "true"]);
    assert.equal(short.code, 0, short.stderr);
    assert.match(short.stderr, /starting command/);
    assert.doesNotMatch(short.stderr, /watching/, short.stderr);

    const printed = await ws.run(["--", NODE, "-e", "process.stdout.write(process.env.DB_PASSWORD.length + '')"]);
    assert.equal(printed.code, 0, printed.stderr);
    assert.doesNotMatch(printed.stderr, /watching/, printed.stderr);

    await vault.control.clearRequests();
    const long = await ws.run(["--interval", "1s", "--", NODE, "-e", "setTimeout(() => {}, 3000)"]);
    assert.equal(long.code, 0, long.stderr);
    const watching = long.stderr.split("\n").filter((l) => / envject INFO  watching 1 secret for changes every 1s/.test(l));
    assert.equal(watching.length, 1, long.stderr);
    assert.match(watching[0]!, /on_change=restart/);
    // Polling is not held back by the notice: the secret was polled during those seconds.
    const polls = (await vault.control.requests()).filter((q) => q.method === "GET" && q.path === "secret/metadata/myapp/db");
    assert.ok(polls.length >= 1, `polled ${polls.length} times`);
    for (const r of [short, printed, long]) assert.deepEqual(leakedSecrets(r.stderr), []);
  });

  it("'starting command' carries the pid the child really has", async () => {
    const r = await ws.run(["--log-format", "json", "--", NODE, "-e", "process.stdout.write(String(process.pid))"]);
    assert.equal(r.code, 0, r.stderr);
    const starting = records(r.stderr).filter((l) => l.msg === "starting command");
    assert.equal(starting.length, 1, r.stderr);
    assert.equal(starting[0]!.pid, Number(r.stdout));
    assert.equal(starting[0]!.start, 1);
    assert.equal(starting[0]!.command, NODE);
  });
});

/** `script` (util-linux) runs a command under a pseudo-terminal; without it the colour test is skipped. */
const hasScript = spawnSync("script", ["--version"], { stdio: "ignore" }).status === 0;

/** Runs `envject args…` with its stderr on a pseudo-terminal (under `script`), and returns what the terminal showed. */
function underTerminal(ws: Workspace, args: string[], extra: Record<string, string | undefined>): Promise<string> {
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const command = [NODE, BIN, ...args].map(quote).join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qec", command, "/dev/null"], { cwd: ws.dir, env: ws.env(extra), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`script exited with ${code}:\n${out}`));
    });
  });
}

describe("colour", () => {
  let ws: Workspace;
  before(() => {
    ws = new Workspace();
  });
  after(() => ws.cleanup());

  it("text lines are coloured at a terminal, not with NO_COLOR, not when piped, and JSON never", { skip: hasScript ? false : "script (util-linux) is not installed" }, async () => {
    const args = ["--log-level", "debug", "--", "true"];
    const tty = await underTerminal(ws, args, { NO_COLOR: undefined, TERM: "xterm" });
    assert.match(tty, /\x1b\[36mINFO\x1b\[0m  starting command/, JSON.stringify(tty));
    assert.match(tty, /\x1b\[2mDEBUG\x1b\[0m /, JSON.stringify(tty));

    for (const off of [{ NO_COLOR: "1" }, { NO_COLOR: "yes", FORCE_COLOR: "1" }, { TERM: "dumb" }]) {
      const plain = await underTerminal(ws, args, { TERM: "xterm", ...off });
      assert.match(plain, /envject INFO  starting command/, JSON.stringify(plain));
      assert.doesNotMatch(plain, ANSI, `${JSON.stringify(off)}: ${JSON.stringify(plain)}`);
    }
    // An empty NO_COLOR does not count (no-color.org).
    assert.match(await underTerminal(ws, args, { NO_COLOR: "", TERM: "xterm" }), ANSI);

    const json = await underTerminal(ws, ["--log-format", "json", ...args], { TERM: "xterm" });
    assert.doesNotMatch(json, ANSI, JSON.stringify(json));
    const piped = await ws.run(args, { TERM: "xterm", FORCE_COLOR: "1" });
    assert.equal(piped.code, 0, piped.stderr);
    assert.match(piped.stderr, /envject INFO  starting command/);
    assert.doesNotMatch(piped.stderr, ANSI, "never colour into a pipe, FORCE_COLOR or not");
  });
});
