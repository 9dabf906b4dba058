/**
 * Every exit code of the product contract (docs/contract/exit-codes.md, README "Exit codes"), through the real
 * CLI: each failure is one line naming the variable and the path, never a value and never a stack
 * trace; several failures give one line per cause and the most serious code (65, 77, 69, 78);
 * transient 5xx answers are retried.
 */
import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import type { CliResult } from "../support/cli.js";
import { SEED, type SeededVault, leakedSecrets, startSeededVault } from "../support/vault-fixture.js";
import { NODE, Workspace, assertNoStackTrace, childJson, closedPort, errorLines, exitWith, printEnv } from "./e2e.js";

let vault: SeededVault;
let ws: Workspace;
let marker: string;

before(async () => {
  vault = await startSeededVault();
  ws = new Workspace(vault);
  marker = join(ws.dir, "child-started");
});
after(async () => {
  ws.cleanup();
  await vault.close();
});
beforeEach(async () => {
  rmSync(marker, { force: true });
  await vault.control.clearRequests();
});
afterEach(() => vault.control.reset());

/** A child that leaves a file behind, so a test can tell that it never ran. */
function markerChild(): string[] {
  return [NODE, "-e", `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "ran")`];
}

/** Runs the mapping `yaml` (as envject.yaml) with a 1s start timeout and the marker child. */
async function runMapping(yaml: string, extra: Record<string, string | undefined> = {}): Promise<CliResult> {
  ws.file("envject.yaml", yaml);
  return ws.run(["--start-timeout", "1s", "--", ...markerChild()], extra);
}

/** The run failed with `code` before starting the child, with one line per `patterns` entry (each line matching all of its patterns), no value and no stack trace. */
function assertFailed(result: CliResult, code: number, ...patterns: RegExp[][]): void {
  assert.equal(result.code, code, result.stderr);
  assert.equal(existsSync(marker), false, "the child was not started");
  const lines = errorLines(result.stderr);
  assert.equal(lines.length, patterns.length, `expected ${patterns.length} error line(s):\n${result.stderr}`);
  for (const line of patterns) {
    assert.ok(
      lines.some((l) => line.every((p) => p.test(l))),
      `no error line matches ${line.join(" and ")}:\n${result.stderr}`,
    );
  }
  assert.deepEqual(leakedSecrets(result.stderr), []);
  assertNoStackTrace(result.stderr);
}

describe("64: usage errors", () => {
  const cases: Array<[string, string[], RegExp]> = [
    ["an unknown flag", ["--bogus", "--", NODE], /unknown option --bogus/],
    ["no command", [], /no command to run/],
    ["nothing after --", ["--"], /no command to run/],
    ["a bad duration", ["--start-timeout", "5x", "--", NODE], /--start-timeout must be a duration.*5x/],
    ["an interval under 1s", ["--interval", "500ms", "--", NODE], /--interval must be at least 1s/],
    ["a bad kill timeout", ["--kill-timeout", "soon", "--", NODE], /--kill-timeout/],
    ["a bad signal", ["--kill-signal", "SIGFOO", "--", NODE], /--kill-signal: unknown signal "SIGFOO"/],
    ["a bad --on-change", ["--on-change", "reboot", "--", NODE], /--on-change must be restart, signal:SIG, exit or none/],
    ["a bad --on-change signal", ["--on-change", "signal:NOPE", "--", NODE], /--on-change: unknown signal "NOPE"/],
    ["a bad --log-level", ["--log-level", "loud", "--", NODE], /--log-level must be one of debug, info, warn, error, silent, got "loud"/],
    ["a bad --log-format", ["--log-format", "xml", "--", NODE], /--log-format must be one of text, json, got "xml"/],
    ["a bad --log-level after check", ["check", "--log-level", "loud"], /--log-level must be one of/],
    ["a command after check", ["check", "--", NODE, "-v"], /check runs no command/],
  ];
  for (const [what, args, message] of cases) {
    it(`${what} is 64 with a message`, async () => {
      ws.file("envject.yaml", "env:\n  A: vault://secret/myapp/db#password\n");
      const result = await ws.run(args);
      assert.equal(result.code, 64, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(errorLines(result.stderr).length, 1, result.stderr);
      assert.equal(await vault.control.requestCount(), 0, "Vault is not contacted");
      assertNoStackTrace(result.stderr);
    });
  }

  it("a usage error is logged as JSON when --log-format json (or ENVJECT_LOG_FORMAT=json) asked for it", async () => {
    for (const [args, extra] of [
      [["--log-format", "json", "--bogus", "--", NODE], {}],
      [["--bogus", "--", NODE], { ENVJECT_LOG_FORMAT: "json" }],
    ] as Array<[string[], Record<string, string>]>) {
      const result = await ws.run(args, extra);
      assert.equal(result.code, 64, result.stderr);
      const record = JSON.parse(result.stderr.trim()) as { level: string; msg: string; exit_code: number };
      assert.equal(record.level, "error");
      assert.equal(record.exit_code, 64);
      assert.match(record.msg, /unknown option --bogus/);
    }
  });
});

describe("65: bad mapping file or reference", () => {
  it("a YAML syntax error names file:line:column", async () => {
    assertFailed(await runMapping("env:\n  A: x\n\tB: y\n"), 65, [/envject\.yaml:3:1: YAML syntax error/, /Tabs/]);
    assertFailed(await runMapping("env:\n  A: x\n  A: y\n"), 65, [/envject\.yaml:3:3 \(env\.A\): YAML syntax error: Map keys must be unique/]);
  });

  it("an unknown key is named with its place, not ignored", async () => {
    assertFailed(await runMapping("enviroment:\n  A: x\n"), 65, [/envject\.yaml:1:1 \(enviroment\)/, /unknown key 'enviroment'/]);
    assertFailed(await runMapping("vault:\n  adress: http://x\n"), 65, [/envject\.yaml:2:3 \(vault\.adress\)/, /unknown key/]);
  });

  it("an unknown template function names the variable and the function", async () => {
    assertFailed(await runMapping("env:\n  OK: x\n  A: \"{{ nope('secret/x#y') }}\"\n"), 65, [/envject\.yaml:3:\d+ \(env\.A\)/, /unknown function nope\(\)/]);
  });

  it("an unclosed {{ names the variable", async () => {
    assertFailed(await runMapping("env:\n  A: \"x {{ vault('secret/myapp/db#password') \"\n"), 65, [/envject\.yaml:2:\d+ \(env\.A\)/, /has no closing \}\}/]);
  });

  it("a bad reference names the variable and what is wrong", async () => {
    assertFailed(await runMapping("env:\n  A: vault://secret/myapp/db?foo=1#password\n"), 65, [/\(env\.A\)/, /unknown query parameter "foo"/]);
    assertFailed(await runMapping("env:\n  A: vault://secret/myapp/db?version=0#password\n"), 65, [/\(env\.A\)/, /version=0/]);
  });

  it("an invalid variable name is named", async () => {
    assertFailed(await runMapping("env:\n  1BAD: x\n"), 65, [/envject\.yaml:2:3 \(env\.1BAD\)/, /invalid variable name/]);
  });

  it("env_var() of an unset variable names both variables", async () => {
    assertFailed(await runMapping("env:\n  A: \"{{ env_var('NOT_SET_ANYWHERE') }}\"\n"), 65, [/\bA\b/, /NOT_SET_ANYWHERE is not set/]);
  });

  it("a secret with several keys and no #field lists the keys, never the values", async () => {
    assertFailed(await runMapping("env:\n  A: vault://secret/myapp/db\n"), 65, [/cannot resolve A from vault:\/\/secret\/myapp\/db/, /2 keys \("password", "username"\)/, /add #KEY/]);
  });

  it("a variable in both env and files is named", async () => {
    assertFailed(await runMapping("env:\n  X: 1\nfiles:\n  X: vault://secret/myapp/db#password\n"), 65, [/envject\.yaml:4:3 \(files\.X\)/, /X is in both env and files/]);
  });

  it("a secret value holding NUL is named, its value never shown", async () => {
    await vault.control.putSecret("secret/e2e/nul", { v: "before\u0000after-nul-secret" });
    const result = await runMapping("env:\n  N: vault://secret/e2e/nul#v\n");
    assertFailed(result, 65, [/\bN\b/, /NUL character/]);
    assert.ok(!result.stderr.includes("after-nul-secret"));
  });

  it("a missing mapping file given with -c, or a missing --env-file, is 65", async () => {
    assertFailed(await ws.run(["-c", "nope.yaml", "--", ...markerChild()]), 65, [/nope\.yaml/, /mapping file does not exist/]);
    assertFailed(await ws.run(["-e", "nope.env", "--", ...markerChild()]), 65, [/nope\.env/, /env file does not exist/]);
  });
});

describe("69: Vault cannot be reached within --start-timeout", () => {
  it("an address where nothing listens", async () => {
    const port = await closedPort();
    const result = await runMapping("env:\n  A: vault://secret/myapp/db#password\n", { VAULT_ADDR: `http://127.0.0.1:${port}` });
    assertFailed(result, 69, [/\bA\b/, new RegExp(`127\\.0\\.0\\.1:${port}`), /could not be reached/, /--start-timeout/]);
  });

  it("a sealed Vault", async () => {
    await vault.admin.seal();
    try {
      const result = await runMapping("env:\n  A: vault://secret/myapp/db#password\n");
      assertFailed(result, 69, [/\bA\b/, /sealed/, /--start-timeout/]);
    } finally {
      await vault.admin.unseal();
    }
  });

  it("a Vault that drops every connection", async () => {
    await vault.control.fault({ path_prefix: "", status: 0, count: 10_000 });
    const result = await runMapping("env:\n  A: vault://secret/myapp/db#password\n");
    assertFailed(result, 69, [/\bA\b/, /could not be reached/]);
    assert.ok((await vault.control.requestCount()) > 1, "the read was retried");
  });
});

describe("77 and 78: access denied, not found", () => {
  it("77: a denied path names the variable and the path", async () => {
    await vault.control.deny("secret/data/myapp/db");
    assertFailed(await runMapping("env:\n  A: vault://secret/myapp/db#password\n"), 77, [/\bA\b/, /secret\/data\/myapp\/db/, /permission denied/]);
  });

  it("78: a missing secret", async () => {
    assertFailed(await runMapping("env:\n  A: vault://secret/nope#x\n"), 78, [/cannot resolve A from vault:\/\/secret\/nope#x/, /no secret at secret\/nope/]);
  });

  it("78: a missing field lists the keys there, never the values", async () => {
    assertFailed(await runMapping("env:\n  A: vault://secret/myapp/db#nope\n"), 78, [/\bA\b/, /no key "nope"/, /available: "password", "username"/]);
  });

  it("78: a missing KV v1 secret", async () => {
    assertFailed(await runMapping("env:\n  A: vault://kv/nope#x\n"), 78, [/\bA\b/, /no secret at kv\/nope/]);
  });

  it("78: a version that does not exist", async () => {
    assertFailed(await runMapping("env:\n  A: vault://secret/myapp/db?version=99#password\n"), 78, [/\bA\b/, /version 99 of secret\/myapp\/db does not exist/]);
  });

  it("78: a deleted version, and a deleted current version", async () => {
    await vault.control.putSecret("secret/e2e/deleted", { k: "deleted-v1-value" });
    await vault.control.putSecret("secret/e2e/deleted", { k: "deleted-v2-value" });
    await vault.admin.deleteVersions("secret/e2e/deleted", [1]);
    const pinned = await runMapping("env:\n  A: vault://secret/e2e/deleted?version=1#k\n");
    assertFailed(pinned, 78, [/\bA\b/, /version 1 of secret\/e2e\/deleted was deleted/]);
    assert.ok(!pinned.stderr.includes("deleted-v1-value"));
    await vault.admin.deleteKv2Latest("secret/e2e/deleted");
    assertFailed(await runMapping("env:\n  B: vault://secret/e2e/deleted#k\n"), 78, [/\bB\b/, /current version of secret\/e2e\/deleted \(version 2\) was deleted/]);
  });

  it("78: a destroyed version", async () => {
    await vault.control.putSecret("secret/e2e/destroyed", { k: "destroyed-v1-value" });
    await vault.control.putSecret("secret/e2e/destroyed", { k: "destroyed-v2-value" });
    await vault.admin.destroyVersions("secret/e2e/destroyed", [1]);
    assertFailed(await runMapping("env:\n  A: vault://secret/e2e/destroyed?version=1#k\n"), 78, [/\bA\b/, /version 1 of secret\/e2e\/destroyed was destroyed/]);
  });
});

describe("several failing variables", () => {
  const MIXED = `env:
  OK: vault://secret/myapp/db#username
  MISSING: vault://secret/nope#x
  DENIED: vault://secret/e2e/denied#x
  NO_FIELD: vault://secret/myapp/db
  SAME_1: vault://secret/nope2#x
  SAME_2: vault://secret/nope2#y
`;

  it("one line per cause, exit code of the most serious: 65 before 77 before 78", async () => {
    await vault.control.deny("secret/data/e2e/denied");
    const result = await runMapping(MIXED);
    assertFailed(
      result,
      65,
      [/cannot resolve MISSING\b/, /secret\/nope\b/],
      [/cannot resolve DENIED\b/, /secret\/data\/e2e\/denied/],
      [/cannot resolve NO_FIELD\b/, /add #KEY/],
      [/cannot resolve SAME_1, SAME_2 from vault:\/\/secret\/nope2#x, vault:\/\/secret\/nope2#y/],
    );
    assert.doesNotMatch(result.stderr, /\bOK\b/);
  });

  it("77 before 69 before 78", async () => {
    await vault.control.deny("secret/data/e2e/denied");
    await vault.control.fault({ path_prefix: "secret/data/e2e/unreachable", status: 0, count: 10_000 });
    const withDenied = await runMapping("env:\n  MISSING: vault://secret/nope#x\n  DENIED: vault://secret/e2e/denied#x\n  DOWN: vault://secret/e2e/unreachable#x\n");
    assertFailed(withDenied, 77, [/MISSING/], [/DENIED/], [/DOWN/, /could not be reached/]);
    const withoutDenied = await runMapping("env:\n  MISSING: vault://secret/nope#x\n  DOWN: vault://secret/e2e/unreachable#x\n");
    assertFailed(withoutDenied, 69, [/MISSING/], [/DOWN/]);
  });
});

describe("transient failures are retried", () => {
  it("two 5xx answers, then the read succeeds; the log shows the retries", async () => {
    await vault.control.fault({ path_prefix: "secret/data/myapp/db", status: 500, count: 1 });
    await vault.control.fault({ path_prefix: "secret/data/myapp/db", status: 503, count: 1 });
    ws.file("envject.yaml", "env:\n  A: vault://secret/myapp/db#password\n");
    const result = await ws.run(["--log-level", "debug", "--", ...printEnv("A")]);
    assert.deepEqual(childJson(result), { A: SEED.db.password });
    const reads = (await vault.control.requests()).filter((r) => r.path === "secret/data/myapp/db").map((r) => r.status);
    assert.deepEqual(reads, [500, 503, 200]);
    assert.equal(result.stderr.match(/retrying Vault attempt=\d/g)?.length, 2, result.stderr);
    assert.match(result.stderr, /WARN  Vault at http:\/\/127\.0\.0\.1:\d+ answered 500 while [^;]+; retrying until \d\d:\d\d:\d\d \(--start-timeout 60s\)/);
    assert.match(result.stderr, /Vault is reachable again/);
    assert.equal(errorLines(result.stderr).length, 0);
  });
});

describe("the command's own end", () => {
  before(() => ws.file("envject.yaml", "env:\n  A: vault://secret/myapp/db#username\n"));

  it("127: a command that does not exist", async () => {
    const result = await ws.run(["--", "no-such-command-e2e"]);
    assert.equal(result.code, 127, result.stderr);
    assert.match(result.stderr, /command not found: no-such-command-e2e/);
    assertNoStackTrace(result.stderr);
  });

  it("126: a file that is not executable, and a directory", async () => {
    ws.file("not-executable.sh", "#!/bin/sh\necho hi\n");
    const file = await ws.run(["--", "./not-executable.sh"]);
    assert.equal(file.code, 126, file.stderr);
    assert.match(file.stderr, /command not executable: \.\/not-executable\.sh \(permission denied\)/);
    assertNoStackTrace(file.stderr);
    const dir = await ws.run(["--", ws.dir]);
    assert.equal(dir.code, 126, dir.stderr);
    assert.match(dir.stderr, /is a directory/);
  });

  it("the child's own exit code", async () => {
    for (const code of [0, 3, 42]) {
      const result = await ws.run(["--", ...exitWith(code)]);
      assert.equal(result.code, code, result.stderr);
    }
  });

  it("128+N when the child dies of signal N", async () => {
    const term = await ws.run(["--", NODE, "-e", "process.kill(process.pid, 'SIGTERM'); setTimeout(() => {}, 10000)"]);
    assert.equal(term.code, 143, term.stderr);
    const kill = await ws.run(["--", NODE, "-e", "process.kill(process.pid, 'SIGKILL')"]);
    assert.equal(kill.code, 137, kill.stderr);
    assert.equal(kill.signal, null, "envject itself exits normally with the code");
  });
});
