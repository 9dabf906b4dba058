/**
 * `envject export` through the real, bundled CLI against the Vault double (docs/contract/check-and-export.md#export; README
 * "check and export"): only the variables the mapping and --env-file files produce; dotenv output
 * that dotenv.parse gives back exactly, JSON, and shell lines that `eval` reproduces exactly;
 * `files:` left out with a warning; leases left alive with their TTL; nothing on stdout on failure.
 */
import { after, afterEach, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseDotenv } from "dotenv";
import { type CliResult, hermeticEnv, runCli, tempDir } from "../support/cli.js";
import { SEED, type SeededVault, leakedSecrets, startSeededVault } from "../support/vault-fixture.js";

/** Values that every quoting style has to get right. */
const TRICKY: Record<string, string> = {
  spaces: "  two  spaces, leading and trailing  ",
  quotes: `it's "quoted"`,
  newlines: "line one\nline two\n",
  crlf: "windows\r\nline",
  hash: "hash # not a comment",
  dollar: "dollar $HOME ${PATH} $(id) `id`",
  backslash: "C:\\new\\table \\n",
  mixed: `a'b"c\`d\ne`,
  unicode: "héllo ✓ 日本",
  empty: "",
};

let sv: SeededVault;
let ws: { path: string; cleanup: () => void };

before(async () => {
  sv = await startSeededVault();
  await sv.control.putSecret("secret/export/tricky", TRICKY);
  await sv.control.putSecret("secret/export/unquotable", { v: "x\" # y'\n`" });
  await sv.control.putSecret("secret/export/nul", { v: "before\u0000after" });
  ws = tempDir("envject-export-");
});
after(async () => {
  ws.cleanup();
  await sv.close();
});
afterEach(async () => {
  await sv.control.clearDenials();
});

const PARENT = { PARENT_ONLY: "parent-Value-Not-Exported", TRICKY_FROM_PARENT: "vault://secret/myapp/db#password" };

async function exportWith(files: Record<string, string>, args: string[] = [], extra: Record<string, string | undefined> = {}): Promise<CliResult> {
  for (const [name, content] of Object.entries(files)) writeFileSync(join(ws.path, name), content);
  const env = hermeticEnv(ws.path, { VAULT_ADDR: sv.url, VAULT_TOKEN: sv.rootToken, ...PARENT, ...extra });
  return runCli(["export", ...args], { cwd: ws.path, env, timeoutMs: 60_000 });
}

function ok(r: CliResult): CliResult {
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(leakedSecrets(r.stderr), [], "no value in the logs");
  return r;
}

const MAPPING = `env:
  DB_PASSWORD: vault://secret/myapp/db#password
  DB_URL: "postgres://{{ vault('secret/myapp/db#username') }}:{{ vault_secret_var('myapp/db', 'password') }}@db:5432/app"
  LEGACY: vault://kv/legacy#token
  OVERRIDDEN: from-mapping
  PORT: 8080
expand:
  - from: vault://secret/export/tricky
    prefix: T_
`;
const ENV_FILE = `FROM_ENV_FILE="vault://secret/myapp/single"
OVERRIDDEN=from-env-file
KEPT_AS_WRITTEN="\${HOME}/x"
`;
const EXPECTED: Record<string, string> = {
  FROM_ENV_FILE: SEED.single.value,
  OVERRIDDEN: "from-mapping",
  KEPT_AS_WRITTEN: "${HOME}/x",
  DB_PASSWORD: SEED.db.password,
  DB_URL: `postgres://${SEED.db.username}:${SEED.db.password}@db:5432/app`,
  LEGACY: SEED.legacy.token,
  PORT: "8080",
  ...Object.fromEntries(Object.entries(TRICKY).map(([k, v]) => [`T_${k.toUpperCase()}`, v])),
};
const FILES = { "envject.yaml": MAPPING, ".env": ENV_FILE };

describe("envject export: formats", () => {
  it("--format json prints exactly the mapped and env-file variables", async () => {
    const r = ok(await exportWith(FILES, ["-e", ".env", "--format", "json"]));
    assert.deepEqual(JSON.parse(r.stdout), EXPECTED);
  });

  it("--format dotenv round-trips through dotenv.parse, every tricky value included", async () => {
    const r = ok(await exportWith(FILES, ["-e", ".env", "--format", "dotenv"]));
    assert.deepEqual(parseDotenv(r.stdout), EXPECTED);
    // One line per variable start (multi-line values stay inside their quotes).
    assert.deepEqual(
      r.stdout
        .split("\n")
        .filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l))
        .map((l) => l.split("=")[0])
        .sort(),
      Object.keys(EXPECTED).sort(),
    );
  });

  it("the default format is dotenv", async () => {
    const byDefault = ok(await exportWith(FILES, ["-e", ".env"]));
    const explicit = ok(await exportWith(FILES, ["-e", ".env", "--format", "dotenv"]));
    assert.equal(byDefault.stdout, explicit.stdout);
    assert.deepEqual(parseDotenv(byDefault.stdout), EXPECTED);
  });

  it("--format shell is reproduced exactly by eval in /bin/sh", async () => {
    const r = ok(await exportWith(FILES, ["-e", ".env", "--format", "shell"]));
    const starts = r.stdout.split("\n").filter((l) => l.startsWith("export "));
    assert.equal(starts.length, Object.keys(EXPECTED).length);
    for (const line of starts) assert.match(line, /^export [A-Z_][A-Z0-9_]*='/);
    const out = join(ws.path, "exported.sh");
    writeFileSync(out, r.stdout);
    const names = Object.keys(EXPECTED);
    const printer = "process.stdout.write(JSON.stringify(Object.fromEntries(process.argv.slice(1).map((n) => [n, process.env[n] ?? null]))))";
    const sh = spawnSync("/bin/sh", ["-c", `eval "$(cat "$1")"; shift; exec "$NODE" -e "$PRINTER" "$@"`, "sh", out, ...names], {
      env: { PATH: process.env.PATH, NODE: process.execPath, PRINTER: printer, HOME: "/home/not-used" },
      encoding: "utf8",
    });
    assert.equal(sh.status, 0, sh.stderr);
    assert.deepEqual(JSON.parse(sh.stdout), EXPECTED);
  });

  it("refuses an unknown format as a usage error (64) before reading anything", async () => {
    await sv.control.clearRequests();
    const r = await exportWith(FILES, ["-e", ".env", "--format", "yaml"]);
    assert.equal(r.code, 64, r.stderr);
    assert.equal(r.stdout, "");
    assert.deepEqual(await sv.control.requests(), []);
  });

  it("never exports envject's own environment, nor parses it for references", async () => {
    for (const format of ["json", "dotenv", "shell"]) {
      const r = ok(await exportWith({ "envject.yaml": "env:\n  ONLY: vault://kv/legacy#token\n" }, ["--format", format]));
      for (const leaked of ["PARENT_ONLY", "TRICKY_FROM_PARENT", "VAULT_TOKEN", "VAULT_ADDR", "HOME", "PATH", sv.rootToken, PARENT.PARENT_ONLY]) {
        assert.ok(!r.stdout.includes(leaked), `${format} output contains ${leaked}`);
      }
      assert.ok(!r.stdout.includes(SEED.db.password), "a parent variable that looks like a reference is not resolved");
    }
  });

  it("refuses a value no dotenv quoting can carry (65, nothing on stdout), which json and shell still export", async () => {
    const mapping = { "envject.yaml": "env:\n  ODD: vault://secret/export/unquotable#v\n" };
    const dotenv = await exportWith(mapping, ["--format", "dotenv"]);
    assert.equal(dotenv.code, 65);
    assert.equal(dotenv.stdout, "");
    assert.match(dotenv.stderr, /ODD/);
    assert.match(dotenv.stderr, /--format json or --format shell/);
    assert.ok(!dotenv.stderr.includes("x\" # y'"), "the value is not quoted in the error");
    const json = ok(await exportWith(mapping, ["--format", "json"]));
    assert.deepEqual(JSON.parse(json.stdout), { ODD: "x\" # y'\n`" });
  });

  it("refuses a value containing NUL, which no environment variable can hold (65, nothing on stdout)", async () => {
    for (const format of ["dotenv", "shell", "json"]) {
      const r = await exportWith({ "envject.yaml": "env:\n  WITH_NUL: vault://secret/export/nul#v\n" }, ["--format", format]);
      assert.equal(r.code, 65, `${format}: ${r.stderr}`);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /WITH_NUL.*NUL/);
      assert.ok(!r.stderr.includes("before"), "the value is not quoted in the error");
    }
  });
});

describe("envject export: files, leases and failures", () => {
  it("warns, as run does, when an expand: key replaces an env: variable", async () => {
    const r = ok(await exportWith({ "envject.yaml": "env:\n  APP_LOG_LEVEL: fixed\n  APP_OTHER: kept\nexpand:\n  - from: vault://secret/myapp/config\n    prefix: APP_\n" }, ["--format", "json"]));
    const out = JSON.parse(r.stdout) as Record<string, string>;
    assert.equal(out.APP_LOG_LEVEL, "debug");
    assert.equal(out.APP_OTHER, "kept");
    assert.match(r.stderr, /WARN  APP_LOG_LEVEL from expand replaces the value from env/);
    assert.doesNotMatch(r.stderr, /APP_OTHER/);
  });

  it("leaves files: entries out and names them in a warning", async () => {
    const r = ok(
      await exportWith({ "envject.yaml": "env:\n  A: vault://kv/legacy#token\nfiles:\n  TLS_KEY_FILE: vault://secret/myapp/tls#key\n  OTHER_FILE: vault://secret/myapp/single\n" }, [
        "--format",
        "json",
      ]),
    );
    assert.deepEqual(JSON.parse(r.stdout), { A: SEED.legacy.token });
    assert.ok(!r.stdout.includes("MIIdemoKeyMaterial"));
    const warning = r.stderr.split("\n").find((l) => /WARN .*files:/.test(l));
    assert.ok(warning, r.stderr);
    assert.match(warning, /TLS_KEY_FILE/);
    assert.match(warning, /OTHER_FILE/);
  });

  it("exports dynamic secrets and leaves their lease alive, with a warning giving the TTL", async () => {
    const before = (await sv.admin.leases()).length;
    const r = ok(await exportWith({ "envject.yaml": "env:\n  DB_USER: vault://database/creds/readonly#username\n  DB_PASS: vault://database/creds/readonly#password\n" }, ["--format", "json"]));
    const out = JSON.parse(r.stdout) as Record<string, string>;
    assert.deepEqual(Object.keys(out).sort(), ["DB_PASS", "DB_USER"]);
    const created = (await sv.admin.leases()).slice(before);
    assert.equal(created.length, 1, "one read for both variables");
    assert.equal(created[0]!.state, "active");
    assert.equal(created[0]!.username, out.DB_USER);
    const warning = r.stderr.split("\n").find((l) => /WARN .*lease/.test(l));
    assert.ok(warning, r.stderr);
    assert.match(warning, /when its lease ends in 1h0m0s .*\bttl=3600\b/, "the TTL in words, and in seconds like every ttl field");
    assert.ok(warning.includes(created[0]!.lease_id), "the warning names the lease");
    assert.ok(!r.stderr.includes(out.DB_PASS!), "the password is not in the logs");
  });

  it("on failure prints nothing on stdout, exits with the failure's code, and revokes the lease it took", async () => {
    const before = (await sv.admin.leases()).length;
    const r = await exportWith({
      "envject.yaml": "env:\n  OK: vault://kv/legacy#token\n  CREDS: vault://database/creds/readonly#username\n  MISSING: vault://secret/nope#x\n",
    });
    assert.equal(r.code, 78, r.stderr);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /MISSING/);
    assert.deepEqual(leakedSecrets(r.stderr), []);
    const created = (await sv.admin.leases()).slice(before);
    assert.equal(created.length, 1);
    assert.equal(created[0]!.state, "revoked", "nothing was exported, so the lease is not left behind");
  });

  it("names every failing variable and exits with the most serious code (77 before 78)", async () => {
    await sv.control.deny("secret/data/myapp/config");
    const r = await exportWith({ "envject.yaml": "env:\n  MISSING: vault://secret/nope#x\n  DENIED: vault://secret/myapp/config#log_level\n  OK: vault://kv/legacy#token\n" }, ["--format", "shell"]);
    assert.equal(r.code, 77, r.stderr);
    assert.equal(r.stdout, "");
    const errors = r.stderr.split("\n").filter((l) => / ERROR /.test(l));
    assert.ok(
      errors.some((l) => /MISSING/.test(l) && /78/.test(l)),
      r.stderr,
    );
    assert.ok(
      errors.some((l) => /DENIED/.test(l) && /77/.test(l)),
      r.stderr,
    );
  });
});
