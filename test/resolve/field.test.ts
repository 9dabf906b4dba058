import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ConfigError, NotFoundError } from "../../src/errors.js";
import type { Field } from "../../src/config/reference.js";
import type { SecretDocument } from "../../src/providers/provider.js";
import { extractField, extractObject, stringifySecretValue } from "../../src/resolve/field.js";

const label = "vault://secret/myapp/db";
const map = (data: Record<string, unknown>): SecretDocument => ({ kind: "map", data, source: "kv-v2 secret/data/myapp/db" });
const str = (data: string): SecretDocument => ({ kind: "string", data, source: "aws prod/x" });
const bin = (data: string): SecretDocument => ({ kind: "binary", data, source: "aws prod/bin" });
const key = (k: string): Field => ({ kind: "key", key: k });
const pointer = (...tokens: string[]): Field => ({ kind: "pointer", tokens });

/** Asserts `fn` throws `type` with the exit code, every pattern matching and no forbidden text. */
function fails(fn: () => unknown, type: typeof ConfigError | typeof NotFoundError, code: number, patterns: RegExp[], forbidden: string[] = []): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
    assert.equal(e.exitCode, code);
    for (const p of patterns) assert.match(e.message, p);
    for (const f of forbidden) assert.ok(!e.message.includes(f), `message must not contain ${JSON.stringify(f)}: ${e.message}`);
    return true;
  });
}

describe("extractField on map secrets", () => {
  const db = map({ username: "app", password: "s3cr3t-value", port: 5432, tls: true, extra: null, nested: { a: { "b/c": ["x", { deep: "y" }] } } });

  it("takes a key", () => {
    assert.equal(extractField(db, key("username"), label), "app");
    assert.equal(extractField(db, key("password"), label), "s3cr3t-value");
  });

  it("stringifies non-string values", () => {
    assert.equal(extractField(db, key("port"), label), "5432");
    assert.equal(extractField(db, key("tls"), label), "true");
    assert.equal(extractField(db, key("extra"), label), "");
    assert.equal(extractField(db, key("nested"), label), JSON.stringify({ a: { "b/c": ["x", { deep: "y" }] } }));
  });

  it("follows a pointer through objects and arrays (decimal indexes)", () => {
    assert.equal(extractField(db, pointer("nested", "a", "b/c", "0"), label), "x");
    assert.equal(extractField(db, pointer("nested", "a", "b/c", "1", "deep"), label), "y");
    assert.equal(extractField(db, pointer("nested", "a", "b/c"), label), '["x",{"deep":"y"}]');
    assert.equal(extractField(db, pointer("port"), label), "5432");
  });

  it("throws NotFoundError for a missing key, listing the keys at that level and no value", () => {
    fails(
      () => extractField(db, key("pasword"), label),
      NotFoundError,
      78,
      [/vault:\/\/secret\/myapp\/db/, /no key "pasword" at the top level/, /"extra", "nested", "password", "port", "tls", "username"/],
      ["s3cr3t-value", 'app"'],
    );
    fails(() => extractField(db, pointer("nested", "a", "zz"), label), NotFoundError, 78, [/no key "zz" at \/nested\/a/, /available: "b\/c"/]);
    fails(() => extractField(map({}), key("k"), label), NotFoundError, 78, [/it has no keys/]);
  });

  it("a key differing only in case gets 'did you mean', the key's name and never a value", () => {
    fails(() => extractField(db, key("Password"), label), NotFoundError, 78, [/no key "Password" at the top level \(available: [^)]*\); did you mean #password\?$/], ["s3cr3t-value"]);
    fails(() => extractField(db, key("USERNAME"), label), NotFoundError, 78, [/did you mean #username\?/], ['app"']);
    // In a pointer, the whole pointer with the corrected token.
    fails(() => extractField(db, pointer("Nested", "a"), label), NotFoundError, 78, [/did you mean #\/nested\/a\?/]);
    fails(() => extractField(db, pointer("nested", "a", "B/C"), label), NotFoundError, 78, [/did you mean #\/nested\/a\/b~1c\?/]);
  });

  it("a case-only match wins over a closer-looking typo; nothing close gets no hint", () => {
    const doc = map({ Token: "t-value", token: "u-value", tokens: "v-value" });
    fails(() => extractField(doc, key("TOKEN"), label), NotFoundError, 78, [/did you mean #Token\?/], ["t-value", "u-value"]);
    fails(() => extractField(db, key("pasword"), label), NotFoundError, 78, [/did you mean #password\?/]);
    assert.throws(
      () => extractField(db, key("hostname"), label),
      (e: unknown) => e instanceof NotFoundError && !/did you mean/.test(e.message),
    );
  });

  it("throws NotFoundError for a bad array index", () => {
    fails(() => extractField(db, pointer("nested", "a", "b/c", "2"), label), NotFoundError, 78, [/no index "2" at \/nested\/a\/b~1c/, /array of 2/]);
    fails(() => extractField(db, pointer("nested", "a", "b/c", "01"), label), NotFoundError, 78, [/no index "01"/]);
    fails(() => extractField(db, pointer("nested", "a", "b/c", "-"), label), NotFoundError, 78, [/no index "-"/]);
  });

  it("throws NotFoundError when a pointer goes through a scalar, without showing it", () => {
    fails(() => extractField(db, pointer("password", "x"), label), NotFoundError, 78, [/no key "x" at \/password, which is a string/], ["s3cr3t-value"]);
  });

  it("does not find inherited properties", () => {
    fails(() => extractField(db, key("constructor"), label), NotFoundError, 78, [/no key "constructor"/]);
    fails(() => extractField(db, key("__proto__"), label), NotFoundError, 78, [/no key "__proto__"/]);
  });

  it("truncates a long key list", () => {
    const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${String(i).padStart(2, "0")}`, "v"]));
    fails(() => extractField(map(many), key("nope"), label), NotFoundError, 78, [/"k00", .*"k19" and 10 more/], ['"k20"']);
  });

  it("without a field, takes the single key's value", () => {
    assert.equal(extractField(map({ token: "abc" }), undefined, label), "abc");
    assert.equal(extractField(map({ n: 7 }), undefined, label), "7");
  });

  it("without a field, refuses several keys or none, listing the keys and asking for #KEY", () => {
    fails(() => extractField(db, undefined, label), ConfigError, 65, [/has 6 keys/, /"password"/, /add #KEY/], ["s3cr3t-value"]);
    fails(() => extractField(map({}), undefined, label), ConfigError, 65, [/has no keys/, /#KEY/]);
  });
});

describe("extractField on AWS SecretString and SecretBinary", () => {
  it("returns the string as is without a field, JSON or not", () => {
    assert.equal(extractField(str("plain text"), undefined, "aws-sm://prod/x"), "plain text");
    assert.equal(extractField(str('{"a":1}'), undefined, "aws-sm://prod/x"), '{"a":1}');
  });

  it("parses JSON when a field is asked", () => {
    const doc = str('{"api_key":"sk_live","n":3,"list":[{"x":true}]}');
    assert.equal(extractField(doc, key("api_key"), "aws-sm://prod/x"), "sk_live");
    assert.equal(extractField(doc, key("n"), "aws-sm://prod/x"), "3");
    assert.equal(extractField(doc, pointer("list", "0", "x"), "aws-sm://prod/x"), "true");
    fails(() => extractField(doc, key("apikey"), "aws-sm://prod/x"), NotFoundError, 78, [/no key "apikey"/, /"api_key", "list", "n"/], ["sk_live"]);
  });

  it("refuses a field on a string that is not JSON, naming the secret and not its content", () => {
    fails(() => extractField(str("hunter2-not-json"), key("k"), "aws-sm://prod/x"), ConfigError, 65, [/secret aws-sm:\/\/prod\/x is not JSON, so #field cannot be used/], ["hunter2"]);
  });

  it("refuses a field on a JSON scalar", () => {
    fails(() => extractField(str('"just-a-string"'), key("k"), "aws-sm://prod/x"), ConfigError, 65, [/is JSON a string, not an object/], ["just-a-string"]);
  });

  it("indexes a top-level JSON array", () => {
    assert.equal(extractField(str('["a","b"]'), pointer("1"), "aws-sm://prod/x"), "b");
  });

  it("returns binary data (already base64) without a field and refuses a field", () => {
    assert.equal(extractField(bin("AAEC"), undefined, "aws-sm://prod/bin"), "AAEC");
    fails(() => extractField(bin("AAEC"), key("k"), "aws-sm://prod/bin"), ConfigError, 65, [/binary/, /#field cannot be used/], ["AAEC"]);
  });
});

describe("extractObject", () => {
  it("returns the whole map, or the object a field points to", () => {
    const doc = map({ a: { b: { c: 1 } }, s: "x" });
    assert.deepEqual(extractObject(doc, undefined, label), { a: { b: { c: 1 } }, s: "x" });
    assert.deepEqual(extractObject(doc, key("a"), label), { b: { c: 1 } });
    assert.deepEqual(extractObject(doc, pointer("a", "b"), label), { c: 1 });
  });

  it("parses an AWS string as JSON, with or without a field", () => {
    assert.deepEqual(extractObject(str('{"A":"1","B":{"C":"2"}}'), undefined, "aws-sm://prod/x"), { A: "1", B: { C: "2" } });
    assert.deepEqual(extractObject(str('{"A":"1","B":{"C":"2"}}'), key("B"), "aws-sm://prod/x"), { C: "2" });
    fails(() => extractObject(str("not json"), undefined, "aws-sm://prod/x"), ConfigError, 65, [/is not JSON, so it cannot be expanded/], ["not json"]);
    fails(() => extractObject(str("[1,2]"), undefined, "aws-sm://prod/x"), ConfigError, 65, [/is an array, not an object/]);
  });

  it("refuses a target that is not an object, without showing it", () => {
    fails(() => extractObject(map({ s: "visible?" }), key("s"), label), ConfigError, 65, [/at key "s" is a string, not an object/], ["visible?"]);
    fails(() => extractObject(map({ l: [1] }), pointer("l"), label), ConfigError, 65, [/at \/l is an array/]);
    fails(() => extractObject(bin("AAEC"), undefined, "aws-sm://prod/bin"), ConfigError, 65, [/binary/]);
  });

  it("throws NotFoundError for a missing field", () => {
    fails(() => extractObject(map({ a: {} }), key("b"), label), NotFoundError, 78, [/no key "b"/, /"a"/]);
  });
});

describe("stringifySecretValue", () => {
  it("follows the contract for each kind of value", () => {
    assert.equal(stringifySecretValue("s"), "s");
    assert.equal(stringifySecretValue(""), "");
    assert.equal(stringifySecretValue(1.5), "1.5");
    assert.equal(stringifySecretValue(false), "false");
    assert.equal(stringifySecretValue(null), "");
    assert.equal(stringifySecretValue({ a: [1, "b", null] }), '{"a":[1,"b",null]}');
    assert.equal(stringifySecretValue([]), "[]");
  });

  it("never throws and always returns a string", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const odd of [
      cyclic,
      { big: 10n },
      Object.create(null),
      undefined,
      Symbol("s"),
      () => 1,
      {
        toJSON: () => {
          throw new Error("x");
        },
      },
    ]) {
      assert.equal(typeof stringifySecretValue(odd), "string");
    }
    fc.assert(
      fc.property(
        fc.anything({
          withBigInt: true,
          withBoxedValues: true,
          withDate: true,
          withMap: true,
          withSet: true,
          withNullPrototype: true,
          withObjectString: true,
          withTypedArray: true,
          withSparseArray: true,
        }),
        (value) => {
          assert.equal(typeof stringifySecretValue(value), "string");
        },
      ),
      { numRuns: 500 },
    );
  });

  it("round-trips JSON objects and arrays through JSON.parse, and keeps strings", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = stringifySecretValue(value);
        if (typeof value === "string") assert.equal(text, value);
        // JSON has no -0: JSON.stringify writes it as 0, the only change a round trip makes.
        else if (value !== null && typeof value === "object") assert.deepEqual(JSON.parse(text), withoutNegativeZero(value));
        else if (value === null) assert.equal(text, "");
        else assert.equal(text, String(value));
      }),
      { numRuns: 500 },
    );
  });

  it("finds any key by a pointer naming it", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (outer, inner) => {
        const doc = map({ [outer]: { [inner]: "found" } });
        assert.equal(extractField(doc, pointer(outer, inner), label), "found");
      }),
    );
  });
});

function withoutNegativeZero(value: unknown): unknown {
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(withoutNegativeZero);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutNegativeZero(v)]));
  return value;
}
