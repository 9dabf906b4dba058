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

/** SGR codes for the level name of a coloured text line. */
const LEVEL_COLOURS: Record<Exclude<LogLevel, "silent">, string> = { debug: "\x1b[2m", info: "\x1b[36m", warn: "\x1b[33m", error: "\x1b[31m" };
const RESET = "\x1b[0m";

/**
 * Whether text lines are coloured (README "Log lines"): only when stderr is a terminal, `NO_COLOR`
 * is unset or empty (no-color.org), `TERM` is not `dumb`, and `FORCE_COLOR` is not `0`/`false`.
 * `FORCE_COLOR` never turns colour on: what does not go to a terminal goes to a file or a log
 * collector, where escape codes are noise.
 */
export function colourWanted(stderrIsTTY: boolean, env: NodeJS.ProcessEnv): boolean {
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

  constructor(
    readonly level: LogLevel = "info",
    readonly format: LogFormat = "text",
    options: {
      redactor?: Redactor;
      write?: (line: string) => void;
      /** Colour text lines; by default only when writing to a stderr that is a terminal (see colourWanted). */
      colour?: boolean;
    } = {},
  ) {
    this.redactor = options.redactor ?? new Redactor();
    this.write = options.write ?? ((line) => process.stderr.write(line));
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
      const name = level.toUpperCase();
      const label = this.colour ? `${LEVEL_COLOURS[level]}${name}${RESET}${" ".repeat(5 - name.length)}` : name.padEnd(5);
      const parts = [`${time} envject ${label} ${redact(msg)}`];
      const said = new Set(options.inMessage ?? []);
      for (const [k, v] of Object.entries(fields)) {
        if (v === undefined || said.has(k)) continue;
        const s = textOf(redactValue(v, redact));
        parts.push(`${k}=${/[\s"=]/.test(s) || s === "" ? JSON.stringify(s) : s}`);
      }
      line = parts.join(" ");
    }
    this.write(line + "\n");
  }
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
