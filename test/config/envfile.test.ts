import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import dotenv from "dotenv";
import fc from "fast-check";
import { ConfigError } from "../../src/errors.js";
import { locatedConfigError } from "../support/assert.js";
import { loadEnvFile, parseEnvFile } from "../../src/config/envfile.js";
import type { Binding } from "../../src/config/model.js";

const ctx = { defaultMount: "secret" };
const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "envject-envfile-"));
  dirs.push(dir);
  return dir;
}

async function fixture(content: string): Promise<string> {
  const path = join(await tempDir(), ".env");
  await writeFile(path, content);
  return path;
}

function literals(bindings: Binding[]): Record<string, string> {
  return Object.fromEntries(bindings.map((b) => [b.name, b.spec.kind === "literal" ? b.spec.value : `<${b.spec.kind}>`]));
}

function lines(bindings: Binding[]): Record<string, number | undefined> {
  return Object.fromEntries(bindings.map((b) => [b.name, b.origin.line]));
}

async function envFileError(content: string): Promise<ConfigError> {
  const path = await fixture(content);
  return locatedConfigError(() => loadEnvFile(path, ctx), path);
}

describe("--env-file: dotenv syntax", () => {
  it("reads every form dotenv 17 reads, with the line each key is on", async () => {
    const content = [
      "# a comment",
      "",
      "PLAIN=value",
      "export EXPORTED=yes",
      "COLON: with colon",
      "SPACED = around equals  ",
      "SINGLE='single # not a comment'",
      'DOUBLE="line\\nbreak"',
      'BACKTICK=`it\'s "quoted"`',
      "INLINE=value # trailing comment",
      "EMPTY=",
      'MULTI="first',
      "second",
      'third"',
      "  INDENTED=ok",
      "AFTER=multi",
      "",
    ].join("\n");
    const path = await fixture(content);
    const bindings = await loadEnvFile(path, ctx);
    assert.deepEqual(literals(bindings), dotenv.parse(content));
    assert.deepEqual(literals(bindings), {
      PLAIN: "value",
      EXPORTED: "yes",
      COLON: "with colon",
      SPACED: "around equals",
      SINGLE: "single # not a comment",
      DOUBLE: "line\nbreak",
      BACKTICK: 'it\'s "quoted"',
      INLINE: "value",
      EMPTY: "",
      MULTI: "first\nsecond\nthird",
      INDENTED: "ok",
      AFTER: "multi",
    });
    assert.deepEqual(lines(bindings), {
      PLAIN: 3,
      EXPORTED: 4,
      COLON: 5,
      SPACED: 6,
      SINGLE: 7,
      DOUBLE: 8,
      BACKTICK: 9,
      INLINE: 10,
      EMPTY: 11,
      MULTI: 12,
      INDENTED: 15,
      AFTER: 16,
    });
    assert.deepEqual(bindings[0]!.origin, { file: path, line: 3, key: "PLAIN" });
  });

  it("CRLF and CR line endings count lines like LF", async () => {
    const bindings = await loadEnvFile(await fixture("A=1\r\n\r\nB=2\rC=3\r\n"), ctx);
    assert.deepEqual(literals(bindings), { A: "1", B: "2", C: "3" });
    assert.deepEqual(lines(bindings), { A: 1, B: 3, C: 4 });
  });

  it("an empty file or one with only comments has no bindings", async () => {
    assert.deepEqual(await loadEnvFile(await fixture(""), ctx), []);
    assert.deepEqual(await loadEnvFile(await fixture("# only\n\n   # comments\n"), ctx), []);
  });

  it("a later duplicate replaces the earlier one and keeps its own line", async () => {
    const bindings = await loadEnvFile(await fixture("A=first\nB=b\nA=second\n"), ctx);
    assert.deepEqual(
      bindings.map((b) => [b.name, b.spec.kind === "literal" && b.spec.value, b.origin.line]),
      [
        ["A", "second", 3],
        ["B", "b", 2],
      ],
    );
  });
});

describe("--env-file: values are literals, references or templates", () => {
  it("parses references and templates, keeps ${NAME} as written", async () => {
    const content = [
      'DB_PASSWORD="vault://secret/myapp/db#password"',
      "ALSO=vault://secret/myapp/db?version=2 # a comment after a space",
      "STRIPE='aws-sm://prod/stripe#api_key'",
      "URL=\"postgres://{{ vault('secret/db#user') }}@db/app\"",
      "HOME_COPY=${HOME}",
      "SHELLISH=$(whoami)",
      "KEPT=literal:vault://not/a/ref",
    ].join("\n");
    const bindings = await loadEnvFile(await fixture(content), ctx);
    assert.deepEqual(
      bindings.map((b) => [b.name, b.spec.kind]),
      [
        ["DB_PASSWORD", "ref"],
        ["ALSO", "ref"],
        ["STRIPE", "ref"],
        ["URL", "template"],
        ["HOME_COPY", "literal"],
        ["SHELLISH", "literal"],
        ["KEPT", "literal"],
      ],
    );
    const ref = bindings[0]!.spec;
    assert.equal(ref.kind === "ref" && ref.ref.raw, "vault://secret/myapp/db#password");
    assert.deepEqual(literals(bindings).HOME_COPY, "${HOME}");
    assert.deepEqual(literals(bindings).SHELLISH, "$(whoami)");
    assert.deepEqual(literals(bindings).KEPT, "vault://not/a/ref");
  });

  it("a malformed reference is a ConfigError at its line, naming the variable", async () => {
    const e = await envFileError("OK=1\nDB_PASSWORD=vault://\n");
    assert.equal(e.location?.line, 2);
    assert.equal(e.location?.key, "DB_PASSWORD");
    assert.match(e.message, /:2 \(DB_PASSWORD\)/);
  });

  it("an unknown template function is a ConfigError at its line", async () => {
    const e = await envFileError("A=1\n\nB=\"{{ nope('x') }}\"\n");
    assert.equal(e.location?.line, 3);
    assert.equal(e.location?.key, "B");
  });

  it("a NUL in a value is a ConfigError", async () => {
    const e = await envFileError("A=x\0y\n");
    assert.equal(e.location?.line, 1);
  });
});

describe("--env-file: errors dotenv would swallow", () => {
  it("a malformed line is a ConfigError with its line, without quoting it", async () => {
    const e = await envFileError("A=1\nB=2\nthis line hunter2 is not an entry\nC=3\n");
    assert.equal(e.location?.line, 3);
    assert.match(e.message, /:3: /);
    assert.ok(!e.message.includes("hunter2"), e.message);
  });

  for (const [what, line] of [
    ["KEY:value without a space", "KEY:value"],
    ["a bare word", "JUSTAKEY"],
    ["a shell command", "source ./other.env"],
    ["two keys on a line", "A B=1"],
    ["a line starting with =", "=value"],
  ]) {
    it(`${what} is rejected`, async () => {
      const e = await envFileError(`FIRST=1\n${line}\nLAST=1\n`);
      assert.equal(e.location?.line, 2);
    });
  }

  it("a name with a space, or a quoted one with an =, is named with its line", async () => {
    for (const [line, name] of [
      ["A B=1", "A B"],
      ["export MY VAR = x", "MY VAR"],
      ['"A=B"=1', '"A=B"'],
      ["'A B'=1", "'A B'"],
    ]) {
      const e = await envFileError(`OK=1\n${line}\n`);
      assert.equal(e.location?.line, 2, line);
      assert.equal(e.location?.key, name, line);
      assert.match(e.message, /invalid variable name/);
    }
  });

  it("what stands before an = is not shown when it does not look like a name (it may be part of a value)", async () => {
    const e = await envFileError("OK=1\nMIIBIjAN+Bgkqh/kiG9w0B==\n");
    assert.equal(e.location?.line, 2);
    assert.equal(e.location?.key, undefined);
    assert.ok(!e.message.includes("MIIB"), e.message);
  });

  it("dotenv's dots and dashes in names are rejected with the name's line", async () => {
    for (const name of ["my.var", "MY-VAR", "1ST"]) {
      const e = await envFileError(`# header\nOK=1\n${name}=x\n`);
      assert.equal(e.location?.line, 3, name);
      assert.equal(e.location?.key, name);
      assert.match(e.message, /invalid variable name/);
    }
  });

  it("a value on the line after `KEY:` is rejected rather than read as KEY's value", async () => {
    const e = await envFileError("A=1\nKEY:\nB=2\n");
    assert.equal(e.location?.line, 2);
    assert.equal(e.location?.key, "KEY");
    const e2 = await envFileError("KEY=\n'quoted on the next line'\n");
    assert.equal(e2.location?.line, 1);
  });

  it("an unquoted # starts a comment only after whitespace (Docker Compose's rule)", async () => {
    const path = await fixture(
      [
        "A=1",
        "DB=vault://secret/db#password",
        "COLOR=#fff",
        "GLUED=x#y",
        "K: a#b",
        "NOTE=x # note",
        "TAB=x\t#note",
        "BOTH=x#y#z # note",
        "SPACED = x#y  ",
        "HASH_LAST=x#",
        "EMPTY= #comment",
        'QUOTED="x#y"',
        'AFTER_QUOTE="x"#comment',
        "",
      ].join("\n"),
    );
    const bindings = await loadEnvFile(path, ctx);
    const db = bindings.find((b) => b.name === "DB")!;
    assert.deepEqual(db.spec, {
      kind: "ref",
      ref: { provider: "vault", path: "secret/db", raw: "vault://secret/db#password", field: { kind: "key", key: "password" } },
    });
    assert.equal(db.origin.line, 2, "the reference keeps its line");
    const { DB: _, ...rest } = literals(bindings);
    assert.deepEqual(rest, {
      A: "1",
      COLOR: "#fff",
      GLUED: "x#y",
      K: "a#b",
      NOTE: "x",
      TAB: "x",
      BOTH: "x#y#z",
      SPACED: "x#y",
      HASH_LAST: "x#",
      EMPTY: "",
      QUOTED: "x#y",
      AFTER_QUOTE: "x",
    });
    assert.deepEqual(lines(bindings).BOTH, 8);
  });

  it("a glued # does not hide an unclosed quote, and a later duplicate still wins", async () => {
    const e = await envFileError("A=1\nB='open#x\n");
    assert.equal(e.location?.line, 2);
    assert.equal(e.location?.key, "B");
    const ok = await loadEnvFile(await fixture("A=x#1\nB=2\nA=y#2\nC=z#3\nC=plain\n"), ctx);
    assert.deepEqual(literals(ok), { A: "y#2", B: "2", C: "plain" });
    assert.deepEqual(lines(ok), { A: 3, B: 2, C: 5 });
  });

  it("an opening quote without its closing one is rejected", async () => {
    for (const content of ['A=1\nB="unterminated\n', "A=1\nB='open\nC=2\n", 'A=1\nB="x" trailing\n']) {
      const e = await envFileError(content);
      assert.equal(e.location?.line, 2, content);
      assert.equal(e.location?.key, "B");
    }
  });

  it("a missing file is a ConfigError naming it", async () => {
    const path = join(await tempDir(), "missing.env");
    await assert.rejects(loadEnvFile(path, ctx), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.location?.file, path);
      assert.match(e.message, /does not exist/);
      return true;
    });
  });

  it("a directory is a ConfigError naming it", async () => {
    const dir = join(await tempDir(), "dir.env");
    await mkdir(dir);
    await assert.rejects(loadEnvFile(dir, ctx), (e: unknown) => e instanceof ConfigError && e.location?.file === dir);
  });
});

describe("--env-file: agreement with dotenv.parse (property)", () => {
  const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,6}$/).filter((n) => n !== "__proto__");
  const chars = (set: string) => fc.string({ unit: fc.constantFrom(...set.split("")), maxLength: 12 });
  // Values that cannot turn into a reference or a template, so every binding is a literal.
  const unquoted = chars("abZ09 -_./@=$:!#\t").filter((v) => !/^\s*['"`]/.test(v));
  const doubleQuoted = fc.array(fc.constantFrom("a", "Z", " ", "#", "=", "'", "`", ":", "\\n", "\n", "-"), { maxLength: 10 }).map((p) => `"${p.join("")}"`);
  const singleQuoted = fc.array(fc.constantFrom("a", "Z", " ", "#", "=", '"', "`", ":", "\n", "$"), { maxLength: 10 }).map((p) => `'${p.join("")}'`);
  const backtick = fc.array(fc.constantFrom("a", "Z", " ", "#", '"', "'", "\n"), { maxLength: 10 }).map((p) => `\`${p.join("")}\``);
  const entry = fc.record({
    name,
    lead: fc.constantFrom("", "  ", "export ", "\t"),
    sep: fc.constantFrom("=", " = ", ": ", "= "),
    value: fc.oneof(unquoted, doubleQuoted, singleQuoted, backtick),
    comment: fc.constantFrom("", " # note", "   #x", "\t#tab", "#glued"),
  });
  /** dotenv ends an unquoted value at its first `#`, Compose only at a `#` after whitespace: the
   *  two read a line alike unless the first `#` after the separator is glued to what precedes it. */
  const readAlike = (e: { sep: string; value: string; comment: string }): boolean => {
    if (/^\s*['"`]/.test(e.value)) return true;
    const afterName = `${e.sep}${e.value}${e.comment}`;
    const hash = afterName.indexOf("#");
    return hash < 0 || /\s/.test(afterName[hash - 1]!);
  };
  const filler = fc.constantFrom("", "# comment", "   ", "  # indented comment with 'quote'");
  const file = fc.array(fc.tuple(fc.array(filler, { maxLength: 2 }), entry.filter(readAlike)), { maxLength: 8 });

  it("where dotenv and Compose read a line alike, names and values equal dotenv.parse's; lines point at each key", () => {
    fc.assert(
      fc.property(file, fc.constantFrom("\n", "\r\n"), (items, eol) => {
        const out: string[] = [];
        const expectedLine = new Map<string, number>();
        for (const [fillers, e] of items) {
          out.push(...fillers);
          // The key's line: one past the lines written so far (values may span several).
          expectedLine.set(e.name, out.length === 0 ? 1 : out.join("\n").split("\n").length + 1);
          out.push(`${e.lead}${e.name}${e.sep}${e.value}${e.comment}`);
        }
        const text = out.join(eol) + eol;
        const bindings = parseEnvFile(text, "gen.env", ctx);
        const parsed = dotenv.parse(text);
        assert.deepEqual(
          bindings.map((b) => b.name),
          Object.keys(parsed),
        );
        assert.deepEqual(literals(bindings), parsed);
        assert.deepEqual(lines(bindings), Object.fromEntries(expectedLine));
      }),
      { numRuns: 300 },
    );
  });

  it("an unquoted value with a glued # is kept whole, up to a # that whitespace precedes", () => {
    // A value whose every `#` is glued: none follows whitespace, and it opens no quote.
    const glued = fc
      .tuple(chars("abZ09-_./@=$:!# "), fc.constantFrom("#", "a#", "#b", "x#y", "=#"), chars("abZ09-_./@=$:!#"))
      .map(([head, hash, tail]) => `${head}${hash}${tail}`)
      .filter((v) => !/\s#/.test(v) && !/^\s/.test(v));
    const gluedEntry = fc
      .record({
        name,
        lead: fc.constantFrom("", "  ", "export ", "\t"),
        sep: fc.constantFrom("=", " = ", ": ", "= ", " ="),
        value: glued,
        trail: fc.constantFrom("", "  ", "\t"),
        comment: fc.constantFrom("", " # note", "\t#tab # more", "  #x#y"),
      })
      // After `= ` a leading `#` follows whitespace: a comment in both readings.
      .filter((e) => !(/\s$/.test(e.sep) && e.value.startsWith("#")));
    const gluedFile = fc.array(fc.tuple(fc.array(filler, { maxLength: 2 }), fc.oneof(gluedEntry, entry.filter(readAlike))), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(gluedFile, fc.constantFrom("\n", "\r\n"), (items, eol) => {
        const out: string[] = [];
        const expected = new Map<string, { value: string; line: number }>();
        const parsedLine = (text: string, key: string): string => dotenv.parse(text)[key]!;
        for (const [fillers, e] of items) {
          out.push(...fillers);
          const line = out.length === 0 ? 1 : out.join("\n").split("\n").length + 1;
          const written = "trail" in e ? `${e.lead}${e.name}${e.sep}${e.value}${e.trail}${e.comment}` : `${e.lead}${e.name}${e.sep}${e.value}${e.comment}`;
          // A glued value is all of it; any other line is read as dotenv reads it.
          const value = "trail" in e ? e.value.trim() : parsedLine(written, e.name);
          expected.delete(e.name);
          expected.set(e.name, { value, line });
          out.push(written);
        }
        const text = out.join(eol) + eol;
        const bindings = parseEnvFile(text, "glued.env", ctx);
        const byName = new Map(bindings.map((b) => [b.name, b]));
        assert.deepEqual([...byName.keys()].sort(), [...expected.keys()].sort());
        for (const [key, want] of expected) {
          assert.deepEqual(byName.get(key)!.spec, { kind: "literal", value: want.value }, key);
          assert.equal(byName.get(key)!.origin.line, want.line, key);
        }
        // The same names as dotenv, in its order; only the values of glued lines differ from it.
        assert.deepEqual(
          bindings.map((b) => b.name),
          Object.keys(dotenv.parse(text)),
        );
      }),
      { numRuns: 300 },
    );
  });

  it("arbitrary text never throws anything but ConfigError", () => {
    const dotenvish = fc.string({ unit: fc.constantFrom(..."AB_ab1.-=:#'\"` \t\n\r\\{}$/".split("")), maxLength: 40 });
    fc.assert(
      fc.property(fc.oneof(dotenvish, fc.string({ maxLength: 40 }), fc.string({ unit: "binary", maxLength: 40 })), (text) => {
        try {
          const bindings = parseEnvFile(text, "any.env", ctx);
          for (const b of bindings) assert.ok(b.origin.line !== undefined && b.origin.line >= 1);
        } catch (error) {
          assert.ok(error instanceof ConfigError, `${String(error)} for ${JSON.stringify(text)}`);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
