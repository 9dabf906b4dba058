import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ConfigError } from "../../src/errors.js";
import { type TemplatePart, describeRef, parseValue } from "../../src/config/reference.js";
import { parseTemplate } from "../../src/config/template.js";
import { assertConfigError } from "../support/assert.js";

const ctx = { defaultMount: "secret" };

/** Parts with each reference shown in its canonical form (raw checked separately). */
function parts(text: string, context = ctx): Array<TemplatePart | { kind: "ref"; ref: string }> {
  return parseTemplate(text, context).map((p) => (p.kind === "ref" ? { kind: "ref", ref: describeRef(p.ref) } : p));
}
/** Asserts a ConfigError (exit 65) whose message matches every pattern. */
function rejects(text: string, ...patterns: RegExp[]): void {
  assertConfigError(() => parseTemplate(text, ctx), text, ...patterns);
}

describe("template functions", () => {
  it("vault_secret_var('path', 'key') reads the path under the configured mount", () => {
    const [part] = parseTemplate("{{ vault_secret_var('myapp/db', 'username') }}", ctx);
    assert.deepEqual(part, {
      kind: "ref",
      ref: {
        provider: "vault",
        path: "secret/myapp/db",
        mount: "secret",
        field: { kind: "key", key: "username" },
        raw: "{{ vault_secret_var('myapp/db', 'username') }}",
      },
    });
    const [other] = parseTemplate("{{ vault_secret_var('/myapp/db/', 'a/b') }}", { defaultMount: "team/kv" });
    assert.ok(other?.kind === "ref" && other.ref.provider === "vault");
    assert.equal(other.ref.path, "team/kv/myapp/db");
    assert.equal(other.ref.mount, "team/kv");
    assert.deepEqual(other.ref.field, { kind: "key", key: "a/b" });
  });

  it("vault_secret_var needs both arguments and a non-empty key and path", () => {
    rejects("{{ vault_secret_var('myapp/db') }}", /takes 2 arguments, got 1/);
    rejects("{{ vault_secret_var('myapp/db', 'k', 'x') }}", /takes 2 arguments, got 3/);
    rejects("{{ vault_secret_var('myapp/db', '') }}", /key given to vault_secret_var\(\) is empty/);
    rejects("{{ vault_secret_var('', 'k') }}", /path is empty/);
    rejects("{{ vault_secret_var('a//b', 'k') }}", /empty segment/);
  });

  it("aws_secret_var('name'[, 'key'])", () => {
    assert.deepEqual(parts("{{ aws_secret_var('prod/stripe') }}"), [{ kind: "ref", ref: "aws-sm://prod/stripe" }]);
    assert.deepEqual(parts("{{ aws_secret_var('prod/stripe', 'api_key') }}"), [{ kind: "ref", ref: "aws-sm://prod/stripe#api_key" }]);
    const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/x-AbCdEf";
    assert.deepEqual(parts(`{{ aws_secret_var('${arn}', 'k') }}`), [{ kind: "ref", ref: `${arn}#k` }]);
    rejects("{{ aws_secret_var() }}", /takes 1 or 2 arguments, got 0/);
    rejects("{{ aws_secret_var('prod/x#k') }}", /plain secret name/, /aws\(/);
    rejects("{{ aws_secret_var('prod x') }}", /whitespace/);
  });

  it("vault('REF-BODY') takes a reference without its scheme, or with it", () => {
    assert.deepEqual(parts("{{ vault('secret/myapp/db#username') }}"), [{ kind: "ref", ref: "vault://secret/myapp/db#username" }]);
    assert.deepEqual(parts("{{ vault('myapp/db?mount=secret&version=2#/a/0') }}"), [{ kind: "ref", ref: "vault://myapp/db?mount=secret&version=2#/a/0" }]);
    assert.deepEqual(parts("{{ vault('vault://secret/x#k') }}"), [{ kind: "ref", ref: "vault://secret/x#k" }]);
    assert.deepEqual(parts("{{ vault('ref+vault://secret/x#k') }}"), [{ kind: "ref", ref: "vault://secret/x#k" }]);
    rejects("{{ vault('aws-sm://prod/x') }}", /vault\(\) takes a Vault reference/);
    rejects("{{ vault('arn:aws:secretsmanager:eu-west-1:123456789012:secret:x') }}", /vault\(\) takes a Vault reference/);
    rejects("{{ vault('a', 'b') }}", /takes 1 argument, got 2/);
  });

  it("aws('REF-BODY') takes a name, an ARN, or the full aws-sm:// form", () => {
    assert.deepEqual(parts("{{ aws('prod/stripe#api_key') }}"), [{ kind: "ref", ref: "aws-sm://prod/stripe#api_key" }]);
    assert.deepEqual(parts("{{ aws('prod/x?version_stage=AWSPREVIOUS') }}"), [{ kind: "ref", ref: "aws-sm://prod/x?version_stage=AWSPREVIOUS" }]);
    const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/x-AbCdEf";
    assert.deepEqual(parts(`{{ aws('${arn}#k') }}`), [{ kind: "ref", ref: `${arn}#k` }]);
    assert.deepEqual(parts("{{ aws('ref+awssecrets://prod/x#k') }}"), [{ kind: "ref", ref: "aws-sm://prod/x#k" }]);
    rejects("{{ aws('vault://secret/x') }}", /aws\(\) takes a Secrets Manager reference/);
    rejects("{{ aws('arn:aws:s3:::bucket') }}", /seven ':'-separated parts/);
  });

  it("keeps the template text as the reference's raw form", () => {
    const [part] = parseTemplate("x{{vault('secret/a#k')}}y", ctx).filter((p) => p.kind === "ref");
    assert.equal(part?.kind === "ref" && part.ref.raw, "{{vault('secret/a#k')}}");
  });

  it("env_var('NAME') becomes an env part; the name must be a variable name", () => {
    assert.deepEqual(parts("{{ env_var('HOME') }}"), [{ kind: "env", name: "HOME" }]);
    assert.deepEqual(parts("{{ env_var('_a1') }}"), [{ kind: "env", name: "_a1" }]);
    rejects("{{ env_var('1A') }}", /variable name/, /"1A"/);
    rejects("{{ env_var('A-B') }}", /variable name/);
    rejects("{{ env_var('') }}", /variable name/);
    rejects("{{ env_var() }}", /takes 1 argument, got 0/);
  });

  it("rejects unknown functions, listing the known ones", () => {
    rejects("{{ secret('x') }}", /unknown function secret\(\)/, /vault_secret_var, aws_secret_var, vault, aws, env_var/, /literal:/);
    rejects("{{ .Values.x }}", /expected a function name/, /literal:/);
  });
});

describe("template syntax", () => {
  it("mixes text and calls, in order", () => {
    assert.deepEqual(parts("postgres://{{ vault('secret/db#username') }}:{{ vault('secret/db#password') }}@{{ env_var('DB_HOST') }}:5432/app"), [
      { kind: "text", text: "postgres://" },
      { kind: "ref", ref: "vault://secret/db#username" },
      { kind: "text", text: ":" },
      { kind: "ref", ref: "vault://secret/db#password" },
      { kind: "text", text: "@" },
      { kind: "env", name: "DB_HOST" },
      { kind: "text", text: ":5432/app" },
    ]);
  });

  it("allows any whitespace around tokens, and none", () => {
    const expected = [{ kind: "ref", ref: "aws-sm://prod/x#k" }];
    assert.deepEqual(parts("{{aws_secret_var('prod/x','k')}}"), expected);
    assert.deepEqual(parts("{{ \n\t aws_secret_var \n ( \t'prod/x' \n , 'k' ) \n }}"), expected);
  });

  it("reads single- and double-quoted strings with \\\\, \\' and \\\" escapes", () => {
    assert.deepEqual(parts(`{{ vault("secret/x#it's") }}`), [{ kind: "ref", ref: "vault://secret/x#it's" }]);
    const [a] = parseTemplate(String.raw`{{ vault_secret_var('a', 'it\'s \"q\" \\ x') }}`, ctx);
    assert.deepEqual(a?.kind === "ref" && a.ref.field, { kind: "key", key: `it's "q" \\ x` });
    const [b] = parseTemplate(String.raw`{{ vault_secret_var("a", "\"\'\\") }}`, ctx);
    assert.deepEqual(b?.kind === "ref" && b.ref.field, { kind: "key", key: `"'\\` });
    rejects(String.raw`{{ vault_secret_var('a', 'x\ny') }}`, /unknown escape/);
  });

  it("treats }} outside a template as text (JSON values)", () => {
    assert.deepEqual(parts(`{"a":{"b":{{ env_var('X') }}}}`), [
      { kind: "text", text: '{"a":{"b":' },
      { kind: "env", name: "X" },
      { kind: "text", text: "}}" },
    ]);
    assert.deepEqual(parts("}} {{ env_var('X') }} }}"), [
      { kind: "text", text: "}} " },
      { kind: "env", name: "X" },
      { kind: "text", text: " }}" },
    ]);
  });

  it("reads }} and {{ inside a quoted argument as part of the string", () => {
    assert.deepEqual(parts("{{ aws('prod/x#a}}b') }}"), [{ kind: "ref", ref: "aws-sm://prod/x#a%7D%7Db" }]);
  });

  it("keeps a template of exactly one call a template", () => {
    assert.equal(parseValue("{{ vault('secret/db#k') }}", ctx).kind, "template");
    assert.equal(parseValue("{{ env_var('HOME') }}", ctx).kind, "template");
  });

  it("reports the offset of the problem and suggests literal: for syntax errors", () => {
    rejects("abc {{ vault('x') ", /offset 4/, /has no closing \}\}/, /literal:/);
    rejects("ab {{ }}", /offset 3/, /empty \{\{ \}\}/);
    rejects("{{}}", /offset 0/, /empty \{\{ \}\}/);
    rejects("x {{ vault 'a' }}", /offset 11/, /expected '\(' after vault/);
    rejects("{{ vault(secret) }}", /offset 9/, /must be quoted strings/);
    rejects("{{ vault(1) }}", /offset 9/, /must be quoted strings/);
    rejects("{{ vault('a',) }}", /offset 13/, /trailing ','/);
    rejects("{{ vault('a' 'b') }}", /offset 13/, /expected ',' or '\)'/);
    rejects("{{ vault('a') x }}", /offset 14/, /expected \}\} after vault/);
    rejects("{{ vault('a) }}", /offset 9/, /unterminated string/);
    rejects("hello {{", /offset 6/, /no closing/);
    rejects("a {{ b }} {{ env_var('X') }}", /offset 7/, /expected '\(' after b/);
    rejects("{{ env_var('X') }} {{ nope() }}", /offset 22/, /unknown function nope\(\)/);
  });

  it("places a bad reference inside a call at the call's offset", () => {
    rejects("xy{{ vault('secret//db') }}", /offset 2/, /empty segment/);
    rejects("{{ aws('prod/x?nope=1') }}", /offset 0/, /unknown query parameter "nope"/);
  });

  it("names the offset but never quotes the value (the text around a call may be a pasted secret)", () => {
    assert.throws(
      () => parseTemplate("{{ nope('a') }} hunter2-pasted", ctx),
      (e: unknown) => e instanceof ConfigError && e.message.includes("offset 3") && !e.message.includes("hunter2"),
    );
    assert.throws(
      () => parseTemplate("{{ vault('secret/x#y') hunter2-pasted }}", ctx),
      (e: unknown) => e instanceof ConfigError && e.message.includes("expected }}") && !e.message.includes("hunter2"),
    );
  });

  it("rebuilds the value from text and env parts for generated templates", () => {
    const text = fc.string({ maxLength: 8 }).filter((s) => !s.includes("{"));
    const space = fc.constantFrom("", " ", "  ", "\n", "\t ");
    const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,6}$/);
    const quoteChar = fc.constantFrom("'", '"');
    const piece = fc.oneof(
      text.map((t) => ({ expected: { kind: "text" as const, text: t }, source: t })),
      fc.tuple(name, space, space, space, quoteChar).map(([n, a, b, c, q]) => ({
        expected: { kind: "env" as const, name: n },
        source: `{{${a}env_var${b}(${q}${n}${q})${c}}}`,
      })),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (pieces) => {
        const source = pieces.map((p) => p.source).join("");
        if (!source.includes("{{")) return; // no template in it: not what this property is about
        const expected: TemplatePart[] = [];
        for (const { expected: part } of pieces) {
          const last = expected.at(-1);
          if (part.kind === "text" && part.text === "") continue;
          if (part.kind === "text" && last?.kind === "text") last.text += part.text;
          else expected.push({ ...part });
        }
        assert.deepEqual(parseTemplate(source, ctx), expected);
      }),
      { numRuns: 500 },
    );
  });
});
