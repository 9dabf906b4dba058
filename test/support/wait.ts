/**
 * The one way tests wait: for a condition (polled every 25 ms, with a generous limit that is a
 * hang detector, not a speed claim), for a promise within a limit, or for a while. Every failure
 * says what was awaited, plus whatever `details` tells about the state at the time.
 */

/** Resolves after `ms`. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `probe` (sync or async) until it gives something other than undefined or false, and
 * resolves with that; fails after `limitMs` with "timed out waiting for <what>".
 */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, limitMs = 30_000, details: () => string = () => ""): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      const more = details();
      throw new Error(`timed out waiting for ${what}${more ? `\n${more}` : ""}`);
    }
    await pause(25);
  }
}

/** Resolves with `promise`, or fails after `limitMs` naming `what`. */
export async function within<T>(what: string, promise: Promise<T>, limitMs = 30_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), limitMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
