/**
 * One secret store's reachability while envject runs (docs/contract/rotation.md#store-outages): the first retryable failure
 * marks it down with one warning; while it is down nothing polls it and one backoff loop (1 s..60 s,
 * full jitter) probes it, each attempt logged at debug level; the first answer that is not a
 * retryable failure marks it up again with one info line, and `onRecovered` re-checks its secrets.
 */
import { UnavailableError } from "../errors.js";
import type { Logger } from "../log/logger.js";
import type { TimerGroup } from "./clock.js";
import { runtimeBackoff } from "../backoff.js";

export interface StoreOutageOptions {
  /** How users call the store in messages: "Vault", "AWS Secrets Manager". */
  label: string;
  timers: TimerGroup;
  logger: Logger;
  /** One cheap request to the store; it is reachable when this does not throw a retryable UnavailableError. */
  probe: () => Promise<void>;
  /** The store answered again. */
  onRecovered: () => void;
}

/** Whether `error` means "the store could not be reached (now)", as opposed to an answer. */
export function isOutage(error: unknown): error is UnavailableError {
  return error instanceof UnavailableError && error.retryable;
}

export class StoreOutage {
  private downSince: number | undefined;

  constructor(private readonly options: StoreOutageOptions) {}

  /** Whether the store is considered unreachable now. */
  get down(): boolean {
    return this.downSince !== undefined;
  }

  /** Reports a retryable failure: the first one marks the store down and starts the probe loop. */
  failed(error: UnavailableError): void {
    if (this.down || this.options.timers.isClosed) return;
    this.downSince = this.options.timers.clock.now();
    this.options.logger.warn(`${this.options.label} is unreachable; the command keeps running with its current values`, { reason: error.message });
    void this.probeLoop();
  }

  private async probeLoop(): Promise<void> {
    const { timers, logger, label } = this.options;
    for (let attempt = 1; ; attempt++) {
      const delay = runtimeBackoff(attempt, timers.clock.random());
      if (!(await timers.sleep(delay))) return;
      logger.debug(`trying ${label} again`, { attempt, after_ms: Math.round(delay) });
      try {
        await this.options.probe();
      } catch (error) {
        if (isOutage(error)) {
          logger.debug(`${label} is still unreachable`, { attempt, reason: error.message });
          continue;
        }
        // Any answer — even a denial — means the store is back; the caller's checks sort out the rest.
      }
      if (timers.isClosed) return;
      const seconds = Math.round((timers.clock.now() - this.downSince!) / 1000);
      this.downSince = undefined;
      logger.info(`${label} is reachable again after ${seconds}s; checking its secrets now`);
      this.options.onRecovered();
      return;
    }
  }
}
