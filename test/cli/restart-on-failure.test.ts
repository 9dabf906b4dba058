/**
 * `--restart-on-failure N` through the real CLI (docs/contract/supervision.md#crash-restarts): a crashing command is run
 * again up to N times, with the injected secrets each time, and envject then exits with the
 * command's code; with 0 (the default) envject exits with the child at once. The Supervisor's own
 * tests (test/supervise/crash-restart.test.ts) cover backoff, resets and stops; these prove the wiring.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { leakedSecrets, SEED } from "../support/vault-fixture.js";
import { lines } from "../supervise/fixtures/processes.js";
import { NODE, seededWorkspace } from "./e2e.js";

const suite = seededWorkspace("env:\n  DB_PASSWORD: vault://secret/myapp/db#password\n");

let n = 0;

/** A command that appends the DB_PASSWORD it received to `log` (one line per run) and exits 3. */
function crashing(log: string): string[] {
  return [NODE, "-e", `require("node:fs").appendFileSync(process.argv[1], (process.env.DB_PASSWORD ?? "(unset)") + "\\n"); process.exit(3)`, log];
}

interface LogRecord {
  level: string;
  msg: string;
  [field: string]: unknown;
}

function records(stderr: string): LogRecord[] {
  return stderr
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as LogRecord);
}

describe("--restart-on-failure", () => {
  it("2: the command runs three times, each with the injected secret, and envject exits 3", async () => {
    const log = join(suite.ws.dir, `runs-${++n}`);
    const result = await suite.ws.run(["--restart-on-failure", "2", "--log-format", "json", "--", ...crashing(log)]);
    assert.equal(result.code, 3, result.stderr);
    assert.deepEqual(lines(log), [SEED.db.password, SEED.db.password, SEED.db.password]);
    const restarts = records(result.stderr).filter((r) => r.level === "warn" && /restarting in/.test(r.msg));
    assert.deepEqual(
      restarts.map((r) => [r.exit_code, r.attempt, r.limit]),
      [
        [3, 1, 2],
        [3, 2, 2],
      ],
      result.stderr,
    );
    assert.match(restarts[0]!.msg, /^command exited with code 3; restarting in \S+s \(restart 1 of 2\)$/);
    assert.ok(restarts.every((r) => typeof r.delay_ms === "number" && r.delay_ms > 0));
    assert.ok(
      records(result.stderr).some((r) => /limit of 2 restarts/.test(r.msg)),
      result.stderr,
    );
    assert.deepEqual(leakedSecrets(result.stderr), []);
  });

  it("0: the command runs once and envject exits 3 without a restart", async () => {
    const log = join(suite.ws.dir, `runs-${++n}`);
    const result = await suite.ws.run(["--restart-on-failure", "0", "--", ...crashing(log)]);
    assert.equal(result.code, 3, result.stderr);
    assert.deepEqual(lines(log), [SEED.db.password]);
    assert.doesNotMatch(result.stderr, /restarting in|not restarting/);
  });

  it("a command that succeeds is not restarted", async () => {
    const log = join(suite.ws.dir, `runs-${++n}`);
    const result = await suite.ws.run(["--restart-on-failure", "2", "--", NODE, "-e", `require("node:fs").appendFileSync(process.argv[1], "ran\\n")`, log]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(lines(log), ["ran"]);
  });
});
