/** Assertions shared by the test files. */
import assert from "node:assert/strict";
import { ConfigError } from "../../src/errors.js";

/** Asserts that `action` throws a ConfigError (exit 65) whose message matches every pattern; `label` names the case. */
export function assertConfigError(action: () => unknown, label: string, ...patterns: RegExp[]): void {
  assert.throws(
    action,
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, `${label}: expected ConfigError, got ${String(e)}`);
      assert.equal(e.exitCode, 65);
      for (const p of patterns) assert.match(e.message, p);
      return true;
    },
    label,
  );
}
