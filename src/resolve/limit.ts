/** A counting semaphore: at most `limit` of the wrapped operations run at once. */
export class ConcurrencyLimit {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError("concurrency limit must be a positive integer");
  }

  /** Runs `operation` when a slot is free; the slot is released however it ends. */
  async run<T>(operation: () => Promise<T>): Promise<T> {
    // A waiter is handed the finishing operation's slot directly (`active` does not drop), so a
    // newcomer can never slip in between and exceed the limit.
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await operation();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
