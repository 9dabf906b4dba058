/**
 * Poll timers on a grid of slots: each poll's due time is moved to the grid point nearest it
 * within the window the schedule allows it (./poller.ts), so the polls of many secrets due close
 * together share one timer and one wake-up instead of each having its own. The window always
 * holds a grid point when it is as wide as the ±10 % jitter (the step is at most 5 % of the
 * interval); a narrower one (a check that outlasted its interval) keeps its exact time.
 */
import type { TimerGroup, TimerHandle } from "./clock.js";

/** The grid step for `intervalMs`: 5 % of it, at most 250 ms. */
export function slotStep(intervalMs: number): number {
  return Math.min(intervalMs * 0.05, 250);
}

interface Slot {
  handle: TimerHandle;
  fns: Set<() => void>;
}

export class SlotTimers {
  /** Grid points are this time plus whole steps. */
  private readonly origin: number;
  private readonly slots = new Map<number, Slot>();

  constructor(
    private readonly timers: TimerGroup,
    readonly stepMs: number,
  ) {
    this.origin = timers.clock.now();
  }

  /** The grid point nearest `target` within [earliest, latest] (times of the clock), or `target` when there is none. */
  pick(earliest: number, target: number, latest: number): number {
    let t = this.origin + Math.round((target - this.origin) / this.stepMs) * this.stepMs;
    if (t < earliest) t += this.stepMs;
    else if (t > latest) t -= this.stepMs;
    return t >= earliest && t <= latest ? t : target;
  }

  /** Runs `fn` at clock time `time` (a time pick() returned), with every other function due then, in the order they were added. */
  at(time: number, fn: () => void): TimerHandle {
    let slot = this.slots.get(time);
    if (slot === undefined) {
      const fns = new Set<() => void>();
      const handle = this.timers.after(time - this.timers.clock.now(), () => {
        this.slots.delete(time);
        for (const f of fns) f();
      });
      slot = { handle, fns };
      this.slots.set(time, slot);
    }
    const own = slot;
    // A function of its own per call: the same `fn` added twice is two entries.
    const entry = () => fn();
    own.fns.add(entry);
    return {
      cancel: () => {
        // Deleted even once the slot fired: one cancelled while its slot runs is not run.
        if (!own.fns.delete(entry) || own.fns.size > 0 || this.slots.get(time) !== own) return;
        own.handle.cancel();
        this.slots.delete(time);
      },
    };
  }
}
