/**
 * The young generation of V8's heap held at its starting size while envject watches.
 *
 * A watching envject allocates a little at every poll, and some of it (the requests in flight,
 * their timers) lives through a scavenge. V8 doubles the young generation each time the bytes that
 * survived since its last growth exceed its size, and never gives it back while the allocation
 * goes on: 100 secrets at `--interval 1s` took it from 1 to 16 MiB per semi-space within three
 * minutes, the RSS from 67 to 94 MiB, for a live heap that stayed at 7–8 MiB after every full GC
 * (`--trace-gc`, BENCHMARKS.md). With the growth factor at 1 it keeps the size it has when
 * watching begins (1–2 MiB per semi-space after a start); scavenges come more often and each has
 * as little to copy: the CPU per poll did not rise (175 against 180 µs over 150 s).
 *
 * `--semi-space-growth-factor` is read each time V8 grows the young generation, on the main
 * thread, so setting it while running takes effect at the next growth. Nothing else is changed:
 * flags that size the heap at start-up or touch GC threads must not be set at run time.
 */
let held = false;

/** Stops V8 from growing the young generation from now on (idempotent). */
export function holdYoungGeneration(): void {
  if (held) return;
  held = true;
  process.getBuiltinModule("node:v8").setFlagsFromString("--semi-space-growth-factor=1");
}
