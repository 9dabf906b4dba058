/**
 * Every field of a JSON log line is documented (README "Log lines", the table "Every field
 * envject writes"): representative runs at debug level — a success with a lease, `expand:` and
 * `files:`, failures (not found, denied, bad reference, a store down past --start-timeout), a crash
 * restart, `export`, and a watch rotation stopped by SIGTERM — log their lines as JSON, and each
 * field name found, at any depth, must be one of the table's.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../support/cli.js";
import { leakedSecrets } from "../support/vault-fixture.js";
import { watchSuite } from "../watch/e2e-harness.js";
import { closedPort, exitWith, printEnv, seededWorkspace } from "./e2e.js";

const JSON_LOGS = ["--log-format", "json", "--log-level", "debug"];

/** The field names the README's table documents (each backticked name in its first column). */
function documentedFields(): Set<string> {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf("**Every field envject writes:**");
  assert.ok(start >= 0, "README has the table of log fields");
  const lines = readme
    .slice(start)
    .split("\n")
    .slice(1)
    .filter((l, i, all) => l.startsWith("|") || all.slice(0, i).every((x) => !x.startsWith("|")));
  const rows = lines.filter((l) => l.startsWith("|")).slice(2);
  const names = rows.flatMap((row) => [...row.split("|")[1]!.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]!));
  assert.ok(names.length > 10, `the table's rows: ${rows.length}`);
  return new Set(names);
}

/** Every field name of every JSON line of `stderr`, at any depth (records inside lists too), with a line that has it. */
function fieldsOf(stderr: string, into: Map<string, string>): void {
  const visit = (value: unknown, line: string) => {
    if (Array.isArray(value)) return value.forEach((v) => visit(v, line));
    if (value === null || typeof value !== "object") return;
    for (const [key, v] of Object.entries(value)) {
      if (!into.has(key)) into.set(key, line);
      visit(v, line);
    }
  };
  for (const line of stderr.split("\n").filter(Boolean)) {
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      assert.fail(`not a JSON log line: ${line}`);
    }
    visit(record, line);
  }
}

const seen = new Map<string, string>();

describe("every field of a JSON log line is in the README's table", () => {
  const seeded = seededWorkspace();

  it("a success: KV v2, KV v1, a lease, expand: and files:", async () => {
    seeded.ws.file(
      "envject.yaml",
      `env:
  DB_PASSWORD: vault://secret/myapp/db#password
  LEGACY: vault://kv/legacy#token
  DB_USER: vault://database/creds/readonly#username
expand:
  - from: vault://secret/myapp/config
    prefix: APP_
files:
  TLS_KEY_FILE: vault://secret/myapp/tls#key
`,
    );
    const r = await seeded.ws.run([...JSON_LOGS, "--", ...printEnv("DB_PASSWORD")]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(leakedSecrets(r.stderr), []);
    fieldsOf(r.stderr, seen);
    const exported = await seeded.ws.run(["export", ...JSON_LOGS]);
    assert.equal(exported.code, 0, exported.stderr);
    fieldsOf(exported.stderr, seen);
    const checked = await seeded.ws.run(["check", ...JSON_LOGS]);
    assert.equal(checked.code, 0, checked.stderr);
    fieldsOf(checked.stderr, seen);
  });

  it("failures: not found, denied, a bad reference, a mapping error", async () => {
    await seeded.vault.control.deny("secret/data/myapp/config");
    seeded.ws.file("envject.yaml", "env:\n  MISSING: vault://secret/nope#x\n  DENIED: vault://secret/myapp/config#log_level\n  TWO_KEYS: vault://secret/myapp/db\n");
    const r = await seeded.ws.run([...JSON_LOGS, "--", ...printEnv("MISSING")]);
    assert.equal(r.code, 65, r.stderr);
    fieldsOf(r.stderr, seen);
    await seeded.vault.control.clearDenials();
    seeded.ws.file("envject.yaml", "env:\n  BAD: vault://secret/x?bogus=1#k\n");
    const bad = await seeded.ws.run([...JSON_LOGS, "--", ...printEnv("BAD")]);
    assert.equal(bad.code, 65, bad.stderr);
    fieldsOf(bad.stderr, seen);
    const usage = await seeded.ws.run([...JSON_LOGS, "--interval", "0s", "--", ...printEnv("BAD")]);
    assert.equal(usage.code, 64, usage.stderr);
    fieldsOf(usage.stderr, seen);
  });

  it("a store down past --start-timeout (69)", async () => {
    seeded.ws.file("envject.yaml", "env:\n  A: vault://secret/myapp/db#password\n");
    const r = await seeded.ws.run([...JSON_LOGS, "--start-timeout", "2s", "--", ...printEnv("A")], { VAULT_ADDR: `http://127.0.0.1:${await closedPort()}` });
    assert.equal(r.code, 69, r.stderr);
    fieldsOf(r.stderr, seen);
  });

  it("a crash restart (--restart-on-failure)", async () => {
    seeded.ws.file("envject.yaml", "env:\n  A: vault://secret/myapp/db#password\n");
    const r = await seeded.ws.run([...JSON_LOGS, "--restart-on-failure", "1", "--", ...exitWith(3)]);
    assert.equal(r.code, 3, r.stderr);
    fieldsOf(r.stderr, seen);
  });
});

describe("every field of a JSON log line of a watch rotation is in the README's table", () => {
  const suite = watchSuite();

  it("a rotation, a restart, and a stop by SIGTERM", async () => {
    await suite.vault.control.putSecret("secret/lf/rot", { password: "pw-LF-Rot-1111" });
    const ws = suite.workspace("env:\n  LF_PASS: vault://secret/lf/rot#password\n  LF_USER: vault://database/creds/readonly#username\n");
    const run = suite.start(ws, JSON_LOGS, ["LF_PASS"]);
    await run.waitForStarts(1);
    await suite.vault.control.putSecret("secret/lf/rot", { password: "pw-LF-Rot-2222" });
    await run.waitForStarts(2);
    await run.waitFor("the second start to be logged", () => run.stderr.split('"msg":"starting command"').length - 1 === 2);
    const end = await run.stop();
    assert.equal(end.code, 0, run.stderr);
    fieldsOf(run.stderr, seen);
    assert.ok(seen.has("from_version") && seen.has("on_change"), "the rotation line was logged");
  });
});

describe("the README's table of log fields", () => {
  it("documents every field the runs above logged (they run first, in file order)", () => {
    // The runs logged what they should, so an empty or broken run cannot pass unnoticed.
    for (const field of ["time", "level", "msg", "reference", "variables", "pid", "exit_code", "delay_ms", "attempt", "lease_id"]) {
      assert.ok(seen.has(field), `no run logged ${field}: ${[...seen.keys()].join(", ")}`);
    }
    const documented = documentedFields();
    const missing = [...seen].filter(([field]) => !documented.has(field)).map(([field, line]) => `${field} (in ${line})`);
    assert.deepEqual(missing, [], "fields logged but not in README's table");
  });
});
