/**
 * The watch engine's timers: the shared clock (../clock.ts), and TimerGroup, which cancels every
 * timer of one owner together.
 */

export { type Clock, type TimerHandle, systemClock } from "../clock.js";
import type { Clock, TimerHandle } from "../clock.js";

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
