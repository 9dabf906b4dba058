/**
 * Fuzzing the parsers of everything a user writes (docs/RELIABILITY.md, "Bad input"): the mapping
 * file (YAML and JSON), .env files, the reference grammar and templates. For any input each either
 * succeeds or throws the ConfigError the CLI turns into exit 65, located (file and line when the
 * input is a file); never another exception, which would be exit 70, and never a case that runs
 * away (each is timed against a budget far above what any takes).
 *
 * The inputs are meant to reach deep: valid files and references taken apart by mutations that
 * matter to each syntax, random bytes over valid text, hostile pieces (aliases, tags, deep
 * nesting, NUL, invalid UTF-8, CR, stray quotes and escapes).
 *
 *   npm test                         DEFAULT_RUNS cases in all (this file runs in a few seconds)
 *   npm run fuzz                     FUZZ_RUNS=100000 cases in all, each property's share of them
 *   FUZZ_SEED=N                      replays a run (fast-check prints the seed of a failure)
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { TestContext } from "node:test";
import fc from "fast-check";
import { stringify } from "yaml";
import { ConfigError, formatLocation } from "../../src/errors.js";
import { loadMapping } from "../../src/config/mapping.js";
import { loadEnvFile } from "../../src/config/envfile.js";
import { describeRef, parseReference, parseValue } from "../../src/config/reference.js";
import type { SecretRef } from "../../src/config/reference.js";
import { parseTemplate } from "../../src/config/template.js";

const DEFAULT_RUNS = 4_000;
const TOTAL_RUNS = Number(process.env.FUZZ_RUNS ?? DEFAULT_RUNS);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
/** A case that takes longer than this has found a super-linear path (a typical one takes < 1 ms). */
const CASE_BUDGET_MS = 2_000;
/** The whole file, as a safety net under the per-case budget. */
const FILE_TIMEOUT_MS = Math.max(120_000, TOTAL_RUNS * 20);

/** Each property's share of the runs. */
const SHARES = { yaml: 0.2, bytes: 0.1, json: 0.15, env: 0.2, reference: 0.2, template: 0.15 } as const;
const runsOf = (property: keyof typeof SHARES) => Math.max(1, Math.round(TOTAL_RUNS * SHARES[property]));

const ctx = { defaultMount: "secret" };
const environ = { VAULT_ROLE_ID: "role", VAULT_SECRET_ID: "secret-id", VAULT_ADDR: "http://127.0.0.1:8200", HOME: "/home/u" };
const dir = mkdtempSync(join(tmpdir(), "envject-fuzz-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** What the cases of one property came to. */
class Tally {
  cases = 0;
  succeeded = 0;
  refused = 0;
  slowestMs = 0;
  private readonly started = performance.now();

  /**
   * Runs one case: it must return, or throw a ConfigError (exit 65) whose location names `file`
   * and a line when the input is a file; within CASE_BUDGET_MS.
   */
  async run(file: string | undefined, parse: () => unknown): Promise<void> {
    const started = performance.now();
    let error: unknown;
    try {
      await parse();
    } catch (e) {
      error = e;
    }
    const ms = performance.now() - started;
    this.cases++;
    this.slowestMs = Math.max(this.slowestMs, ms);
    assert.ok(ms < CASE_BUDGET_MS, `one case took ${ms.toFixed(0)} ms`);
    if (error === undefined) {
      this.succeeded++;
      return;
    }
    if (!(error instanceof ConfigError)) throw new Error(`not a ConfigError (the CLI would exit 70): ${String(error)}`, { cause: error });
    assert.equal(error.exitCode, 65);
    if (file !== undefined) {
      assert.equal(error.location?.file, file, error.message);
      assert.ok(Number.isInteger(error.location?.line) && error.location.line! >= 1, `no line: ${error.message}`);
      assert.ok(error.message.startsWith(`${formatLocation(error.location)}: `), error.message);
    } else {
      assert.equal(error.location, undefined, error.message);
    }
    this.refused++;
  }

  report(t: TestContext): void {
    const s = ((performance.now() - this.started) / 1000).toFixed(1);
    t.diagnostic(`${this.cases} cases in ${s} s: ${this.succeeded} parsed, ${this.refused} refused with a located ConfigError; slowest ${this.slowestMs.toFixed(1)} ms`);
  }
}

function check<T>(t: TestContext, property: keyof typeof SHARES, arbitrary: fc.Arbitrary<T>, file: string | undefined, parse: (input: T) => unknown): Promise<void> {
  const tally = new Tally();
  return fc
    .assert(
      fc.asyncProperty(arbitrary, (input) => tally.run(file, () => parse(input))),
      { numRuns: runsOf(property), seed: SEED, endOnFailure: true },
    )
    .finally(() => tally.report(t));
}

// ---------------------------------------------------------------------------------------------
// Building blocks: references, templates and names that are nearly right.

const pick = <T>(...values: T[]) => fc.constantFrom(...values);
const glue = (...parts: fc.Arbitrary<string>[]) => fc.tuple(...parts).map((p) => p.join(""));
const some = (piece: fc.Arbitrary<string>, maxLength = 6) => fc.array(piece, { maxLength }).map((p) => p.join(""));

/** Characters and escapes that mean something to a reference, a YAML or a .env line. */
const junk = pick(
  ..."/?#&=%~.:@+-_ {}'\"`\\\t\n\r$!*&|>[],".split(""),
  "%2F",
  "%2",
  "%zz",
  "%E9",
  "%C3%A9",
  "%00",
  "~0",
  "~1",
  "..",
  "//",
  "{{",
  "}}",
  "é",
  "\u0000",
  "\u00a0",
  "\u2028",
  "\uFEFF",
  "😀",
  "\ud800",
);
const word = fc.stringMatching(/^[A-Za-z0-9_]{1,8}$/);
const segment = fc.oneof({ weight: 4, arbitrary: word }, { weight: 1, arbitrary: junk });
const pathOf = some(fc.oneof(segment, pick("/")), 8);

const vaultRef = glue(
  pick("vault://", "ref+vault://", "vault:/", "vault:"),
  pathOf,
  fc.option(glue(pick("?"), some(glue(pick("version", "mount", "region", "bad", ""), pick("=", ""), some(segment, 2), pick("", "&")), 3)), { nil: "" }),
  fc.option(glue(pick("#"), some(segment, 4)), { nil: "" }),
);
const awsRef = glue(
  pick("aws-sm://", "ref+awssecrets://"),
  fc.oneof(pathOf, pick("arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf")),
  fc.option(glue(pick("?"), some(glue(pick("version_stage", "version_id", "region", "mount"), pick("="), pick("AWSCURRENT", "eu-west-1", "us-east-1", "", "x y")), 3)), { nil: "" }),
  fc.option(glue(pick("#"), some(segment, 4)), { nil: "" }),
);
const arnRef = glue(
  pick("arn:"),
  some(glue(pick("aws", "aws-cn", "secretsmanager", "eu-west-1", "123456789012", "secret", "prod/db-AbCdEf", ""), pick(":", "")), 8),
  fc.option(glue(pick("#"), some(segment, 3)), { nil: "" }),
);
const reference = fc.oneof(vaultRef, awsRef, arnRef);

const quoted = (inner: fc.Arbitrary<string>) => fc.tuple(pick("'", '"', ""), inner, pick("'", '"', "")).map(([a, s, b]) => `${a}${s}${b}`);
const call = glue(
  pick("{{", "{{ ", "{{\n"),
  pick("vault", "aws", "vault_secret_var", "aws_secret_var", "env_var", "nope", "", "vault "),
  pick("(", "", "( "),
  some(glue(quoted(fc.oneof(reference, some(segment, 4), pick("HOME", "secret/app#k", "app", "1X"))), pick(",", ", ", "")), 3),
  pick(")", "", ",)"),
  pick(" }}", "}}", "}", ""),
);
const template = some(fc.oneof({ weight: 2, arbitrary: call }, { weight: 2, arbitrary: some(segment, 3) }, { weight: 1, arbitrary: pick("\\", "\\'", '\\"', "\\x", "literal:") }), 5);

/** Values as users write them, so that a fair share of the files parse and the mutations start from valid ones. */
const goodValue = pick(
  "vault://secret/app/db#password",
  "ref+vault://secret/app?version=2#/a/0",
  "vault://app/db?mount=team/kv#k",
  "aws-sm://prod/stripe#api_key",
  "aws-sm://prod/x?version_stage=AWSPREVIOUS&region=eu-west-1",
  "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf#user",
  "{{ vault_secret_var('app/db', 'password') }}",
  "postgres://{{ vault('secret/db#u') }}:{{ aws('prod/db#p') }}@db/app",
  "{{ env_var('HOME') }}-x",
  "plain",
  "8080",
  "literal:vault://x",
  "literal:{{",
  "",
);
const value = fc.oneof({ weight: 3, arbitrary: goodValue }, reference, template, some(segment, 5));
const variableName = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,7}$/) },
  { weight: 1, arbitrary: pick("A B", "A=B", "1X", "my.var", "MY-VAR", "__proto__", "constructor", "é", "", "A\tB") },
);

// ---------------------------------------------------------------------------------------------
// Mapping files: valid-looking data, written as YAML or JSON, then mutated.

/** A `vault:`/`aws:` setting: mostly one that fits its key, sometimes anything. */
const setting = (...fitting: string[]) =>
  fc.oneof({ weight: 4, arbitrary: pick(...fitting) }, pick("${VAULT_ADDR}", "${NOPE}", "${NOPE:-x}", "${", "${VAULT_ROLE_ID", "", "http://x"), some(segment, 3));
const optionalRecord = <T extends Record<string, fc.Arbitrary<unknown>>>(fields: T) => fc.record(fields, { requiredKeys: [] });
const mappingData = optionalRecord({
  vault: fc.option(
    optionalRecord({
      address: setting("http://127.0.0.1:8200", "https://vault.example.com:8200", "${VAULT_ADDR}"),
      namespace: setting("admin", "team/a"),
      mount: setting("secret", "kv", "/team/kv/"),
      ca_cert: setting("ca.pem", "/etc/ssl/ca.pem"),
      auth: fc.option(
        optionalRecord({
          method: setting("token", "approle"),
          token: setting("${VAULT_TOKEN:-t}"),
          role_id: setting("${VAULT_ROLE_ID}"),
          secret_id: setting("${VAULT_SECRET_ID}"),
          path: setting("approle", "auth/x"),
        }),
      ),
    }),
  ),
  aws: fc.option(optionalRecord({ region: setting("eu-west-1", "us-east-1") })),
  env: fc.dictionary(
    variableName,
    fc.oneof({ weight: 8, arbitrary: value }, { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(value, { maxLength: 2 })) }),
    { maxKeys: 6 },
  ),
  expand: fc.array(optionalRecord({ from: fc.oneof(goodValue, reference), prefix: fc.oneof(pick("APP_", "", "1X", "a b"), word) }), { maxLength: 2 }),
  files: fc.dictionary(variableName, fc.oneof(goodValue, reference), { maxKeys: 2 }),
});

/** Text mutations that matter to YAML: its indicators, indentation, anchors, tags, documents. */
const yamlPiece = pick(
  ":",
  ": ",
  "-",
  "- ",
  "[",
  "]",
  "{",
  "}",
  ",",
  "?",
  "? ",
  "#",
  "&a ",
  "*a",
  "*b",
  "!!str ",
  "!!binary ",
  "!vault ",
  "!!map ",
  "<<: *a",
  "|",
  ">-",
  "'",
  '"',
  "\\",
  "\n",
  "\r\n",
  "\r",
  "\t",
  "  ",
  "    ",
  "---\n",
  "...\n",
  "%YAML 1.2\n",
  "\u0000",
  "\uFEFF",
  "\u2028",
  "&a [*a]",
  `${"[".repeat(70)}`,
  "{{ vault('x') }}",
  "${VAULT_ADDR}",
  "env:",
  "vault:",
  "auth:",
);

interface Mutation {
  at: number;
  remove: number;
  insert: string;
}
const mutation = (piece: fc.Arbitrary<string>) => fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), remove: fc.nat({ max: 6 }), insert: fc.oneof(piece, junk, some(piece, 3), pick("")) });

function mutate(text: string, mutations: Mutation[]): string {
  let out = text;
  for (const { at, remove, insert } of mutations) {
    const i = Math.floor(at * out.length);
    out = out.slice(0, i) + insert + out.slice(i + remove);
  }
  return out;
}

const yamlText = fc
  .tuple(mappingData, pick<"block" | "flow" | "quoted">("block", "flow", "quoted"))
  .map(([data, style]) => stringify(data, style === "flow" ? { collectionStyle: "flow" } : style === "quoted" ? { defaultStringType: "QUOTE_DOUBLE" } : {}));
const mutatedYaml = fc.tuple(yamlText, fc.array(mutation(yamlPiece), { maxLength: 3 })).map(([text, ms]) => mutate(text, ms));

const jsonPiece = pick("{", "}", "[", "]", ",", ":", '"', "\\", "\\u", "\\u0000", "\\ud800", "null", "true", "1e999", "-0", "\n", " ", "//", "/*", "'");
const jsonText = fc.oneof(
  mappingData.map((data) => JSON.stringify(data, null, 2)),
  mappingData.map((data) => JSON.stringify(data)),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify({ env: v })),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
);
const mutatedJson = fc.tuple(jsonText, fc.array(mutation(jsonPiece), { maxLength: 3 })).map(([text, ms]) => mutate(text, ms));

/** Bytes: valid text with bytes overwritten, inserted or cut (invalid UTF-8, NUL, CR), or random. */
const hostileByte = pick(0x00, 0x0a, 0x0d, 0x80, 0xbf, 0xc0, 0xc3, 0xe2, 0xed, 0xf0, 0xf4, 0xf5, 0xfe, 0xff);
const mutatedBytes = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.oneof(yamlText, jsonText),
        fc.array(fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), byte: fc.oneof(hostileByte, fc.integer({ min: 0, max: 255 })), insert: fc.boolean() }), { minLength: 1, maxLength: 3 }),
      )
      .map(([text, edits]) => {
        let bytes = Buffer.from(text);
        for (const { at, byte, insert } of edits) {
          const i = Math.floor(at * bytes.length);
          bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from([byte]), bytes.subarray(insert ? i : i + 1)]);
        }
        return bytes;
      }),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: fc.oneof(yamlText, jsonText).map((t) => Buffer.from(t).subarray(0, Math.max(0, Buffer.byteLength(t) - 1))) },
);

// ---------------------------------------------------------------------------------------------
// .env files: lines as dotenv and Compose write them, then mutated.

const envValue = fc.oneof(
  value,
  value.map((v) => `"${v}"`),
  value.map((v) => `'${v}'`),
  value.map((v) => `\`${v}\``),
  some(segment, 4).map((v) => `"${v}\n${v}"`),
);
const envLine = fc.oneof(
  { weight: 6, arbitrary: glue(pick("", "export ", "  ", "\t"), variableName, pick("=", " = ", ": ", ":", "= ", "=="), envValue, pick("", " # note", "#x", " #")) },
  { weight: 1, arbitrary: pick("", "# comment", "   ", "# 'quoted' comment", "export", "=value", "JUSTAKEY", "source ./x.env") },
);
const envPiece = pick("=", ":", "#", " #", "'", '"', "`", "\\", "\\n", "\n", "\r\n", "\r", " ", "\t", "$", "${A}", "{{", "export ", "\u0000", "\uFEFF");
const envText = fc.tuple(fc.array(envLine, { maxLength: 8 }), pick("\n", "\r\n", "\r"), fc.array(mutation(envPiece), { maxLength: 3 })).map(([lines, eol, ms]) => mutate(lines.join(eol), ms));

// ---------------------------------------------------------------------------------------------

describe("fuzz: the parsers of what users write either succeed or give a located ConfigError", { timeout: FILE_TIMEOUT_MS }, () => {
  it("YAML mapping files, mutated", async (t) => {
    const file = join(dir, "envject.yaml");
    await check(t, "yaml", mutatedYaml, file, async (text) => {
      writeFileSync(file, text);
      await loadMapping(file, { environ, explicit: true });
    });
  });

  it("JSON mapping files, structured and mutated", async (t) => {
    const file = join(dir, "envject.json");
    await check(t, "json", mutatedJson, file, async (text) => {
      writeFileSync(file, text);
      await loadMapping(file, { environ, explicit: true });
    });
  });

  it("mapping files as bytes: invalid UTF-8, NUL, cut-off characters, random bytes", async (t) => {
    const file = join(dir, "bytes.yaml");
    await check(t, "bytes", mutatedBytes, file, async (bytes) => {
      writeFileSync(file, bytes);
      await loadMapping(file, { environ, explicit: true });
    });
  });

  it(".env files, mutated, with LF, CRLF and CR line ends", async (t) => {
    const file = join(dir, "fuzz.env");
    await check(t, "env", fc.oneof({ weight: 5, arbitrary: envText.map((s) => Buffer.from(s)) }, { weight: 1, arbitrary: mutatedBytes }), file, async (bytes) => {
      writeFileSync(file, bytes);
      await loadEnvFile(file, ctx);
    });
  });

  it("references: parsed or refused, and what parses reads back the same from its display form", async (t) => {
    const anything = fc.oneof({ weight: 4, arbitrary: reference }, { weight: 1, arbitrary: glue(reference, some(segment, 3)) }, { weight: 1, arbitrary: fc.string({ maxLength: 40 }) });
    await check(t, "reference", anything, undefined, (text) => {
      const ref = parseReference(text, ctx);
      if (ref) assertReadsBack(ref);
      parseValue(text, ctx);
    });
  });

  it("templates: parsed or refused at an offset inside the value", async (t) => {
    await check(t, "template", fc.oneof(template, glue(some(segment, 2), call, some(segment, 2), call)), undefined, (text) => {
      try {
        for (const part of parseTemplate(text, ctx)) if (part.kind === "ref") assertReadsBack(part.ref);
      } catch (error) {
        // "offset N": the caller turns it into a column of the value, so N must be inside it.
        const offset = error instanceof ConfigError ? Number(/offset (\d+)/.exec(error.message)?.[1]) : Number.NaN;
        if (error instanceof ConfigError) assert.ok(offset >= 0 && offset <= text.length, error.message);
        throw error;
      }
    });
  });
});

/** describeRef's contract: parseReference reads its output back to an equal reference (apart from `raw`). */
function assertReadsBack(ref: SecretRef): void {
  const shown = describeRef(ref);
  const again = parseReference(shown, ctx);
  assert.ok(again, `${shown} is no reference`);
  assert.deepEqual({ ...again, raw: "" }, { ...ref, raw: "" }, shown);
}
