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

/** Awaits `action`, which must reject with a ConfigError (exit 65) located in `file`, and returns the error. */
export async function locatedConfigError(action: () => Promise<unknown>, file: string): Promise<ConfigError> {
  try {
    await action();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.exitCode, 65);
    assert.equal(error.location?.file, file);
    return error;
  }
  assert.fail("expected a ConfigError");
}
