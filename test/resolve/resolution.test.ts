/**
 * resolveBindings (docs/contract/references.md, docs/contract/environment.md#order): env files, then env, expand and files, later wins; each
 * distinct secret read once; every failing variable reported with its typed error while the
 * others resolve; shadowed bindings never read; expand names; env_var(); every secret-derived
 * value handed to the redactor. With a fake provider, then against the Vault double.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { AuthError, ConfigError, NotFoundError } from "../../src/errors.js";
import type { Binding, ExpandEntry, Mapping } from "../../src/config/model.js";
import { type SecretRef, parseReference, parseValue } from "../../src/config/reference.js";
import { Logger } from "../../src/log/logger.js";
import { Redactor } from "../../src/log/redactor.js";
import { providerFactories } from "../../src/providers/registry.js";
import { ProviderSet } from "../../src/resolve/provider-set.js";
import { SecretReader } from "../../src/resolve/reader.js";
import { type Resolution, type ResolutionInput, effectiveBindings, finalValues, resolveBindings } from "../../src/resolve/resolution.js";
import { SEED, SEEDED_SECRET_VALUES, type SeededVault, startSeededVault } from "../support/vault-fixture.js";
import { waitFor } from "../support/wait.js";
import { FakeProvider, factoriesFor, mapDoc } from "./fake-provider.js";

const pctx = { defaultMount: "secret" };
let line = 0;

function bind(name: string, text: string, file = "envject.yaml", section = "env"): Binding {
  line++;
  return { name, spec: parseValue(text, pctx), origin: { file, line, column: 3, key: `${section}.${name}` } };
}

function expand(from: string, prefix: string): ExpandEntry {
  line++;
  return { ref: parseReference(from, pctx) as SecretRef, prefix, origin: { file: "envject.yaml", line, column: 5, key: "expand" } };
}

function input(parts: { envFiles?: Binding[][]; env?: Binding[]; expand?: ExpandEntry[]; files?: Binding[] }): ResolutionInput {
  return { envFiles: parts.envFiles ?? [], mapping: { env: parts.env ?? [], expand: parts.expand ?? [], files: parts.files ?? [] } };
}

interface Run {
  resolution: Resolution;
  values: Record<string, string>;
  redactor: Redactor;
}

async function resolveWith(fake: FakeProvider, parts: Parameters<typeof input>[0], environ: NodeJS.ProcessEnv = {}): Promise<Run> {
  const redactor = new Redactor();
  const reader = new SecretReader(new ProviderSet(factoriesFor({ vault: fake })), { deadline: Date.now() + 60_000 });
  const resolution = await resolveBindings(input(parts), { reader, redactor, environ });
  const values = Object.fromEntries([...finalValues(resolution.variables)].map(([n, v]) => [n, v.value]));
  return { resolution, values, redactor };
}

const DB = { user: "db-user-R", pass: "pw-Resolution-Db-4242" };

describe("resolveBindings with a fake provider", () => {
  it("reads one secret once however many variables, templates, env files and expand entries use it", async () => {
    const fake = new FakeProvider("vault", { "secret/db": mapDoc(DB, "7") }, 3);
    const { values, resolution } = await resolveWith(fake, {
      envFiles: [[bind("E", "vault://secret/db#pass", ".env")]],
      env: [
        bind("A", "vault://secret/db#user"),
        bind("B", "vault://secret/db#pass"),
        bind("C", "{{ vault_secret_var('db', 'user') }}"),
        bind("D", "postgres://{{ vault('secret/db#user') }}:{{ vault('secret/db#pass') }}@h/app"),
        bind("F", "vault://db?mount=secret#pass"),
      ],
      expand: [expand("vault://secret/db", "DB_")],
      files: [bind("G", "vault://secret/db#pass", "envject.yaml", "files")],
    });
    assert.equal(fake.total, 1);
    assert.deepEqual(resolution.failures, []);
    assert.deepEqual(values, {
      E: DB.pass,
      A: DB.user,
      B: DB.pass,
      C: DB.user,
      D: `postgres://${DB.user}:${DB.pass}@h/app`,
      F: DB.pass,
      DB_USER: DB.user,
      DB_PASS: DB.pass,
      G: DB.pass,
    });
  });

  describe("collects every failing variable with its typed error, and still resolves the others", () => {
    /** Seven variables over three secrets (one fine, one missing, one denied): five fail, as does the expand: of the missing one. */
    async function resolveSomeFailing() {
      const fake = new FakeProvider("vault", {
        "secret/ok": mapDoc({ k: "ok-Value-1" }),
        "secret/missing": new NotFoundError("no secret at secret/missing"),
        "secret/denied": new AuthError("Vault denied reading secret/data/denied (403: permission denied)"),
      });
      const { resolution, values } = await resolveWith(
        fake,
        {
          env: [
            bind("OK", "vault://secret/ok#k"),
            bind("MISSING", "vault://secret/missing#k"),
            bind("ALSO_MISSING", "{{ vault('secret/missing#j') }}"),
            bind("DENIED", "vault://secret/denied#k"),
            bind("NO_ENV", "x-{{ env_var('NOT_SET_ANYWHERE') }}"),
            bind("NO_FIELD", "vault://secret/ok#absent"),
            bind("PLAIN", "8080"),
          ],
          expand: [expand("vault://secret/missing", "M_")],
        },
        {},
      );
      return { fake, values, byName: new Map(resolution.failures.map((f) => [f.name, f])) };
    }

    it("resolves the others, and lists each failing variable once", async () => {
      const { values, byName } = await resolveSomeFailing();
      assert.deepEqual(values, { OK: "ok-Value-1", PLAIN: "8080" });
      assert.deepEqual([...byName.keys()].sort(), ["ALSO_MISSING", "DENIED", "MISSING", "M_*", "NO_ENV", "NO_FIELD"]);
    });

    it("gives each its typed error: not found, denied (77), a missing variable, a missing field", async () => {
      const { byName } = await resolveSomeFailing();
      assert.ok(byName.get("MISSING")!.error instanceof NotFoundError);
      assert.ok(byName.get("ALSO_MISSING")!.error instanceof NotFoundError);
      assert.ok(byName.get("M_*")!.error instanceof NotFoundError);
      assert.equal(byName.get("DENIED")!.error.exitCode, 77);
      assert.ok(byName.get("NO_ENV")!.error instanceof ConfigError);
      assert.match(byName.get("NO_ENV")!.error.message, /NOT_SET_ANYWHERE/);
      assert.ok(byName.get("NO_FIELD")!.error instanceof NotFoundError);
      assert.match(byName.get("NO_FIELD")!.error.message, /"absent"/);
    });

    it("a field error lists keys, never values", async () => {
      const { byName } = await resolveSomeFailing();
      assert.ok(!byName.get("NO_FIELD")!.error.message.includes("ok-Value-1"), "a field error lists keys, never values");
    });

    it("each failure says where it was written and what it referenced", async () => {
      const { byName } = await resolveSomeFailing();
      assert.equal(byName.get("MISSING")!.origin.key, "env.MISSING");
      assert.equal(byName.get("MISSING")!.section, "env");
      assert.deepEqual(
        byName.get("MISSING")!.refs.map((r) => r.raw),
        ["vault://secret/missing#k"],
      );
      assert.equal(byName.get("M_*")!.section, "expand");
    });

    it("asks for the missing secret once, for its three users", async () => {
      const { fake } = await resolveSomeFailing();
      assert.equal(fake.readsOf("secret/missing"), 1);
    });
  });

  it("does not read a binding shadowed by a later source", async () => {
    const fake = new FakeProvider("vault", { "secret/live": mapDoc({ k: "live-Value-9" }), "secret/file": mapDoc({ k: "file-Value-9" }) });
    const run = await resolveWith(fake, {
      envFiles: [
        [bind("X", "vault://secret/dead-in-first-env-file#k", "a.env"), bind("Y", "vault://secret/dead-y#k", "a.env"), bind("Z", "vault://secret/dead-z#k", "a.env")],
        [bind("X", "vault://secret/dead-in-second-env-file#k", "b.env"), bind("Y", "vault://secret/live#k", "b.env")],
      ],
      env: [bind("X", "literal-wins"), bind("W", "{{ vault('secret/dead-w#k') }}")],
      files: [bind("Z", "vault://secret/file#k", "envject.yaml", "files"), bind("W", "vault://secret/file#k", "envject.yaml", "files")],
    });
    // The fake throws (an untyped error) for any path it does not know: only live ones were asked for.
    assert.deepEqual([...fake.reads.keys()].map((id) => (JSON.parse(id) as string[])[1]).sort(), ["secret/file", "secret/live"]);
    assert.deepEqual(run.values, { X: "literal-wins", Y: "live-Value-9", Z: "file-Value-9", W: "file-Value-9" });
    // Only the effective binding of each name is in the resolution.
    assert.deepEqual(run.resolution.variables.map((v) => `${v.name}:${v.section}`).sort(), ["W:files", "X:env", "Y:env-file", "Z:files"]);
  });

  it("orders sources env files, env, expand, files — later wins", async () => {
    const fake = new FakeProvider("vault", { "secret/cfg": mapDoc({ log_level: "debug", port: 1 }), "secret/f": mapDoc({ k: "file-content" }) });
    const { resolution, values } = await resolveWith(fake, {
      envFiles: [[bind("ONLY_ENV_FILE", "from-env-file", ".env")]],
      env: [bind("APP_LOG_LEVEL", "from-env"), bind("APP_OTHER", "kept")],
      expand: [expand("vault://secret/cfg", "APP_")],
      files: [bind("APP_PORT", "vault://secret/f#k", "envject.yaml", "files")],
    });
    assert.deepEqual(values, { ONLY_ENV_FILE: "from-env-file", APP_LOG_LEVEL: "debug", APP_OTHER: "kept", APP_PORT: "file-content" });
    assert.deepEqual(
      resolution.variables.map((v) => `${v.name}:${v.section}`),
      ["ONLY_ENV_FILE:env-file", "APP_LOG_LEVEL:env", "APP_OTHER:env", "APP_LOG_LEVEL:expand", "APP_PORT:expand", "APP_PORT:files"],
    );
  });

  it("expands every key into PREFIX + upper-cased name, stringifying non-string values", async () => {
    const fake = new FakeProvider("vault", {
      "secret/cfg": mapDoc({ log_level: "debug", "feature.flag": true, max_conn: 25, nested: { a: 1, b: ["x", "y"] }, "é-x": "accent", empty: null }),
    });
    const { values, resolution } = await resolveWith(fake, {
      expand: [expand("vault://secret/cfg", "APP_"), expand("vault://secret/cfg#nested", "N_"), expand("vault://secret/cfg#/nested", "P_")],
    });
    assert.deepEqual(resolution.failures, []);
    assert.deepEqual(values, {
      APP_LOG_LEVEL: "debug",
      APP_FEATURE_FLAG: "true",
      APP_MAX_CONN: "25",
      APP_NESTED: '{"a":1,"b":["x","y"]}',
      APP___X: "accent",
      APP_EMPTY: "",
      N_A: "1",
      N_B: '["x","y"]',
      P_A: "1",
      P_B: '["x","y"]',
    });
    assert.equal(fake.total, 1);
  });

  it("refuses an expanded name that is not a valid variable name (65), naming the key", async () => {
    const fake = new FakeProvider("vault", { "secret/digits": mapDoc({ "1st": "a", ok: "b" }), "secret/cfg": mapDoc({ s: "scalar" }) });
    const { resolution, values } = await resolveWith(fake, {
      env: [bind("KEEP", "kept")],
      expand: [expand("vault://secret/digits", ""), expand("vault://secret/cfg#s", "S_"), expand("vault://secret/digits", "D_")],
    });
    assert.deepEqual(values, { KEEP: "kept", D_1ST: "a", D_OK: "b" });
    const [noPrefix, scalar] = resolution.failures;
    assert.equal(resolution.failures.length, 2);
    assert.equal(noPrefix!.name, "*");
    assert.ok(noPrefix!.error instanceof ConfigError);
    assert.equal(noPrefix!.error.exitCode, 65);
    assert.match(noPrefix!.error.message, /"1st"/);
    assert.match(noPrefix!.error.message, /prefix/);
    assert.equal(scalar!.name, "S_*");
    assert.ok(scalar!.error instanceof ConfigError);
    assert.match(scalar!.error.message, /not an object/);
    assert.ok(!scalar!.error.message.includes("scalar"), "the message describes the value's kind, not the value");
  });

  it("env_var() reads envject's own environment (the one given, not process.env); a missing one is 65", async () => {
    const fake = new FakeProvider("vault", {});
    const { values, resolution } = await resolveWith(
      fake,
      { env: [bind("URL", "https://{{ env_var('REGION') }}.api.example.com"), bind("BAD", "{{ env_var('PATH_NOT_GIVEN') }}")] },
      { REGION: "eu-west-1" },
    );
    assert.deepEqual(values, { URL: "https://eu-west-1.api.example.com" });
    assert.equal(resolution.failures.length, 1);
    assert.equal(resolution.failures[0]!.error.exitCode, 65);
    assert.match(resolution.failures[0]!.error.message, /PATH_NOT_GIVEN/);
    assert.equal(fake.total, 0);
  });

  it("a template whose env_var() is missing while its read fails leaves no unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const fake = new FakeProvider("vault", { "secret/missing": new NotFoundError("no secret at secret/missing") }, 5);
      const { resolution } = await resolveWith(fake, { env: [bind("X", "{{ vault('secret/missing#k') }}{{ env_var('TYPO_NOT_SET') }}")] });
      assert.equal(resolution.failures.length, 1);
      assert.equal(resolution.failures[0]!.error.exitCode, 65);
      // The slower, failing read settles after the resolution has returned: wait for it, then
      // for one turn of the event loop, by which a rejection nobody handled has been reported.
      assert.equal(fake.readsOf("secret/missing"), 1);
      await waitFor("the failing read to settle", () => fake.inFlight === 0);
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(unhandled, []);
    } finally {
      process.removeListener("unhandledRejection", onUnhandled);
    }
  });

  it("registers every secret-derived value (and templates made from secrets) in the redactor, and nothing else", async () => {
    const fake = new FakeProvider("vault", {
      "secret/db": mapDoc(DB),
      "secret/cfg": mapDoc({ token: "expand-Token-777", n: 12345 }),
      "secret/f": mapDoc({ key: "file-Key-Material\nline-two-of-it" }),
    });
    const { redactor, values } = await resolveWith(
      fake,
      {
        envFiles: [[bind("FROM_ENV_FILE", "vault://secret/db#user", ".env")]],
        env: [
          bind("PASS", "vault://secret/db#pass"),
          bind("URL", "postgres://{{ vault('secret/db#user') }}:{{ vault('secret/db#pass') }}@db:5432/app"),
          bind("LITERAL", "literal-Not-A-Secret"),
          bind("ENV_ONLY", "region-{{ env_var('REGION') }}-suffix"),
        ],
        expand: [expand("vault://secret/cfg", "C_")],
        files: [bind("KEY_FILE", "vault://secret/f#key", "envject.yaml", "files")],
      },
      { REGION: "eu-central-1" },
    );
    const secrets = new Set(redactor.secrets());
    for (const v of [DB.user, DB.pass, values.URL!, "expand-Token-777", "12345", "file-Key-Material\nline-two-of-it", "file-Key-Material", "line-two-of-it"]) {
      assert.ok(secrets.has(v), `registered: ${JSON.stringify(v)}`);
    }
    for (const v of ["literal-Not-A-Secret", values.ENV_ONLY!, "eu-central-1"]) assert.ok(!secrets.has(v), `not a secret: ${v}`);
    assert.equal(redactor.redact(`url=${values.URL}`), `url=${Redactor.MASK}`);
  });

  it("rethrows an unexpected (untyped) error instead of reporting it as a variable failure", async () => {
    const fake = new FakeProvider("vault", { "secret/bug": new RangeError("a bug in a provider") });
    await assert.rejects(resolveWith(fake, { env: [bind("A", "vault://secret/bug#k")] }), RangeError);
  });
});

describe("effectiveBindings", () => {
  it("keeps only the last binding of each name, in precedence order", () => {
    const bindings = effectiveBindings(
      input({
        envFiles: [[bind("A", "1", "a.env"), bind("B", "1", "a.env")], [bind("A", "2", "b.env")]],
        env: [bind("B", "3"), bind("C", "3")],
        files: [bind("C", "vault://secret/x#k", "envject.yaml", "files")],
      }),
    );
    assert.deepEqual(
      bindings.map((b) => `${b.binding.name}@${b.binding.origin.file}:${b.section}`),
      ["A@b.env:env-file", "B@envject.yaml:env", "C@envject.yaml:files"],
    );
  });
});

describe("resolveBindings against the Vault double", () => {
  let sv: SeededVault;
  before(async () => {
    sv = await startSeededVault();
    await sv.control.putSecret("secret/db", DB);
  });
  after(async () => sv.close());

  async function resolveAgainstDouble(parts: Parameters<typeof input>[0]): Promise<Run> {
    const mapping: Mapping = { vault: {}, aws: {}, env: [], expand: [], files: [] };
    const environ = { HOME: "/nonexistent", VAULT_ADDR: sv.url, VAULT_TOKEN: sv.rootToken };
    const redactor = new Redactor();
    const logger = new Logger("silent", "text", { redactor });
    const providers = new ProviderSet(providerFactories({ mapping, environ, logger }));
    const reader = new SecretReader(providers, { deadline: Date.now() + 10_000 });
    try {
      const resolution = await resolveBindings(input(parts), { reader, redactor, environ });
      const values = Object.fromEntries([...finalValues(resolution.variables)].map(([n, v]) => [n, v.value]));
      return { resolution, values, redactor };
    } finally {
      await providers.close();
    }
  }

  it("asks Vault once for a secret used by variables, templates, vault_secret_var, expand and files", async () => {
    await sv.control.clearRequests();
    const { values, resolution } = await resolveAgainstDouble({
      envFiles: [[bind("E", "vault://secret/db#user", ".env")]],
      env: [
        bind("A", "vault://secret/db#pass"),
        bind("B", "{{ vault_secret_var('db', 'user') }}"),
        bind("C", "{{ vault('secret/db#user') }}:{{ vault('secret/db#pass') }}"),
        bind("P", "vault://secret/myapp/db#password"),
        bind("U", "{{ vault_secret_var('myapp/db', 'username') }}"),
      ],
      expand: [expand("vault://secret/db", "DB_")],
      files: [bind("F", "vault://secret/db#pass", "envject.yaml", "files")],
    });
    assert.deepEqual(resolution.failures, []);
    assert.deepEqual(values, {
      E: DB.user,
      A: DB.pass,
      B: DB.user,
      C: `${DB.user}:${DB.pass}`,
      P: SEED.db.password,
      U: SEED.db.username,
      DB_USER: DB.user,
      DB_PASS: DB.pass,
      F: DB.pass,
    });
    const reads = (await sv.control.requests()).filter((e) => !e.path.startsWith("sys/") && !e.path.startsWith("auth/")).map((e) => e.path);
    assert.deepEqual(reads.sort(), ["secret/data/db", "secret/data/myapp/db"]);
  });

  it("reports each failing variable with Vault's typed error and resolves the rest", async () => {
    const { resolution, values } = await resolveAgainstDouble({
      env: [
        bind("OK", "vault://secret/db#user"),
        bind("MISSING", "vault://secret/nope#x"),
        bind("NO_KEY", "vault://secret/myapp/db#nokey"),
        bind("TWO_KEYS", "vault://secret/myapp/db"),
        bind("PIN_ON_V1", "vault://kv/legacy?version=1#token"),
      ],
    });
    assert.deepEqual(values, { OK: DB.user });
    const codes = Object.fromEntries(resolution.failures.map((f) => [f.name, f.error.exitCode]));
    assert.deepEqual(codes, { MISSING: 78, NO_KEY: 78, TWO_KEYS: 65, PIN_ON_V1: 65 });
    const twoKeys = resolution.failures.find((f) => f.name === "TWO_KEYS")!.error.message;
    assert.match(twoKeys, /"password", "username"/);
    for (const f of resolution.failures) {
      for (const v of SEEDED_SECRET_VALUES) assert.ok(!f.error.message.includes(v), `${f.name}: ${f.error.message}`);
    }
  });
});
