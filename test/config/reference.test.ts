import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ConfigError } from "../../src/errors.js";
import {
  type AwsRef,
  type Field,
  type SecretRef,
  type ValueSpec,
  type VaultRef,
  describeField,
  describeRef,
  escapePointerToken,
  parseReference,
  parseValue,
  refsOf,
  secretIdentity,
} from "../../src/config/reference.js";
import { assertConfigError } from "../support/assert.js";
import { percentEncode } from "../../src/config/reference-syntax.js";

const ctx = { defaultMount: "secret" };

function ref(text: string): SecretRef {
  const r = parseReference(text, ctx);
  assert.ok(r, `${text} should be a reference`);
  return r;
}
function vault(text: string): VaultRef {
  const r = ref(text);
  assert.equal(r.provider, "vault");
  return r;
}
function aws(text: string): AwsRef {
  const r = ref(text);
  assert.equal(r.provider, "aws");
  return r;
}
/** Asserts a ConfigError (exit 65) whose message matches every pattern. */
function rejects(text: string, ...patterns: RegExp[]): void {
  assertConfigError(() => parseReference(text, ctx), text, ...patterns);
}
const withoutRaw = (r: SecretRef) => ({ ...r, raw: "" });

describe("vault:// references", () => {
  it("reads path and key field, keeping the text as written in raw", () => {
    assert.deepEqual(vault("vault://secret/myapp/db#password"), {
      provider: "vault",
      path: "secret/myapp/db",
      field: { kind: "key", key: "password" },
      raw: "vault://secret/myapp/db#password",
    });
  });

  it("accepts vals' ref+vault:// with the same meaning", () => {
    assert.deepEqual(withoutRaw(vault("ref+vault://secret/myapp/db#password")), withoutRaw(vault("vault://secret/myapp/db#password")));
    assert.equal(vault("ref+vault://secret/x").raw, "ref+vault://secret/x");
  });

  it("has no field when no # is written", () => {
    const r = vault("vault://secret/myapp/db");
    assert.equal(r.field, undefined);
    assert.equal("field" in r, false);
  });

  it("strips a leading and a trailing slash from the path", () => {
    assert.equal(vault("vault:///secret/myapp/db/").path, "secret/myapp/db");
    assert.equal(vault("vault://secret/myapp/db/#k").path, "secret/myapp/db");
  });

  it("rejects an empty path, empty segments and dot segments", () => {
    rejects("vault://", /path is empty/);
    rejects("vault:///", /path is empty/);
    rejects("vault://#password", /path is empty/);
    rejects("vault://?mount=secret", /path is empty/);
    rejects("vault://secret//db", /empty segment/);
    rejects("vault:////secret/db", /empty segment/);
    rejects("vault://secret/./db", /"\." segment/);
    rejects("vault://secret/../db", /"\.\." segment/);
    rejects("vault://secret/%2E%2E/db", /"\.\." segment/);
  });

  it("rejects raw whitespace and control characters in the path, but takes %20 for a space", () => {
    rejects("vault://secret/my app", /whitespace/, /%20/);
    rejects("vault://secret/app\t", /whitespace/);
    rejects("vault://secret/app\u0000x", /control/);
    rejects("vault://secret/app%0A", /control/);
    assert.equal(vault("vault://secret/my%20app").path, "secret/my app");
  });

  it("percent-decodes the path and the field, so %23 can express a # in a key", () => {
    const r = vault("vault://secret/a%2Bb/%C3%A9#pass%23word");
    assert.equal(r.path, "secret/a+b/é");
    assert.deepEqual(r.field, { kind: "key", key: "pass#word" });
    assert.deepEqual(vault("vault://secret/x#a%20b").field, { kind: "key", key: "a b" });
  });

  it("rejects malformed percent-escapes", () => {
    rejects("vault://secret/a%zzb", /'%' not followed by two hex digits/);
    rejects("vault://secret/a%", /'%' not followed by two hex digits/);
    rejects("vault://secret/a%4", /'%' not followed by two hex digits/);
    rejects("vault://secret/a#k%", /'%' not followed by two hex digits/);
    rejects("vault://secret/a%FF", /not valid UTF-8/);
  });

  it("reads ?version=N as a KV v2 pin, a whole number >= 1", () => {
    assert.equal(vault("vault://secret/db?version=3#password").version, 3);
    assert.equal(vault("vault://secret/db?version=12").version, 12);
    for (const bad of ["0", "-1", "1.5", "abc", "1e3", "0x10", "99999999999999999999"]) {
      rejects(`vault://secret/db?version=${bad}`, /version=/, /at least 1/);
    }
  });

  it("reads ?mount= like `vault kv get -mount=`: the path is relative to the mount", () => {
    assert.deepEqual(withoutRaw(vault("vault://myapp/db?mount=secret")), { provider: "vault", path: "secret/myapp/db", mount: "secret", raw: "" });
  });

  it("accepts a mount with slashes and normalises its outer slashes", () => {
    const r = vault("vault://myapp/db?mount=team/kv&version=2#password");
    assert.equal(r.path, "team/kv/myapp/db");
    assert.equal(r.mount, "team/kv");
    assert.equal(r.version, 2);
    assert.equal(vault("vault://myapp/db?mount=/team/kv/").mount, "team/kv");
    assert.equal(vault("vault://myapp/db?mount=team%2Fkv").mount, "team/kv");
    rejects("vault://myapp/db?mount=team//kv", /mount/, /empty segment/);
    rejects("vault://myapp/db?mount=/", /mount is empty/);
  });

  it("rejects unknown, duplicate and empty query parameters, naming the key", () => {
    rejects("vault://secret/db?versoin=2", /unknown query parameter "versoin"/, /version, mount/);
    rejects("vault://secret/db?version=2&version=3", /"version" is given twice/);
    rejects("vault://secret/db?mount=", /"mount" has no value/);
    rejects("vault://secret/db?mount", /"mount" has no value/);
    rejects("vault://secret/db?", /nothing after '\?'/);
    rejects("vault://secret/db?version=1&", /stray '&'/);
    rejects("vault://secret/db?version_stage=AWSCURRENT", /unknown query parameter "version_stage"/);
  });

  it("refuses {{ }} inside a reference, pointing at templates", () => {
    rejects("vault://secret/{{env_var('X')}}", /cannot contain \{\{ \}\}/);
  });
});

describe("fields", () => {
  it("reads a key", () => {
    assert.deepEqual(vault("vault://secret/db#password").field, { kind: "key", key: "password" });
  });

  it("reads a JSON pointer with RFC 6901 escapes", () => {
    assert.deepEqual(vault("vault://secret/db#/a/b~1c/0").field, { kind: "pointer", tokens: ["a", "b/c", "0"] });
    assert.deepEqual(vault("vault://secret/db#/~0home/~01").field, { kind: "pointer", tokens: ["~home", "~1"] });
    assert.deepEqual(vault("vault://secret/db#/").field, { kind: "pointer", tokens: [""] });
    assert.deepEqual(vault("vault://secret/db#/a//b").field, { kind: "pointer", tokens: ["a", "", "b"] });
  });

  it("rejects invalid ~ escapes in a pointer", () => {
    rejects("vault://secret/db#/a~2", /'~' not followed by 0 or 1/);
    rejects("vault://secret/db#/a~", /'~' not followed by 0 or 1/);
  });

  it("keeps ~ as is in a key (only pointers use ~ escapes)", () => {
    assert.deepEqual(vault("vault://secret/db#a~2").field, { kind: "key", key: "a~2" });
  });

  it("rejects a # with nothing after it", () => {
    rejects("vault://secret/db#", /nothing after '#'/);
    rejects("aws-sm://prod/x#", /nothing after '#'/);
    rejects("arn:aws:secretsmanager:eu-west-1:123456789012:secret:x#", /nothing after '#'/);
  });

  it("splits at the first #: a later # and a ? belong to the field", () => {
    assert.deepEqual(vault("vault://secret/db#a#b?c").field, { kind: "key", key: "a#b?c" });
  });

  it("round-trips pointer escaping for arbitrary key strings", () => {
    fc.assert(
      fc.property(fc.array(keyString(0), { minLength: 1, maxLength: 4 }), (tokens) => {
        const field: Field = { kind: "pointer", tokens };
        assert.deepEqual(vault(`vault://secret/db#${describeField(field)}`).field, field);
        // The escaped token itself never contains a "/": the pointer splits back into the same count.
        for (const t of tokens) assert.ok(!escapePointerToken(t).includes("/"));
      }),
    );
  });

  it("round-trips key fields for arbitrary key strings, including ones that start with /", () => {
    fc.assert(
      fc.property(keyString(1), (key) => {
        const field: Field = { kind: "key", key };
        assert.deepEqual(vault(`vault://secret/db#${describeField(field)}`).field, field);
      }),
    );
  });
});

describe("aws-sm:// references", () => {
  it("reads a name and a field", () => {
    assert.deepEqual(aws("aws-sm://prod/stripe#api_key"), {
      provider: "aws",
      secretId: "prod/stripe",
      field: { kind: "key", key: "api_key" },
      raw: "aws-sm://prod/stripe#api_key",
    });
  });

  it("accepts vals' ref+awssecrets:// with the same meaning", () => {
    assert.deepEqual(withoutRaw(aws("ref+awssecrets://prod/stripe?region=us-east-1#api_key")), withoutRaw(aws("aws-sm://prod/stripe?region=us-east-1#api_key")));
  });

  it("accepts every character AWS allows in a name, and a leading slash", () => {
    assert.equal(aws("aws-sm://a/b_c+d=e.f@g-h#k").secretId, "a/b_c+d=e.f@g-h");
    assert.equal(aws("aws-sm:///prod/db").secretId, "/prod/db");
  });

  it("rejects an empty name and characters AWS does not allow", () => {
    rejects("aws-sm://", /secret name is empty/);
    rejects("aws-sm://#k", /secret name is empty/);
    rejects("aws-sm://prod:db", /may contain only/);
    rejects("aws-sm://prod*db", /may contain only/);
    rejects("aws-sm://prod db", /whitespace/);
  });

  it("reads version_stage, version_id and region, stage and id together included", () => {
    const r = aws("aws-sm://prod/x?version_stage=AWSPREVIOUS&version_id=EXAMPLE1-90ab-cdef&region=eu-west-1#k");
    assert.equal(r.versionStage, "AWSPREVIOUS");
    assert.equal(r.versionId, "EXAMPLE1-90ab-cdef");
    assert.equal(r.region, "eu-west-1");
    assert.deepEqual(r.field, { kind: "key", key: "k" });
  });

  it("rejects unknown and duplicate query parameters and bad regions", () => {
    rejects("aws-sm://prod/x?stage=AWSCURRENT", /unknown query parameter "stage"/, /version_stage, version_id, region/);
    rejects("aws-sm://prod/x?region=eu-west-1&region=eu-west-2", /"region" is given twice/);
    rejects("aws-sm://prod/x?version=2", /unknown query parameter "version"/);
    rejects("aws-sm://prod/x?region=Europe", /not a region name/);
    rejects("aws-sm://prod/x?version_id=", /"version_id" has no value/);
  });

  it("takes an ARN as the name, with its region", () => {
    const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/legacy-AbCdEf";
    const r = aws(`aws-sm://${arn}?version_stage=AWSPENDING#k`);
    assert.equal(r.secretId, arn);
    assert.equal(r.region, "eu-west-1");
    assert.equal(r.versionStage, "AWSPENDING");
    rejects(`aws-sm://${arn}?region=us-east-1`, /contradicts the ARN's region eu-west-1/);
    rejects("aws-sm://arn:aws:secretsmanager:eu-west-1:12:secret:x", /12-digit account/);
  });
});

describe("ARN references", () => {
  const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/legacy-AbCdEf";

  it("reads a Secrets Manager ARN: secretId is the ARN, region comes from it", () => {
    assert.deepEqual(aws(arn), { provider: "aws", secretId: arn, region: "eu-west-1", raw: arn });
  });

  it("takes the field off the secretId", () => {
    const r = aws(`${arn}#/db/password`);
    assert.equal(r.secretId, arn);
    assert.deepEqual(r.field, { kind: "pointer", tokens: ["db", "password"] });
    assert.equal(r.raw, `${arn}#/db/password`);
  });

  it("accepts the other partitions", () => {
    assert.equal(aws("arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:x").region, "cn-north-1");
    assert.equal(aws("arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:x").region, "us-gov-west-1");
    assert.equal(aws("arn:aws-iso-b:secretsmanager:us-isob-east-1:123456789012:secret:x").region, "us-isob-east-1");
  });

  it("treats an ARN of another service as plain text", () => {
    assert.equal(parseReference("arn:aws:s3:::bucket", ctx), undefined);
    assert.equal(parseReference("arn:aws:iam::123456789012:role/app", ctx), undefined);
    assert.deepEqual(parseValue("arn:aws:s3:::bucket", ctx), { kind: "literal", value: "arn:aws:s3:::bucket" });
  });

  it("rejects a malformed Secrets Manager ARN and tells about literal:", () => {
    const bad = [
      ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:", /secret name is empty/],
      ["arn:aws:secretsmanager:eu-west-1:123456789012:secret", /seven ':'-separated parts/],
      ["arn:aws:secretsmanager:eu-west-1:123456789012:key:x", /seven ':'-separated parts/],
      ["arn:aws:secretsmanager:Europe:123456789012:secret:x", /not a region name/],
      ["arn:aws:secretsmanager:eu-west-1:1234567890:secret:x", /12-digit account/],
      ["arn:AWS:secretsmanager:eu-west-1:123456789012:secret:x", /not an AWS partition/],
      ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:a*b", /may contain only/],
      ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:x?version_stage=AWSPREVIOUS", /aws-sm:\/\/ARN\?/],
    ] as const;
    for (const [text, why] of bad) rejects(text, /malformed Secrets Manager ARN/, why, /literal:arn:/);
  });
});

describe("parseValue", () => {
  it("removes the literal: prefix and parses nothing after it", () => {
    assert.deepEqual(parseValue("literal:vault://secret/db#password", ctx), { kind: "literal", value: "vault://secret/db#password" });
    assert.deepEqual(parseValue("literal:{{ not a template", ctx), { kind: "literal", value: "{{ not a template" });
    assert.deepEqual(parseValue("literal:arn:aws:secretsmanager:bad", ctx), { kind: "literal", value: "arn:aws:secretsmanager:bad" });
    assert.deepEqual(parseValue("literal:", ctx), { kind: "literal", value: "" });
  });

  it("classifies a whole-string reference as ref", () => {
    const spec = parseValue("vault://secret/db#password", ctx);
    assert.equal(spec.kind, "ref");
  });

  it("classifies text with {{ as a template, even when it is exactly one call", () => {
    const spec = parseValue("{{ vault('secret/db#password') }}", ctx);
    assert.equal(spec.kind, "template");
    assert.equal(refsOf(spec).length, 1);
  });

  it("keeps everything else literal: plain text, ${NAME}, JSON with }}", () => {
    for (const text of ["8080", "", "${HOME}/x", '{"a":{"b":1}}', "a }} b", "vault:/x", "Vault://secret/x", " vault://secret/x"]) {
      assert.deepEqual(parseValue(text, ctx), { kind: "literal", value: text });
    }
  });

  it("throws nothing but ConfigError on arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        onlyConfigErrors(() => parseValue(text, ctx));
        onlyConfigErrors(() => parseReference(text, ctx));
      }),
      { numRuns: 500 },
    );
  });

  it("throws nothing but ConfigError on strings built from grammar pieces and junk", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...GRAMMAR_PIECES), fc.string({ maxLength: 3 })), { maxLength: 12 }), (pieces) => {
        const text = pieces.join("");
        onlyConfigErrors(() => {
          const spec = parseValue(text, ctx);
          wellFormed(spec);
        });
        onlyConfigErrors(() => parseReference(text, ctx));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("describeRef", () => {
  it("shows the canonical form", () => {
    assert.equal(describeRef(ref("ref+vault:///secret/myapp/db/#password")), "vault://secret/myapp/db#password");
    assert.equal(describeRef(ref("vault://myapp/db?version=2&mount=team/kv#/a/b~1c")), "vault://myapp/db?mount=team/kv&version=2#/a/b~1c");
    assert.equal(describeRef(ref("ref+awssecrets://prod/x?region=eu-west-1&version_stage=AWSPREVIOUS#k")), "aws-sm://prod/x?version_stage=AWSPREVIOUS&region=eu-west-1#k");
    const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/legacy-AbCdEf";
    assert.equal(describeRef(ref(`aws-sm://${arn}#k`)), `${arn}#k`);
    assert.equal(describeRef(ref(`aws-sm://${arn}?version_id=abc`)), `aws-sm://${arn}?version_id=abc`);
  });

  it("percent-encodes what would otherwise be read differently", () => {
    assert.equal(describeRef(ref("vault://secret/a%3Fb%23c%25#k%20%25")), "vault://secret/a%3Fb%23c%25#k%20%25");
    assert.equal(describeRef(ref("vault://secret/x#%2Fkey")), "vault://secret/x#%2Fkey");
  });

  it("reads back to an equal reference (modulo raw) for generated valid references", () => {
    fc.assert(
      fc.property(arbitraryRef, (generated) => {
        const text = describeRef(generated);
        const back = parseReference(text, ctx);
        assert.ok(back, text);
        assert.deepEqual(withoutRaw(back), withoutRaw(generated), text);
        assert.equal(back.raw, text);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("secretIdentity", () => {
  const id = (text: string) => secretIdentity(ref(text));

  it("ignores the field and the scheme spelling", () => {
    assert.equal(id("vault://secret/db#username"), id("vault://secret/db#password"));
    assert.equal(id("vault://secret/db"), id("ref+vault:///secret/db/#/a/0"));
    assert.equal(id("aws-sm://prod/x#a"), id("ref+awssecrets://prod/x#b"));
  });

  it("tells apart paths and versions", () => {
    assert.notEqual(id("vault://secret/db"), id("vault://secret/db2"));
    assert.notEqual(id("vault://secret/db?version=1"), id("vault://secret/db?version=2"));
    assert.notEqual(id("vault://secret/db?version=1"), id("vault://secret/db"));
    assert.notEqual(id("vault://secret/db"), id("aws-sm://secret/db"));
  });

  it("is one secret however the mount is spelled (the full path names it): one read", () => {
    assert.equal(id("vault://db?mount=secret"), id("vault://secret/db"));
    assert.equal(id("vault://b/c?mount=a"), id("vault://c?mount=a/b"));
  });

  it("tells apart regions, stages and version ids; no stage means AWSCURRENT", () => {
    assert.notEqual(id("aws-sm://prod/x?region=eu-west-1"), id("aws-sm://prod/x?region=eu-west-2"));
    assert.notEqual(id("aws-sm://prod/x?version_stage=AWSPREVIOUS"), id("aws-sm://prod/x"));
    assert.notEqual(id("aws-sm://prod/x?version_id=a"), id("aws-sm://prod/x?version_id=b"));
    assert.notEqual(id("aws-sm://prod/x?version_id=a"), id("aws-sm://prod/x"));
    assert.equal(id("aws-sm://prod/x?version_stage=AWSCURRENT"), id("aws-sm://prod/x"));
  });

  it("is the same for a reference and its canonical form", () => {
    fc.assert(
      fc.property(arbitraryRef, (generated) => {
        assert.equal(secretIdentity(ref(describeRef(generated))), secretIdentity(generated));
      }),
    );
  });
});

describe("refsOf", () => {
  it("lists every reference in order of appearance, duplicates kept", () => {
    assert.deepEqual(refsOf(parseValue("plain", ctx)), []);
    assert.deepEqual(refsOf(parseValue("aws-sm://prod/x", ctx)).map(describeRef), ["aws-sm://prod/x"]);
    const spec = parseValue("{{ vault('secret/a#u') }}:{{ env_var('HOME') }}{{ aws('prod/x') }}@{{ vault('secret/a#u') }}", ctx);
    assert.deepEqual(refsOf(spec).map(describeRef), ["vault://secret/a#u", "aws-sm://prod/x", "vault://secret/a#u"]);
  });
});

// --- generators and helpers --------------------------------------------------------------------

function onlyConfigErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    assert.equal(e.exitCode, 65);
  }
}

/** Parts never hold empty or adjacent text, and every reference keeps its text. */
function wellFormed(spec: ValueSpec): void {
  if (spec.kind !== "template") return;
  spec.parts.forEach((part, i) => {
    if (part.kind === "text") {
      assert.notEqual(part.text, "");
      assert.notEqual(spec.parts[i + 1]?.kind, "text");
    }
    if (part.kind === "ref") assert.ok(part.ref.raw.length > 0);
  });
}

/** Any string, biased towards the characters the grammar gives a meaning to. */
function keyString(minLength: number): fc.Arbitrary<string> {
  const special = fc.constantFrom(..."/~%#?&={} \t\n\u0000\u3000", "~0", "~1", "%25", "{{", "}}");
  return fc.string({ unit: fc.oneof(special, fc.string({ unit: "binary", minLength: 1, maxLength: 1 })), minLength, maxLength: 8 });
}

const GRAMMAR_PIECES = [
  "vault://",
  "ref+vault://",
  "aws-sm://",
  "ref+awssecrets://",
  "arn:",
  "arn:aws:secretsmanager:",
  "arn:aws:s3:::",
  "eu-west-1",
  ":123456789012",
  ":secret:",
  "secret/",
  "myapp/db",
  "?",
  "#",
  "&",
  "=",
  "version=",
  "version=0",
  "version=3",
  "mount=",
  "mount=team/kv",
  "region=",
  "region=eu-west-1",
  "version_stage=",
  "version_id=",
  "%",
  "%2",
  "%41",
  "%FF",
  "%C3%A9",
  "/",
  "//",
  "..",
  ".",
  "~",
  "~0",
  "~1",
  "~2",
  " ",
  "\n",
  "\u0000",
  "{{",
  "}}",
  "{",
  "}",
  "(",
  ")",
  "'",
  '"',
  "\\",
  ",",
  "vault_secret_var",
  "aws_secret_var",
  "vault",
  "aws",
  "env_var",
  "nope",
  "literal:",
];

const SEGMENT_CHARS = [..."abcXYZ019_-.@%?#&=+~:{}()'\"", "é", "日", "😀"];
const segment = fc.string({ unit: fc.constantFrom(...SEGMENT_CHARS), minLength: 1, maxLength: 6 }).filter((s) => s !== "." && s !== "..");
const segments = (max: number) => fc.array(segment, { minLength: 1, maxLength: max }).map((a) => a.join("/"));
const fieldArb: fc.Arbitrary<Field> = fc.oneof(
  keyString(1).map((key): Field => ({ kind: "key", key })),
  fc.array(keyString(0), { minLength: 1, maxLength: 3 }).map((tokens): Field => ({ kind: "pointer", tokens })),
);
const queryValue = keyString(1);
const regionArb = fc.constantFrom("eu-west-1", "us-east-1", "us-gov-west-1", "cn-north-1", "ap-southeast-2");

const vaultArb: fc.Arbitrary<SecretRef> = fc
  .record({ path: segments(4), mount: segments(2), version: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), field: fieldArb }, { requiredKeys: ["path"] })
  .map(({ path, mount, version, field }) => {
    const r: VaultRef = { provider: "vault", path: mount === undefined ? path : `${mount}/${path}`, raw: "" };
    if (mount !== undefined) r.mount = mount;
    if (version !== undefined) r.version = version;
    if (field !== undefined) r.field = field;
    return r;
  });

const awsName = fc.string({ unit: fc.constantFrom(..."abzAZ09/_+=.@-"), minLength: 1, maxLength: 12 });
const arnArb = fc
  .record({ partition: fc.constantFrom("aws", "aws-cn", "aws-us-gov"), region: regionArb, account: fc.stringMatching(/^\d{12}$/), name: awsName })
  .map((a) => ({ arn: `arn:${a.partition}:secretsmanager:${a.region}:${a.account}:secret:${a.name}`, region: a.region }));

const awsArb: fc.Arbitrary<SecretRef> = fc
  .record(
    {
      name: fc.oneof(
        awsName.map((n) => ({ arn: undefined, name: n })),
        arnArb.map((a) => ({ arn: a, name: a.arn })),
      ),
      region: regionArb,
      stage: queryValue,
      id: queryValue,
      field: fieldArb,
    },
    { requiredKeys: ["name"] },
  )
  .map(({ name, region, stage, id, field }) => {
    const r: AwsRef = { provider: "aws", secretId: name.name, raw: "" };
    // An ARN carries its region: a reference to it has that region.
    const effectiveRegion = name.arn ? name.arn.region : region;
    if (effectiveRegion !== undefined) r.region = effectiveRegion;
    if (stage !== undefined) r.versionStage = stage;
    if (id !== undefined) r.versionId = id;
    if (field !== undefined) r.field = field;
    return r;
  });

const arbitraryRef = fc.oneof(vaultArb, awsArb);

describe("percentEncode", () => {
  /** The encoding one character at a time, as percentEncode() has always done it (its fast path must agree). */
  function oneByOne(text: string, special: string): string {
    let out = "";
    for (const ch of text) out += special.includes(ch) || ch === "{" || ch === "}" || /[\s\p{Cc}]/u.test(ch) ? encodeURIComponent(ch) : ch;
    return out;
  }

  it("gives what encoding one character at a time gives, text with nothing to encode included", () => {
    const alphabet = [
      "a",
      "Z",
      "0",
      "/",
      "-",
      "_",
      ".",
      "~",
      "%",
      "?",
      "#",
      "&",
      "=",
      "{",
      "}",
      " ",
      "\t",
      "\n",
      "\u007f",
      "\u0000",
      "é",
      "\u00a0",
      "\u2028",
      "日",
      "😀",
      "!",
      "'",
      "(",
      ")",
      "*",
      "@",
      "+",
    ];
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const special of ["%?#", "%&#", "%"]) {
      for (let i = 0; i < 2000; i++) {
        const length = Math.floor(random() * 12);
        let text = "";
        for (let j = 0; j < length; j++) text += alphabet[Math.floor(random() * alphabet.length)];
        assert.equal(percentEncode(text, special), oneByOne(text, special), JSON.stringify(text));
      }
      assert.equal(percentEncode("secret/many/s1", special), "secret/many/s1");
    }
  });
});
