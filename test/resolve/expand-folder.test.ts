/**
 * `expand:` folders (docs/contract/mapping.md#expand-folders), without a store: the mapping accepts `field` only on a folder
 * entry (65 with file:line otherwise); variable names PREFIX + NAME (with field) or PREFIX + NAME
 * + _ + KEY; two secrets or keys giving one name are a ConfigError naming both; an empty folder
 * warns and gives nothing; a change to a listed secret re-evaluates the entry; the AWS listing
 * keeps only names directly under the prefix and follows NextToken.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { loadMapping } from "../../src/config/mapping.js";
import type { ExpandEntry } from "../../src/config/model.js";
import { type Field, type SecretRef, displayRef, parseReference, secretIdentity } from "../../src/config/reference.js";
import { ConfigError } from "../../src/errors.js";
import { Logger } from "../../src/log/logger.js";
import { Redactor } from "../../src/log/redactor.js";
import { type SecretDocument, folderStamp } from "../../src/providers/provider.js";
import { AwsFolders, memberName } from "../../src/providers/aws/folder.js";
import { ProviderSet } from "../../src/resolve/provider-set.js";
import { SecretReader } from "../../src/resolve/reader.js";
import { finalValues, folderMember, resolveBindings, updateResolution } from "../../src/resolve/resolution.js";
import { FakeProvider, factoriesFor, mapDoc } from "./fake-provider.js";

const pctx = { defaultMount: "secret" };
const origin = { file: "envject.yaml", line: 4, column: 11, key: "expand" };

function folderEntry(from: string, prefix: string, field?: Field): ExpandEntry {
  const ref = { ...(parseReference(from, pctx) as SecretRef), folder: true as const };
  return { ref, prefix, origin, ...(field ? { field } : {}) };
}

function folderDoc(names: string[]): SecretDocument {
  return { kind: "map", data: {}, names, source: "fake list", stamp: folderStamp(names) };
}

async function resolveFolder(fake: FakeProvider, entry: ExpandEntry) {
  const warnings: string[] = [];
  const reader = new SecretReader(new ProviderSet(factoriesFor({ vault: fake })), { deadline: Date.now() + 60_000 });
  const ctx = { reader, redactor: new Redactor(), environ: {}, warn: (m: string) => warnings.push(m) };
  const input = { envFiles: [], mapping: { env: [], expand: [entry], files: [] } };
  const resolution = await resolveBindings(input, ctx);
  const values = Object.fromEntries([...finalValues(resolution.variables)].map(([n, v]) => [n, v.value]));
  return { resolution, values, warnings, ctx, input, reader };
}

describe("expand: folder names and collisions", () => {
  it("with field: PREFIX + upper-cased name, [^A-Z0-9_] → _; each secret read once; values redacted", async () => {
    const fake = new FakeProvider("vault", {
      "airflow/connections": folderDoc(["my-postgres", "smtp_default"]),
      "airflow/connections/my-postgres": mapDoc({ conn_uri: "pg://x" }, "1"),
      "airflow/connections/smtp_default": mapDoc({ conn_uri: "smtps://y", other: "z" }, "3"),
    });
    const { values, resolution, ctx } = await resolveFolder(fake, folderEntry("vault://airflow/connections/", "AIRFLOW_CONN_", { kind: "key", key: "conn_uri" }));
    assert.deepEqual(values, { AIRFLOW_CONN_MY_POSTGRES: "pg://x", AIRFLOW_CONN_SMTP_DEFAULT: "smtps://y" });
    assert.equal(fake.total, 3, "one list and one read per secret");
    assert.ok(!ctx.redactor.redact("a smtps://y b").includes("smtps://y"), "values are redacted");
    const refs = resolution.variables[0]!.refs.map((r) => secretIdentity(r));
    assert.equal(refs.length, 2, "a variable uses the folder and its own secret");
  });

  it("without field: PREFIX + NAME + _ + KEY", async () => {
    const fake = new FakeProvider("vault", { "kv/f": folderDoc(["a.b"]), "kv/f/a.b": mapDoc({ "x-y": "1", z: 2 }) });
    const { values } = await resolveFolder(fake, folderEntry("vault://kv/f/", "P_"));
    assert.deepEqual(values, { P_A_B_X_Y: "1", P_A_B_Z: "2" });
  });

  it("two secrets giving one name: ConfigError naming both, at the entry", async () => {
    const fake = new FakeProvider("vault", { "kv/c": folderDoc(["a-b", "a_b"]), "kv/c/a-b": mapDoc({ v: "1" }), "kv/c/a_b": mapDoc({ v: "2" }) });
    const { resolution } = await resolveFolder(fake, folderEntry("vault://kv/c/", "K_", { kind: "key", key: "v" }));
    const error = resolution.failures[0]?.error;
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.exitCode, 65);
    assert.match(error.message, /vault:\/\/kv\/c\/a-b and vault:\/\/kv\/c\/a_b both give the variable K_A_B/);
    assert.equal(resolution.failures[0]!.name, "K_*");
  });

  it("keys of two secrets giving one name (secret a key b_c, secret a_b key c) collide too", async () => {
    const fake = new FakeProvider("vault", { "kv/k": folderDoc(["a", "a_b"]), "kv/k/a": mapDoc({ b_c: "1" }), "kv/k/a_b": mapDoc({ c: "2" }) });
    const { resolution } = await resolveFolder(fake, folderEntry("vault://kv/k/", "Q_"));
    assert.match(resolution.failures[0]?.error.message ?? "", /key "b_c" of vault:\/\/kv\/k\/a and key "c" of vault:\/\/kv\/k\/a_b both give the variable Q_A_B_C/);
  });

  it("a name that is not a valid variable without a prefix is a ConfigError naming the secret", async () => {
    const fake = new FakeProvider("vault", { "kv/n": folderDoc(["1st"]), "kv/n/1st": mapDoc({ v: "1" }) });
    const { resolution } = await resolveFolder(fake, folderEntry("vault://kv/n/", "", { kind: "key", key: "v" }));
    assert.match(resolution.failures[0]?.error.message ?? "", /vault:\/\/kv\/n\/1st gives "1ST", which is not a valid variable name; set a prefix/);
  });

  it("an empty folder: no variables, one warning naming it", async () => {
    const fake = new FakeProvider("vault", { "kv/empty": folderDoc([]) });
    const { values, warnings, resolution } = await resolveFolder(fake, folderEntry("vault://kv/empty/", "E_"));
    assert.deepEqual(values, {});
    assert.deepEqual(resolution.failures, []);
    assert.deepEqual(warnings, ["the folder vault://kv/empty/ is empty or missing: E_* gives no variables"]);
  });

  it("a change to a listed secret re-evaluates the entry; other changes keep it", async () => {
    const secrets: Record<string, SecretDocument> = { "kv/w": folderDoc(["a"]), "kv/w/a": mapDoc({ v: "old" }) };
    const fake = new FakeProvider("vault", secrets);
    const entry = folderEntry("vault://kv/w/", "W_", { kind: "key", key: "v" });
    const { resolution, ctx, input, reader } = await resolveFolder(fake, entry);
    const member = folderMember(entry.ref, "a");
    reader.commit(secretIdentity(member), mapDoc({ v: "new" }));
    const unrelated = await updateResolution(resolution, input, ctx, new Set(['["vault","other",null]']));
    assert.equal(unrelated.resolution.variables[0]!.value, "old");
    const update = await updateResolution(resolution, input, ctx, new Set([secretIdentity(member)]));
    assert.equal(update.resolution.variables[0]!.value, "new");
  });
});

describe("expand: folder entries in the mapping", () => {
  const dirs: string[] = [];
  after(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
  async function load(content: string) {
    const dir = await mkdtemp(join(tmpdir(), "envject-folder-"));
    dirs.push(dir);
    const path = join(dir, "envject.yaml");
    await writeFile(path, content);
    return loadMapping(path, { environ: {}, explicit: true });
  }
  async function loadError(content: string): Promise<ConfigError> {
    try {
      await load(content);
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      return error;
    }
    assert.fail("expected a ConfigError");
  }

  it("a from ending in / is a folder; field is a key or a pointer", async () => {
    const m = await load("expand:\n  - from: vault://airflow/connections/\n    prefix: C_\n    field: conn_uri\n  - from: aws-sm://team/app/\n    field: /a/b\n  - from: vault://secret/one\n");
    assert.equal(m.expand[0]!.ref.folder, true);
    assert.deepEqual(m.expand[0]!.field, { kind: "key", key: "conn_uri" });
    assert.equal(m.expand[1]!.ref.folder, true);
    assert.equal(m.expand[1]!.ref.provider === "aws" && m.expand[1]!.ref.secretId, "team/app/");
    assert.deepEqual(m.expand[1]!.field, { kind: "pointer", tokens: ["a", "b"] });
    assert.equal(m.expand[2]!.ref.folder, undefined);
  });

  it("field without a folder: 65 at the field's line", async () => {
    const e = await loadError("expand:\n  - from: vault://secret/one\n    field: k\n");
    assert.equal(e.exitCode, 65);
    assert.equal(e.location?.line, 3);
    assert.match(e.message, /field: is only for a folder .*from: vault:\/\/secret\/one#KEY/);
  });

  it("#field, a version or an ARN on a folder: 65 at from", async () => {
    for (const from of ["vault://a/b/#k", "vault://a/b/?version=2", "aws-sm://a/?version_stage=AWSPREVIOUS"]) {
      const e = await loadError(`expand:\n  - from: ${from}\n`);
      assert.equal(e.location?.line, 2, from);
      assert.match(e.message, /is a folder/, from);
    }
  });
});

describe("folder references", () => {
  it("are shown with their trailing / and are another identity than the secret of the same path", () => {
    const vault = folderEntry("vault://airflow/connections/", "").ref;
    assert.equal(displayRef(vault), "vault://airflow/connections/");
    assert.notEqual(secretIdentity(vault), secretIdentity(parseReference("vault://airflow/connections", pctx)!));
    const mounted = folderEntry("vault://connections/?mount=airflow", "").ref;
    assert.equal(secretIdentity(mounted), secretIdentity(vault), "?mount= names the same folder");
    assert.equal(displayRef(folderMember(mounted, "smtp")), "vault://airflow/connections/smtp");
    const aws = folderEntry("aws-sm://team/app/?region=eu-west-1", "").ref;
    assert.equal(displayRef(aws), "aws-sm://team/app/?region=eu-west-1");
    assert.equal(displayRef(folderMember(aws, "db")), "aws-sm://team/app/db?region=eu-west-1");
  });
});

describe("AWS folder listing", () => {
  it("memberName: strictly under the prefix, no further /", () => {
    assert.equal(memberName("a/", "a/x"), "x");
    assert.equal(memberName("a/", "a/x/y"), undefined);
    assert.equal(memberName("a/", "ab/x"), undefined);
    assert.equal(memberName("a/", "a/"), undefined);
    assert.equal(memberName("a/", undefined), undefined);
  });

  it("follows NextToken over every page, and falls back to ListSecrets when the batch is denied", async () => {
    const pages = [
      {
        SecretValues: [
          { Name: "p/a", SecretString: "1" },
          { Name: "p/sub/x", SecretString: "no" },
        ],
        NextToken: "t1",
      },
      { SecretValues: [{ Name: "p/b", SecretString: "2" }], Errors: [{ SecretId: "p/c", ErrorCode: "AccessDeniedException" }] },
    ];
    const tokens: Array<string | undefined> = [];
    const calls = {
      batchGetByNamePrefix: async (_r: string, _p: string, token: string | undefined) => {
        tokens.push(token);
        return pages[token === undefined ? 0 : 1]! as never;
      },
      listByNamePrefix: async () => ({ SecretList: [{ Name: "p/z" }] }) as never,
    };
    const folders = new AwsFolders(calls, new Logger("error"));
    const listing = await folders.read("us-east-1", "p/", Date.now() + 1000);
    assert.deepEqual(tokens, [undefined, "t1"]);
    assert.deepEqual(listing.names, ["a", "b", "c"]);
    assert.deepEqual([...listing.values.keys()], ["a", "b"]);

    const denied = Object.assign(new Error("denied"), { name: "AccessDeniedException", $metadata: { httpStatusCode: 400 } });
    const deniedCalls = { ...calls, batchGetByNamePrefix: async () => Promise.reject(denied) };
    const fallback = await new AwsFolders(deniedCalls, new Logger("error")).read("us-east-1", "p/", Date.now() + 1000);
    assert.deepEqual(fallback, { names: ["z"], values: new Map() });
  });
});
