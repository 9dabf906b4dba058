/** A Logger whose lines are kept (text format unless asked) so tests can count them. */
import { type LogFormat, Logger, type LogLevel } from "../../src/log/logger.js";

export function captureLogger(level: LogLevel = "debug", format: LogFormat = "text"): { logger: Logger; lines: string[]; count: (level: string, pattern: RegExp) => number } {
  const lines: string[] = [];
  // Kept without the final newline, so a pattern may end with `$`.
  const logger = new Logger(level, format, { write: (line) => lines.push(line.replace(/\n$/, "")) });
  const count = (lvl: string, pattern: RegExp) => lines.filter((l) => l.includes(` envject ${lvl.toUpperCase().padEnd(5)} `) && pattern.test(l)).length;
  return { logger, lines, count };
}
