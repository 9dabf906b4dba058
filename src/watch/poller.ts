/**
 * The polling schedule of one secret: a first check at a random phase within the interval, then
 * one every interval ±10%, counted from the end of the previous check so checks of one secret
 * never overlap. A check may ask for a longer wait (backoff while the secret cannot be read).
 */
import type { TimerGroup, TimerHandle } from "./clock.js";
import { firstPollDelay, pollDelay } from "./schedule.js";

export interface PollerOptions {
  intervalMs: number;
  timers: TimerGroup;
  /** One check; resolves with a delay to wait before the next one instead of the interval, if any. Never rejects. */
  check: () => Promise<number | undefined>;
}

export class Poller {
  private timer: TimerHandle | undefined;
  private inFlight = false;
  private again = false;
  private stopped = false;

  constructor(private readonly options: PollerOptions) {}

  /** Schedules the first check at a random phase. */
  start(): void {
    this.schedule(firstPollDelay(this.options.intervalMs, this.options.timers.clock.random()));
  }

  /** Checks now (or right after the check in flight), then resumes the normal schedule. */
  checkNow(): void {
    if (this.stopped) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.timer?.cancel();
    void this.run();
  }

  /** No check is started after this. */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer?.cancel();
    this.timer = this.options.timers.after(ms, () => void this.run());
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    this.inFlight = true;
    let wait: number | undefined;
    try {
      wait = await this.options.check();
    } finally {
      this.inFlight = false;
    }
    if (this.again) {
      this.again = false;
      return this.checkNow();
    }
    this.schedule(wait ?? pollDelay(this.options.intervalMs, this.options.timers.clock.random()));
  }
}
