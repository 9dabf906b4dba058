/**
 * From a re-read secret to the child: only the bindings that use it are evaluated again, the
 * environment is compared by name, and each --on-change policy does what it says (files first).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, describe, it } from "node:test";
import { parseValue, secretIdentity } from "../../src/config/reference.js";
import type { Binding } from "../../src/config/model.js";
import { type ResolutionInput, resolveBindings } from "../../src/resolve/resolution.js";
import type { ChildSpec } from "../../src/supervise/child.js";
import { ChangeApplier, changeFields, describeChange } from "../../src/watch/apply.js";
import { ChildEnvironment } from "../../src/watch/child-environment.js";
import type { SecretChange } from "../../src/watch/controller.js";
import type { OnChange } from "../../src/watch/policy.js";
import { captureLogger } from "../support/logger.js";
import { FakeClock } from "./fake-clock.js";
import { FakeStore, readerFor, ref } from "./fake-store.js";

function binding(name: string, text: string): Binding {
  return { name, spec: parseValue(text, { defaultMount: "secret" }), origin: { file: "envject.yaml", key: `env.${name}` } };
}

const created: ChildEnvironment[] = [];
after(() => created.forEach((e) => e.removeFiles()));

async function setup(policy: OnChange, splayMs = 0, format: "text" | "json" = "text") {
  const clock = new FakeClock();
  const store = new FakeStore(clock);
  store.kv("secret/a", { pass: "pw-a-one", unused: "u1" });
  store.kv("secret/b", { key: "key-b-one" });
  store.kv("secret/tls", { pem: "pem-one" });
  const { reader } = readerFor(store);
  let envReads = 0;
  const environ = new Proxy<NodeJS.ProcessEnv>(
    { REGION: "eu" },
    {
      get: (target, name) => {
        if (name === "REGION") envReads++;
        return target[name as string];
      },
    },
  );
  const input: ResolutionInput = {
    envFiles: [],
    mapping: {
      env: [binding("A_PASS", "vault://secret/a#pass"), binding("B_URL", "{{ env_var('REGION') }}:{{ vault('secret/b#key') }}")],
      expand: [],
      files: [binding("TLS_FILE", "vault://secret/tls#pem")],
    },
  };
  const { logger, count, lines } = captureLogger({ format });
  const ctx = { reader, redactor: logger.redactor, environ };
  const resolution = await resolveBindings(input, ctx);
  const environment = new ChildEnvironment(resolution, {
    command: { command: "app", args: [], shell: false },
    environment: { parent: { PATH: "/bin" }, pristine: false, passCredentials: false },
    environ: {},
  });
  created.push(environment);
  const events: string[] = [];
  const tlsPath = () => environment.spec().env.TLS_FILE!;
  const fileNow = () => readFileSync(tlsPath(), "utf8");
  const supervisor = {
    restart: async (spec: ChildSpec) => void events.push(`restart A_PASS=${spec.env.A_PASS} file=${fileNow()}`),
    signal: (signal: NodeJS.Signals) => void events.push(`signal ${signal} file=${fileNow()}`),
  };
  const applier = new ChangeApplier({
    input,
    ctx,
    policy,
    splayMs,
    clock,
    target: { environment, supervisor, logger, exit: async (code) => void events.push(`exit ${code}`) },
  });
  const envReadsAtStart = envReads;
  /** Writes `data` to `path` and re-reads and commits it as the watcher does. */
  const reread = async (path: string, data: Record<string, string>, reason: SecretChange["reason"]): Promise<SecretChange> => {
    store.kv(path, data);
    const id = secretIdentity(ref(`vault://${path}`));
    const before = reader.all().get(id)!.doc!;
    const doc = await reader.reread(id, { once: true, deadline: Date.now() + 1000 });
    reader.commit(id, doc);
    return { id, ref: ref(`vault://${path}`), display: `vault://${path}`, reason, before: before.version, after: doc.version };
  };
  /** Writes `data` to `path`, re-reads and commits it as the watcher does, and applies it. */
  const change = async (path: string, data: Record<string, string>, reason: SecretChange["reason"] = "version") => {
    await applier.apply([await reread(path, data, reason)]);
  };
  /** Several secrets re-read in one batch, applied together. */
  const changeMany = async (writes: Array<[string, Record<string, string>]>) => {
    const batch: SecretChange[] = [];
    for (const [path, data] of writes) batch.push(await reread(path, data, "version"));
    await applier.apply(batch);
  };
  return { store, environment, events, change, changeMany, count, lines, fileNow, envReads: () => envReads - envReadsAtStart, logger, clock };
}

describe("applying a change", () => {
  it("re-evaluates only the bindings that use the changed secret, then restarts with the new values", async () => {
    const s = await setup({ kind: "restart" });
    await s.change("secret/a", { pass: "pw-a-two", unused: "u1" });
    assert.equal(s.envReads(), 0, "B_URL (env_var + secret/b) was not evaluated again");
    assert.equal(s.store.count("read", "secret/b"), 1, "secret/b was not read again");
    assert.deepEqual(s.events, ["restart A_PASS=pw-a-two file=pem-one"]);
    assert.equal(s.count("info", /vault:\/\/secret\/a changed \(version 1 → 2\): new values for A_PASS$/), 1);
    assert.ok(!s.lines.join("").includes("pw-a-two"), "the new value is never logged");
    assert.equal(s.logger.redactor.redact("x pw-a-two"), "x *****", "the new value is redacted");
  });

  it("the rotation line in JSON: reference, reason, versions, variables and on_change as fields, the message saying each once", async () => {
    const s = await setup({ kind: "signal", signal: "SIGHUP" }, 0, "json");
    await s.change("secret/a", { pass: "pw-a-two", unused: "u1" });
    const lines = s.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.level === "info" && r.reference !== undefined);
    assert.equal(lines.length, 1, s.lines.join("\n"));
    const { time, ...rest } = lines[0]!;
    assert.equal(typeof time, "string");
    assert.deepEqual(rest, {
      level: "info",
      msg: "vault://secret/a changed (version 1 → 2): new values for A_PASS",
      reference: "vault://secret/a",
      reason: "version",
      from_version: "1",
      to_version: "2",
      variables: ["A_PASS"],
      on_change: "signal:SIGHUP",
    });
    assert.ok(!s.lines.join("").includes("pw-a-two"));
  });

  it("several secrets in one batch: a changes list, one record per secret, and one line", async () => {
    const s = await setup({ kind: "restart" }, 0, "json");
    await s.changeMany([
      ["secret/a", { pass: "pw-a-two", unused: "u1" }],
      ["secret/b", { key: "key-b-two" }],
    ]);
    const info = s.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.level === "info");
    const rotation = info.filter((r) => r.changes !== undefined);
    assert.equal(rotation.length, 1, s.lines.join("\n"));
    assert.equal(rotation[0]!.msg, "vault://secret/a changed (version 1 → 2); vault://secret/b changed (version 1 → 2): new values for A_PASS, B_URL");
    assert.deepEqual(rotation[0]!.changes, [
      { reference: "vault://secret/a", reason: "version", from_version: "1", to_version: "2" },
      { reference: "vault://secret/b", reason: "version", from_version: "1", to_version: "2" },
    ]);
    assert.deepEqual(rotation[0]!.variables, ["A_PASS", "B_URL"]);
    assert.equal(rotation[0]!.reference, undefined, "either flat fields or changes, never both");
    assert.deepEqual(s.events, ["restart A_PASS=pw-a-two file=pem-one"], "one restart for the batch");
  });

  it("new credentials (a lease, a new login) say so, with reason lease or login; a secret without versions has no version fields", async () => {
    const s = await setup({ kind: "restart" }, 0, "json");
    await s.change("secret/b", { key: "key-b-two" }, "lease");
    const rotation = s.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => r.reference === "vault://secret/b")!;
    assert.equal(rotation.msg, "vault://secret/b has new credentials (its lease could not be extended): new values for B_URL");
    assert.equal(rotation.reason, "lease");
    const text = await setup({ kind: "restart" });
    await text.change("secret/b", { key: "key-b-two" }, "login");
    assert.equal(text.count("info", /^\S+ envject INFO  vault:\/\/secret\/b has new credentials \(read under the new Vault login\): new values for B_URL$/), 1, text.lines.join("\n"));
    // A dynamic secret (or KV v1) has no version: the fields are left out, not null.
    const dynamic: SecretChange = { id: "x", ref: ref("vault://database/creds/app"), display: "vault://database/creds/app", reason: "lease" };
    assert.deepEqual(JSON.parse(JSON.stringify(changeFields([dynamic]))), { reference: "vault://database/creds/app", reason: "lease" });
    assert.equal(describeChange({ ...dynamic, reason: "version" }), "vault://database/creds/app changed");
  });

  it("a change to a key no variable uses changes nothing: debug only, no action", async () => {
    const s = await setup({ kind: "restart" });
    await s.change("secret/a", { pass: "pw-a-one", unused: "u2" });
    assert.deepEqual(s.events, []);
    assert.equal(s.count("debug", /^\S+ envject DEBUG vault:\/\/secret\/a changed \(version 1 → 2\), but no variable of the command did$/), 1);
    assert.equal(s.count("info", /changed/), 0);
  });

  it("restart rewrites a files: secret before the new child starts", async () => {
    const s = await setup({ kind: "restart" });
    await s.change("secret/tls", { pem: "pem-two" });
    assert.deepEqual(s.events, ["restart A_PASS=pw-a-one file=pem-two"]);
  });

  it("signal rewrites files: secrets before signalling, and warns (names only) when environment variables changed", async () => {
    const s = await setup({ kind: "signal", signal: "SIGHUP" });
    await s.change("secret/tls", { pem: "pem-two" });
    assert.deepEqual(s.events, ["signal SIGHUP file=pem-two"]);
    assert.equal(s.count("warn", /environment variables changed/), 0, "only a file changed");
    await s.change("secret/b", { key: "key-b-two" });
    assert.equal(s.count("warn", /environment variables changed.*variables=B_URL/), 1);
    assert.equal(s.events.length, 2);
    assert.equal(s.environment.spec().env.B_URL, "eu:key-b-two", "the next start gets the new value");
  });

  it("--splay delays a new version's restart, but not new credentials for a lease or login about to end", async () => {
    const s = await setup({ kind: "restart" }, 10_000);
    s.clock.randoms = [0.5];
    const versionApplied = s.change("secret/a", { pass: "pw-a-two", unused: "u1" });
    await s.clock.advance(4_000);
    assert.deepEqual(s.events, [], "still within the splay (5 s of 10 s)");
    await s.clock.advance(1_000);
    await versionApplied;
    assert.deepEqual(s.events, ["restart A_PASS=pw-a-two file=pem-one"]);
    await s.change("secret/a", { pass: "pw-a-three", unused: "u1" }, "lease");
    assert.deepEqual(s.events.at(-1), "restart A_PASS=pw-a-three file=pem-one", "no splay for credentials about to end");
  });

  it("a value too big for an environment (over 128 KiB): nothing is stopped, one warning naming the variable and its size, never the value; a later normal value is applied", async () => {
    for (const policy of [{ kind: "restart" }, { kind: "signal", signal: "SIGHUP" }, { kind: "exit" }, { kind: "none" }] as OnChange[]) {
      const s = await setup(policy);
      const big = "big-Value-".repeat(20_000); // 200,000 bytes
      await s.change("secret/a", { pass: big, unused: "u1" });
      assert.deepEqual(s.events, [], `${policy.kind}: no action`);
      assert.equal(s.count("warn", /the new value of A_PASS is too big for an environment variable \(200008 bytes .*131072/), 1, `${policy.kind}: ${s.lines.join("\n")}`);
      assert.ok(!s.lines.join("").includes("big-Value-big-Value-"), "the value is never logged");
      assert.equal(s.environment.spec().env.A_PASS, "pw-a-one", `${policy.kind}: the next start (a crash restart) keeps the current value`);
      await s.change("secret/a", { pass: "pw-a-two", unused: "u1" });
      assert.equal(s.environment.spec().env.A_PASS, "pw-a-two", `${policy.kind}: the later value is applied`);
      assert.equal(s.events.length, policy.kind === "none" ? 0 : 1, `${policy.kind}: ${JSON.stringify(s.events)}`);
      assert.equal(s.count("warn", /too big/), 1);
      s.environment.removeFiles();
    }
  });

  it("a too-big value in a files: secret is delivered as usual (files have no such limit)", async () => {
    const s = await setup({ kind: "restart" });
    const big = "big-File-".repeat(25_000);
    await s.change("secret/tls", { pem: big });
    assert.equal(s.count("warn", /too big/), 0);
    assert.equal(s.events.length, 1);
    assert.equal(s.fileNow().length, big.length);
  });

  it("exit stops with 75", async () => {
    const s = await setup({ kind: "exit" });
    await s.change("secret/a", { pass: "pw-a-two", unused: "u1" });
    assert.deepEqual(s.events, ["exit 75"]);
  });

  it("none only logs; the next start (a crash restart) gets the new values, files included", async () => {
    const s = await setup({ kind: "none" });
    const path = s.environment.spec().env.TLS_FILE!;
    await s.change("secret/tls", { pem: "pem-two" });
    await s.change("secret/a", { pass: "pw-a-two", unused: "u1" });
    assert.deepEqual(s.events, []);
    assert.equal(readFileSync(path, "utf8"), "pem-one", "the running child's file is left alone");
    const spec = s.environment.spec();
    assert.equal(spec.env.A_PASS, "pw-a-two");
    assert.equal(readFileSync(path, "utf8"), "pem-two", "written before the next start");
    s.environment.removeFiles();
  });
});
