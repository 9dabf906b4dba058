/**
 * Time as envject's long-running parts see it: the wall clock, a monotonic reading for measuring
 * how long something took, timers (that do not keep envject alive unless asked to, and do not
 * overflow on delays of weeks), and a random source. Injected where schedules are unit-tested with
 * a fake clock.
 */

export interface TimerHandle {
  cancel(): void;
}

export interface TimerOptions {
  /** Keep the process alive until the timer has fired or been cancelled (default false): for a
   *  wait during which nothing else may hold envject's event loop open (a crash backoff). */
  keepAlive?: boolean;
}

export interface Clock {
  now(): number;
  /** Milliseconds on a clock that never jumps (the wall clock may): for durations and deadlines. */
  monotonic(): number;
  /** Runs `fn` after `ms` milliseconds; the timer does not keep the process alive unless `options.keepAlive`. */
  after(ms: number, fn: () => void, options?: TimerOptions): TimerHandle;
  /** Uniform in [0, 1). */
  random(): number;
}

/** Node's setTimeout overflows above this (about 24.8 days) and fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The real clock: Date.now, performance.now, timers (unref'd unless keepAlive; long delays re-armed in steps), Math.random. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  random: () => Math.random(),
  after(ms, fn, options) {
    const due = Date.now() + Math.max(0, ms);
    let timer: NodeJS.Timeout;
    const arm = () => {
      const left = due - Date.now();
      timer = setTimeout(left > MAX_TIMER_MS ? arm : fn, Math.min(Math.max(0, left), MAX_TIMER_MS));
      if (!options?.keepAlive) timer.unref();
    };
    arm();
    return { cancel: () => clearTimeout(timer) };
  },
};

/**
 * Resolves after `ms` milliseconds on `clock`, keeping the process alive meanwhile (a keepAlive
 * timer): for a wait that may be all there is to do (a start-up retry, the wait for a stopped
 * child's leftovers).
 */
export function sleep(ms: number, clock: Clock = systemClock): Promise<void> {
  return new Promise((resolve) => clock.after(ms, resolve, { keepAlive: true }));
}
