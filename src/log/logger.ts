import { isatty } from "node:tty";
import { Redactor } from "./redactor.js";

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
export type LogFormat = "text" | "json";
/** What a field may hold: a scalar, or a list or record of them (the rotation line's `changes`). */
export type LogValue = string | number | boolean | null | undefined | readonly LogValue[] | { readonly [key: string]: LogValue };
export type LogFields = Record<string, LogValue>;

/** How one line is written. */
export interface LineOptions {
  /**
   * Fields the message already says in words: a JSON line carries them (for a pipeline), a text
   * line does not repeat them after the message (for a person).
   */
  inMessage?: readonly string[];
}

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
  /** Colour text lines; by default only when writing to a stderr that is a terminal (see colourWanted). */
  colour?: boolean;
}

/** A status line's state inside the logger. */
interface OpenStatus {
  level: Exclude<LogLevel, "silent">;
  text: string;
}

/** SGR codes for the level name of a coloured text line. */
const LEVEL_COLOURS: Record<Exclude<LogLevel, "silent">, string> = { debug: "\x1b[2m", info: "\x1b[36m", warn: "\x1b[33m", error: "\x1b[31m" };
const RESET = "\x1b[0m";

/**
 * Whether text lines are coloured (README "Log lines"): only when stderr is a terminal, `NO_COLOR`
 * is unset or empty (no-color.org), `TERM` is not `dumb`, and `FORCE_COLOR` is not `0`/`false`.
 * `FORCE_COLOR` never turns colour on: what does not go to a terminal goes to a file or a log
 * collector, where escape codes are noise.
 */
export function colourWanted(stderrIsTTY: boolean, env: Record<string, string | undefined>): boolean {
  if (!stderrIsTTY) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.TERM === "dumb") return false;
  return env.FORCE_COLOR !== "0" && env.FORCE_COLOR?.toLowerCase() !== "false";
}

/**
 * envject's own logger: one line per event on stderr, as text or JSON. Every line passes through
 * the redactor, so a secret value that reaches a message or a field by mistake is still masked.
 */
export class Logger {
  readonly redactor: Redactor;
  /** Whether text lines colour their level name (never JSON lines). */
  readonly colour: boolean;
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
    this.colour = format === "text" && (options.colour ?? (options.write === undefined && colourWanted(isatty(2), process.env)));
  }

  enabled(level: LogLevel): boolean {
    return rank[level] >= rank[this.level] && this.level !== "silent";
  }

  debug(msg: string, fields?: LogFields, options?: LineOptions): void {
    this.log("debug", msg, fields, options);
  }
  info(msg: string, fields?: LogFields, options?: LineOptions): void {
    this.log("info", msg, fields, options);
  }
  warn(msg: string, fields?: LogFields, options?: LineOptions): void {
    this.log("warn", msg, fields, options);
  }
  error(msg: string, fields?: LogFields, options?: LineOptions): void {
    this.log("error", msg, fields, options);
  }

  log(level: Exclude<LogLevel, "silent">, msg: string, fields: LogFields = {}, options: LineOptions = {}): void {
    if (!this.enabled(level)) return;
    const time = new Date().toISOString();
    // Values are redacted before they are encoded, never the encoded line: JSON escaping would
    // hide a secret holding `"` or `\` from the redactor, and masking a secret such as `true` or
    // `debug` in the line itself would break its keys and literals. Colour codes are added last,
    // around envject's own level name, so the redactor only ever sees plain text.
    const redact = (s: string) => this.redactor.redact(s);
    let line: string;
    if (this.format === "json") {
      const record: Record<string, unknown> = { time, level, msg: redact(msg) };
      for (const [k, v] of Object.entries(fields)) if (v !== undefined) record[k] = redactValue(v, redact);
      line = JSON.stringify(record);
    } else {
      const parts = [textPrefix(time, level, this.colour) + redact(msg)];
      const said = new Set(options.inMessage ?? []);
      for (const [k, v] of Object.entries(fields)) {
        if (v === undefined || said.has(k)) continue;
        const s = textOf(redactValue(v, redact));
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
        const line = `${textPrefix(new Date().toISOString(), level, this.colour)}${text}\n`;
        this.showStatus(this.statuses.size > 0);
        this.write(`${this.statusShown || wasOpen ? ERASE_LINE : ""}${line}${this.statusShown ? this.statusRow() : ""}`);
      },
    };
  }

  /** The shared status row: the open lines' texts after one prefix, cut to the terminal's width so it never wraps (a wrapped row cannot be erased). */
  private statusRow(): string {
    const open = [...this.statuses];
    const row = textPrefix(new Date().toISOString(), open[0]?.level ?? "info", this.colour) + open.map((s) => s.text).join(" | ");
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
function textPrefix(time: string, level: Exclude<LogLevel, "silent">, colour = false): string {
  const name = level.toUpperCase();
  const label = colour ? `${LEVEL_COLOURS[level]}${name}${RESET}${" ".repeat(5 - name.length)}` : name.padEnd(5);
  return `${time} envject ${label} `;
}

/**
 * A field with every secret masked, however deeply it sits in lists and records; a number or
 * boolean that equals a secret becomes the mask (a string). Record keys are envject's own names
 * and are kept, as top-level field names are.
 */
function redactValue(value: Exclude<LogValue, undefined>, redact: (s: string) => string): unknown {
  if (value === null) return null;
  if (typeof value === "string") return redact(value);
  if (Array.isArray(value)) return value.map((v: LogValue) => (v === undefined ? null : redactValue(v, redact)));
  if (typeof value === "object") {
    const record: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as { readonly [key: string]: LogValue })) if (v !== undefined) record[k] = redactValue(v, redact);
    return record;
  }
  return redact(String(value)) === String(value) ? value : redact(String(value));
}

/** A redacted field as text: scalars as they are, a list of scalars joined by commas, anything deeper as JSON. */
function textOf(value: unknown): string {
  if (Array.isArray(value) && value.every((v) => v === null || typeof v !== "object")) return value.map(String).join(",");
  if (value !== null && typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** A logger that prints nothing (library use without a logger). */
export function silentLogger(): Logger {
  return new Logger("silent");
}
