import assert from "node:assert/strict";
import { constants } from "node:os";
import { describe, it } from "node:test";
import { UsageError } from "../../src/errors.js";
import { parseSignalName, signalNumber } from "../../src/supervise/signal-names.js";

describe("parseSignalName", () => {
  it("accepts names with or without SIG, in any case", () => {
    for (const text of ["HUP", "SIGHUP", "hup", "sigHup", " SIGHUP "]) assert.equal(parseSignalName(text), "SIGHUP");
    assert.equal(parseSignalName("usr2"), "SIGUSR2");
    assert.equal(parseSignalName("TERM"), "SIGTERM");
  });

  it("accepts every signal the platform knows", () => {
    for (const name of Object.keys(constants.signals)) assert.equal(parseSignalName(name.slice(3)), name);
  });

  it("rejects unknown names and numbers with a UsageError naming the input", () => {
    for (const text of ["", "SIG", "NOPE", "SIGNOPE", "15", "SIG TERM", "-TERM"]) {
      assert.throws(
        () => parseSignalName(text),
        (error: unknown) => error instanceof UsageError && error.exitCode === 64 && error.message.includes(JSON.stringify(text)),
      );
    }
  });
});

describe("signalNumber", () => {
  it("is the platform's number", () => {
    assert.equal(signalNumber("SIGTERM"), constants.signals.SIGTERM);
    assert.equal(signalNumber("SIGNOPE"), undefined);
  });
});
