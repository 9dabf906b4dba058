/**
 * A value too big for an environment (Linux refuses one `NAME=value` string over 128 KiB with
 * E2BIG, and a whole environment beyond the argument limit): envject checks the new environment
 * before it stops anything. A rotation to such a value keeps the running child and its values
 * with one warning; at start it is exit 65 naming the variable, and nothing is started.
 * `files:` secrets go to files, so their size does not matter.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { alive, pause, watchSuite } from "../watch/e2e-harness.js";
import { NODE, assertNoStackTrace, errorLines } from "./e2e.js";

/** A value of `kib` KiB that no log line may contain (any 32 characters of it are distinctive). */
function bigValue(tag: string, kib: number): string {
  const unit = `${tag}-Big-Value-0123456789abcdef-`;
  return unit.repeat(Math.ceil((kib * 1024) / unit.length)).slice(0, kib * 1024);
}

describe("envject run and values too big for an environment", () => {
  const suite = watchSuite();
  const { workspace, start } = suite;

  it("a rotation to a 200 KiB value: the child keeps running with its old value, one warning naming the variable; a later normal value restarts it", async () => {
    await suite.vault.control.putSecret("secret/big/app", { blob: "blob-Small-One-1111", tag: "tag-Same-2222" });
    const run = start(workspace("env:\n  BLOB: vault://secret/big/app#blob\n  TAG: vault://secret/big/app#tag\n"), [], ["BLOB", "TAG"]);
    let ended = false;
    void run.ended.then(() => (ended = true));
    await run.waitForStarts(1);
    const first = run.starts()[0]!;

    const big = bigValue("rot", 200);
    await suite.vault.control.putSecret("secret/big/app", { blob: big, tag: "tag-Same-2222" });
    await run.waitFor("the warning (or envject's end)", () => ended || run.lines("WARN", /BLOB/).length > 0);
    assert.equal(ended, false, `envject still runs:\n${run.stderr}`);
    await pause(3000); // a few more polls: nothing else happens
    const warnings = run.lines("WARN", /BLOB/);
    assert.equal(warnings.length, 1, run.stderr);
    assert.match(warnings[0]!, /BLOB/);
    assert.match(warnings[0]!, /204806 bytes/, "the size of BLOB=value and its NUL");
    assert.match(warnings[0]!, /131072/);
    assert.ok(!run.stderr.includes(big.slice(0, 32)), "the value is never logged");
    assert.deepEqual(run.starts(), [first], "no restart");
    assert.equal(run.events().filter((e) => e.event === "exit").length, 0, "the child was never stopped");
    assert.ok(alive(first.pid), "the same child still runs");
    assert.equal(errorLines(run.stderr).length, 0, run.stderr);

    await suite.vault.control.putSecret("secret/big/app", { blob: "blob-Small-Two-3333", tag: "tag-Same-2222" });
    await run.waitForStarts(2);
    assert.deepEqual(run.starts()[1]!.env, { BLOB: "blob-Small-Two-3333", TAG: "tag-Same-2222" });
    assert.equal(run.lines("WARN", /BLOB/).length, 1, "no new warning");
    const end = await run.stop();
    assert.equal(end.code, 0, run.stderr);
  });

  it("--restart-on-failure after a refused rotation starts the crashed child with the values it had", async () => {
    await suite.vault.control.putSecret("secret/big/crash", { blob: "blob-Crash-One-4444" });
    const ws = workspace("env:\n  BLOB: vault://secret/big/crash#blob\n");
    const run = start(ws, ["--restart-on-failure", "2", "--on-change", "none"], ["BLOB"]);
    await run.waitForStarts(1);
    const big = bigValue("crash", 200);
    await suite.vault.control.putSecret("secret/big/crash", { blob: big });
    await run.waitFor("the warning", () => run.lines("WARN", /BLOB/).length > 0);
    process.kill(run.starts()[0]!.pid, "SIGKILL");
    await run.waitForStarts(2);
    assert.equal(run.starts()[1]!.env!.BLOB, "blob-Crash-One-4444");
    assert.equal(run.lines("ERROR", /E2BIG|not executable/).length, 0, run.stderr);
    assert.ok(!run.stderr.includes(big.slice(0, 32)));
    await run.stop();
  });

  it("at start, a 200 KiB value is exit 65 naming the variable, and the command never starts", async () => {
    const big = bigValue("start", 200);
    await suite.vault.control.putSecret("secret/big/start", { blob: big });
    const ws = workspace("env:\n  BLOB: vault://secret/big/start#blob\n  SMALL: plain\n");
    const marker = `${ws.dir}/started`;
    const result = await ws.run(["--", NODE, "-e", `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "x")`]);
    assert.equal(result.code, 65, result.stderr);
    assert.throws(() => readFileSync(marker), "the command never ran");
    const errors = errorLines(result.stderr);
    assert.equal(errors.length, 1, result.stderr);
    assert.match(errors[0]!, /BLOB/);
    assert.match(errors[0]!, /204806 bytes/);
    assert.doesNotMatch(errors[0]!, /SMALL/);
    assert.ok(!result.stderr.includes(big.slice(0, 32)), "the value is never logged");
    assert.doesNotMatch(result.stderr, /not executable/);
    assertNoStackTrace(result.stderr);
  });

  it("at start, values that each fit but together overflow the argument space are exit 65 naming the largest", async () => {
    const data: Record<string, string> = {};
    for (let i = 0; i < 20; i++) data[`k${i}`] = bigValue(`sum${i}`, 120);
    await suite.vault.control.putSecret("secret/big/sum", data);
    const ws = workspace("expand:\n  - from: vault://secret/big/sum\n    prefix: PART_\n");
    const marker = `${ws.dir}/started`;
    const result = await ws.run(["--", NODE, "-e", `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "x")`]);
    assert.equal(result.code, 65, result.stderr);
    assert.throws(() => readFileSync(marker), "the command never ran");
    assert.match(result.stderr, /environment/);
    assert.match(result.stderr, /PART_K\d+/);
    assert.ok(!Object.values(data).some((v) => result.stderr.includes(v.slice(0, 32))), "no value is logged");
    assertNoStackTrace(result.stderr);
  });

  it("a 200 KiB secret under files: is delivered (a file has no such limit)", async () => {
    const big = bigValue("file", 200);
    await suite.vault.control.putSecret("secret/big/file", { blob: big });
    const ws = workspace("files:\n  BLOB_FILE: vault://secret/big/file#blob\n");
    const result = await ws.run(["--", NODE, "-e", `process.stdout.write(String(require("node:fs").readFileSync(process.env.BLOB_FILE, "utf8").length))`]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, String(big.length));
  });
});
