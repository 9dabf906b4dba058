/**
 * The logger's redaction (docs/contract/logging.md#redaction): every secret is masked in the message and in each field,
 * whatever characters it holds, and a JSON line stays valid JSON whatever the secrets are.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ERASE_LINE, Logger, colourWanted } from "../../src/log/logger.js";
import { captureLogger } from "../support/logger.js";

function capture(format: "text" | "json", secrets: string[]): { logger: Logger; lines: string[] } {
  // Each write, newline included: a secret that broke a line in two would still be seen.
  const { logger, writes: lines } = captureLogger({ format });
  for (const s of secrets) logger.redactor.add(s);
  return { logger, lines };
}

describe("logger redaction", () => {
  it("keeps JSON lines valid when a secret equals a level, a key or a literal", () => {
    const { logger, lines } = capture("json", ["debug", "true", "msg", "level"]);
    logger.debug("level is debug, flag true", { enabled: true, level_name: "debug", names: ["true", "x"] });
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(record.level, "debug");
    assert.equal(record.msg, "***** is *****, flag *****");
    assert.equal(record.enabled, "*****");
    assert.equal(record.level_name, "*****");
    assert.deepEqual(record.names, ["*****", "x"]);
  });

  it("masks a secret holding quotes, backslashes and a newline, in JSON and in text", () => {
    const secret = 'p"w\\d\nx-Quoted-1';
    for (const format of ["json", "text"] as const) {
      const { logger, lines } = capture(format, [secret]);
      logger.warn(`oops ${secret}`, { reason: `because ${secret}` });
      assert.ok(!lines[0]!.includes("Quoted-1"), `${format}: ${lines[0]}`);
      assert.ok(!lines[0]!.includes('p\\"w'), `${format}: ${lines[0]}`);
      if (format === "json") assert.doesNotThrow(() => JSON.parse(lines[0]!));
    }
  });

  it("masks a number field equal to a secret", () => {
    const { logger, lines } = capture("json", ["4242"]);
    logger.info("x", { pid: 4242, other: 7 });
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(record.pid, "*****");
    assert.equal(record.other, 7);
  });
});

describe("logger status line (a terminal's updating line)", () => {
  function terminal(options: { columns?: number; format?: "text" | "json"; level?: "info" | "warn" } = {}) {
    const { logger, raw } = captureLogger({ level: options.level ?? "info", format: options.format ?? "text", terminal: true, columns: options.columns });
    return { logger, raw };
  }

  it("is offered only for text at a terminal with the level enabled", () => {
    assert.equal(new Logger("info", "text", { write: () => {} }).statusLine(), undefined, "not a terminal");
    assert.equal(terminal({ format: "json" }).logger.statusLine(), undefined);
    assert.equal(terminal({ level: "warn" }).logger.statusLine("info"), undefined);
    assert.notEqual(terminal().logger.statusLine(), undefined);
  });

  it("rewrites itself in place, and end() leaves one finished line", () => {
    const t = terminal();
    const status = t.logger.statusLine()!;
    status.update("waiting 1s");
    status.update("waiting 2s");
    status.end("waited 2s");
    const parts = t.raw().split(ERASE_LINE);
    assert.equal(parts.length, 4, JSON.stringify(t.raw()));
    assert.match(parts[1]!, /^\S+ envject INFO  waiting 1s$/);
    assert.match(parts[2]!, /^\S+ envject INFO  waiting 2s$/);
    assert.match(parts[3]!, /^\S+ envject INFO  waited 2s\n$/);
    status.update("late");
    status.end("later");
    assert.equal(t.raw().split(ERASE_LINE).length, 4, "an ended status line writes nothing more");
  });

  it("a log line written meanwhile erases the status line first and draws it again below, in one write", () => {
    const { logger, writes } = captureLogger({ level: "info", terminal: true });
    const status = logger.statusLine()!;
    status.update("waiting");
    logger.warn("something else", { k: "v" });
    assert.match(writes[1]!, /^\r\x1b\[2K\S+ envject WARN  something else k=v\n\S+ envject INFO  waiting$/);
    status.end();
    assert.match(writes[2]!, /^\r\x1b\[2K\S+ envject INFO  waiting\n$/);
    logger.info("after");
    assert.doesNotMatch(writes[3]!, /\r|\x1b/, "no status on screen: a plain line");
  });

  it("several status lines share one row; each leaves its own finished line", () => {
    const t = terminal();
    const vault = t.logger.statusLine()!;
    const aws = t.logger.statusLine()!;
    vault.update("waiting for Vault");
    aws.update("waiting for AWS");
    assert.match(t.raw(), /INFO  waiting for Vault \| waiting for AWS$/);
    vault.end("waited for Vault");
    assert.match(t.raw(), /INFO  waited for Vault\n\S+ envject INFO  waiting for AWS$/);
    aws.end("waited for AWS");
    assert.ok(t.raw().endsWith(" INFO  waited for AWS\n"));
  });

  it("is redacted, and cut to the terminal's width so that it never wraps", () => {
    const t = terminal({ columns: 60 });
    t.logger.redactor.add("s3cr3t-value");
    const status = t.logger.statusLine()!;
    status.update(`token s3cr3t-value ${"x".repeat(100)}`);
    const row = t.raw().split(ERASE_LINE)[1]!;
    assert.ok(row.length <= 59, `${row.length}: ${row}`);
    assert.ok(row.endsWith("…"));
    assert.ok(!t.raw().includes("s3cr3t"));
    status.end(`done s3cr3t-value`);
    assert.ok(!t.raw().includes("s3cr3t"));
    assert.ok(t.raw().endsWith("done *****\n"));
  });
});

describe("structured fields", () => {
  it("masks every string, number and boolean inside lists and records, and keeps their shape in JSON", () => {
    const { logger, lines } = capture("json", ["pw-Nested-Secret", "4242"]);
    logger.info("rotation", {
      changes: [
        { reference: "vault://secret/a", from_version: "1", to_version: "pw-Nested-Secret", reason: "version" },
        { reference: "x pw-Nested-Secret y", count: 4242, ok: true, gone: undefined },
      ],
      numbers: [1, 4242, null],
      variables: ["A", "pw-Nested-Secret"],
    });
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.deepEqual(record.changes, [
      { reference: "vault://secret/a", from_version: "1", to_version: "*****", reason: "version" },
      { reference: "x ***** y", count: "*****", ok: true },
    ]);
    assert.deepEqual(record.numbers, [1, "*****", null]);
    assert.deepEqual(record.variables, ["A", "*****"]);
    assert.ok(!lines[0]!.includes("Nested-Secret"));
  });

  it("in text, a list of scalars is joined by commas, records are JSON, and both are masked", () => {
    const { logger, lines } = capture("text", ["pw-Nested-Secret"]);
    logger.info("rotation", { names: ["A", "B"], changes: [{ reference: "pw-Nested-Secret", n: 1 }] });
    // logfmt-style: a value holding quotes is itself quoted, so the record comes out escaped once.
    assert.match(lines[0]!.trimEnd(), / envject INFO  rotation names=A,B changes="\[\{\\"reference\\":\\"\*\*\*\*\*\\",\\"n\\":1\}\]"$/);
  });

  it("fields the message already says are left out of text lines, kept in JSON", () => {
    const text = capture("text", []);
    text.logger.info("vault://secret/a changed: A", { reference: "vault://secret/a", variables: ["A"], on_change: "restart" }, { inMessage: ["reference", "variables"] });
    assert.match(text.lines[0]!.trimEnd(), / envject INFO  vault:\/\/secret\/a changed: A on_change=restart$/);
    const json = capture("json", []);
    json.logger.info("vault://secret/a changed: A", { reference: "vault://secret/a", variables: ["A"] }, { inMessage: ["reference", "variables"] });
    const record = JSON.parse(json.lines[0]!) as Record<string, unknown>;
    assert.equal(record.reference, "vault://secret/a");
    assert.deepEqual(record.variables, ["A"]);
  });
});

describe("colour", () => {
  it("is wanted only at a terminal, and NO_COLOR (non-empty), TERM=dumb and FORCE_COLOR=0 turn it off", () => {
    assert.equal(colourWanted(true, {}), true);
    assert.equal(colourWanted(true, { NO_COLOR: "" }), true, "an empty NO_COLOR does not count");
    for (const value of ["1", "0", "false", "yes"]) assert.equal(colourWanted(true, { NO_COLOR: value }), false, `NO_COLOR=${value}`);
    assert.equal(colourWanted(true, { TERM: "dumb" }), false);
    assert.equal(colourWanted(true, { FORCE_COLOR: "0" }), false);
    assert.equal(colourWanted(true, { FORCE_COLOR: "false" }), false);
    assert.equal(colourWanted(true, { FORCE_COLOR: "1" }), true);
    for (const env of [{}, { FORCE_COLOR: "1" }, { FORCE_COLOR: "3" }]) assert.equal(colourWanted(false, env), false, `no terminal: ${JSON.stringify(env)}`);
  });

  it("colours the level name of text lines after redaction; never JSON lines; never by default when writing elsewhere", () => {
    const lines: string[] = [];
    const write = (line: string) => lines.push(line);
    const coloured = new Logger("debug", "text", { write, colour: true });
    coloured.redactor.add("pw-Colour-Secret");
    coloured.debug("d");
    coloured.info("i pw-Colour-Secret", { reason: "pw-Colour-Secret" });
    coloured.warn("w");
    coloured.error("e");
    assert.match(lines[0]!.trimEnd(), / envject \x1b\[2mDEBUG\x1b\[0m d$/);
    assert.match(lines[1]!.trimEnd(), / envject \x1b\[36mINFO\x1b\[0m  i \*\*\*\*\* reason=\*\*\*\*\*$/);
    assert.match(lines[2]!.trimEnd(), / envject \x1b\[33mWARN\x1b\[0m  w$/);
    assert.match(lines[3]!.trimEnd(), / envject \x1b\[31mERROR\x1b\[0m e$/);

    const json = new Logger("info", "json", { write, colour: true });
    assert.equal(json.colour, false);
    json.info("i");
    assert.doesNotMatch(lines.at(-1)!, /\x1b/);
    assert.equal(new Logger("info", "text", { write }).colour, false, "a logger writing to a function has no terminal");
  });
});
