import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { VARIABLE_NAME, expandedVariableName, isValidVariableName } from "../../src/config/names.js";

describe("variable names (docs/contract/environment.md#names-and-values)", () => {
  it("accepts a letter or _ followed by letters, digits and _", () => {
    for (const ok of ["A", "_", "a1", "DB_PASSWORD", "_x_9", "lower", "constructor"]) {
      assert.equal(isValidVariableName(ok), true, ok);
      assert.match(ok, VARIABLE_NAME);
    }
  });

  it("rejects everything else, including what dotenv allows", () => {
    for (const bad of ["", "1A", "A-B", "a.b", "A B", "É", "A=", "A\n", "\nA", "$A"]) {
      assert.equal(isValidVariableName(bad), false, JSON.stringify(bad));
    }
  });

  it("agrees with a character-by-character reading of the rule", () => {
    const first = (c: string) => /[A-Za-z_]/.test(c);
    const rest = (c: string) => /[A-Za-z0-9_]/.test(c);
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."aZ_09-.é $\n".split("")), maxLength: 6 }), (s) => {
        const chars = [...s];
        const expected = chars.length > 0 && first(chars[0]!) && chars.slice(1).every(rest);
        assert.equal(isValidVariableName(s), expected);
      }),
    );
  });
});

describe("expand: key → variable name", () => {
  it("upper-cases the key, replaces [^A-Z0-9_] with _ and prepends the prefix", () => {
    assert.equal(expandedVariableName("APP_", "log_level"), "APP_LOG_LEVEL");
    assert.equal(expandedVariableName("APP_", "db.host-name"), "APP_DB_HOST_NAME");
    assert.equal(expandedVariableName("", "port"), "PORT");
    assert.equal(expandedVariableName("x_", "a b"), "x_A_B");
    assert.equal(expandedVariableName("P_", "café"), "P_CAFÉ".replace("É", "_"));
    // One underscore per character, also outside the Basic Multilingual Plane.
    assert.equal(expandedVariableName("P_", "a😀b"), "P_A_B");
  });

  it("may produce an invalid name, which callers must check", () => {
    assert.equal(expandedVariableName("", "1st"), "1ST");
    assert.equal(isValidVariableName(expandedVariableName("", "1st")), false);
  });

  it("always yields prefix + [A-Z0-9_]*, valid whenever the prefix is a valid name", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,5}$/), fc.string({ unit: "grapheme", maxLength: 12 }), (prefix, key) => {
        const name = expandedVariableName(prefix, key);
        assert.ok(name.startsWith(prefix));
        assert.match(name.slice(prefix.length), /^[A-Z0-9_]*$/);
        assert.equal(isValidVariableName(name), true);
      }),
    );
  });

  it("keeps ASCII letters, digits and _ (upper-cased) and maps each other character to one _", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."abcXYZ019_-. /:@".split("")), maxLength: 12 }), (key) => {
        const expected = [...key].map((c) => (/[A-Za-z0-9_]/.test(c) ? c.toUpperCase() : "_")).join("");
        assert.equal(expandedVariableName("", key), expected);
      }),
    );
  });
});
