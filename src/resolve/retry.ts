/**
 * Retrying a store operation until a deadline (`--start-timeout`): only failures marked retryable
 * (unreachable, sealed, 5xx, 429) are tried again, with capped exponential backoff and full
 * jitter, never sleeping past the deadline. When time runs out the last error is rethrown as a
 * non-retryable UnavailableError that says how long envject waited.
 */
import { backoffCeiling } from "../backoff.js";
import { UnavailableError } from "../errors.js";
import type { LogFields, Logger } from "../log/logger.js";

export interface RetryOptions {
  /** Epoch ms after which no new attempt starts. */
  deadline: number;
  /** First delay; doubled after each failure up to `maxDelayMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Called before each wait, with the failure and the attempt number (1-based). */
  onRetry?: (error: UnavailableError, attempt: number, delayMs: number) => void;
  /** For tests: the random source (0 <= x < 1). */
  random?: () => number;
}

/** Runs `operation` until it succeeds, fails for good, or `deadline` passes (→ UnavailableError). */
export async function retryUntil<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const initial = options.initialDelayMs ?? 250;
  const max = options.maxDelayMs ?? 5000;
  const random = options.random ?? Math.random;
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (!(error instanceof UnavailableError) || !error.retryable) throw error;
      const remaining = options.deadline - Date.now();
      if (remaining <= 0) throw givenUp(error, started);
      const ceiling = backoffCeiling(attempt, initial, max);
      // Full jitter, but at least a quarter of the ceiling so a fleet does not hammer the store.
      const delay = Math.min(remaining, ceiling * (0.25 + 0.75 * random()));
      options.onRetry?.(error, attempt, delay);
      await sleep(delay);
    }
  }
}

function givenUp(error: UnavailableError, started: number): UnavailableError {
  const waited = Math.max(0, Math.round((Date.now() - started) / 1000));
  return new UnavailableError(`${error.message} (gave up after ${waited}s of retries; see --start-timeout)`, {
    cause: error,
    retryable: false,
  });
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Start-up retries of one secret store (or one region of it), as both providers make them: one
 * attempt under `once` (the watcher keeps its own backoff and outage log), else retryUntil the
 * deadline with one warning when the store first fails, each retry at debug level, and one line
 * when it answers again.
 */
export class StoreRetries {
  private unreachable = false;

  constructor(
    /** How users call the store in messages: "Vault", "AWS Secrets Manager". */
    private readonly label: string,
    private readonly logger: Logger,
    /** Fields every line carries (the address, the region). */
    private readonly fields: LogFields,
  ) {}

  /** Runs `operation` as described above; throws what it throws (UnavailableError "gave up" at the deadline). */
  async run<T>(operation: () => Promise<T>, options: { deadline: number; once?: boolean }): Promise<T> {
    if (options.once) return operation();
    const result = await retryUntil(operation, {
      deadline: options.deadline,
      onRetry: (error, attempt, delay) => {
        if (!this.unreachable) {
          this.unreachable = true;
          this.logger.warn(`${this.label} is unavailable; retrying until --start-timeout`, { ...this.fields, reason: error.message });
        }
        this.logger.debug(`retrying ${this.label}`, { attempt, delay_ms: Math.round(delay), reason: error.message, ...this.fields });
      },
    });
    if (this.unreachable) {
      this.unreachable = false;
      this.logger.info(`${this.label} is reachable again`, this.fields);
    }
    return result;
  }
}
