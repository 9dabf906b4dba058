/**
 * A wait says what it waits for (README "Authentication and TLS"): the first warning names the
 * store, its address (and that it is the default), the reason, and until when envject keeps
 * trying; a progress line every 10 s while it waits; at a text terminal one status line updated
 * in place instead; and no timer outlives the wait. Time is a fake clock.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ERASE_LINE, type LogFormat, type LogLevel } from "../../src/log/logger.js";
import { UnavailableError } from "../../src/errors.js";
import { StoreRetries } from "../../src/providers/retry.js";
import { PROGRESS_EVERY_MS, type StoreDescription, StoreWait, formatSpan, formatTimeout, formatUntil, waitWarning } from "../../src/providers/wait.js";
import { captureLogger } from "../support/logger.js";
import { FakeClock } from "../watch/fake-clock.js";

const DEFAULT_VAULT: StoreDescription = {
  label: "Vault",
  subject: "Vault at http://127.0.0.1:8200",
  defaultAddressHint: "the default address; set VAULT_ADDR or vault.address",
  fields: { address: "http://127.0.0.1:8200" },
};
const AWS: StoreDescription = { label: "AWS Secrets Manager", subject: "AWS Secrets Manager in eu-west-1 at http://127.0.0.1:9", fields: { region: "eu-west-1", address: "http://127.0.0.1:9" } };
const REFUSED = "Vault at http://127.0.0.1:8200 could not be reached (GET /v1/auth/token/lookup-self: ECONNREFUSED)";

/** Local HH:MM:SS, as the messages print it. */
const hhmmss = (ms: number) => new Date(ms).toTimeString().slice(0, 8);

function output(options: { format?: LogFormat; terminal?: boolean; level?: LogLevel } = {}) {
  const { logger, raw, lines } = captureLogger({ level: options.level ?? "info", format: options.format ?? "text", terminal: options.terminal ?? false, columns: 400 });
  return {
    logger,
    raw,
    /** Complete lines (what a pipe or a log file keeps). */
    lines: () => lines.filter((l) => l !== ""),
  };
}

function startWait(clock: FakeClock, out: ReturnType<typeof output>, store = DEFAULT_VAULT, timeoutMs = 60_000) {
  return new StoreWait(store, out.logger, { deadline: clock.now() + timeoutMs, startTimeoutMs: timeoutMs }, REFUSED, clock);
}

describe("the first warning of a wait", () => {
  it("names the store, the default address and how to set it, the reason, the deadline and --start-timeout", () => {
    const clock = new FakeClock();
    const out = output();
    const wait = startWait(clock, out);
    const deadline = clock.now() + 60_000;
    assert.deepEqual(out.lines().length, 1);
    const line = out.lines()[0]!;
    assert.ok(
      line.includes(
        ` WARN  Vault at http://127.0.0.1:8200 (the default address; set VAULT_ADDR or vault.address) could not be reached (GET /v1/auth/token/lookup-self: ECONNREFUSED); retrying until ${hhmmss(deadline)} (--start-timeout 60s) `,
      ),
      line,
    );
    assert.match(line, / default_address=true /);
    wait.end("gave-up");
  });

  it("an address that was set is not called the default; a reason of another shape follows 'is unavailable:'", () => {
    const now = Date.UTC(2030, 0, 1, 12);
    const text = waitWarning(AWS, "AWS Secrets Manager throttled GetSecretValue prod/x in eu-west-1 (ThrottlingException)", { deadline: now + 12_000, startTimeoutMs: 12_000 }, now);
    assert.equal(
      text,
      `AWS Secrets Manager in eu-west-1 at http://127.0.0.1:9 is unavailable: AWS Secrets Manager throttled GetSecretValue prod/x in eu-west-1 (ThrottlingException); retrying until ${hhmmss(now + 12_000)} (--start-timeout 12s)`,
    );
    assert.doesNotMatch(text, /default/);
    assert.match(waitWarning(AWS, "down", { deadline: now + 1000 }, now), /\(see --start-timeout\)$/);
  });

  it("as JSON: address, reason, until (ISO), start_timeout_s and default_address are fields", () => {
    const clock = new FakeClock();
    const out = output({ format: "json" });
    const wait = startWait(clock, out, DEFAULT_VAULT, 12_000);
    const record = JSON.parse(out.lines()[0]!) as Record<string, unknown>;
    assert.equal(record.level, "warn");
    assert.equal(record.address, "http://127.0.0.1:8200");
    assert.equal(record.reason, REFUSED);
    assert.equal(record.until, new Date(clock.now() + 12_000).toISOString());
    assert.equal(record.start_timeout_s, 12);
    assert.equal(record.default_address, true);
    assert.match(String(record.msg), /retrying until \d\d:\d\d:\d\d \(--start-timeout 12s\)$/);
    wait.end("gave-up");
  });

  it("formats the deadline as local time, with the date when it is another day, and spans as DURATIONs", () => {
    const noon = new Date(2030, 5, 1, 12, 4, 31).getTime();
    assert.equal(formatUntil(noon, noon - 60_000), "12:04:31");
    assert.equal(formatUntil(noon + 86_400_000, noon), "2030-06-02 12:04:31");
    assert.deepEqual([0, 400, 9_600, 60_000, 90_000, 119_000, 120_000, 3_600_000].map(formatSpan), ["0s", "0s", "10s", "60s", "90s", "119s", "2m0s", "1h0m0s"]);
    assert.deepEqual([500, 1_500, 12_000, 60_000, 90_000, 300_000].map(formatTimeout), ["500ms", "1.5s", "12s", "60s", "90s", "5m0s"]);
  });
});

describe("progress while waiting", () => {
  it("one info line every 10 s saying how long it waited and how long is left; none after the wait ends, and no timer left", async () => {
    const clock = new FakeClock();
    const out = output();
    const wait = startWait(clock, out);
    const deadline = clock.now() + 60_000;
    await clock.advance(9_999);
    assert.equal(out.lines().length, 1, "nothing before 10 s");
    wait.failed("Vault at http://127.0.0.1:8200 is sealed (reading secret/data/x)");
    await clock.advance(25_001);
    const progress = out.lines().slice(1);
    assert.equal(progress.length, 3, out.raw());
    assert.ok(progress[0]!.includes(` INFO  still waiting for Vault at http://127.0.0.1:8200: 10s so far, 50s left (until ${hhmmss(deadline)}) `), progress[0]);
    assert.ok(progress[2]!.includes(": 30s so far, 30s left "), progress[2]);
    assert.match(progress[0]!, /attempts=2 reason="Vault at http:\/\/127\.0\.0\.1:8200 is sealed/);
    wait.end("answered");
    assert.equal(clock.timers, 0, "the ticker is cancelled");
    await clock.advance(60_000);
    assert.equal(out.lines().length, 4, "silent after the end");
    assert.doesNotMatch(out.raw(), /\r|\x1b/, "no terminal codes in a log");
  });

  it("stops at the deadline: no progress line for a time when the wait is already over", async () => {
    const clock = new FakeClock();
    const out = output();
    startWait(clock, out, DEFAULT_VAULT, 12_000);
    await clock.advance(30_000);
    assert.equal(out.lines().filter((l) => /still waiting/.test(l)).length, 1, out.raw());
    assert.equal(clock.timers, 0);
  });

  it("with --log-level warn: the warning only, and no timer at all", () => {
    const clock = new FakeClock();
    const out = output({ level: "warn" });
    startWait(clock, out);
    assert.equal(out.lines().length, 1);
    assert.equal(clock.timers, 0);
  });

  it("as JSON, even at a terminal: progress lines (every 10 s), never an updating line", async () => {
    const clock = new FakeClock();
    const out = output({ format: "json", terminal: true });
    const wait = startWait(clock, out);
    await clock.advance(2 * PROGRESS_EVERY_MS);
    wait.end("gave-up");
    const records = out.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      records.map((r) => r.level),
      ["warn", "info", "info"],
    );
    assert.deepEqual(
      records.slice(1).map((r) => [r.waited_s, r.left_s, r.address]),
      [
        [10, 50, "http://127.0.0.1:8200"],
        [20, 40, "http://127.0.0.1:8200"],
      ],
    );
    assert.doesNotMatch(out.raw(), /\r|\x1b/);
  });
});

describe("at a terminal", () => {
  it("one status line rewritten in place every second instead of progress lines, ended with a newline", async () => {
    const clock = new FakeClock();
    const out = output({ terminal: true });
    const wait = startWait(clock, out, DEFAULT_VAULT, 12_000);
    await clock.advance(3_000);
    const raw = out.raw();
    assert.equal(raw.split(ERASE_LINE).length - 1, 4, JSON.stringify(raw));
    assert.doesNotMatch(raw, /still waiting/);
    assert.ok(raw.endsWith("waiting for Vault at http://127.0.0.1:8200: 3s so far, 9s left (until " + hhmmss(clock.now() + 9_000) + "; 1 attempt)"), JSON.stringify(raw));
    assert.equal(raw.split("\n").length, 2, "only the warning is a finished line so far");
    await clock.advance(2_000);
    wait.end("gave-up");
    assert.ok(out.raw().endsWith(" INFO  waited 5s for Vault at http://127.0.0.1:8200; giving up (--start-timeout 12s)\n"), JSON.stringify(out.raw()));
    assert.equal(clock.timers, 0);
  });
});

describe("StoreRetries and its wait", () => {
  it("the store answering ends the wait: its timer is cancelled, the status line finished, one 'reachable again' line", async () => {
    const clock = new FakeClock();
    const out = output({ terminal: true });
    let calls = 0;
    const retries = new StoreRetries(DEFAULT_VAULT, out.logger, clock);
    const running = retries.run(
      async () => {
        if (++calls < 3) throw new UnavailableError(REFUSED, { retryable: true });
        return "ok";
      },
      { deadline: clock.now() + 30_000, startTimeoutMs: 30_000 },
    );
    // The retries' waits are on the clock too: 156 ms, then 312 ms (its random 0.5), before the first status tick.
    await clock.advance(1_000);
    assert.equal(await running, "ok");
    assert.equal(calls, 3);
    assert.equal(clock.timers, 0);
    const lines = out.raw().split("\n");
    assert.equal(lines.filter((l) => / WARN  Vault at http:\/\/127\.0\.0\.1:8200 \(the default address/.test(l)).length, 1, out.raw());
    assert.match(out.raw(), /INFO  waited 0s for Vault at http:\/\/127\.0\.0\.1:8200; it answered\n[^\n]* INFO  Vault is reachable again after 0s address=/);
    assert.ok(out.raw().endsWith("\n"));
  });

  it("giving up at the deadline ends the wait too", async () => {
    const clock = new FakeClock();
    const out = output({ terminal: true });
    const retries = new StoreRetries(DEFAULT_VAULT, out.logger, clock);
    const rejected = assert.rejects(
      retries.run(async () => Promise.reject(new UnavailableError(REFUSED, { retryable: true })), { deadline: clock.now() + 300, startTimeoutMs: 300 }),
      /gave up after/,
    );
    await clock.advance(300);
    await rejected;
    assert.equal(clock.timers, 0);
    assert.ok(out.raw().endsWith("; giving up (--start-timeout 300ms)\n"), JSON.stringify(out.raw()));
  });
});
