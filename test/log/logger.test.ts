/**
 * The logger's redaction (PRODUCT.md §7): every secret is masked in the message and in each field,
 * whatever characters it holds, and a JSON line stays valid JSON whatever the secrets are.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Logger } from "../../src/log/logger.js";

function capture(format: "text" | "json", secrets: string[]): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = new Logger("debug", format, { write: (line) => lines.push(line) });
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
