/**
 * `--on-change` end to end (docs/contract/rotation.md#on-change): `signal:HUP` rewrites a `files:` secret before the
 * signal arrives and keeps the child, `exit` stops it and ends with 75, `none` only logs.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { watchSuite, pause } from "../watch/e2e-harness.js";

describe("envject run --on-change", () => {
  const suite = watchSuite();
  const start = (mapping: string, args: string[], vars: string[], extra: Record<string, string | undefined> = {}) => suite.start(suite.workspace(mapping), args, vars, extra);

  it("signal:HUP rewrites the files: secret before the signal, keeps the child, and warns (names only) about environment variables", async () => {
    await suite.vault.control.putSecret("secret/oc/sig", { pem: "pem-Sig-One-1111", env: "env-Sig-One" });
    const run = start("env:\n  FROM_ENV: vault://secret/oc/sig#env\nfiles:\n  PEM_FILE: vault://secret/oc/sig#pem\n", ["--on-change", "signal:HUP"], ["FROM_ENV"], { WATCH_FILE_VAR: "PEM_FILE" });
    await run.waitForStarts(1);
    await suite.vault.control.putSecret("secret/oc/sig", { pem: "pem-Sig-Two-2222", env: "env-Sig-One" });
    await run.waitFor("the HUP", () => run.events().some((e) => e.event === "signal"));
    assert.deepEqual(
      run.events().map((e) => [e.event, e.file ?? null]),
      [
        ["start", null],
        ["signal", "pem-Sig-Two-2222"],
      ],
      "the child read the new file content when the signal arrived, and was not restarted",
    );
    assert.equal(run.lines("WARN", /environment variables changed/).length, 0, "only a file changed");
    await suite.vault.control.putSecret("secret/oc/sig", { pem: "pem-Sig-Two-2222", env: "env-Sig-Two" });
    // The child's event file can be read before envject's stderr, written before the signal, has come through its pipe.
    await run.waitFor("the second HUP and its warning", () => run.events().filter((e) => e.event === "signal").length === 2 && run.lines("WARN", /environment variables changed/).length > 0);
    assert.equal(run.lines("WARN", /environment variables changed.*variables=FROM_ENV/).length, 1, run.stderr);
    assert.equal(run.starts().length, 1);
    await run.stop();
  });

  it("exit stops the child and ends with 75", async () => {
    await suite.vault.control.putSecret("secret/oc/exit", { key: "exit-One-3333" });
    const run = start("env:\n  K: vault://secret/oc/exit#key\n", ["--on-change", "exit"], ["K"]);
    await run.waitForStarts(1);
    await suite.vault.control.putSecret("secret/oc/exit", { key: "exit-Two-4444" });
    const end = await run.ended;
    assert.equal(end.code, 75, run.stderr);
    assert.deepEqual(
      run.events().map((e) => e.event),
      ["start", "exit"],
    );
    assert.equal(run.lines("INFO", /exiting with 75/).length, 1, run.stderr);
  });

  it("none logs the change and leaves the child alone", async () => {
    await suite.vault.control.putSecret("secret/oc/none", { key: "none-One-5555" });
    const run = start("env:\n  K: vault://secret/oc/none#key\n", ["--on-change", "none"], ["K"]);
    await run.waitForStarts(1);
    await suite.vault.control.putSecret("secret/oc/none", { key: "none-Two-6666" });
    await run.waitFor("the change to be logged", () => run.lines("INFO", /--on-change none/).length === 1);
    await pause(1500);
    assert.deepEqual(
      run.events().map((e) => e.event),
      ["start"],
    );
    assert.equal(run.lines("INFO", / envject INFO  vault:\/\/secret\/oc\/none changed \(version 1 → 2\): new values for K$/).length, 1, run.stderr);
    const end = await run.stop();
    assert.equal(end.code, 0);
  });
});
