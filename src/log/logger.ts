import { Redactor } from "./redactor.js";

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
export type LogFormat = "text" | "json";
export type LogFields = Record<string, string | number | boolean | null | undefined | string[]>;

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };


/**
 * envject's own logger: one line per event on stderr, as text or JSON. Every line passes through
 * the redactor, so a secret value that reaches a message or a field by mistake is still masked.
 */
export class Logger {
  readonly redactor: Redactor;
  private readonly write: (line: string) => void;

  constructor(
    readonly level: LogLevel = "info",
    readonly format: LogFormat = "text",
    options: { redactor?: Redactor; write?: (line: string) => void } = {},
  ) {
    this.redactor = options.redactor ?? new Redactor();
    this.write = options.write ?? ((line) => process.stderr.write(line));
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
      const parts = [`${time} envject ${level.toUpperCase().padEnd(5)} ${redact(msg)}`];
      for (const [k, v] of Object.entries(fields)) {
        if (v === undefined) continue;
        const s = redact(Array.isArray(v) ? v.join(",") : String(v));
        parts.push(`${k}=${/[\s"=]/.test(s) || s === "" ? JSON.stringify(s) : s}`);
      }
      line = parts.join(" ");
    }
    this.write(line + "\n");
  }
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
