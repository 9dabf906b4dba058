import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { LineCounter, parseDocument } from "yaml";
import { ConfigError } from "../../src/errors.js";
import { MAX_NESTING, aliasBombOffset, parseYamlDocument } from "../../src/config/yaml-document.js";

function parse(text: string) {
  const lineCounter = new LineCounter();
  return { doc: parseYamlDocument(text, "f.yaml", lineCounter), lineCounter };
}

function tooDeep(text: string): ConfigError {
  try {
    parse(text);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.match(error.message, new RegExp(`nesting deeper than ${MAX_NESTING} levels`));
    return error;
  }
  assert.fail("expected a ConfigError");
}

/** `levels` mappings inside one another, in block style: `k1:\n  k2:\n    …: x`. */
function blockMaps(levels: number): string {
  return Array.from({ length: levels }, (_, i) => `${"  ".repeat(i)}k${i + 1}:${i === levels - 1 ? " x" : ""}`).join("\n");
}

describe("parseYamlDocument: nesting", () => {
  it("takes 64 levels and refuses the 65th at its line and column", () => {
    assert.deepEqual(parse(blockMaps(MAX_NESTING)).doc.errors, []);
    const e = tooDeep(blockMaps(MAX_NESTING + 1));
    // The 65th mapping is the value of k64, whose one key k65 is on line 65.
    assert.deepEqual(e.location, { file: "f.yaml", line: MAX_NESTING + 1, column: 2 * MAX_NESTING + 1 });
  });

  it("counts flow and block collections alike, keys included", () => {
    assert.deepEqual(parse(`${"[".repeat(MAX_NESTING)}${"]".repeat(MAX_NESTING)}`).doc.errors, []);
    tooDeep(`${"[".repeat(MAX_NESTING + 1)}${"]".repeat(MAX_NESTING + 1)}`);
    tooDeep(`${"- ".repeat(MAX_NESTING + 1)}x`);
    tooDeep(`${"? ".repeat(MAX_NESTING + 1)}x`);
    tooDeep(`a: ${"{b: ".repeat(MAX_NESTING)}c${"}".repeat(MAX_NESTING)}`);
  });

  it("refuses 100,000 levels without overflowing the stack", () => {
    const e = tooDeep(`{"env": {"A":\n${"[".repeat(100_000)}${"]".repeat(100_000)}}}`);
    assert.equal(e.location?.line, 2);
    tooDeep(`${"- ".repeat(100_000)}x`);
  });
});

describe("parseYamlDocument: the rest is yaml's parseDocument", () => {
  it("a second document is an error", () => {
    assert.deepEqual(
      parse("a: 1\n---\nb: 2\n").doc.errors.map((e) => e.code),
      ["MULTIPLE_DOCS"],
    );
  });

  // Keys yaml's uniqueKeys treats as equal or not: scalars compare by value (1 and "1" differ,
  // .nan equals nothing), other keys only by identity.
  const key = fc.constantFrom("a", '"a"', "'a'", "b", "1", '"1"', "0x1", "1.0", "true", "True", '"true"', "null", "~", '""', ".nan", ".inf", "[a]", "{a: 1}", "&x c", "*x");
  const entries = fc.array(fc.tuple(key, fc.constantFrom("v", "[1, 2]", "{a: 1, a: 2}")), { minLength: 1, maxLength: 6 });
  const document = fc.tuple(entries, fc.boolean()).map(([items, flow]) => (flow ? `{${items.map(([k, v]) => `? ${k} : ${v}`).join(", ")}}` : items.map(([k, v]) => `? ${k}\n: ${v}`).join("\n")));

  it("finds the first duplicate key where yaml's uniqueKeys finds one, and an alias without anchor where toJS fails", () => {
    fc.assert(
      fc.property(document, (text) => {
        const theirs = parseDocument(text, { uniqueKeys: true, version: "1.2", schema: "core", logLevel: "error" });
        const ours = parse(text).doc;
        // yaml lists a duplicate inside a value before the one of its key; the file's first is what is reported.
        const first = (errors: typeof ours.errors) => Math.min(...errors.filter((e) => e.code === "DUPLICATE_KEY").map((e) => e.pos[0]));
        assert.equal(first(ours.errors), first(theirs.errors), text);
        // An alias without an anchor is an error where yaml's toJS throws later, without a position.
        let unresolved = false;
        try {
          theirs.toJS({ maxAliasCount: -1 });
        } catch (error) {
          unresolved = /Unresolved alias/.test((error as Error).message);
        }
        assert.equal(
          ours.errors.some((e) => e.code === "BAD_ALIAS"),
          unresolved,
          text,
        );
        // Apart from those, the same errors.
        const others = (errors: typeof ours.errors) => errors.filter((e) => e.code !== "DUPLICATE_KEY" && e.code !== "BAD_ALIAS").map((e) => e.code);
        assert.deepEqual(others(ours.errors), others(theirs.errors), text);
      }),
      { numRuns: 500 },
    );
  });
});

describe("aliasBombOffset", () => {
  it("points at the first use of an anchor that holds aliases", () => {
    const text = "ok: &ok x\nuse: *ok\na: &a [lol, lol]\nb: &b [*a, *a]\nc: [*b, *b]\n";
    assert.equal(aliasBombOffset(parse(text).doc), text.indexOf("*b"));
  });

  it("else at the first alias", () => {
    const text = "a: &a x\nb: [*a, *a, *a]\n";
    assert.equal(aliasBombOffset(parse(text).doc), text.indexOf("*a"));
  });
});
