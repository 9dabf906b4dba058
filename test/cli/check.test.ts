/**
 * `envject check` through the real, bundled CLI against the Vault double (docs/contract/exit-codes.md#several-failures, docs/contract/check-and-export.md#check;
 * README "check and export"): the NAME/SOURCE/VERSION/STATUS table with one row per variable that
 * uses a reference, never a value on any stream, the exit code of the most serious failure
 * (65, 77, 69, 78), and leases revoked at once.
 */
import { after, afterEach, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { mostSeriousExitCode } from "../../src/errors.js";
import { type CliResult, hermeticEnv, runCli, tempDir } from "../support/cli.js";
import { type SeededVault, leakedSecrets, startSeededVault } from "../support/vault-fixture.js";

let sv: SeededVault;
let ws: { path: string; cleanup: () => void };

before(async () => {
  sv = await startSeededVault();
  ws = tempDir("envject-check-");
});
after(async () => {
  ws.cleanup();
  await sv.close();
});
afterEach(() => sv.control.reset());

/** Writes `files` into the workspace and runs `envject check args…` there with the double's address and root token. */
async function check(files: Record<string, string>, args: string[] = [], extra: Record<string, string | undefined> = {}): Promise<CliResult> {
  for (const [name, content] of Object.entries(files)) writeFileSync(join(ws.path, name), content);
  const env = hermeticEnv(ws.path, { VAULT_ADDR: sv.url, VAULT_TOKEN: sv.rootToken, ...extra });
  return runCli(["check", ...args], { cwd: ws.path, env, timeoutMs: 60_000 });
}

interface Row {
  NAME: string;
  SOURCE: string;
  VERSION: string;
  STATUS: string;
}

/** Parses the table by the header's column offsets, and checks every row is aligned to them. */
function parseTable(stdout: string): Row[] {
  const lines = stdout.replace(/\n$/, "").split("\n");
  const header = lines[0]!;
  assert.match(header, /^NAME +SOURCE +VERSION +STATUS$/, `header: ${header}`);
  const starts = ["NAME", "SOURCE", "VERSION", "STATUS"].map((c) => header.indexOf(c));
  return lines.slice(1).map((line) => {
    const cells = starts.map((s, i) => line.slice(s, starts[i + 1] ?? undefined));
    for (let i = 1; i < starts.length; i++) {
      assert.equal(line[starts[i]! - 1], " ", `column ${i} of ${JSON.stringify(line)} is aligned under the header`);
      assert.notEqual(line[starts[i]!], " ", `column ${i} of ${JSON.stringify(line)} starts under its header`);
    }
    const [NAME, SOURCE, VERSION, STATUS] = cells.map((c) => c.trim()) as [string, string, string, string];
    return { NAME, SOURCE, VERSION, STATUS };
  });
}

function assertNothingLeaked(r: CliResult, extra: string[] = []): void {
  assert.deepEqual(leakedSecrets(r.stdout + r.stderr), []);
  for (const v of extra) assert.ok(!(r.stdout + r.stderr).includes(v), "a value was printed");
}

const MAPPING = `env:
  DB_PASSWORD: vault://secret/myapp/db#password
  OLD_PASSWORD: vault://secret/myapp/db?version=1#password
  LEGACY_TOKEN: vault://kv/legacy#token
  DB_CREDS: vault://database/creds/readonly#username
  DATABASE_URL: "postgres://{{ vault('secret/myapp/db#username') }}:{{ vault_secret_var('myapp/db', 'password') }}@db/app"
  PORT: "8080"
  GREETING: "hello {{ env_var('WHO') }}"
expand:
  - from: vault://secret/myapp/config
    prefix: APP_
files:
  TLS_KEY_FILE: vault://secret/myapp/tls#key
`;
const ENV_FILE = `SINGLE="vault://secret/myapp/single"
PLAIN=just-text
`;

describe("envject check: the table", () => {
  describe("one run over the sample mapping and .env", () => {
    // One check run; each case below reads one guarantee off it.
    let r: CliResult;
    let rows: Row[];
    let by: Record<string, Row>;
    let created: Awaited<ReturnType<typeof sv.admin.leases>>;
    before(async () => {
      const leasesBefore = (await sv.admin.leases()).length;
      r = await check({ "envject.yaml": MAPPING, ".env": ENV_FILE }, ["-e", ".env"], { WHO: "world" });
      created = (await sv.admin.leases()).slice(leasesBefore);
      rows = r.code === 0 ? parseTable(r.stdout) : [];
      by = Object.fromEntries(rows.map((row) => [row.NAME, row]));
    });

    it("exits 0 and prints one row per variable using a reference, in order, each ok", () => {
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        rows.map((row) => row.NAME),
        ["SINGLE", "DB_PASSWORD", "OLD_PASSWORD", "LEGACY_TOKEN", "DB_CREDS", "DATABASE_URL", "APP_*", "TLS_KEY_FILE"],
      );
      for (const row of rows) assert.equal(row.STATUS, "ok", row.NAME);
    });

    it("names each source with its version: KV v2's number (or the pinned one), '-' for KV v1, the lease's TTL for database creds", () => {
      assert.deepEqual(by.DB_PASSWORD, { NAME: "DB_PASSWORD", SOURCE: "vault://secret/myapp/db#password", VERSION: "2", STATUS: "ok" });
      assert.equal(by.OLD_PASSWORD!.VERSION, "1");
      assert.equal(by.OLD_PASSWORD!.SOURCE, "vault://secret/myapp/db?version=1#password");
      assert.equal(by.LEGACY_TOKEN!.VERSION, "-");
      assert.equal(by.DB_CREDS!.VERSION, "lease 1h0m0s");
      assert.equal(by.SINGLE!.SOURCE, "vault://secret/myapp/single");
      assert.equal(by.SINGLE!.VERSION, "1");
    });

    it("an expand: row and a files: row name their secret and its version", () => {
      assert.equal(by["APP_*"]!.SOURCE, "vault://secret/myapp/config");
      assert.equal(by["APP_*"]!.VERSION, "1");
      assert.equal(by.TLS_KEY_FILE!.VERSION, "1");
    });

    it("a template names each distinct reference it uses", () => {
      assert.equal(by.DATABASE_URL!.SOURCE, "vault://secret/myapp/db#username, vault://secret/myapp/db#password");
      assert.equal(by.DATABASE_URL!.VERSION, "2");
    });

    it("prints no value", () => {
      assertNothingLeaked(r, ["app_user"]);
    });

    it("revokes the lease it created before it exits", () => {
      assert.equal(created.length, 1);
      assert.equal(created[0]!.state, "revoked");
      assert.equal(created[0]!.reason, "revoked");
    });
  });

  it("never prints a value, even with debug logs and every secret failing to parse a field", async () => {
    const r = await check(
      {
        "envject.yaml": `env:
  A: vault://secret/myapp/db
  B: vault://secret/myapp/db#/password/x
  C: vault://kv/legacy#nope
  D: vault://secret/myapp/tls
  E: "{{ vault('secret/myapp/single#value') }}{{ vault('kv/legacy#token') }}"
`,
      },
      ["--log-level", "debug"],
    );
    assert.notEqual(r.code, 0);
    assertNothingLeaked(r);
    assert.ok(!r.stderr.includes(sv.rootToken), "the token is never printed");
    const by = Object.fromEntries(parseTable(r.stdout).map((row) => [row.NAME, row]));
    assert.match(by.A!.STATUS, /^error \(65\): .*"password", "username"/);
    assert.match(by.B!.STATUS, /^error \(78\)/);
    assert.match(by.C!.STATUS, /^error \(78\): .*"token"/);
    assert.equal(by.E!.STATUS, "ok");
  });

  it("marks a failing row with its exit code and reason, and exits with it (78)", async () => {
    const r = await check({ "envject.yaml": "env:\n  OK: vault://secret/myapp/db#password\n  MISSING: vault://secret/nope#x\n" });
    assert.equal(r.code, 78, r.stderr);
    const by = Object.fromEntries(parseTable(r.stdout).map((row) => [row.NAME, row]));
    assert.equal(by.OK!.STATUS, "ok");
    assert.equal(by.MISSING!.VERSION, "-");
    assert.match(by.MISSING!.STATUS, /^error \(78\): no secret at secret\/nope/);
  });

  it("prints only the header and warns when no variable uses a reference", async () => {
    const r = await check({ "envject.yaml": 'env:\n  PORT: "8080"\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(parseTable(r.stdout), []);
    assert.match(r.stderr, /WARN .*nothing to check/);
  });

  it("without Vault credentials marks every Vault row 77, saying what to set", async () => {
    const r = await check({ "envject.yaml": "env:\n  A: vault://secret/myapp/db#password\n  B: vault://kv/legacy#token\n  PLAIN: x\n" }, [], { VAULT_TOKEN: undefined });
    assert.equal(r.code, 77, r.stderr);
    const rows = parseTable(r.stdout);
    assert.deepEqual(
      rows.map((row) => row.NAME),
      ["A", "B"],
    );
    for (const row of rows) assert.match(row.STATUS, /^error \(77\): .*VAULT_TOKEN/);
  });

  it("exits 65 for a broken mapping file, naming file and line, with nothing on stdout", async () => {
    const r = await check({ "envject.yaml": "env:\n  OK: vault://secret/myapp/db#password\n  BAD: vault://secret/x?bogus=1#k\n" });
    assert.equal(r.code, 65);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /envject\.yaml:3:\d+ \(env\.BAD\)/);
  });
});

interface JsonRow {
  name: string;
  section: string;
  source: string;
  version: string | null;
  lease_ttl: number | null;
  status: "ok" | "error";
  exit_code: number | null;
  error: string | null;
}

/** Parses `check --format json` output, checking it is one array of objects with exactly the documented keys. */
function parseJson(stdout: string): JsonRow[] {
  const rows = JSON.parse(stdout) as JsonRow[];
  assert.ok(Array.isArray(rows), stdout);
  for (const row of rows) assert.deepEqual(Object.keys(row), ["name", "section", "source", "version", "lease_ttl", "status", "exit_code", "error"]);
  return rows;
}

describe("envject check --format json", () => {
  it("prints one array with the table's rows — a version, a lease TTL — never a value, and exits 0", async () => {
    const leasesBefore = (await sv.admin.leases()).length;
    const r = await check({ "envject.yaml": MAPPING, ".env": ENV_FILE }, ["-e", ".env", "--format", "json"], { WHO: "world" });
    assert.equal(r.code, 0, r.stderr);
    const rows = parseJson(r.stdout);
    const table = parseTable((await check({}, ["-e", ".env"], { WHO: "world" })).stdout);
    assert.deepEqual(
      rows.map((row) => [row.name, row.source]),
      table.map((row) => [row.NAME, row.SOURCE]),
      "the same rows as the table, in the same order",
    );
    const by = Object.fromEntries(rows.map((row) => [row.name, row]));
    assert.deepEqual(by.DB_PASSWORD, {
      name: "DB_PASSWORD",
      section: "env",
      source: "vault://secret/myapp/db#password",
      version: "2",
      lease_ttl: null,
      status: "ok",
      exit_code: null,
      error: null,
    });
    assert.deepEqual([by.DB_CREDS!.version, by.DB_CREDS!.lease_ttl, by.DB_CREDS!.status], [null, 3600, "ok"]);
    assert.deepEqual([by.LEGACY_TOKEN!.version, by.LEGACY_TOKEN!.lease_ttl], [null, null], "KV v1 has no version");
    assert.equal(by.SINGLE!.section, "env-file");
    assert.equal(by["APP_*"]!.section, "expand");
    assert.equal(by.TLS_KEY_FILE!.section, "files");
    assert.equal(by.DATABASE_URL!.source, "vault://secret/myapp/db#username, vault://secret/myapp/db#password");
    // The lease's username is a value too: neither it nor any seeded value is printed.
    const created = (await sv.admin.leases()).slice(leasesBefore);
    assert.ok(created.length >= 1);
    assertNothingLeaked(r, ["app_user", ...created.map((l) => l.username)]);
    for (const lease of created) assert.equal(lease.state, "revoked");
  });

  it("a failing row has status error, its exit code and reason, and check exits with it (78)", async () => {
    const r = await check({ "envject.yaml": "env:\n  OK: vault://secret/myapp/db#password\n  MISSING: vault://secret/nope#x\n  NO_FIELD: vault://kv/legacy#nope\n" }, ["--format=json"]);
    assert.equal(r.code, 78, r.stderr);
    const by = Object.fromEntries(parseJson(r.stdout).map((row) => [row.name, row]));
    assert.deepEqual([by.OK!.status, by.OK!.exit_code, by.OK!.error], ["ok", null, null]);
    assert.deepEqual([by.MISSING!.status, by.MISSING!.exit_code, by.MISSING!.version], ["error", 78, null]);
    assert.match(by.MISSING!.error!, /^no secret at secret\/nope/);
    assert.equal(by.NO_FIELD!.exit_code, 78);
    assert.match(by.NO_FIELD!.error!, /"token"/, "names the fields there are");
    assertNothingLeaked(r);
  });

  it("ENVJECT_FORMAT=json works for check; an export-only value is ignored by it; --format shell is 64", async () => {
    const files = { "envject.yaml": "env:\n  OK: vault://secret/myapp/db#password\n" };
    const json = await check(files, [], { ENVJECT_FORMAT: "json" });
    assert.equal(json.code, 0, json.stderr);
    assert.equal(parseJson(json.stdout)[0]!.name, "OK");
    const shell = await check(files, [], { ENVJECT_FORMAT: "shell" });
    assert.equal(shell.code, 0, shell.stderr);
    assert.equal(parseTable(shell.stdout)[0]!.NAME, "OK");
    for (const format of ["dotenv", "shell"]) {
      const r = await check(files, ["--format", format]);
      assert.equal(r.code, 64, r.stderr);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, new RegExp(`--format must be one of table, json, got "${format}" \\(envject export takes --format ${format}\\)`));
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    }
  });
});

describe("envject check: the most serious failure decides the exit code (65, 77, 69, 78)", () => {
  const MIXED = (lines: string[]) => `env:\n${lines.map((l) => `  ${l}`).join("\n")}\n`;
  const NOT_FOUND = "MISSING: vault://secret/nope#x";
  const DENIED = "DENIED: vault://secret/myapp/config#log_level";
  const UNAVAILABLE = "UNAVAILABLE: vault://secret/myapp/single";
  const BAD_REF = "TWO_KEYS: vault://secret/myapp/db";

  async function mixed(lines: string[]): Promise<{ code: number | null; statuses: Record<string, string> }> {
    await sv.control.deny("secret/data/myapp/config");
    await sv.control.fault({ path_prefix: "secret/data/myapp/single", status: 503, count: 100_000 });
    const r = await check({ "envject.yaml": MIXED(["OK: vault://kv/legacy#token", ...lines]) }, ["--start-timeout", "1s"]);
    assertNothingLeaked(r);
    const statuses = Object.fromEntries(parseTable(r.stdout).map((row) => [row.NAME, row.STATUS.slice(0, "error (NN)".length)]));
    assert.equal(statuses.OK, "ok");
    return { code: r.code, statuses };
  }

  it("77 and 78 → 77", async () => {
    const { code, statuses } = await mixed([NOT_FOUND, DENIED]);
    assert.deepEqual(statuses, { OK: "ok", MISSING: "error (78)", DENIED: "error (77)" });
    assert.equal(code, 77);
  });

  it("69 and 78 → 69", async () => {
    const { code, statuses } = await mixed([NOT_FOUND, UNAVAILABLE]);
    assert.deepEqual(statuses, { OK: "ok", MISSING: "error (78)", UNAVAILABLE: "error (69)" });
    assert.equal(code, 69);
  });

  it("77 and 69 → 77", async () => {
    const { code } = await mixed([UNAVAILABLE, DENIED]);
    assert.equal(code, 77);
  });

  it("65, 77, 69 and 78 → 65", async () => {
    const { code, statuses } = await mixed([NOT_FOUND, UNAVAILABLE, DENIED, BAD_REF]);
    assert.deepEqual(statuses, { OK: "ok", MISSING: "error (78)", UNAVAILABLE: "error (69)", DENIED: "error (77)", TWO_KEYS: "error (65)" });
    assert.equal(code, 65);
  });

  it("an unreachable Vault gives 69 for every row once --start-timeout has passed", async () => {
    // A port that was just free: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const r = await check({ "envject.yaml": "env:\n  A: vault://secret/myapp/db#password\n  B: vault://kv/legacy#token\n" }, ["--start-timeout", "1s"], {
      VAULT_ADDR: `http://127.0.0.1:${port}`,
    });
    assert.equal(r.code, 69, r.stderr);
    const rows = parseTable(r.stdout);
    assert.deepEqual(
      rows.map((row) => row.STATUS.slice(0, "error (69)".length)),
      ["error (69)", "error (69)"],
    );
    assert.match(rows[0]!.STATUS, /could not be reached.*gave up after/);
  });

  it("mostSeriousExitCode orders 65, 77, 69, 78 whatever the input order", () => {
    const cases: Array<[number[], number]> = [
      [[], 0],
      [[78], 78],
      [[78, 69], 69],
      [[69, 78], 69],
      [[78, 77, 69], 77],
      [[69, 77], 77],
      [[77, 65], 65],
      [[78, 69, 77, 65], 65],
      [[78, 78, 69, 69], 69],
      [[70, 78], 78],
      [[70], 70],
      [[0, 0], 0],
    ];
    for (const [codes, expected] of cases) assert.equal(mostSeriousExitCode(codes), expected, JSON.stringify(codes));
  });
});
