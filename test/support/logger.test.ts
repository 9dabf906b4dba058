/** The capturing logger the tests share: what it keeps of each line, record and write. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ERASE_LINE } from "../../src/log/logger.js";
import { captureLogger } from "./logger.js";

describe("captureLogger", () => {
  it("keeps each text line without its newline, live, and counts lines by level and pattern", () => {
    const { logger, lines, count, text } = captureLogger();
    logger.debug("one", { k: "v" });
    logger.warn("two");
    logger.warn("three");
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /^\S+ envject DEBUG one k=v$/);
    assert.equal(count("warn"), 2);
    assert.equal(count("warn", /three$/), 1);
    assert.equal(count("info"), 0);
    assert.equal(text(), lines.join("\n"));
  });

  it("keeps a record of each call, redacted, in text and in JSON alike; messages(level) lists them", () => {
    for (const format of ["text", "json"] as const) {
      const { logger, records, messages, count } = captureLogger({ format });
      logger.redactor.add("s3cr3t-Capture-1");
      logger.info("hello s3cr3t-Capture-1", { attempt: 2, token: "s3cr3t-Capture-1" });
      logger.error("bye");
      assert.deepEqual(
        records.map(({ time: _, ...rest }) => rest),
        [
          { level: "info", msg: "hello *****", attempt: 2, token: "*****" },
          { level: "error", msg: "bye" },
        ],
        format,
      );
      assert.deepEqual(messages("error"), ["bye"], format);
      assert.deepEqual(messages(), ["hello *****", "bye"], format);
      assert.equal(count("error", /bye/), 1, format);
    }
  });

  it("logs nothing below its level", () => {
    const { logger, lines, records } = captureLogger({ level: "warn" });
    logger.info("quiet");
    assert.deepEqual([lines.length, records.length], [0, 0]);
  });

  it("at a terminal: writes as made, raw text, and lines that end only at a newline", () => {
    const { logger, writes, raw, lines, count } = captureLogger({ level: "info", terminal: true });
    const status = logger.statusLine()!;
    status.update("waiting");
    assert.equal(lines.length, 0, "a status row is not a finished line");
    logger.warn("meanwhile");
    status.end("done");
    assert.equal(writes.length, 3);
    assert.equal(raw(), writes.join(""));
    assert.equal(lines.length, 2);
    assert.ok(lines[0]!.startsWith(ERASE_LINE), JSON.stringify(lines[0]));
    assert.equal(count("warn", /meanwhile$/), 1, "the level is the finished line's, after the erased status row");
    assert.equal(count("info", /done$/), 1);
  });
});
