/**
 * Collecting changes into batches: the first change opens a settle window in which others join;
 * then the batch is handed to `flush`, one batch at a time. Changes that arrive while a batch is
 * being handled wait and become one follow-up batch, however many there are.
 */
import type { TimerGroup, TimerHandle } from "./clock.js";

export interface ChangeBatcherOptions {
  settleMs: number;
  timers: TimerGroup;
  /** Handles one batch of secret identities; never runs twice at once. */
  flush: (ids: ReadonlySet<string>) => Promise<void>;
  /** Called with anything `flush` throws (a bug: flush handles its own failures). */
  onError: (error: unknown) => void;
}

export class ChangeBatcher {
  private dirty = new Set<string>();
  private settle: TimerHandle | undefined;
  private running = false;
  /** The waiting batch holds an urgent change. */
  private urgent = false;

  constructor(private readonly options: ChangeBatcherOptions) {}

  /** Whether `id` waits in the current batch (not yet handed to flush). */
  has(id: string): boolean {
    return this.dirty.has(id);
  }

  /** Whether a batch is being handled now. */
  get busy(): boolean {
    return this.running;
  }

  /**
   * Adds `id` to the next batch, opening the settle window unless one is open or a batch runs.
   * An `urgent` change (credentials about to end) does not wait for the window: the batch, with
   * whatever else is waiting, is handled at once (or right after the one running).
   */
  mark(id: string, urgent = false): void {
    if (this.options.timers.isClosed) return;
    this.dirty.add(id);
    if (urgent) this.urgent = true;
    if (this.running) return;
    if (this.urgent) {
      this.settle?.cancel();
      this.settle = undefined;
      void this.run();
    } else if (!this.settle) {
      this.openWindow();
    }
  }

  private openWindow(): void {
    this.settle = this.options.timers.after(this.options.settleMs, () => {
      this.settle = undefined;
      void this.run();
    });
  }

  private async run(): Promise<void> {
    if (this.dirty.size === 0) return;
    const batch = this.dirty;
    this.dirty = new Set();
    this.urgent = false;
    this.running = true;
    try {
      await this.options.flush(batch);
    } catch (error) {
      this.options.onError(error);
    } finally {
      this.running = false;
    }
    // What arrived meanwhile is one follow-up batch, after its own (short) settle window unless urgent.
    if (this.dirty.size === 0 || this.options.timers.isClosed) return;
    if (this.urgent) void this.run();
    else this.openWindow();
  }
}
