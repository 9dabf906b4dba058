/**
 * Retrying a store operation until a deadline (`--start-timeout`): only failures marked retryable
 * (unreachable, sealed, 5xx, 429) are tried again, with capped exponential backoff and full
 * jitter, never sleeping past the deadline. When time runs out the last error is rethrown as a
 * non-retryable UnavailableError that says how long envject waited.
 *
 * Time: the deadline, the backoff's jitter and the sleeps between attempts are on the injected
 * Clock (../clock.ts; the system clock in production, a fake one in unit tests). Each attempt's own
 * request timeout stays on real time, in vault/http.ts and aws/client.ts: it bounds a socket, which
 * waits in real time whatever a clock says (the deadline handed down is epoch ms, which the system
 * clock's now() is).
 */
import { backoffCeiling } from "../backoff.js";
import { UnavailableError } from "../errors.js";
import { type Clock, sleep, systemClock } from "../clock.js";
import type { Logger } from "../log/logger.js";
import { type StoreDescription, StoreWait, type WaitEnd } from "./wait.js";

export interface RetryOptions {
  /** Epoch ms after which no new attempt starts. */
  deadline: number;
  /** First delay; doubled after each failure up to `maxDelayMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Called before each wait, with the failure and the attempt number (1-based). */
  onRetry?: (error: UnavailableError, attempt: number, delayMs: number) => void;
  /** For tests: the random source (0 <= x < 1); the clock's by default. */
  random?: () => number;
  /** Time for the deadline and the waits (default: the system clock). */
  clock?: Clock;
}

/** Runs `operation` until it succeeds, fails for good, or `deadline` passes (→ UnavailableError). */
export async function retryUntil<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const initial = options.initialDelayMs ?? 250;
  const max = options.maxDelayMs ?? 5000;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? (() => clock.random());
  const started = clock.now();
  let answered: UnavailableError | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (!(error instanceof UnavailableError) || !error.retryable) throw error;
      if (!isTimeout(error)) answered = error;
      const remaining = options.deadline - clock.now();
      if (remaining <= 0) throw givenUp(error, clock.now() - started, answered);
      const ceiling = backoffCeiling(attempt, initial, max);
      // Full jitter, but at least a quarter of the ceiling so a fleet does not hammer the store.
      const delay = Math.min(remaining, ceiling * (0.25 + 0.75 * random()));
      options.onRetry?.(error, attempt, delay);
      await sleep(delay, clock);
    }
  }
}

/** Whether `error` is retryUntil's "gave up" at the deadline (rather than a failure no retry could fix). */
export function isGivenUp(error: unknown): boolean {
  return error instanceof UnavailableError && !error.retryable && error.cause instanceof UnavailableError && error.cause.retryable;
}

/**
 * The last attempt starts at the deadline with what little time is left, so on a busy machine it
 * may time out even against a store that answers at once: then the reason given is the latest
 * failure the store did answer with (a 500, a 429, sealed…), not that artefact of the deadline.
 */
function givenUp(error: UnavailableError, waitedMs: number, answered: UnavailableError | undefined): UnavailableError {
  const waited = Math.max(0, Math.round(waitedMs / 1000));
  const reason = isTimeout(error) && answered ? answered : error;
  return new UnavailableError(`${reason.message} (gave up after ${waited}s of retries; see --start-timeout)`, {
    cause: reason,
    retryable: false,
  });
}

/** Whether `error` is a request that got no answer in time (the providers' ETIMEDOUT), rather than something the store said. */
function isTimeout(error: UnavailableError): boolean {
  return /\bETIMEDOUT\b/.test(error.message);
}

/**
 * Start-up retries of one secret store (or one region of it), as both providers make them: one
 * attempt under `once` (the watcher keeps its own backoff and outage log), else retryUntil the
 * deadline. When the store first fails, a StoreWait says so (store, address, reason, until when)
 * and shows progress until the store answers or the wait ends; each retry is logged at debug
 * level, and one line says when the store answers again.
 */
export class StoreRetries {
  private unreachable = false;
  private wait: StoreWait | undefined;
  private unreachableSince = 0;

  constructor(
    private readonly store: StoreDescription,
    private readonly logger: Logger,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Runs `operation` as described above; throws what it throws (UnavailableError "gave up" at the
   * deadline). `startTimeoutMs` (the --start-timeout the deadline came from) is only for messages.
   */
  async run<T>(operation: () => Promise<T>, options: { deadline: number; once?: boolean; startTimeoutMs?: number }): Promise<T> {
    if (options.once) return operation();
    const { label, fields } = this.store;
    let result: T;
    try {
      result = await retryUntil(operation, {
        deadline: options.deadline,
        clock: this.clock,
        onRetry: (error, attempt, delay) => {
          if (!this.unreachable) {
            this.unreachable = true;
            this.unreachableSince = this.clock.now();
            this.wait = new StoreWait(this.store, this.logger, { deadline: options.deadline, startTimeoutMs: options.startTimeoutMs }, error.message, this.clock);
          } else {
            this.wait?.failed(error.message);
          }
          this.logger.debug(`retrying ${label}`, { attempt, delay_ms: Math.round(delay), reason: error.message, ...fields });
        },
      });
    } catch (error) {
      // The deadline passed (the error says "gave up"), or the store answered with an error.
      this.endWait(isGivenUp(error) ? "gave-up" : "failed");
      throw error;
    }
    this.endWait("answered");
    if (this.unreachable) {
      this.unreachable = false;
      const seconds = Math.round((this.clock.now() - this.unreachableSince) / 1000);
      this.logger.info(`${label} is reachable again after ${seconds}s`, fields);
    }
    return result;
  }

  private endWait(how: WaitEnd): void {
    this.wait?.end(how);
    this.wait = undefined;
  }
}
