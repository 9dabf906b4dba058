/**
 * How a child's end becomes envject's exit code: the child's own code, or 128+N when it died of
 * signal N — the convention of every POSIX shell, so `$?` reads the same with or without envject.
 */
import { signalNumber } from "./signal-names.js";

/** How one child process ended. */
export interface ChildExit {
  /** The exit status, or null when the child was killed by a signal. */
  code: number | null;
  /** The signal that killed the child, or null when it exited by itself. */
  signal: NodeJS.Signals | null;
  /** `code`, or 128+N for signal N: the code envject exits with. */
  exitCode: number;
}

/** Builds the ChildExit for an exit status or a terminating signal (exactly one is expected to be set). */
export function childExit(code: number | null | undefined, signal: NodeJS.Signals | null | undefined): ChildExit {
  if (signal) return { code: null, signal, exitCode: 128 + (signalNumber(signal) ?? 0) };
  // Neither code nor signal only happens when Node lost track of the child; report a failure, not success.
  return { code: code ?? null, signal: null, exitCode: code ?? 1 };
}
