import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ConfigError } from "../../src/errors.js";
import { expandEnvReferences, referencedVariables } from "../../src/config/expand-env.js";

function expansionError(text: string, environ: NodeJS.ProcessEnv): ConfigError {
  try {
    expandEnvReferences(text, environ);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    // The caller adds the location (the key in the mapping file).
    assert.equal(error.location, undefined);
    return error;
  }
  assert.fail(`expected ${JSON.stringify(text)} to fail`);
}

describe("${NAME} expansion in vault:/aws: settings", () => {
  const environ = { HOST: "vault.internal", EMPTY: "", PORT: "8200" };

  it("replaces ${NAME} with the variable's value, an empty value included", () => {
    assert.equal(expandEnvReferences("https://${HOST}:${PORT}", environ), "https://vault.internal:8200");
    assert.equal(expandEnvReferences("[${EMPTY}]", environ), "[]");
    assert.equal(expandEnvReferences("${HOST}${HOST}", environ), "vault.internal".repeat(2));
  });

  it("${NAME:-default} takes the default when NAME is unset or empty (the shell's rule)", () => {
    assert.equal(expandEnvReferences("${UNSET:-fallback}", environ), "fallback");
    assert.equal(expandEnvReferences("${EMPTY:-fallback}", environ), "fallback");
    assert.equal(expandEnvReferences("${HOST:-fallback}", environ), "vault.internal");
    assert.equal(expandEnvReferences("${UNSET:-}", environ), "");
    assert.equal(expandEnvReferences("${UNSET:-a:-b $x}", environ), "a:-b $x");
  });

  it("$${ is a literal ${", () => {
    assert.equal(expandEnvReferences("$${HOST}", environ), "${HOST}");
    assert.equal(expandEnvReferences("a$${b", environ), "a${b");
  });

  it("leaves other dollar signs alone", () => {
    for (const text of ["$HOST", "$", "cost: 5$", "$$", "$}", "$(HOST)"]) {
      assert.equal(expandEnvReferences(text, environ), text);
    }
  });

  it("an unset ${NAME} without default names the variable", () => {
    const e = expansionError("prefix-${NOT_SET}-suffix", environ);
    assert.match(e.message, /NOT_SET is not set/);
    assert.equal(e.exitCode, 65);
  });

  it("malformed ${ is an error", () => {
    for (const text of ["${HOST", "${}", "${1X}", "${A-B}", "${A B}", "${HOST:default}", "${:-x}"]) {
      expansionError(text, environ);
    }
  });

  it("never quotes the text being expanded", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9]{12,20}$/), fc.constantFrom("${NOPE}", "${", "${1}"), (secret, bad) => {
        const e = expansionError(`S3CR3T${secret}${bad}`, {});
        assert.ok(!e.message.includes(secret), e.message);
      }),
    );
  });

  it("escaping every ${ as $${ round-trips any text", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("$", "{", "}", "a", ":", "-", "_"), maxLength: 16 }), (text) => {
        assert.equal(
          expandEnvReferences(
            text.replaceAll("${", () => "$${"),
            {},
          ),
          text,
        );
      }),
    );
  });

  it("text without ${ is unchanged", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        fc.pre(!text.includes("${"));
        assert.equal(expandEnvReferences(text, {}), text);
      }),
    );
  });
});

describe("referencedVariables", () => {
  it("names the variables ${NAME} and ${NAME:-default} read, once each, not $${ escapes", () => {
    assert.deepEqual(referencedVariables("${A}-${B:-x}-$${C}-${A}"), ["A", "B"]);
    assert.deepEqual(referencedVariables("plain"), []);
  });
});
