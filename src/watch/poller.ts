/**
 * The polling schedule of one secret: a first check at a random phase within the interval, then
 * one every interval ±10%, counted from the START of the previous check, so a slow answer does not
 * move the secret's phase: when a store stalls and then answers every waiting client at once, a
 * fleet counted from the answers would poll in lockstep from then on (measured in the 200-instance
 * load run). Checks of one secret never overlap: one that took longer than the interval is
 * followed after at least MIN_GAP of the interval. A check may ask for a longer wait (backoff while
 * the secret cannot be read); that wait counts from its end. With `slots`, each check falls on the
 * grid point nearest its drawn time within those same bounds (./slots.ts): the first within the
 * interval, the next within the interval ±10 % of the previous start and never before the gap.
 */
import type { TimerGroup, TimerHandle } from "./clock.js";
import { POLL_JITTER, firstPollDelay, pollDelay } from "./schedule.js";
import type { SlotTimers } from "./slots.js";

/** The least gap between two checks of one secret, as a share of the interval. */
export const MIN_GAP = 0.1;

export interface PollerOptions {
  intervalMs: number;
  timers: TimerGroup;
  /** The grid the checks fall on (shared by the pollers of one watcher); exact times without it. */
  slots?: SlotTimers;
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
    const { intervalMs, timers, slots } = this.options;
    const delay = firstPollDelay(intervalMs, timers.clock.random());
    if (slots === undefined) return this.schedule(delay);
    const now = timers.clock.now();
    // Within the interval: at the latest 1 ms before its end.
    this.scheduleAt(slots, slots.pick(now, now + delay, now + Math.max(delay, intervalMs - 1)));
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

  private scheduleAt(slots: SlotTimers, time: number): void {
    if (this.stopped) return;
    this.timer?.cancel();
    this.timer = slots.at(time, () => void this.run());
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    this.inFlight = true;
    const clock = this.options.timers.clock;
    const started = clock.now();
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
    if (wait !== undefined) return this.schedule(wait);
    const { intervalMs, slots } = this.options;
    const now = clock.now();
    const delay = Math.max(pollDelay(intervalMs, clock.random()) - (now - started), intervalMs * MIN_GAP);
    if (slots === undefined) return this.schedule(delay);
    const earliest = Math.max(started + intervalMs * (1 - POLL_JITTER), now + intervalMs * MIN_GAP);
    this.scheduleAt(slots, slots.pick(earliest, now + delay, Math.max(started + intervalMs * (1 + POLL_JITTER), earliest)));
  }
}
