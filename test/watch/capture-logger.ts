/** A Logger whose lines are kept (text format) so tests can count them. */
import { Logger, type LogLevel } from "../../src/log/logger.js";

export function captureLogger(level: LogLevel = "debug"): { logger: Logger; lines: string[]; count: (level: string, pattern: RegExp) => number } {
  const lines: string[] = [];
  const logger = new Logger(level, "text", { write: (line) => lines.push(line) });
  const count = (lvl: string, pattern: RegExp) => lines.filter((l) => l.includes(` envject ${lvl.toUpperCase().padEnd(5)} `) && pattern.test(l)).length;
  return { logger, lines, count };
}
