/**
 * Time as the watch engine sees it: the wall clock, timers that never keep envject alive, and a
 * random source. Injected, so unit tests can drive schedules with a fake clock.
 */

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): number;
  /** Runs `fn` after `ms` milliseconds; the timer never keeps the process alive. */
  after(ms: number, fn: () => void): TimerHandle;
  /** Uniform in [0, 1). */
  random(): number;
}

/** Node's setTimeout overflows above this (about 24.8 days) and fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The real clock: Date.now, unref'd timers (long delays re-armed in steps), Math.random. */
export const systemClock: Clock = {
  now: () => Date.now(),
  random: () => Math.random(),
  after(ms, fn) {
    const due = Date.now() + Math.max(0, ms);
    let timer: NodeJS.Timeout;
    const arm = () => {
      const left = due - Date.now();
      timer = setTimeout(left > MAX_TIMER_MS ? arm : fn, Math.min(Math.max(0, left), MAX_TIMER_MS));
      timer.unref();
    };
    arm();
    return { cancel: () => clearTimeout(timer) };
  },
};

/**
 * The timers of one owner, cancelled together by close(): after close() nothing scheduled through
 * it runs, and every sleep() resolves `false`.
 */
export class TimerGroup {
  private readonly live = new Set<TimerHandle>();
  private readonly sleepers = new Set<(completed: boolean) => void>();
  private closed = false;

  constructor(readonly clock: Clock) {}

  get isClosed(): boolean {
    return this.closed;
  }

  /** Runs `fn` after `ms` unless the group is closed first or the returned handle is cancelled. */
  after(ms: number, fn: () => void): TimerHandle {
    if (this.closed) return { cancel() {} };
    const handle = this.clock.after(ms, () => {
      this.live.delete(handle);
      if (!this.closed) fn();
    });
    this.live.add(handle);
    return {
      cancel: () => {
        handle.cancel();
        this.live.delete(handle);
      },
    };
  }

  /** Resolves `true` after `ms`, or `false` at once when the group is (or gets) closed. */
  sleep(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const finish = (completed: boolean) => {
        this.sleepers.delete(finish);
        handle.cancel();
        resolve(completed);
      };
      this.sleepers.add(finish);
      const handle = this.after(ms, () => finish(true));
    });
  }

  /** Cancels every timer and wakes every sleeper; nothing scheduled here runs afterwards. */
  close(): void {
    this.closed = true;
    for (const handle of this.live) handle.cancel();
    this.live.clear();
    for (const wake of [...this.sleepers]) wake(false);
  }
}
