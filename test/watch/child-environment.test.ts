/**
 * The child's environment is always one it can be started with (exec-limits.ts): a variable over
 * MAX_ARG_STRLEN or an environment beyond the argument space is exit 65 at start, naming the
 * variables, and fit() keeps a change's too-big parts at their current values, like parts that
 * failed to evaluate, while the rest of the change goes through. `files:` contents are free.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { Binding, ExpandEntry } from "../../src/config/model.js";
import { type SecretRef, parseReference, parseValue, secretIdentity } from "../../src/config/reference.js";
import { ConfigError, ExitCode } from "../../src/errors.js";
import { Redactor } from "../../src/log/redactor.js";
import { type Resolution, type ResolutionInput, finalValues, resolveBindings, updateResolution } from "../../src/resolve/resolution.js";
import { MAX_ENV_STRING_BYTES } from "../../src/supervise/exec-limits.js";
import { ChildEnvironment } from "../../src/watch/child-environment.js";
import { FakeClock } from "./fake-clock.js";
import { FakeStore, readerFor, ref } from "./fake-store.js";

const created: ChildEnvironment[] = [];
after(() => created.forEach((e) => e.removeFiles()));

function env(name: string, text: string): Binding {
  return { name, spec: parseValue(text, { defaultMount: "secret" }), origin: { file: "envject.yaml", line: 3, column: 5, key: `env.${name}` } };
}

function expand(from: string, prefix: string): ExpandEntry {
  return { ref: parseReference(from, { defaultMount: "secret" }) as SecretRef, prefix, origin: { file: "envject.yaml", line: 9, column: 5, key: "expand" } };
}

interface World {
  store: FakeStore;
  input: ResolutionInput;
  resolution: Resolution;
  /** A new ChildEnvironment over the resolution (throws as the constructor does). */
  environment(limit?: number): ChildEnvironment;
  /** Writes `data` to each path, re-reads them as the watcher does, and updates `previous`. */
  update(previous: Resolution, writes: Record<string, Record<string, string>>): Promise<Resolution>;
}

async function world(secrets: Record<string, Record<string, string>>, mapping: Partial<ResolutionInput["mapping"]>): Promise<World> {
  const store = new FakeStore(new FakeClock());
  for (const [path, data] of Object.entries(secrets)) store.kv(path, data);
  const { reader } = readerFor(store);
  const ctx = { reader, redactor: new Redactor(), environ: {} };
  const input: ResolutionInput = { envFiles: [], mapping: { env: [], expand: [], files: [], ...mapping } };
  const resolution = await resolveBindings(input, ctx);
  assert.deepEqual(resolution.failures, []);
  return {
    store,
    input,
    resolution,
    environment: (limit) => {
      const e = new ChildEnvironment(resolution, {
        command: { command: "app", args: ["--flag"], shell: false },
        environment: { parent: { PATH: "/bin" }, pristine: false, passCredentials: false },
        environ: {},
        argumentLimitBytes: limit,
      });
      created.push(e);
      return e;
    },
    update: async (previous, writes) => {
      const changed = new Set<string>();
      for (const [path, data] of Object.entries(writes)) {
        store.kv(path, data);
        const id = secretIdentity(ref(`vault://${path}`));
        reader.commit(id, await reader.reread(id, { once: true, deadline: Date.now() + 1000 }));
        changed.add(id);
      }
      const update = await updateResolution(previous, input, ctx, changed);
      assert.deepEqual(update.failures, []);
      return update.resolution;
    },
  };
}

/** A value that makes `NAME=value` and its NUL exactly `bytes` long. */
const sized = (name: string, bytes: number, unit = "x") => unit.repeat(bytes - name.length - 2);

const valueOf = (r: Resolution, name: string) => finalValues(r.variables).get(name)?.value;

function configError(e: unknown): ConfigError {
  assert.ok(e instanceof ConfigError, String(e));
  assert.equal(e.exitCode, ExitCode.config);
  return e;
}

describe("ChildEnvironment at start", () => {
  it("an environment string of exactly 131072 bytes, its NUL included, starts; one byte more is a ConfigError (65) naming the variable and its size", async () => {
    assert.equal(MAX_ENV_STRING_BYTES, 131072);
    const fits = await world({ "secret/a": { v: sized("V", 131072) } }, { env: [env("V", "vault://secret/a#v")] });
    assert.equal(fits.environment().spec().env.V!.length, 131069);
    const over = await world({ "secret/a": { v: sized("V", 131073) } }, { env: [env("V", "vault://secret/a#v")] });
    assert.throws(
      () => over.environment(),
      (e: unknown) => {
        const error = configError(e);
        assert.match(error.message, /^envject\.yaml:3:5 \(env\.V\): V would be 131073 bytes as an environment string .*over Linux's limit of 131072 bytes .*E2BIG.*files:/);
        assert.doesNotMatch(error.message, /xxxxxxxx/, "never the value");
        return true;
      },
    );
  });

  it("counts UTF-8 bytes, not characters", async () => {
    const w = await world({ "secret/a": { v: "é".repeat(65_535) } }, { env: [env("V", "vault://secret/a#v")] });
    assert.throws(
      () => w.environment(),
      (e: unknown) => /V would be 131073 bytes/.test(configError(e).message),
    );
  });

  it("names every variable that is too big, each on its own line", async () => {
    const w = await world(
      { "secret/a": { one: sized("ONE", 200_000), two: sized("TWO", 140_000), ok: "small" } },
      { env: [env("ONE", "vault://secret/a#one"), env("OK", "vault://secret/a#ok"), env("TWO", "vault://secret/a#two")] },
    );
    assert.throws(
      () => w.environment(),
      (e: unknown) => {
        const error = configError(e);
        assert.match(error.message, /ONE would be 200000 bytes/);
        assert.deepEqual(
          error.related.map((r) => /(\w+) would be (\d+) bytes/.exec(r.message)?.slice(1)),
          [["TWO", "140000"]],
        );
        assert.doesNotMatch([error.message, ...error.related.map((r) => r.message)].join(" "), /\bOK\b/);
        return true;
      },
    );
  });

  it("files: contents have no such limit (the variable holds a path)", async () => {
    const w = await world({ "secret/a": { pem: "p".repeat(300_000) } }, { files: [env("PEM_FILE", "vault://secret/a#pem")] });
    assert.ok(w.environment().spec().env.PEM_FILE!.length < 200);
  });

  it("an environment and argv beyond the argument space is a ConfigError (65) naming the largest variables, with sizes", async () => {
    const w = await world(
      { "secret/a": { a: "a".repeat(4000), b: "b".repeat(3000), c: "c".repeat(2000), d: "d".repeat(1000) } },
      { env: [env("D", "vault://secret/a#d"), env("A", "vault://secret/a#a"), env("C", "vault://secret/a#c"), env("B", "vault://secret/a#b")] },
    );
    assert.ok(w.environment(20_000), "fits in 20000 bytes");
    assert.throws(
      () => w.environment(9000),
      (e: unknown) => {
        const error = configError(e);
        assert.match(error.message, /environment and arguments would take \d+ bytes, over the 9000 the system allows .*E2BIG.*A \(4003 bytes\), B \(3003 bytes\), C \(2003 bytes\)/);
        return true;
      },
    );
  });
});

describe("ChildEnvironment.fit", () => {
  it("a part that would be too big keeps its current value; another part changed with it goes through", async () => {
    const w = await world({ "secret/a": { v: "a-one" }, "secret/b": { v: "b-one" } }, { env: [env("A", "vault://secret/a#v"), env("B", "vault://secret/b#v")] });
    const environment = w.environment();
    const next = await w.update(environment.resolution, { "secret/a": { v: "A".repeat(200_000) }, "secret/b": { v: "b-two" } });
    const { resolution, refused } = environment.fit(next);
    assert.equal(valueOf(resolution, "A"), "a-one");
    assert.equal(valueOf(resolution, "B"), "b-two");
    assert.equal(refused.length, 1);
    assert.deepEqual(refused[0]!.variables, ["A"]);
    assert.deepEqual(refused[0]!.fields, { variable: "A", bytes: 200_003, limit: 131072 });
    assert.match(refused[0]!.message, /^the new value of A is too big for an environment variable \(200003 bytes .*131072.*keeps running with its current value/);
    assert.doesNotMatch(refused[0]!.message, /AAAAAAAA/);
    const change = environment.diff(resolution);
    assert.deepEqual(change.variables, ["B"]);
    environment.adopt(change, { writeFiles: true });
    assert.deepEqual([environment.spec().env.A, environment.spec().env.B], ["a-one", "b-two"]);

    // The secret changes again, to a value that fits: applied.
    const later = environment.fit(await w.update(environment.resolution, { "secret/a": { v: "a-three" } }));
    assert.deepEqual(later.refused, []);
    assert.deepEqual(environment.diff(later.resolution).variables, ["A"]);
  });

  it("nothing too big: the update as it is", async () => {
    const w = await world({ "secret/a": { v: "a-one" } }, { env: [env("A", "vault://secret/a#v")] });
    const environment = w.environment();
    const next = await w.update(environment.resolution, { "secret/a": { v: "a-two" } });
    const { resolution, refused } = environment.fit(next);
    assert.deepEqual(refused, []);
    assert.equal(valueOf(resolution, "A"), "a-two");
  });

  it("an expand: entry with one key too big keeps all its current variables, and says so", async () => {
    const w = await world({ "secret/cfg": { small: "s-one", other: "o-one" } }, { expand: [expand("vault://secret/cfg", "CFG_")] });
    const environment = w.environment();
    const next = await w.update(environment.resolution, { "secret/cfg": { small: "s-two", other: "O".repeat(150_000) } });
    const { resolution, refused } = environment.fit(next);
    assert.equal(valueOf(resolution, "CFG_SMALL"), "s-one");
    assert.equal(valueOf(resolution, "CFG_OTHER"), "o-one");
    assert.deepEqual(refused[0]!.variables, ["CFG_OTHER"]);
    assert.match(refused[0]!.message, /as do the other variables of the same expand: entry/);
  });

  it("over the argument space: the parts that grew keep their current values, one that shrank goes through", async () => {
    const w = await world(
      { "secret/a": { v: "a".repeat(2000) }, "secret/b": { v: "b".repeat(2000) }, "secret/c": { v: "c".repeat(2000) } },
      { env: [env("A", "vault://secret/a#v"), env("B", "vault://secret/b#v"), env("C", "vault://secret/c#v")] },
    );
    const environment = w.environment(9000);
    // 2000 + 2000 + 2000 fit in 9000; 6500 + 1500 + 2000 do not, 2000 + 1500 + 2000 do.
    const next = await w.update(environment.resolution, { "secret/a": { v: "A".repeat(6500) }, "secret/b": { v: "b".repeat(1500) } });
    const { resolution, refused } = environment.fit(next);
    assert.equal(valueOf(resolution, "A")?.length, 2000, "A grew: kept");
    assert.equal(valueOf(resolution, "B")?.length, 1500, "B shrank: applied");
    assert.equal(refused.length, 1);
    assert.deepEqual(refused[0]!.variables, ["A"]);
    assert.equal(refused[0]!.fields.limit, 9000);
    assert.ok((refused[0]!.fields.bytes as number) > 9000);
    assert.match(refused[0]!.message, /^the new value of A would make the command's environment and arguments \d+ bytes, over the 9000 the system allows/);
    environment.adopt(environment.diff(resolution), { writeFiles: true });
    assert.equal(environment.spec().env.B?.length, 1500);
  });
});
