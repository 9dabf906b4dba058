/**
 * Time as envject's long-running parts see it: the wall clock, timers that never keep envject
 * alive (and do not overflow on delays of weeks), and a random source. Injected where schedules
 * are unit-tested with a fake clock.
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
