/**
 * The one log-capturing logger: a real Logger (same formats, same redaction) whose output is kept
 * for assertions, as raw text, as lines and as records.
 *
 *   const log = captureLogger();                           // debug, text, not a terminal
 *   new StoreRetries(VAULT, log.logger) …
 *   assert.equal(log.count("warn", /is unavailable/), 1, log.text());
 *   assert.deepEqual(log.messages("info"), ["Vault is reachable again after 0s"]);
 *   assert.equal(log.records.find((r) => r.level === "warn")?.attempt, 1);
 */
import { ERASE_LINE, type LineOptions, type LogFields, type LogFormat, Logger, type LogLevel } from "../../src/log/logger.js";
import type { Redactor } from "../../src/log/redactor.js";

export interface CaptureOptions {
  /** Lowest level written (default "debug"). */
  level?: LogLevel;
  /** Default "text". */
  format?: LogFormat;
  /** Whether the output counts as a terminal, where status lines update in place (default false). */
  terminal?: boolean;
  /** The terminal's width (default: none, so a status line is never cut). */
  columns?: number;
  /** Colour text lines' level names (default false). */
  colour?: boolean;
  redactor?: Redactor;
}

/** One log call as a JSON line holds it: time, level, msg and the fields, redacted, whatever the format. */
export interface LogRecord {
  time: string;
  level: Exclude<LogLevel, "silent">;
  msg: string;
  [field: string]: unknown;
}

export interface CapturedLog {
  logger: Logger;
  /** Every write, as the logger made it (a status-line update is one write without a newline). */
  readonly writes: string[];
  /**
   * Every finished line so far, in order, without its newline: the output split at newlines, as
   * a pipe or a file keeps it (status-line escapes included). A live array: it grows as the logger writes.
   */
  readonly lines: string[];
  /** Every log call that was written (not status lines), as a record; live like `lines`. */
  readonly records: LogRecord[];
  /** Everything written, byte for byte. */
  raw(): string;
  /** The finished lines joined by newlines: for an assertion's message, or a "never logged" check. */
  text(): string;
  /** The messages logged at `level` (at every level when omitted), in order. */
  messages(level?: LogLevel): string[];
  /** How many finished lines at `level` match `pattern` (tested on the whole line: text or JSON). */
  count(level: LogLevel, pattern?: RegExp): number;
}

/** A Logger that also hands each written call, as a JSON record, to `record`. */
class RecordingLogger extends Logger {
  private readonly shadow: Logger;

  constructor(level: LogLevel, format: LogFormat, options: ConstructorParameters<typeof Logger>[2], record: (r: LogRecord) => void) {
    super(level, format, options);
    // The same redactor and level, always JSON: the record is exactly what a JSON line would say.
    this.shadow = new Logger(level, "json", { redactor: this.redactor, write: (line) => record(JSON.parse(line) as LogRecord) });
  }

  override log(level: Exclude<LogLevel, "silent">, msg: string, fields?: LogFields, options?: LineOptions): void {
    super.log(level, msg, fields, options);
    this.shadow.log(level, msg, fields, options);
  }
}

/** A capturing logger (see the file's comment). */
export function captureLogger(options: CaptureOptions = {}): CapturedLog {
  const format = options.format ?? "text";
  const writes: string[] = [];
  const lines: string[] = [];
  const records: LogRecord[] = [];
  let raw = "";
  let pending = "";
  const write = (s: string) => {
    writes.push(s);
    raw += s;
    const parts = (pending + s).split("\n");
    pending = parts.pop() ?? "";
    lines.push(...parts);
  };
  const logger = new RecordingLogger(
    options.level ?? "debug",
    format,
    { write, terminal: options.terminal ?? false, columns: () => options.columns, colour: options.colour ?? false, ...(options.redactor ? { redactor: options.redactor } : {}) },
    (r) => records.push(r),
  );
  const levelOf = (line: string): string | undefined => {
    if (format === "json") {
      try {
        return (JSON.parse(line) as { level?: string }).level;
      } catch {
        return undefined;
      }
    }
    // A finished line is what follows the last erase of a status row; its level name follows "<time> envject ".
    const erased = line.lastIndexOf(ERASE_LINE);
    const finished = erased < 0 ? line : line.slice(erased + ERASE_LINE.length);
    return /^\S+ envject (?:\x1b\[[0-9;]*m)?([A-Z]+)/.exec(finished)?.[1]?.toLowerCase();
  };
  return {
    logger,
    writes,
    lines,
    records,
    raw: () => raw,
    text: () => lines.join("\n"),
    messages: (level) => records.filter((r) => level === undefined || r.level === level).map((r) => r.msg),
    count: (level, pattern = /(?:)/) => lines.filter((l) => levelOf(l) === level && pattern.test(l)).length,
  };
}
