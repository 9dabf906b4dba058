/**
 * Signal names as users write them (`HUP`, `sighup`, `SIGHUP`) turned into the names Node uses,
 * checked against the signals this platform actually has.
 */
import { constants } from "node:os";
import { UsageError } from "../errors.js";

const known = constants.signals as Readonly<Record<string, number | undefined>>;

/** Returns the canonical `SIGxxx` name for `text` (with or without `SIG`, any case); throws UsageError for anything else. */
export function parseSignalName(text: string): NodeJS.Signals {
  const upper = text.trim().toUpperCase();
  const name = upper.startsWith("SIG") ? upper : `SIG${upper}`;
  // A bare number ("15") is deliberately refused: numbers differ between platforms, names do not.
  if (!/^SIG[A-Z0-9]+$/.test(name) || known[name] === undefined) {
    throw new UsageError(`unknown signal ${JSON.stringify(text)} (use a name such as HUP or SIGTERM)`);
  }
  return name as NodeJS.Signals;
}

/** The platform's number for `signal` (SIGTERM → 15 on Linux), or undefined when it has none. */
export function signalNumber(signal: string): number | undefined {
  return known[signal];
}
