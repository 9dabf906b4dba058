/**
 * A clock for unit tests (the watch engine, the supervisor): time moves only when the test says
 * so, timers fire in order of their due time, and pending promise callbacks run between two timers.
 */
import type { Clock, TimerHandle } from "../../src/watch/clock.js";

interface Pending {
  due: number;
  seq: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private time = Date.now();
  /** Where monotonic() counts from, like performance.now() counting from the process's start. */
  private readonly origin = this.time;
  private seq = 0;
  private readonly pending = new Set<Pending>();
  /** Draws returned by random(), in turn; 0.5 when exhausted. */
  randoms: number[] = [];

  now(): number {
    return this.time;
  }

  /** Moves with now(), never jumps: the time since the clock was made. */
  monotonic(): number {
    return this.time - this.origin;
  }

  random(): number {
    return this.randoms.shift() ?? 0.5;
  }

  after(ms: number, fn: () => void): TimerHandle {
    const entry = { due: this.time + Math.max(0, ms), seq: this.seq++, fn };
    this.pending.add(entry);
    return { cancel: () => this.pending.delete(entry) };
  }

  /** Timers not yet fired. */
  get timers(): number {
    return this.pending.size;
  }

  /** Moves time forward by `ms`, firing every timer that comes due, in order, letting promises settle in between. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      await settle();
      const next = [...this.pending].filter((p) => p.due <= end).sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
      if (!next) break;
      this.pending.delete(next);
      this.time = next.due;
      next.fn();
    }
    this.time = end;
    await settle();
  }
}

/** Lets every queued promise callback (and the ones they queue) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
