import { Redactor } from "./redactor.js";

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
export type LogFormat = "text" | "json";
export type LogFields = Record<string, string | number | boolean | null | undefined | string[]>;

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Carriage return + erase the whole line: what rewrites a status line in place. */
export const ERASE_LINE = "\r\x1b[2K";

/**
 * A line at the bottom of a terminal that is rewritten in place (Logger.statusLine). Several may
 * be open at once: they share the one line. Log lines written meanwhile appear above it.
 */
export interface StatusLine {
  /** Shows `msg` (redacted) as this line's text now. */
  update(msg: string): void;
  /** Leaves `msg` (or the last text) as a permanent line ended with a newline; later calls do nothing. */
  end(msg?: string): void;
}

export interface LoggerOptions {
  redactor?: Redactor;
  /** Where lines go (default: stderr). */
  write?: (line: string) => void;
  /** Whether the output is a terminal, where status lines update in place (default: stderr is a TTY and `write` is not given). */
  terminal?: boolean;
  /** The terminal's width, to keep a status line on one row (default: stderr's columns). */
  columns?: () => number | undefined;
}

/** A status line's state inside the logger. */
interface OpenStatus {
  level: Exclude<LogLevel, "silent">;
  text: string;
}

/**
 * envject's own logger: one line per event on stderr, as text or JSON. Every line passes through
 * the redactor, so a secret value that reaches a message or a field by mistake is still masked.
 */
export class Logger {
  readonly redactor: Redactor;
  private readonly write: (line: string) => void;
  private readonly terminal: boolean;
  private readonly columns: () => number | undefined;
  /** Open status lines in the order they were opened; the shared row shows them all. */
  private readonly statuses = new Set<OpenStatus>();
  /** Whether the status row is on screen (so the next write must erase it first). */
  private statusShown = false;

  constructor(
    readonly level: LogLevel = "info",
    readonly format: LogFormat = "text",
    options: LoggerOptions = {},
  ) {
    this.redactor = options.redactor ?? new Redactor();
    this.write = options.write ?? ((line) => process.stderr.write(line));
    this.terminal = options.terminal ?? (options.write === undefined && process.stderr.isTTY === true);
    this.columns = options.columns ?? (() => process.stderr.columns);
  }

  enabled(level: LogLevel): boolean {
    return rank[level] >= rank[this.level] && this.level !== "silent";
  }

  debug(msg: string, fields?: LogFields): void {
    this.log("debug", msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.log("info", msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.log("warn", msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.log("error", msg, fields);
  }

  log(level: Exclude<LogLevel, "silent">, msg: string, fields: LogFields = {}): void {
    if (!this.enabled(level)) return;
    const time = new Date().toISOString();
    // Values are redacted before they are encoded, never the encoded line: JSON escaping would
    // hide a secret holding `"` or `\` from the redactor, and masking a secret such as `true` or
    // `debug` in the line itself would break its keys and literals.
    const redact = (s: string) => this.redactor.redact(s);
    let line: string;
    if (this.format === "json") {
      const record: Record<string, unknown> = { time, level, msg: redact(msg) };
      for (const [k, v] of Object.entries(fields)) if (v !== undefined) record[k] = redactField(v, redact);
      line = JSON.stringify(record);
    } else {
      const parts = [textPrefix(time, level) + redact(msg)];
      for (const [k, v] of Object.entries(fields)) {
        if (v === undefined) continue;
        const s = redact(Array.isArray(v) ? v.join(",") : String(v));
        parts.push(`${k}=${/[\s"=]/.test(s) || s === "" ? JSON.stringify(s) : s}`);
      }
      line = parts.join(" ");
    }
    // A status row on screen is erased first and drawn again below the line, in one write, so
    // the line never lands in the middle of it.
    if (this.statusShown) this.write(`${ERASE_LINE}${line}\n${this.statusRow()}`);
    else this.write(line + "\n");
  }

  /**
   * Opens a status line: a text-format log line at the bottom of the terminal that update()
   * rewrites in place (`\r\x1b[2K`) and end() leaves as an ordinary line. Undefined when the output
   * is JSON, not a terminal, or `level` is not logged: callers then log ordinary lines instead.
   */
  statusLine(level: Exclude<LogLevel, "silent"> = "info"): StatusLine | undefined {
    if (this.format !== "text" || !this.terminal || !this.enabled(level)) return undefined;
    const status: OpenStatus = { level, text: "" };
    let ended = false;
    return {
      update: (msg) => {
        if (ended) return;
        status.text = this.redactor.redact(msg);
        this.statuses.add(status);
        this.showStatus(true);
        this.write(ERASE_LINE + this.statusRow());
      },
      end: (msg) => {
        if (ended) return;
        ended = true;
        const wasOpen = this.statuses.delete(status);
        const text = msg === undefined ? status.text : this.redactor.redact(msg);
        if (!wasOpen && msg === undefined) return;
        const line = `${textPrefix(new Date().toISOString(), level)}${text}\n`;
        this.showStatus(this.statuses.size > 0);
        this.write(`${this.statusShown || wasOpen ? ERASE_LINE : ""}${line}${this.statusShown ? this.statusRow() : ""}`);
      },
    };
  }

  /** The shared status row: the open lines' texts after one prefix, cut to the terminal's width so it never wraps (a wrapped row cannot be erased). */
  private statusRow(): string {
    const open = [...this.statuses];
    const row = textPrefix(new Date().toISOString(), open[0]?.level ?? "info") + open.map((s) => s.text).join(" | ");
    const width = this.columns();
    return width !== undefined && width > 1 && row.length > width - 1 ? `${row.slice(0, Math.max(0, width - 2))}…` : row;
  }

  /** Notes whether the status row is on screen; while it is, an exit ends it (see rowsOnScreen). */
  private showStatus(shown: boolean): void {
    this.statusShown = shown;
    if (shown) rowsOnScreen.set(this, () => this.write("\n"));
    else rowsOnScreen.delete(this);
    if (shown && !exitHooked) {
      exitHooked = true;
      process.once("exit", () => {
        for (const end of rowsOnScreen.values()) end();
        rowsOnScreen.clear();
      });
    }
  }
}

/** Loggers with a status row on screen: a process that exits then ends the row, so the shell's prompt is not glued to it. */
const rowsOnScreen = new Map<Logger, () => void>();
let exitHooked = false;

/** `2024-06-01T12:00:00.000Z envject INFO  `: what starts every text line. */
function textPrefix(time: string, level: Exclude<LogLevel, "silent">): string {
  return `${time} envject ${level.toUpperCase().padEnd(5)} `;
}

/** A field with every secret masked; a number or boolean that equals a secret becomes the mask (a string). */
function redactField(value: Exclude<LogFields[string], undefined>, redact: (s: string) => string): unknown {
  if (typeof value === "string") return redact(value);
  if (Array.isArray(value)) return value.map(redact);
  if (value === null) return null;
  return redact(String(value)) === String(value) ? value : redact(String(value));
}

/** A logger that prints nothing (library use without a logger). */
export function silentLogger(): Logger {
  return new Logger("silent");
}
