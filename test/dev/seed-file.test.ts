/** The seed file of `envject dev` (README "`envject dev`"): what it accepts and how it refuses. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "../../src/errors.js";
import { parseSeed } from "../../src/dev/seed-file.js";

function refusal(text: string): ConfigError {
  try {
    parseSeed(text, "seed.yaml");
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.exitCode, 65);
    return error;
  }
  assert.fail("the seed was accepted");
}

describe("parseSeed", () => {
  it("reads vault: paths to fields and aws: names to strings or objects, with their lines", () => {
    const seed = parseSeed("vault:\n  secret/a: { x: 1 }\n  kv/b:\n    y: two\naws:\n  p/s: '{\"k\":1}'\n  p/o: { k: v }\n", "seed.yaml");
    assert.deepEqual(
      seed.vault.map((e) => [e.key, e.value, e.line]),
      [
        ["secret/a", { x: 1 }, 2],
        ["kv/b", { y: "two" }, 3],
      ],
    );
    assert.deepEqual(
      seed.aws.map((e) => [e.key, e.value, e.line]),
      [
        ["p/s", '{"k":1}', 6],
        ["p/o", { k: "v" }, 7],
      ],
    );
  });

  it("takes JSON, an empty file and empty sections", () => {
    assert.deepEqual(
      parseSeed('{"aws": {"x": "y"}}', "s.json").aws.map((e) => e.value),
      ["y"],
    );
    assert.deepEqual(parseSeed("", "s.yaml"), { file: "s.yaml", vault: [], aws: [] });
    assert.deepEqual(parseSeed("vault:\naws:\n", "s.yaml"), { file: "s.yaml", vault: [], aws: [] });
  });

  it("refuses with file:line and never the value", () => {
    const cases: Array<[string, RegExp]> = [
      ["vaults:\n  secret/a: { x: 1 }\n", /^seed\.yaml:1:1 .*unknown key "vaults"/],
      ["vault:\n  secret/a: sekrit-value\n", /^seed\.yaml:2:3 .*must be an object of fields/],
      ["vault:\n  secret/a: [sekrit-value]\n", /^seed\.yaml:2:3 .*got a list/],
      ["vault:\n  justamount: { x: sekrit-value }\n", /^seed\.yaml:2:3 .*must be a path <mount>\/<path>/],
      ["aws:\n  p/a: 42\n", /^seed\.yaml:2:3 .*must be a string \(SecretString\) or an object/],
      ["aws: [a, b]\n", /^seed\.yaml:1:6 .*aws: must be a mapping/],
      ["- a\n- b\n", /^seed\.yaml:1:1: a seed file is a mapping/],
      ["vault:\n  secret/a: { x: 1 }\n  secret/a: { x: 2 }\n", /^seed\.yaml:3:3: YAML syntax error: Map keys must be unique/],
    ];
    for (const [text, expected] of cases) {
      const error = refusal(text);
      assert.match(error.message, expected, text);
      assert.ok(!error.message.includes("sekrit-value"), `the value is not shown: ${error.message}`);
    }
  });
});
