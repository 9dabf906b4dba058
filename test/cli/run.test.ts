/**
 * `envject run` end to end (docs/contract/command-line.md, docs/contract/mapping.md, docs/contract/references.md, docs/contract/environment.md#order): the bundled CLI as a child process against the
 * loopback Vault double, with a child that prints what it received as JSON.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname as dirnameOf } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { SEED, type SeededVault, startSeededVault } from "../support/vault-fixture.js";
import { NODE, Workspace, assertNoStackTrace, childJson, closedPort, countRequests, printAllEnv, printArgv, printEnv } from "./e2e.js";

let vault: SeededVault;
let ws: Workspace;

before(async () => {
  vault = await startSeededVault();
});
after(async () => {
  await vault.close();
});
beforeEach(async () => {
  await vault.control.clearRequests();
});

describe("envject run: values from Vault", () => {
  before(() => {
    ws = new Workspace(vault);
  });
  after(() => ws.cleanup());

  const MAPPING = `env:
  DB_PASSWORD: vault://secret/myapp/db#password
  DB_PASSWORD_VALS: ref+vault://secret/myapp/db#password
  DB_USER: "{{ vault_secret_var('myapp/db', 'username') }}"
  DATABASE_URL: "postgres://{{ vault('secret/myapp/db#username') }}:{{ vault('secret/myapp/db#password') }}@db:5432/app"
  LEGACY_TOKEN: vault://kv/legacy#token
  OLD_PASSWORD: vault://secret/myapp/db?version=1#password
  RELATIVE_MOUNT: vault://myapp/db?mount=secret#username
  SINGLE: vault://secret/myapp/single
  LOG_LEVEL: vault://secret/myapp/config#log_level
  FLAG: vault://secret/myapp/config#feature.flag
  MAX_CONN: vault://secret/myapp/config#max_conn
  NESTED: vault://secret/myapp/config#nested
  NESTED_A: vault://secret/myapp/config#/nested/a
  NESTED_B1: vault://secret/myapp/config#/nested/b/1
`;
  const NAMES = [
    "DB_PASSWORD",
    "DB_PASSWORD_VALS",
    "DB_USER",
    "DATABASE_URL",
    "LEGACY_TOKEN",
    "OLD_PASSWORD",
    "RELATIVE_MOUNT",
    "SINGLE",
    "LOG_LEVEL",
    "FLAG",
    "MAX_CONN",
    "NESTED",
    "NESTED_A",
    "NESTED_B1",
  ];

  it("injects KV v2 and KV v1 values, templates, version pins, JSON pointers, single-key secrets and stringified values", async () => {
    ws.file("envject.yaml", MAPPING);
    const env = childJson(await ws.run(["--", ...printEnv(...NAMES)]));
    assert.deepEqual(env, {
      DB_PASSWORD: SEED.db.password,
      DB_PASSWORD_VALS: SEED.db.password,
      DB_USER: SEED.db.username,
      DATABASE_URL: `postgres://${SEED.db.username}:${SEED.db.password}@db:5432/app`,
      LEGACY_TOKEN: SEED.legacy.token,
      OLD_PASSWORD: SEED.dbV1.password,
      RELATIVE_MOUNT: SEED.db.username,
      SINGLE: SEED.single.value,
      LOG_LEVEL: "debug",
      FLAG: "true",
      MAX_CONN: "25",
      NESTED: JSON.stringify(SEED.config.nested),
      NESTED_A: "1",
      NESTED_B1: "y",
    });
  });

  it("reads each distinct secret once, however many variables use it", async () => {
    ws.file("envject.yaml", MAPPING);
    childJson(await ws.run(["--", ...printEnv(...NAMES)]));
    const log = await vault.control.requests();
    // Six variables use the current secret/myapp/db, one pins version 1: two distinct secrets.
    assert.equal(countRequests(log, "GET", "secret/data/myapp/db", {}), 1);
    assert.equal(countRequests(log, "GET", "secret/data/myapp/db", { version: "1" }), 1);
    assert.equal(countRequests(log, "GET", "secret/data/myapp/config"), 1);
    assert.equal(countRequests(log, "GET", "kv/legacy"), 1);
  });

  it("asks for each mount's KV version once per mount", async () => {
    ws.file(
      "envject.yaml",
      `env:
  A: vault://secret/myapp/db#password
  B: vault://secret/myapp/config#log_level
  C: vault://secret/myapp/single
  D: vault://secret/myapp/tls#key
`,
    );
    childJson(await ws.run(["--", ...printEnv("A", "B", "C", "D")]));
    const discovery = (await vault.control.requests()).filter((r) => r.path.startsWith("sys/internal/ui/mounts/"));
    assert.equal(discovery.length, 1, `mount discovery requests: ${discovery.map((r) => r.path).join(", ")}`);
  });

  it("resolves vault_secret_var() relative to vault.mount, and to VAULT_MOUNT_POINT without it", async () => {
    ws.file("with-mount.yaml", "vault:\n  mount: kv\nenv:\n  TOKEN: \"{{ vault_secret_var('legacy', 'token') }}\"\n");
    ws.file("without-mount.yaml", "env:\n  TOKEN: \"{{ vault_secret_var('legacy', 'token') }}\"\n  PREFIXED: \"t={{ vault_secret_var('legacy', 'token') }}\"\n");
    const fromFile = childJson(await ws.run(["-c", "with-mount.yaml", "--", ...printEnv("TOKEN")], { VAULT_MOUNT_POINT: "secret" }));
    assert.deepEqual(fromFile, { TOKEN: SEED.legacy.token });
    const fromEnv = childJson(await ws.run(["-c", "without-mount.yaml", "--", ...printEnv("TOKEN", "PREFIXED")], { VAULT_MOUNT_POINT: "kv" }));
    assert.deepEqual(fromEnv, { TOKEN: SEED.legacy.token, PREFIXED: `t=${SEED.legacy.token}` });
    // Without either, the mount is "secret", where there is no legacy secret.
    const missing = await ws.run(["-c", "without-mount.yaml", "--start-timeout", "1s", "--", ...printEnv("TOKEN")]);
    assert.equal(missing.code, 78, missing.stderr);
    assert.match(missing.stderr, /TOKEN/);
    assert.match(missing.stderr, /secret\/legacy/);
  });

  it("expands every key of a secret with a prefix, upper-cased and sanitised", async () => {
    ws.file(
      "envject.yaml",
      `expand:
  - from: vault://secret/myapp/config
    prefix: APP_
  - from: vault://secret/myapp/config#/nested
    prefix: N_
`,
    );
    const env = childJson(await ws.run(["--", ...printEnv("APP_LOG_LEVEL", "APP_FEATURE_FLAG", "APP_MAX_CONN", "APP_NESTED", "N_A", "N_B", "APP_feature.flag")]));
    assert.deepEqual(env, {
      APP_LOG_LEVEL: "debug",
      APP_FEATURE_FLAG: "true",
      APP_MAX_CONN: "25",
      APP_NESTED: JSON.stringify(SEED.config.nested),
      N_A: "1",
      N_B: JSON.stringify(SEED.config.nested.b),
      "APP_feature.flag": null,
    });
    assert.equal(countRequests(await vault.control.requests(), "GET", "secret/data/myapp/config"), 1);
  });

  it("lets an expand: key replace an env: variable, with a warning naming it", async () => {
    ws.file("envject.yaml", "env:\n  APP_LOG_LEVEL: fixed\n  APP_OTHER: kept\nexpand:\n  - from: vault://secret/myapp/config\n    prefix: APP_\n");
    const result = await ws.run(["--", ...printEnv("APP_LOG_LEVEL", "APP_OTHER")]);
    assert.deepEqual(childJson(result), { APP_LOG_LEVEL: "debug", APP_OTHER: "kept" });
    assert.match(result.stderr, /WARN  APP_LOG_LEVEL from expand replaces the value from env/);
    assert.doesNotMatch(result.stderr, /APP_OTHER/);
  });

  it("reads from a mount whose path has slashes, in every form of reference", async () => {
    await vault.admin.enableMount("team/kv", "kv", "2");
    await vault.control.putSecret("team/kv/app", { k: "team-kv-value" });
    ws.file("envject.yaml", "env:\n  FULL: vault://team/kv/app#k\n  RELATIVE: vault://app?mount=team/kv#k\n  MAGE: \"{{ vault_secret_var('app', 'k') }}\"\n");
    const env = childJson(await ws.run(["--", ...printEnv("FULL", "RELATIVE", "MAGE")], { VAULT_MOUNT_POINT: "team/kv" }));
    assert.deepEqual(env, { FULL: "team-kv-value", RELATIVE: "team-kv-value", MAGE: "team-kv-value" });
    assert.equal(countRequests(await vault.control.requests(), "GET", "team/kv/data/app"), 1);
  });

  it("when mount discovery is denied, probes KV v2 then KV v1, and still reads leased secrets", async () => {
    await vault.control.deny("sys/internal/ui/mounts/");
    try {
      ws.file(
        "envject.yaml",
        "env:\n  DB_PASSWORD: vault://secret/myapp/db#password\n  OLD_PASSWORD: vault://secret/myapp/db?version=1#password\n  LEGACY_TOKEN: vault://kv/legacy#token\n  DB_CREDS_USER: vault://database/creds/readonly#username\n",
      );
      const env = childJson(await ws.run(["--", ...printEnv("DB_PASSWORD", "OLD_PASSWORD", "LEGACY_TOKEN", "DB_CREDS_USER")]));
      assert.equal(env.DB_PASSWORD, SEED.db.password);
      assert.equal(env.OLD_PASSWORD, SEED.dbV1.password);
      assert.equal(env.LEGACY_TOKEN, SEED.legacy.token);
      assert.match(env.DB_CREDS_USER ?? "", /^v-root-readonly-/);
      const log = await vault.control.requests();
      assert.equal(countRequests(log, "GET", "secret/data/myapp/db", {}), 1);
      assert.equal(countRequests(log, "GET", "kv/legacy"), 1);
      assert.equal(countRequests(log, "GET", "database/creds/readonly"), 1);
    } finally {
      await vault.control.clearDenials();
    }
  });

  it("delivers files: secrets as 0600 files in a private directory, removed after the child exits", async () => {
    ws.file("envject.yaml", "files:\n  TLS_KEY_FILE: vault://secret/myapp/tls#key\n  DB_PASSWORD_FILE: vault://secret/myapp/db#password\n");
    const script = `
      const fs = require("node:fs"), path = require("node:path");
      const f = process.env.TLS_KEY_FILE, g = process.env.DB_PASSWORD_FILE;
      process.stdout.write(JSON.stringify({
        file: f, other: g,
        mode: (fs.statSync(f).mode & 0o777).toString(8),
        dirMode: (fs.statSync(path.dirname(f)).mode & 0o777).toString(8),
        content: fs.readFileSync(f, "utf8"), password: fs.readFileSync(g, "utf8"),
      }));`;
    const out = childJson<{ file: string; other: string; mode: string; dirMode: string; content: string; password: string }>(await ws.run(["--", NODE, "-e", script]));
    assert.equal(out.mode, "600");
    assert.equal(out.dirMode, "700");
    assert.equal(out.content, SEED.tls.key);
    assert.equal(out.password, SEED.db.password);
    assert.equal(dirnameOf(out.file), dirnameOf(out.other));
    if (existsSync("/dev/shm")) assert.ok(out.file.startsWith("/dev/shm/"), out.file);
    assert.equal(existsSync(out.file), false, "the secret file is removed");
    assert.equal(existsSync(dirnameOf(out.file)), false, "the private directory is removed");
  });

  it("passes plain values and literal: values through as written", async () => {
    ws.file(
      "envject.yaml",
      `env:
  PORT: 8080
  RATIO: 1.10
  ENABLED: true
  GREETING: hello world
  JSON_TEXT: '{"a":{"b":1}}'
  ARN_AS_CONFIG: literal:arn:aws:secretsmanager:eu-west-1:123456789012:secret:x
  NOT_A_REF: literal:vault://not/a/ref
  BRACES: "literal:{{ not a template"
  SHELLISH: "\${HOME} $HOME"
`,
    );
    const env = childJson(await ws.run(["--", ...printEnv("PORT", "RATIO", "ENABLED", "GREETING", "JSON_TEXT", "ARN_AS_CONFIG", "NOT_A_REF", "BRACES", "SHELLISH")]));
    assert.deepEqual(env, {
      PORT: "8080",
      RATIO: "1.10",
      ENABLED: "true",
      GREETING: "hello world",
      JSON_TEXT: '{"a":{"b":1}}',
      ARN_AS_CONFIG: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x",
      NOT_A_REF: "vault://not/a/ref",
      BRACES: "{{ not a template",
      SHELLISH: "${HOME} $HOME",
    });
    assert.equal(await vault.control.requestCount(), 0, "no reference, no request to Vault");
  });

  it("reads a JSON mapping file like a YAML one", async () => {
    ws.file(
      "envject.json",
      JSON.stringify({
        env: { DB_PASSWORD: "vault://secret/myapp/db#password", PORT: 8080 },
        expand: [{ from: "vault://kv/legacy", prefix: "LEGACY_" }],
      }),
    );
    const env = childJson(await ws.run(["-c", "envject.json", "--", ...printEnv("DB_PASSWORD", "PORT", "LEGACY_TOKEN")]));
    assert.deepEqual(env, { DB_PASSWORD: SEED.db.password, PORT: "8080", LEGACY_TOKEN: SEED.legacy.token });
  });
});

describe("envject run: .env files", () => {
  before(() => {
    ws = new Workspace(vault);
  });
  after(() => ws.cleanup());

  it("reads references, templates and literals, and keeps ${NAME} as written", async () => {
    ws.file(
      ".env",
      [
        "# a team's existing .env, with values replaced one by one",
        "DB_HOST=localhost",
        'DB_PASSWORD="vault://secret/myapp/db#password"',
        "API_URL=\"https://{{ env_var('REGION') }}.api.example.com\"",
        "DB_USER=\"{{ vault('secret/myapp/db#username') }}@db\"",
        "LEGACY='vault://kv/legacy#token'",
        "KEPT='${HOME} and ${DB_HOST}'",
        "KEPT_UNQUOTED=${HOME}",
        "NOT_A_REF=literal:vault://not/a/ref",
        "export EXPORTED=yes",
        "",
      ].join("\n"),
    );
    const env = childJson(
      await ws.run(["-e", ".env", "--", ...printEnv("DB_HOST", "DB_PASSWORD", "API_URL", "DB_USER", "LEGACY", "KEPT", "KEPT_UNQUOTED", "NOT_A_REF", "EXPORTED")], { REGION: "eu" }),
    );
    assert.deepEqual(env, {
      DB_HOST: "localhost",
      DB_PASSWORD: SEED.db.password,
      API_URL: "https://eu.api.example.com",
      DB_USER: `${SEED.db.username}@db`,
      LEGACY: SEED.legacy.token,
      KEPT: "${HOME} and ${DB_HOST}",
      KEPT_UNQUOTED: "${HOME}",
      NOT_A_REF: "vault://not/a/ref",
      EXPORTED: "yes",
    });
  });

  it("resolves an unquoted #field the Docker Compose way: a # starts a comment only after whitespace", async () => {
    ws.file(
      ".env.compose",
      ["DB_HOST=localhost # the comment goes", "DB_PASSWORD=vault://secret/myapp/db#password", "DB_USER=vault://secret/myapp/db#username # and this one", "COLOR=#fff", ""].join("\n"),
    );
    const env = childJson(await ws.run(["-e", ".env.compose", "--", ...printEnv("DB_HOST", "DB_PASSWORD", "DB_USER", "COLOR")]));
    assert.deepEqual(env, { DB_HOST: "localhost", DB_PASSWORD: SEED.db.password, DB_USER: SEED.db.username, COLOR: "#fff" });
    assert.ok(countRequests(await vault.control.requests(), "GET", "secret/data/myapp/db") >= 1, "the field was read from the secret");
  });

  it("refuses an unclosed quote, naming the file, line and variable, and starts nothing", async () => {
    ws.file(".env.bad", "DB_HOST=localhost\nDB_PASSWORD='vault://secret/myapp/db#password\n");
    const marker = `${ws.dir}/started`;
    const result = await ws.run(["-e", ".env.bad", "--", NODE, "-e", `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "x")`]);
    assert.equal(result.code, 65, result.stderr);
    assert.match(result.stderr, /\.env\.bad:2 \(DB_PASSWORD\)/);
    assert.match(result.stderr, /opens a quote it does not close/);
    assert.equal(existsSync(marker), false, "the child was not started");
    assert.equal(await vault.control.requestCount(), 0, "nothing was read from Vault");
    assertNoStackTrace(result.stderr);
  });
});

describe("envject run: the child's environment", () => {
  before(() => {
    ws = new Workspace(vault);
  });
  after(() => ws.cleanup());

  it("applies envject's environment, then each --env-file in order, then the mapping (later wins)", async () => {
    ws.file("one.env", "A=file1\nB=file1\nC=file1\n");
    ws.file("two.env", "B=file2\nC=file2\n");
    ws.file("envject.yaml", "env:\n  C: mapping\n");
    const env = childJson(
      await ws.run(["-e", "one.env", "--env-file", "two.env", "--", ...printEnv("A", "B", "C", "D", "FROM_PARENT")], {
        A: "parent",
        B: "parent",
        C: "parent",
        D: "parent",
        FROM_PARENT: "vault://secret/myapp/db#password",
      }),
    );
    // A value inherited from envject's own environment is never parsed as a reference.
    assert.deepEqual(env, { A: "file1", B: "file2", C: "mapping", D: "parent", FROM_PARENT: "vault://secret/myapp/db#password" });
    assert.equal(countRequests(await vault.control.requests(), "GET", "secret/data/myapp/db"), 0);
  });

  it("does not read a reference that a later file or the mapping replaces", async () => {
    ws.file("one.env", 'A="vault://secret/does/not/exist#x"\n');
    ws.file("envject.yaml", "env:\n  A: vault://secret/myapp/db#username\n");
    const env = childJson(await ws.run(["-e", "one.env", "--", ...printEnv("A")]));
    assert.deepEqual(env, { A: SEED.db.username });
  });

  it("--pristine gives the child only the mapped variables plus PATH, HOME, USER, LANG, TZ and TERM", async () => {
    ws.file("one.env", "FROM_FILE=1\n");
    ws.file("envject.yaml", "env:\n  DB_PASSWORD: vault://secret/myapp/db#password\n");
    const env = childJson(await ws.run(["--pristine", "-e", "one.env", "--", ...printAllEnv()], { USER: "tester", TZ: "UTC", TERM: "dumb", OTHER: "dropped", SHELL: "/bin/sh" }));
    assert.deepEqual(Object.keys(env).sort(), ["DB_PASSWORD", "FROM_FILE", "HOME", "LANG", "PATH", "TERM", "TZ", "USER"]);
    assert.equal(env.DB_PASSWORD, SEED.db.password);
    assert.equal(env.HOME, ws.dir);
    assert.equal(env.USER, "tester");
  });

  const CREDENTIALS = ["VAULT_TOKEN", "VAULT_ROLE_ID", "VAULT_SECRET_ID", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"];
  const CHILD_SEES = [...CREDENTIALS, "VAULT_ADDR", "AWS_REGION", "DB_PASSWORD"];

  it("removes envject's Vault token and AWS keys from the child's environment, keeping other settings", async () => {
    ws.file("envject.yaml", "env:\n  DB_PASSWORD: vault://secret/myapp/db#password\n");
    const env = childJson(await ws.run(["--", ...printEnv(...CHILD_SEES)], { AWS_SESSION_TOKEN: "session-token-value" }));
    assert.deepEqual(env, {
      VAULT_TOKEN: null,
      VAULT_ROLE_ID: null,
      VAULT_SECRET_ID: null,
      AWS_ACCESS_KEY_ID: null,
      AWS_SECRET_ACCESS_KEY: null,
      AWS_SESSION_TOKEN: null,
      VAULT_ADDR: vault.url,
      AWS_REGION: "us-east-1",
      DB_PASSWORD: SEED.db.password,
    });
  });

  it("removes envject's AppRole credentials from the child's environment", async () => {
    await vault.admin.writePolicy("e2e-run-read", { "secret/data/*": ["read"] });
    const { roleId, secretId } = await vault.admin.createAppRole("e2e-run", { policies: ["e2e-run-read"] });
    ws.file("envject.yaml", "env:\n  DB_PASSWORD: vault://secret/myapp/db#password\n");
    const env = childJson(await ws.run(["--", ...printEnv(...CHILD_SEES)], { VAULT_TOKEN: undefined, VAULT_ROLE_ID: roleId, VAULT_SECRET_ID: secretId }));
    assert.equal(env.VAULT_ROLE_ID, null);
    assert.equal(env.VAULT_SECRET_ID, null);
    assert.equal(env.DB_PASSWORD, SEED.db.password);
  });

  it("gives the child credentials that a mapping or .env file sets explicitly", async () => {
    ws.file("envject.yaml", "env:\n  VAULT_TOKEN: child-vault-token\n  AWS_ACCESS_KEY_ID: AKIDCHILD\n");
    ws.file("creds.env", "AWS_SECRET_ACCESS_KEY=child-secret-key\n");
    const env = childJson(await ws.run(["-e", "creds.env", "--", ...printEnv("VAULT_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")], { AWS_SESSION_TOKEN: "s" }));
    assert.deepEqual(env, { VAULT_TOKEN: "child-vault-token", AWS_ACCESS_KEY_ID: "AKIDCHILD", AWS_SECRET_ACCESS_KEY: "child-secret-key", AWS_SESSION_TOKEN: null });
  });

  it("--pass-credentials lets the child inherit envject's credentials", async () => {
    ws.file("envject.yaml", "env:\n  DB_PASSWORD: vault://secret/myapp/db#password\n");
    const env = childJson(await ws.run(["--pass-credentials", "--", ...printEnv("VAULT_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")], { AWS_SESSION_TOKEN: "session" }));
    assert.deepEqual(env, { VAULT_TOKEN: vault.rootToken, AWS_ACCESS_KEY_ID: "AKIDTESTTESTTESTTEST", AWS_SECRET_ACCESS_KEY: "test-secret-access-key", AWS_SESSION_TOKEN: "session" });
  });
});

describe("envject run: the command line", () => {
  before(() => {
    ws = new Workspace(vault);
    ws.file("envject.yaml", "env:\n  DB_USER: vault://secret/myapp/db#username\n");
  });
  after(() => ws.cleanup());

  it("passes arguments with spaces, quotes and shell characters untouched", async () => {
    const args = ["a b", "'single'", '"double"', "$HOME", "", "*", "--", "-x", "back\\slash", "new\nline", "--log-level"];
    assert.deepEqual(childJson<string[]>(await ws.run(["--", ...printArgv(...args)])), args);
  });

  it("gives the child envject's stdin", async () => {
    const result = await ws.run(["--", NODE, "-e", "process.stdin.pipe(process.stdout)"], {}, { input: "line one\nline two\n" });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "line one\nline two\n");
  });

  it("takes the command from the first word that is not an option, without --", async () => {
    assert.deepEqual(childJson<string[]>(await ws.run(printArgv("--log-level", "x"))), ["--log-level", "x"]);
    assert.deepEqual(childJson<string[]>(await ws.run(["run", "--log-level", "warn", ...printArgv("-c", "y")])), ["-c", "y"]);
    assert.deepEqual(childJson(await ws.run(["-c", "envject.yaml", ...printEnv("DB_USER")])), { DB_USER: SEED.db.username });
  });

  it("--shell runs the words as one string through $SHELL -c, falling back to /bin/sh", async () => {
    const viaSh = await ws.run(["--shell", "--", "printf", "'%s|%s'", '"$DB_USER"', '"$(echo sub)"']);
    assert.equal(viaSh.code, 0, viaSh.stderr);
    assert.equal(viaSh.stdout, `${SEED.db.username}|sub`);
    const viaBash = await ws.run(["--shell", "--", 'printf "%s" "${BASH_VERSION:+bash}"'], { SHELL: "/bin/bash" });
    assert.equal(viaBash.code, 0, viaBash.stderr);
    assert.equal(viaBash.stdout, "bash");
  });

  it("--vault-addr wins over the mapping file, which wins over VAULT_ADDR", async () => {
    // Nothing listens at `nowhere`: a run that used it could not succeed.
    const nowhere = `http://127.0.0.1:${await closedPort()}`;
    ws.file("addr.yaml", `vault:\n  address: ${nowhere}\nenv:\n  DB_USER: vault://secret/myapp/db#username\n`);
    const flag = await ws.run(["-c", "addr.yaml", "--vault-addr", vault.url, "--", ...printEnv("DB_USER")], { VAULT_ADDR: nowhere });
    assert.deepEqual(childJson(flag), { DB_USER: SEED.db.username });

    ws.file("addr-ok.yaml", `vault:\n  address: ${vault.url}\nenv:\n  DB_USER: vault://secret/myapp/db#username\n`);
    const file = await ws.run(["-c", "addr-ok.yaml", "--", ...printEnv("DB_USER")], { VAULT_ADDR: nowhere });
    assert.deepEqual(childJson(file), { DB_USER: SEED.db.username });

    const fileWins = await ws.run(["-c", "addr.yaml", "--start-timeout", "1s", "--", ...printEnv("DB_USER")]);
    assert.equal(fileWins.code, 69, fileWins.stderr);
    assert.ok(fileWins.stderr.includes(nowhere), fileWins.stderr);
  });

  it("takes options from ENVJECT_* variables, the command line winning", async () => {
    ws.file("other.yaml", "env:\n  OTHER: vault://kv/legacy#token\n");
    const fromEnv = await ws.run(["--", ...printEnv("OTHER", "DB_USER", "PATH")], { ENVJECT_CONFIG: "other.yaml", ENVJECT_LOG_LEVEL: "debug", ENVJECT_PRISTINE: "true" });
    assert.deepEqual(childJson(fromEnv), { OTHER: SEED.legacy.token, DB_USER: null, PATH: process.env.PATH });
    assert.match(fromEnv.stderr, / DEBUG /);

    const flagWins = await ws.run(["--log-level", "error", "--", ...printEnv("OTHER")], { ENVJECT_CONFIG: "other.yaml", ENVJECT_LOG_LEVEL: "debug" });
    assert.deepEqual(childJson(flagWins), { OTHER: SEED.legacy.token });
    assert.equal(flagWins.stderr, "");

    const unknown = await ws.run(["--", ...printEnv("OTHER")], { ENVJECT_BOGUS_OPTION: "1" });
    assert.equal(unknown.code, 64, unknown.stderr);
    assert.match(unknown.stderr, /ENVJECT_BOGUS_OPTION/);
    assertNoStackTrace(unknown.stderr);
  });
});

describe("envject run: dynamic secrets", () => {
  before(() => {
    ws = new Workspace(vault);
    ws.file("envject.yaml", "env:\n  DB_CREDS_USER: vault://database/creds/readonly#username\n  DB_CREDS_PASSWORD: vault://database/creds/readonly#password\n");
  });
  after(() => ws.cleanup());

  /** Runs the child, then returns what it saw and the one lease the run created. */
  async function runWithLease(extra: Record<string, string | undefined>) {
    const before = new Set((await vault.admin.leases()).map((l) => l.lease_id));
    const result = await ws.run(["--", ...printEnv("DB_CREDS_USER", "DB_CREDS_PASSWORD")], extra);
    const env = childJson(result);
    const created = (await vault.admin.leases()).filter((l) => !before.has(l.lease_id));
    assert.equal(created.length, 1, "one lease for one distinct dynamic secret");
    assert.equal(countRequests(await vault.control.requests(), "GET", "database/creds/readonly"), 1);
    return { env, lease: created[0]!, result };
  }

  it("injects a username and password from one lease, and revokes the lease after the child exits (root token)", async () => {
    const { env, lease } = await runWithLease({});
    assert.equal(env.DB_CREDS_USER, lease.username);
    assert.match(env.DB_CREDS_PASSWORD ?? "", /\S{8,}/);
    assert.equal(lease.state, "revoked");
    assert.equal(lease.reason, "revoked");
  });

  it("ends the leases of an AppRole token that may not revoke leases, by revoking the token itself", async () => {
    await vault.admin.writePolicy("e2e-dynamic", { "database/creds/*": ["read"] });
    const { roleId, secretId } = await vault.admin.createAppRole("e2e-dynamic", { policies: ["e2e-dynamic"] });
    const { env, lease } = await runWithLease({ VAULT_TOKEN: undefined, VAULT_ROLE_ID: roleId, VAULT_SECRET_ID: secretId });
    assert.equal(env.DB_CREDS_USER, lease.username);
    assert.notEqual(lease.state, "active", "no credentials stay valid after envject exits");
    const token = (await vault.admin.tokens()).find((t) => t.accessor === lease.token_accessor);
    assert.equal(token?.state, "revoked");
    const log = await vault.control.requests();
    assert.equal(countRequests(log, "PUT", "sys/leases/revoke"), 1);
    assert.equal(log.find((r) => r.path === "sys/leases/revoke")?.status, 403);
    assert.equal(countRequests(log, "PUT", "auth/token/revoke-self"), 1);
  });
});
