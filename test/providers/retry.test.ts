/**
 * Start-up retries: retryUntil's backoff, deadline and "gave up" message, and StoreRetries' lines.
 * Time is a fake clock (the waits and the deadline are on it); nothing sleeps on the real one.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { AuthError, UnavailableError } from "../../src/errors.js";
import { captureLogger } from "../support/logger.js";
import { sleep } from "../../src/clock.js";
import { StoreRetries, retryUntil } from "../../src/providers/retry.js";
import type { StoreDescription } from "../../src/providers/wait.js";
import { FakeClock } from "../watch/fake-clock.js";

/** Settles `outcome` (a promise already carrying its assertions) after moving `clock` forward by `ms`. */
async function after<T>(clock: FakeClock, ms: number, outcome: Promise<T>): Promise<T> {
  await clock.advance(ms);
  return outcome;
}

describe("retryUntil", () => {
  it("retries retryable failures until the operation succeeds", async () => {
    const clock = new FakeClock();
    let calls = 0;
    const retries: number[] = [];
    const result = await after(
      clock,
      100,
      retryUntil(
        async () => {
          calls++;
          if (calls < 3) throw new UnavailableError("down", { retryable: true });
          return "ok";
        },
        { deadline: clock.now() + 10_000, initialDelayMs: 1, onRetry: (_e, attempt) => retries.push(attempt), clock },
      ),
    );
    assert.equal(result, "ok");
    assert.equal(calls, 3);
    assert.deepEqual(retries, [1, 2]);
  });

  it("does not retry errors that are not retryable", async () => {
    const clock = new FakeClock();
    let calls = 0;
    await assert.rejects(
      retryUntil(
        async () => {
          calls++;
          throw new AuthError("denied");
        },
        { deadline: clock.now() + 10_000, initialDelayMs: 1, clock },
      ),
      AuthError,
    );
    await assert.rejects(
      retryUntil(
        async () => {
          calls++;
          throw new UnavailableError("bad certificate", { retryable: false });
        },
        { deadline: clock.now() + 10_000, initialDelayMs: 1, clock },
      ),
      UnavailableError,
    );
    assert.equal(calls, 2);
  });

  it("gives up at the deadline with a non-retryable UnavailableError that keeps the reason", async () => {
    const clock = new FakeClock();
    let calls = 0;
    const rejected = assert.rejects(
      retryUntil(
        async () => {
          calls++;
          throw new UnavailableError("Vault at http://127.0.0.1:1 could not be reached (ECONNREFUSED)", { retryable: true });
        },
        { deadline: clock.now() + 150, initialDelayMs: 10, maxDelayMs: 20, clock },
      ),
      (e: unknown) => e instanceof UnavailableError && !e.retryable && e.exitCode === 69 && /ECONNREFUSED/.test(e.message) && /start-timeout/.test(e.message),
    );
    await after(clock, 150, rejected);
    assert.ok(calls >= 2, `tried ${calls} times`);
  });

  it("gives up naming what the store answered, not the timeout of a last attempt cut short by the deadline", async () => {
    const clock = new FakeClock();
    let calls = 0;
    const deadline = clock.now() + 150;
    const rejected = assert.rejects(
      retryUntil(
        async () => {
          calls++;
          if (clock.now() < deadline) throw new UnavailableError("Vault at http://127.0.0.1:1 answered 500 while reading secret/data/x: storage backend unavailable", { retryable: true });
          throw new UnavailableError("Vault at http://127.0.0.1:1 could not be reached (GET /v1/secret/data/x: ETIMEDOUT no answer within 250ms)", { retryable: true });
        },
        { deadline, initialDelayMs: 10, maxDelayMs: 20, clock },
      ),
      (e: unknown) => e instanceof UnavailableError && /answered 500 .*storage backend unavailable \(gave up after \d+s of retries/.test(e.message) && !/ETIMEDOUT/.test(e.message),
    );
    await after(clock, 150, rejected);
    assert.ok(calls >= 2, `tried ${calls} times`);
  });

  it("gives up naming the timeout when every attempt timed out", async () => {
    const clock = new FakeClock();
    const rejected = assert.rejects(
      retryUntil(
        async () => {
          throw new UnavailableError("Vault at http://127.0.0.1:1 could not be reached (GET /v1/x: ETIMEDOUT no answer within 2s)", { retryable: true });
        },
        { deadline: clock.now() + 60, initialDelayMs: 10, maxDelayMs: 20, clock },
      ),
      (e: unknown) => e instanceof UnavailableError && /ETIMEDOUT no answer within 2s\) \(gave up after/.test(e.message),
    );
    await after(clock, 60, rejected);
  });

  it("grows the delay exponentially up to the cap", async () => {
    const clock = new FakeClock();
    const delays: number[] = [];
    let calls = 0;
    await after(
      clock,
      100,
      retryUntil(
        async () => {
          if (++calls <= 6) throw new UnavailableError("down");
          return 1;
        },
        { deadline: clock.now() + 60_000, initialDelayMs: 1, maxDelayMs: 8, random: () => 1 - Number.EPSILON, onRetry: (_e, _a, d) => delays.push(Math.round(d)), clock },
      ),
    );
    assert.deepEqual(delays, [1, 2, 4, 8, 8, 8]);
  });

  it("waits on its clock, and draws the jitter from it by default", async () => {
    const clock = new FakeClock();
    clock.randoms = [0, 1 - Number.EPSILON];
    const attempts: number[] = [];
    const running = retryUntil(
      async () => {
        attempts.push(clock.now());
        if (attempts.length < 3) throw new UnavailableError("down");
        return "ok";
      },
      { deadline: clock.now() + 60_000, initialDelayMs: 100, maxDelayMs: 1000, clock },
    );
    const t0 = clock.now();
    await clock.advance(24);
    assert.equal(attempts.length, 1, "the first wait is a quarter of 100 ms at least (random 0)");
    await clock.advance(1 + 200);
    assert.equal(await running, "ok");
    assert.deepEqual(
      attempts.map((t) => Math.round(t - t0)),
      [0, 25, 225],
      "25 ms (random 0), then the full 200 ms ceiling (random ~1)",
    );
  });

  it("sleep keeps the process alive while it waits (a keepAlive timer; the clock's own timers do not)", async () => {
    const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const idle = timeouts();
    const slept = sleep(20);
    assert.equal(timeouts(), idle + 1, "a referenced handle while asleep");
    await slept;
    assert.equal(timeouts(), idle, "released on waking");
  });
});

const VAULT: StoreDescription = { label: "Vault", subject: "Vault at http://127.0.0.1:1", fields: { address: "http://127.0.0.1:1" } };

describe("StoreRetries", () => {
  const flaky = (failures: number) => {
    let calls = 0;
    const op = async () => {
      calls++;
      if (calls <= failures) throw new UnavailableError("connection refused", { retryable: true });
      return "ok";
    };
    return { op, calls: () => calls };
  };
  const logged = () => captureLogger();

  it("retries until the store answers: one warning, each retry at debug level, one line when it is back", async () => {
    const clock = new FakeClock();
    const { lines, logger } = logged();
    const retries = new StoreRetries(VAULT, logger, clock);
    const f = flaky(2);
    assert.equal(await after(clock, 1000, retries.run(f.op, { deadline: clock.now() + 30_000, startTimeoutMs: 30_000 })), "ok");
    assert.equal(f.calls(), 3);
    assert.equal(lines.filter((l) => / WARN  Vault at http:\/\/127\.0\.0\.1:1 is unavailable: connection refused; retrying until \d\d:\d\d:\d\d \(--start-timeout 30s\) .*address=/.test(l)).length, 1);
    assert.equal(lines.filter((l) => /DEBUG retrying Vault attempt=\d/.test(l)).length, 2);
    assert.equal(lines.filter((l) => /INFO  Vault is reachable again after \d+s address=/.test(l)).length, 1);
  });

  it("with once: one attempt, the retryable failure thrown as it is, nothing logged", async () => {
    const { lines, logger } = logged();
    const f = flaky(1);
    await assert.rejects(
      new StoreRetries({ label: "AWS Secrets Manager", subject: "AWS Secrets Manager in eu-west-1", fields: { region: "eu-west-1" } }, logger).run(f.op, { deadline: Date.now() + 30_000, once: true }),
      (e: unknown) => {
        assert.ok(e instanceof UnavailableError && e.retryable);
        return true;
      },
    );
    assert.equal(f.calls(), 1);
    assert.deepEqual(lines, []);
  });
});
