import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { parse as parseDotenv } from "dotenv";
import { ConfigError } from "../../src/errors.js";
import { dotenvQuote, formatVariables, shellQuote } from "../../src/cli/export-formats.js";

const tricky = ["plain", "with space", "it's", 'say "hi"', "back`tick", "line1\nline2", "tab\tand\\backslash", "#not a comment", "trailing ", " leading", "$HOME ${X}", "\\n literal", "a=b", ""];

describe("export formats", () => {
  it("dotenv output round-trips through dotenv.parse for tricky values", () => {
    const vars = new Map(tricky.map((v, i) => [`V${i}`, v]));
    assert.deepEqual(parseDotenv(formatVariables(vars, "dotenv")), Object.fromEntries(vars));
  });

  it("dotenv: any value either round-trips or is refused with ConfigError naming the variable", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("a", " ", "'", '"', "`", "\\", "n", "\n", "#", "$", "=", "r", "\r") }), (value) => {
        try {
          const line = `NAME=${dotenvQuote("NAME", value)}\n`;
          assert.equal(parseDotenv(line).NAME, value);
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          assert.match(error.message, /NAME/);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("json output is one object that JSON.parse gives back", () => {
    const vars = new Map(tricky.map((v, i) => [`V${i}`, v]));
    assert.deepEqual(JSON.parse(formatVariables(vars, "json")), Object.fromEntries(vars));
  });

  it("shell output reproduces every value exactly under eval", () => {
    const values = [...tricky, "uni\u00e9\u4e2d", "'''", "a'b\"c`d$e\\f\ng"];
    const vars = new Map(values.map((v, i) => [`V${i}`, v]));
    const script = `${formatVariables(vars, "shell")}\nnode -e 'process.stdout.write(JSON.stringify(Object.fromEntries(Object.entries(process.env).filter(([k]) => /^V\\d+$/.test(k)))))'`;
    const r = spawnSync("/bin/sh", ["-c", script], { encoding: "utf8", env: { PATH: process.env.PATH } });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), Object.fromEntries(vars));
  });

  it("shellQuote survives arbitrary strings (property, through sh printf)", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 0, maxLength: 30 }).filter((s) => !s.includes("\0")),
        (value) => {
          const r = spawnSync("/bin/sh", ["-c", `printf '%s' ${shellQuote(value)}`], { encoding: "utf8" });
          assert.equal(r.stdout, value);
        },
      ),
      { numRuns: 100 },
    );
  });
});
