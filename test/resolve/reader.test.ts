/**
 * SecretReader (docs/contract/rotation.md#what-is-polled: one request per distinct secret): each secret identity is read
 * once however many references use it, reads never exceed the concurrency cap, failures are
 * kept with their typed error, and leases are collected. With a fake provider, then against the
 * Vault double, whose request log counts what really went over the wire.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type SecretRef, parseReference, parseValue, refsOf, secretIdentity } from "../../src/config/reference.js";
import { AuthError, NotFoundError } from "../../src/errors.js";
import { Logger } from "../../src/log/logger.js";
import type { Mapping } from "../../src/config/model.js";
import type { Lease } from "../../src/providers/provider.js";
import { providerFactories } from "../../src/providers/registry.js";
import { ProviderSet } from "../../src/resolve/provider-set.js";
import { SecretReader } from "../../src/resolve/reader.js";
import { SEED, type SeededVault, startSeededVault } from "../support/vault-fixture.js";
import { FakeProvider, factoriesFor, mapDoc } from "./fake-provider.js";

const ctx = { defaultMount: "secret" };
const ref = (text: string): SecretRef => parseReference(text, ctx)!;
/** The references inside a value (a template's calls included). */
const refsIn = (text: string): SecretRef[] => refsOf(parseValue(text, ctx));

function readerWith(provider: FakeProvider, options: { concurrency?: number; deadline?: number } = {}): SecretReader {
  return new SecretReader(new ProviderSet(factoriesFor({ [provider.name]: provider })), { deadline: Date.now() + 60_000, ...options });
}

describe("SecretReader with a fake provider", () => {
  it("reads a secret once however many references (and fields) use it at once", async () => {
    const fake = new FakeProvider("vault", { "secret/db": mapDoc({ user: "u", pass: "p-Reader-1" }, "3") });
    const reader = readerWith(fake);
    const refs = [
      ...refsIn("vault://secret/db#user"),
      ...refsIn("vault://secret/db#pass"),
      ...refsIn("ref+vault://secret/db#pass"),
      ...refsIn("{{ vault_secret_var('db', 'user') }}"),
      ...refsIn("postgres://{{ vault('secret/db#user') }}:{{ vault('secret/db#pass') }}@h"),
      ...refsIn("vault://db?mount=secret#user"),
    ];
    assert.equal(refs.length, 7);
    const docs = await Promise.all(refs.map((r) => reader.read(r)));
    assert.equal(fake.total, 1);
    for (const d of docs) assert.deepEqual(d.data, { user: "u", pass: "p-Reader-1" });
    // Later reads of the same identity cost nothing either.
    await reader.read(ref("vault://secret/db#user"));
    assert.equal(fake.total, 1);
    assert.equal(reader.all().size, 1);
  });

  it("treats vault_secret_var('db', …) and vault://secret/db as one secret", () => {
    const [templated] = refsIn("{{ vault_secret_var('db', 'k') }}");
    assert.equal(secretIdentity(templated!), secretIdentity(ref("vault://secret/db")));
  });

  it("reads a secret spelled with and without ?mount= once, with the spelling that names the mount", async () => {
    class RecordingProvider extends FakeProvider {
      readonly seen: SecretRef[] = [];
      override read(r: SecretRef, options: Parameters<FakeProvider["read"]>[1]) {
        this.seen.push(r);
        return super.read(r, options);
      }
    }
    const fake = new RecordingProvider("vault", { "team/kv/app": mapDoc({ token: "t-Reader-Mount" }, "1") });
    const reader = readerWith(fake);
    const plain = ref("vault://team/kv/app#token");
    const explicit = ref("vault://app?mount=team/kv#token");
    reader.prefer([plain, explicit]);
    await Promise.all([reader.read(plain), reader.read(explicit)]);
    assert.equal(fake.total, 1);
    assert.equal(fake.seen.length, 1);
    assert.equal(fake.seen[0]!.provider === "vault" && fake.seen[0]!.mount, "team/kv");
  });

  it("reads different versions of one path, and different paths, separately", async () => {
    const fake = new FakeProvider("vault", { "secret/db": mapDoc({ k: "v" }), "secret/other": mapDoc({ k: "w" }) });
    const reader = readerWith(fake);
    await Promise.all(["vault://secret/db", "vault://secret/db?version=1", "vault://secret/db?version=2", "vault://secret/other", "vault://secret/db?version=1#k"].map((t) => reader.read(ref(t))));
    assert.equal(fake.readsOf("secret/db"), 3);
    assert.equal(fake.readsOf("secret/other"), 1);
    assert.equal(fake.total, 4);
  });

  it("never has more reads in flight than the cap, and reads everything", async () => {
    const secrets = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`secret/s${i}`, mapDoc({ k: `v${i}` })]));
    const fake = new FakeProvider("vault", secrets, 5);
    const reader = readerWith(fake, { concurrency: 4 });
    const docs = await Promise.all(Array.from({ length: 25 }, (_, i) => reader.read(ref(`vault://secret/s${i}`))));
    assert.equal(fake.peak, 4);
    assert.equal(fake.total, 25);
    assert.deepEqual(
      docs.map((d) => (d.data as { k: string }).k),
      Array.from({ length: 25 }, (_, i) => `v${i}`),
    );
  });

  it("caps concurrency at 16 by default", async () => {
    const secrets = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`secret/s${i}`, mapDoc({ k: "v" })]));
    const fake = new FakeProvider("vault", secrets, 5);
    const reader = readerWith(fake);
    await Promise.all(Array.from({ length: 40 }, (_, i) => reader.read(ref(`vault://secret/s${i}`))));
    assert.equal(fake.peak, 16);
    assert.equal(fake.total, 40);
  });

  it("keeps a typed failure with its identity and does not read the secret again", async () => {
    const fake = new FakeProvider("vault", {
      "secret/missing": new NotFoundError("no secret at secret/missing"),
      "secret/denied": new AuthError("Vault denied reading secret/data/denied"),
      "secret/ok": mapDoc({ k: "v" }),
    });
    const reader = readerWith(fake);
    const results = await Promise.allSettled(["vault://secret/missing#a", "vault://secret/denied", "vault://secret/ok", "vault://secret/missing#b"].map((t) => reader.read(ref(t))));
    assert.deepEqual(
      results.map((r) => r.status),
      ["rejected", "rejected", "fulfilled", "rejected"],
    );
    assert.equal(fake.readsOf("secret/missing"), 1);
    const missing = reader.all().get(secretIdentity(ref("vault://secret/missing")));
    assert.ok(missing?.error instanceof NotFoundError);
    assert.equal(missing.doc, undefined);
    assert.ok(reader.all().get(secretIdentity(ref("vault://secret/denied")))?.error instanceof AuthError);
    assert.deepEqual(reader.all().get(secretIdentity(ref("vault://secret/ok")))?.doc?.data, { k: "v" });
    await assert.rejects(reader.read(ref("vault://secret/missing")), NotFoundError);
    assert.equal(fake.readsOf("secret/missing"), 1);
  });

  it("passes an unexpected (untyped) error through without recording it as a typed failure", async () => {
    const fake = new FakeProvider("vault", { "secret/bug": new TypeError("a bug") });
    const reader = readerWith(fake);
    await assert.rejects(reader.read(ref("vault://secret/bug")), TypeError);
    assert.equal(reader.all().get(secretIdentity(ref("vault://secret/bug")))?.error, undefined);
  });

  it("gives every read the deadline of --start-timeout", async () => {
    const fake = new FakeProvider("vault", { "secret/a": mapDoc({ k: "v" }), "secret/b": mapDoc({ k: "v" }) });
    const deadline = Date.now() + 12_345;
    const reader = readerWith(fake, { deadline });
    await reader.read(ref("vault://secret/a"));
    await reader.read(ref("vault://secret/b"));
    assert.deepEqual(
      fake.options.map((o) => o.deadline),
      [deadline, deadline],
    );
  });

  it("collects the leases of dynamic secrets, per provider", async () => {
    const lease = (id: string): Lease => ({ id, durationSeconds: 3600, renewable: true, obtainedAt: 1 });
    const vault = new FakeProvider("vault", {
      "database/creds/a": mapDoc({ username: "u" }, undefined, lease("database/creds/a/1")),
      "database/creds/b": mapDoc({ username: "u" }, undefined, lease("database/creds/b/1")),
      "secret/plain": mapDoc({ k: "v" }),
    });
    const aws = new FakeProvider("aws", { "prod/x": { kind: "string", data: "s", source: "fake" } });
    const reader = new SecretReader(new ProviderSet(factoriesFor({ vault, aws })), { deadline: Date.now() + 60_000 });
    for (const t of ["vault://database/creds/a", "vault://database/creds/a#username", "vault://database/creds/b", "vault://secret/plain", "aws-sm://prod/x"]) {
      await reader.read(ref(t));
    }
    assert.deepEqual(
      reader
        .leases()
        .map((l) => l.id)
        .sort(),
      ["database/creds/a/1", "database/creds/b/1"],
    );
    assert.equal(reader.leases("vault").length, 2);
    assert.deepEqual(reader.leases("aws"), []);
  });

  it("creates a provider only when a reference to it is read", async () => {
    let created = 0;
    const fake = new FakeProvider("vault", { "secret/a": mapDoc({ k: "v" }) });
    const providers = new ProviderSet({
      vault: async () => {
        created++;
        return fake;
      },
      aws: async () => assert.fail("the AWS provider must not be created"),
    });
    const reader = new SecretReader(providers, { deadline: Date.now() + 60_000 });
    assert.equal(created, 0);
    await Promise.all([reader.read(ref("vault://secret/a")), reader.read(ref("vault://secret/a#k"))]);
    assert.equal(created, 1);
    assert.deepEqual(await providers.active(), [fake]);
  });
});

describe("SecretReader against the Vault double", () => {
  let sv: SeededVault;
  before(async () => {
    sv = await startSeededVault();
    await sv.control.putSecret("secret/db", { user: "db-user", pass: "pw-Reader-Double-5150" });
  });
  after(async () => sv.close());

  function doubleReader(): { reader: SecretReader; providers: ProviderSet } {
    const mapping: Mapping = { vault: {}, aws: {}, env: [], expand: [], files: [] };
    const environ = { HOME: "/nonexistent", VAULT_ADDR: sv.url, VAULT_TOKEN: sv.rootToken };
    const providers = new ProviderSet(providerFactories({ mapping, environ, logger: new Logger("silent") }));
    return { reader: new SecretReader(providers, { deadline: Date.now() + 10_000 }), providers };
  }

  it("sends one data request per distinct secret, whatever the references look like", async () => {
    const { reader, providers } = doubleReader();
    await sv.control.clearRequests();
    const refs = [
      ...refsIn("vault://secret/db#user"),
      ...refsIn("{{ vault_secret_var('db', 'pass') }}"),
      ...refsIn("{{ vault('secret/db#user') }}/{{ vault('ref+vault://secret/db#pass') }}"),
      ...refsIn("vault://secret/myapp/db#password"),
      ...refsIn("vault://myapp/db?mount=secret#username"),
      ...refsIn("vault://secret/myapp/db?version=1#password"),
      ...refsIn("vault://kv/legacy#token"),
    ];
    const docs = await Promise.all(refs.map((r) => reader.read(r)));
    await providers.close();
    assert.deepEqual(docs[1]!.data, { user: "db-user", pass: "pw-Reader-Double-5150" });
    assert.deepEqual(docs[5]!.data, SEED.db);
    assert.deepEqual(docs[6]!.data, SEED.dbV1);
    assert.deepEqual(docs[7]!.data, SEED.legacy);
    const log = await sv.control.requests();
    const reads = log.filter((e) => !e.path.startsWith("sys/") && !e.path.startsWith("auth/")).map((e) => `${e.path}${e.query.version ? `?version=${String(e.query.version)}` : ""}`);
    assert.deepEqual(reads.sort(), ["kv/legacy", "secret/data/db", "secret/data/myapp/db", "secret/data/myapp/db?version=1"]);
  });
});
