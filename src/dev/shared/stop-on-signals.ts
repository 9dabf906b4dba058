/**
 * For a double run standalone (`main.ts`, the demo, by hand): SIGTERM or SIGINT closes it and
 * exits 0, once, however many signals arrive.
 */
export function stopOnSignals(close: () => Promise<void>): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void close().then(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
