/**
 * The command-line reader's rules (README "Command-line rules"), tested on the reader itself:
 * every boolean option × every spelling × flag and environment, option arity, subcommands before
 * or after options, reserved words and near misses. The bundled CLI is tested on the same rules
 * in command-line-e2e.test.ts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describeForm, parseBoolean, readCommandLine } from "../../src/cli/command-line.js";
import { RESERVED_WORDS, optionTable } from "../../src/cli/options.js";
import { UsageError } from "../../src/errors.js";
import { closest, editDistance } from "../../src/suggest.js";

const ENV = { PATH: "/nonexistent-for-tests" };
const BOOLEAN_OPTIONS = [...optionTable()].filter(([, e]) => e.spec.type === "boolean").map(([name]) => name);
const TRUE_WORDS = ["true", "1", "yes", "on"];
const FALSE_WORDS = ["false", "0", "no", "off"];

/** A random-case spelling of `word`. */
const anyCase = (word: string) => fc.array(fc.boolean(), { minLength: word.length, maxLength: word.length }).map((ups) => [...word].map((c, i) => (ups[i] ? c.toUpperCase() : c)).join(""));

function usageError(fn: () => unknown, pattern: RegExp): UsageError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof UsageError, `expected a UsageError, got ${String(caught)}`);
  assert.match(caught.message, pattern);
  return caught;
}

describe("boolean options", () => {
  it("there are the five boolean options of docs/contract/command-line.md#options", () => {
    assert.deepEqual(BOOLEAN_OPTIONS.sort(), ["mask", "pass-credentials", "pristine", "shell", "watch"]);
  });

  it("every boolean option accepts every spelling in any case, as --opt=VALUE and as ENVJECT_OPT", () => {
    const spelling = fc.oneof(...TRUE_WORDS.map((w) => anyCase(w).map((s) => ({ s, value: "true" }))), ...FALSE_WORDS.map((w) => anyCase(w).map((s) => ({ s, value: "false" }))));
    fc.assert(
      fc.property(fc.constantFrom(...BOOLEAN_OPTIONS), spelling, fc.boolean(), (option, { s, value }, viaEnviron) => {
        const variable = `ENVJECT_${option.toUpperCase().replaceAll("-", "_")}`;
        const line = viaEnviron ? readCommandLine(["--", "app"], { ...ENV, [variable]: s }) : readCommandLine([`--${option}=${s}`, "--", "app"], ENV);
        assert.deepEqual(line.options, [`--${option}=${value}`]);
        assert.deepEqual(line.child, ["app"]);
      }),
      { numRuns: 400 },
    );
  });

  it("anything else is refused with the option and the value's form, never the value", () => {
    const refused = fc.string({ maxLength: 12 }).filter((s) => parseBoolean(s) === undefined);
    fc.assert(
      fc.property(fc.constantFrom(...BOOLEAN_OPTIONS), refused, fc.boolean(), (option, value, viaEnviron) => {
        const variable = `ENVJECT_${option.toUpperCase().replaceAll("-", "_")}`;
        const read = () => (viaEnviron ? readCommandLine(["--", "app"], { ...ENV, [variable]: value }) : readCommandLine([`--${option}=${value}`, "--", "app"], ENV));
        const error = usageError(read, /takes true\/false/);
        // Built from the option's name and the value's form alone: the value itself never appears.
        assert.equal(error.message, `${viaEnviron ? variable : `--${option}`} takes true/false, 1/0, yes/no or on/off (any case), got ${describeForm(value)}`);
      }),
      { numRuns: 400 },
    );
  });

  it("the value's form depends only on its length and kind, never on its characters", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 30 }), (value) => {
        const same = /^\d+$/.test(value) ? "7".repeat(value.length) : /^[A-Za-z]+$/.test(value) ? "q".repeat(value.length) : `#${"x".repeat(value.length - 1)}`;
        assert.equal(describeForm(value), describeForm(same));
      }),
    );
  });

  it("--opt alone is true, --no-opt false, the last use wins, and the command line wins over ENVJECT_*", () => {
    assert.deepEqual(readCommandLine(["--mask", "--", "a"], ENV).options, ["--mask=true"]);
    assert.deepEqual(readCommandLine(["--no-mask", "--", "a"], ENV).options, ["--mask=false"]);
    assert.deepEqual(readCommandLine(["--mask", "--no-mask", "--", "a"], ENV).options, ["--mask=false"]);
    assert.deepEqual(readCommandLine(["--no-mask", "--", "a"], { ...ENV, ENVJECT_MASK: "yes" }).options, ["--mask=false"]);
    assert.deepEqual(readCommandLine(["--", "a"], { ...ENV, ENVJECT_MASK: "YES" }).options, ["--mask=true"]);
  });

  it("a boolean option takes no separate word: `--mask true` is refused rather than running `true`", () => {
    usageError(() => readCommandLine(["--mask", "true", "--", "app"], ENV), /--mask takes no separate value: write --mask=true/);
    usageError(() => readCommandLine(["--watch", "OFF"], ENV), /--watch takes no separate value: write --watch=off/);
    usageError(() => readCommandLine(["--no-mask=1", "--", "a"], ENV), /--no-mask takes no value/);
    // Any other word after a boolean is the child's command, as before.
    assert.deepEqual(readCommandLine(["--mask", "node", "app.js"], ENV).child, ["node", "app.js"]);
  });

  it("a bad ENVJECT_* boolean is refused even for a command that does not take it", () => {
    usageError(() => readCommandLine(["check"], { ...ENV, ENVJECT_MASK: "maybe" }), /ENVJECT_MASK takes true\/false/);
    assert.deepEqual(readCommandLine(["check"], { ...ENV, ENVJECT_MASK: "on" }).options, [], "a good one is ignored by check");
  });
});

describe("options that take a value take one", () => {
  it("-e FILE takes one file per use; the next word is a subcommand or the child's command", () => {
    const check = readCommandLine(["-e", ".env", "check"], ENV);
    assert.equal(check.command, "check");
    assert.deepEqual(check.options, ["--env-file=.env"]);
    const run = readCommandLine(["-e", ".env", "run", "--", "node", "x"], ENV);
    assert.equal(run.command, "run");
    assert.deepEqual(run.options, ["--env-file=.env"]);
    assert.deepEqual(run.child, ["node", "x"]);
    const implicit = readCommandLine(["-e", "a.env", "-e", "b.env", "--env-file=c.env", "-ed.env", "node", "x"], ENV);
    assert.deepEqual(implicit.options, ["--env-file=a.env", "--env-file=b.env", "--env-file=c.env", "--env-file=d.env"]);
    assert.deepEqual(implicit.child, ["node", "x"]);
  });

  it("subcommands may come before or after options", () => {
    for (const argv of [
      ["check", "-c", "m.yaml"],
      ["-c", "m.yaml", "check"],
      ["--config=m.yaml", "check"],
    ]) {
      const line = readCommandLine(argv, ENV);
      assert.equal(line.command, "check", argv.join(" "));
      assert.deepEqual(line.options, ["--config=m.yaml"]);
    }
    const exported = readCommandLine(["--log-level", "debug", "export", "--format", "json"], ENV);
    assert.equal(exported.command, "export");
    assert.deepEqual(exported.options, ["--log-level=debug", "--format=json"]);
  });

  it("a non-repeatable option given twice keeps the last value", () => {
    assert.deepEqual(readCommandLine(["--interval", "5s", "--interval=7s", "--", "a"], ENV).options, ["--interval=7s"]);
  });

  it("a missing value is a usage error, and an option is never swallowed as a value", () => {
    usageError(() => readCommandLine(["-c"], ENV), /^-c needs a value$/);
    usageError(() => readCommandLine(["--config", "--", "app"], ENV), /^--config needs a value$/);
    usageError(() => readCommandLine(["-e", "--mask", "--", "app"], ENV), /-e needs a value \(it is followed by the option --mask; write -e=VALUE/);
    assert.deepEqual(readCommandLine(["--config=-odd.yaml", "--", "a"], ENV).options, ["--config=-odd.yaml"]);
  });

  it("an option of another command names the commands that take it", () => {
    usageError(() => readCommandLine(["--mask", "check"], ENV), /^--mask is an option of envject run; envject check does not take it$/);
    usageError(() => readCommandLine(["--format", "json", "--", "app"], ENV), /^--format is an option of envject check and envject export; envject run does not take it$/);
  });

  it("a choice outside its set is refused in one line, with a suggestion", () => {
    usageError(() => readCommandLine(["export", "--format", "yaml"], ENV), /^--format must be one of dotenv, json, shell, got "yaml"$/);
    usageError(() => readCommandLine(["export", "--format", "jsno"], ENV), /got "jsno"; did you mean json\?$/);
    usageError(() => readCommandLine(["check"], { ...ENV, ENVJECT_LOG_LEVEL: "loud" }), /^ENVJECT_LOG_LEVEL must be one of debug, info/);
  });

  it("--format allows each command its own values, and names the command a value belongs to", () => {
    assert.deepEqual(readCommandLine(["check", "--format", "json"], ENV).options, ["--format=json"]);
    assert.deepEqual(readCommandLine(["--format=table", "check"], ENV).options, ["--format=table"]);
    for (const format of ["dotenv", "shell"]) {
      usageError(() => readCommandLine(["check", "--format", format], ENV), new RegExp(`^--format must be one of table, json, got "${format}" \\(envject export takes --format ${format}\\)$`));
    }
    usageError(() => readCommandLine(["export", "--format", "table"], ENV), /^--format must be one of dotenv, json, shell, got "table" \(envject check takes --format table\)$/);
    usageError(() => readCommandLine(["check", "--format", "jsno"], ENV), /^--format must be one of table, json, got "jsno"; did you mean json\?$/);
  });

  it("ENVJECT_FORMAT serves check and export: a value only the other command takes is ignored, one neither takes is refused", () => {
    assert.deepEqual(readCommandLine(["check"], { ...ENV, ENVJECT_FORMAT: "json" }).options, ["--format=json"]);
    assert.deepEqual(readCommandLine(["export"], { ...ENV, ENVJECT_FORMAT: "json" }).options, ["--format=json"]);
    assert.deepEqual(readCommandLine(["check"], { ...ENV, ENVJECT_FORMAT: "shell" }).options, []);
    assert.deepEqual(readCommandLine(["export"], { ...ENV, ENVJECT_FORMAT: "shell" }).options, ["--format=shell"]);
    assert.deepEqual(readCommandLine(["export"], { ...ENV, ENVJECT_FORMAT: "table" }).options, []);
    assert.deepEqual(readCommandLine(["check", "--format=table"], { ...ENV, ENVJECT_FORMAT: "json" }).options, ["--format=table"], "the command line wins");
    assert.deepEqual(readCommandLine(["--", "app"], { ...ENV, ENVJECT_FORMAT: "json" }).options, [], "run takes no --format");
    for (const command of ["check", "export"]) {
      usageError(() => readCommandLine([command], { ...ENV, ENVJECT_FORMAT: "yaml" }), /^ENVJECT_FORMAT must be one of table, json, dotenv, shell, got "yaml"$/);
    }
    usageError(() => readCommandLine(["--", "app"], { ...ENV, ENVJECT_FORMAT: "jsno" }), /got "jsno"; did you mean json\?$/);
  });

  it("unknown options and ENVJECT_* variables suggest the nearest option", () => {
    usageError(() => readCommandLine(["--evn-file", "x", "--", "a"], ENV), /^unknown option --evn-file; did you mean --env-file\?$/);
    usageError(() => readCommandLine(["--mas", "--", "a"], ENV), /did you mean --mask\?/);
    usageError(
      () => readCommandLine(["--", "a"], { ...ENV, ENVJECT_INTERVALL: "1s" }),
      /^unknown option --intervall \(from the environment variable ENVJECT_INTERVALL\); did you mean ENVJECT_INTERVAL\?$/,
    );
    usageError(() => readCommandLine(["--zzzzzz", "--", "a"], ENV), /^unknown option --zzzzzz$/);
  });

  it("ENVJECT_* options a command does not take are ignored by it", () => {
    const line = readCommandLine(["check"], { ...ENV, ENVJECT_MASK: "on", ENVJECT_PRISTINE: "true", ENVJECT_CONFIG: "m.yaml" });
    assert.deepEqual(line.options, ["--config=m.yaml"]);
    assert.deepEqual(readCommandLine(["export"], { ...ENV, ENVJECT_FORMAT: "json" }).options, ["--format=json"]);
  });
});

describe("command words", () => {
  it("every reserved word is a usage error that says how to run the program", () => {
    for (const word of RESERVED_WORDS) {
      usageError(() => readCommandLine([word, "x"], ENV), new RegExp(`^unknown command ${word}.*to run a program named ${word}, write: envject -- ${word}$`));
      assert.deepEqual(readCommandLine(["--", word, "x"], ENV).child, [word, "x"], "after -- it is the program");
      assert.deepEqual(readCommandLine(["run", word, "x"], ENV).child, [word, "x"], "after run it is the program");
    }
  });

  it("help, version and completion are commands", () => {
    assert.deepEqual(readCommandLine(["help"], ENV), { command: "help", helpFor: undefined, options: [], child: [] });
    assert.equal(readCommandLine(["help", "check"], ENV).helpFor, "check");
    assert.equal(readCommandLine(["export", "--help"], ENV).helpFor, "export");
    assert.equal(readCommandLine(["version"], ENV).command, "version");
    assert.equal(readCommandLine(["-V"], ENV).command, "version");
    assert.equal(readCommandLine(["completion"], ENV).command, "completion");
    usageError(() => readCommandLine(["help", "nope"], ENV), /envject help takes a command name/);
  });

  it("a near miss of a command is a usage error with a suggestion, unless a program of that name exists", () => {
    usageError(() => readCommandLine(["chekc"], ENV), /^unknown command chekc; did you mean check\? To run a program named chekc, write: envject -- chekc$/);
    usageError(() => readCommandLine(["exprot"], ENV), /did you mean export\?/);
    usageError(() => readCommandLine(["exec", "node"], ENV), /did you mean run\?/);
    // `helm` is one letter from `help`, but a real program where it is installed.
    const bin = mkdtempSync(join(tmpdir(), "envject-path-"));
    try {
      writeFileSync(join(bin, "helm"), "#!/bin/sh\n", { mode: 0o755 });
      writeFileSync(join(bin, "chekc"), "not executable\n", { mode: 0o644 });
      assert.deepEqual(readCommandLine(["helm", "ls"], { PATH: bin }).child, ["helm", "ls"]);
      usageError(() => readCommandLine(["helm", "ls"], ENV), /did you mean help\?/);
      usageError(() => readCommandLine(["chekc"], { PATH: bin }), /did you mean check\?/);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
    assert.deepEqual(readCommandLine(["node", "app.js"], ENV).child, ["node", "app.js"], "ordinary programs run");
    assert.deepEqual(readCommandLine(["env"], ENV).child, ["env"], "env is a program, not a near miss");
    assert.deepEqual(readCommandLine(["./chekc"], ENV).child, ["./chekc"], "a path is always a program");
  });

  it("check and export take no command", () => {
    usageError(() => readCommandLine(["check", "--", "node"], ENV), /^envject check runs no command, but one was given: node$/);
    usageError(() => readCommandLine(["export", "extra"], ENV), /^envject export takes no arguments/);
  });
});

describe("did you mean", () => {
  it("counts a swap of two neighbouring letters as one edit", () => {
    assert.equal(editDistance("chekc", "check"), 1);
    assert.equal(editDistance("adress", "address"), 1);
    assert.equal(editDistance("", "abc"), 3);
  });
  it("suggests the closest word, a word the typed one starts with, or nothing", () => {
    assert.equal(closest("enviroment", ["vault", "aws", "env", "expand", "files"]), "env");
    assert.equal(closest("file", ["vault", "aws", "env", "expand", "files"]), "files");
    assert.equal(closest("evn-file", ["config", "env-file"]), "env-file");
    assert.equal(closest("zzz", ["run", "check"]), undefined);
    assert.equal(closest("ruby", ["run", "check", "export"]), undefined);
  });
});
