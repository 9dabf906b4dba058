import assert from "node:assert/strict";
import { constants } from "node:os";
import { describe, it } from "node:test";
import { childExit } from "../../src/supervise/exit-code.js";

describe("childExit", () => {
  it("passes the child's own exit code through", () => {
    for (const code of [0, 1, 2, 42, 255]) assert.deepEqual(childExit(code, null), { code, signal: null, exitCode: code });
  });

  it("is 128+N when the child died of signal N", () => {
    for (const signal of ["SIGTERM", "SIGKILL", "SIGINT", "SIGSEGV", "SIGUSR2"] as const) {
      assert.deepEqual(childExit(null, signal), { code: null, signal, exitCode: 128 + constants.signals[signal] });
    }
  });

  it("never reports success when neither a code nor a signal is known", () => {
    assert.notEqual(childExit(undefined, undefined).exitCode, 0);
  });
});
