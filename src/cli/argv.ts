/**
 * Parsing the command line: envject's own options (also settable as ENVJECT_<OPTION>) up to the
 * child's command, which starts after `--` or at the first word that is neither an option nor a
 * command name, and is passed on untouched. Every mistake is a UsageError (exit 64).
 */
import yargs, { type Argv } from "yargs";
import { UsageError } from "../errors.js";
import { parseDuration } from "../config/duration.js";
import type { LogFormat, LogLevel } from "../log/logger.js";
import { parseSignalName } from "../supervise/signal-names.js";
import { COMMANDS, type CommandName, EXPORT_OPTIONS, GLOBAL_OPTIONS, RUN_OPTIONS, optionsTakingValues } from "./options.js";

import type { OnChange } from "../watch/policy.js";

export type { OnChange };
export type ExportFormat = "dotenv" | "json" | "shell";

export interface GlobalArgs {
  config?: string;
  vaultAddr?: string;
  envFiles: string[];
  startTimeoutMs: number;
  logLevel: LogLevel;
  logFormat: LogFormat;
  passCredentials: boolean;
  pristine: boolean;
}

export interface RunArgs {
  /** Undefined: decide from the references (watch when any is watchable). */
  watch?: boolean;
  intervalMs: number;
  splayMs: number;
  onChange: OnChange;
  killSignal: NodeJS.Signals;
  killTimeoutMs: number;
  restartOnFailure: number;
  mask: boolean;
  shell: boolean;
  /** The child's command and arguments, untouched. */
  command: string[];
}

export type ParsedArgs =
  | { kind: "command"; command: "run"; global: GlobalArgs; run: RunArgs }
  | { kind: "command"; command: "check"; global: GlobalArgs }
  | { kind: "command"; command: "export"; global: GlobalArgs; format: ExportFormat }
  | { kind: "output"; text: string };

/** Splits argv into envject's part and the child's command (PRODUCT.md §1). */
export function splitCommand(argv: readonly string[]): { own: string[]; command: string[]; separator: boolean } {
  const takesValue = optionsTakingValues();
  let sawCommandName = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === "--") return { own: argv.slice(0, i), command: argv.slice(i + 1), separator: true };
    if (token.startsWith("-") && token !== "-") {
      if (!token.includes("=") && takesValue.has(token)) i++;
      continue;
    }
    if (!sawCommandName && (COMMANDS as readonly string[]).includes(token)) {
      sawCommandName = true;
      continue;
    }
    return { own: argv.slice(0, i), command: argv.slice(i), separator: false };
  }
  return { own: [...argv], command: [], separator: false };
}

/** Parses argv (without node and script); `version` is printed for --version. */
export async function parseArgs(argv: readonly string[], version: string, environ: NodeJS.ProcessEnv = process.env): Promise<ParsedArgs> {
  const { own, command } = splitCommand(argv);
  let output = "";
  const parser = buildParser(version, environ).parserConfiguration({ "strip-dashed": true });
  let parsed: Record<string, unknown>;
  try {
    parsed = (await parser.parseAsync(own, {}, (_err: unknown, _argv: unknown, text: string) => {
      output = text;
    })) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message);
  }
  if (parsed.help || parsed.version) return { kind: "output", text: output };

  const name = ((parsed._ as unknown[])[0] as CommandName | undefined) ?? "run";
  const global = globalArgs(parsed);
  if (name !== "run" && command.length > 0) {
    throw new UsageError(`envject ${name} runs no command, but one was given: ${command[0]}`);
  }
  if (name === "check") return { kind: "command", command: "check", global };
  if (name === "export") return { kind: "command", command: "export", global, format: parsed.format as ExportFormat };
  if (command.length === 0) throw new UsageError("no command to run; usage: envject [run] [options] -- <command> [args...]");
  return { kind: "command", command: "run", global, run: runArgs(parsed, command) };
}

function buildParser(version: string, environ: NodeJS.ProcessEnv): Argv {
  return yargs()
    .scriptName("envject")
    .usage(
      "Usage: envject [run] [options] -- <command> [args...]\n" +
        "       envject check [options]\n" +
        "       envject export [options] --format dotenv|json|shell\n\n" +
        "Start a program with secrets from HashiCorp Vault and AWS Secrets Manager in its environment.",
    )
    .command(["run", "$0"], "run a command with the secrets in its environment (default)", (y) =>
      y
        .options(RUN_OPTIONS)
        .group(["mask", "shell", "kill-signal", "kill-timeout"], "Run options:")
        .group(["watch", "interval", "splay", "on-change", "restart-on-failure"], "Watching and restarts:"),
    )
    .command("check", "resolve every reference and print NAME, source, version and status (never values)")
    .command("export", "print the resolved variables", (y) => y.options(EXPORT_OPTIONS))
    .options(GLOBAL_OPTIONS)
    .env("ENVJECT")
    .strict()
    .exitProcess(false)
    .version(version)
    .help()
    .alias("h", "help")
    .alias("V", "version")
    .example("envject -- node server.js", "run with the variables of ./envject.yaml")
    .example("envject -c prod.yaml --mask -- ./start.sh", "mask secret values in the program's output")
    .example("envject -e .env -- npm start", "a .env file whose values may be vault:// or aws-sm:// references")
    .example("envject check", "is every reference readable? (no values printed)")
    .example("eval \"$(envject export --format shell)\"", "load the variables into a shell")
    .epilogue(
      "Exit codes: the child's own; 128+N if it died of signal N; 64 usage, 65 bad mapping or reference,\n" +
        "69 store unreachable within --start-timeout, 70 internal error (a bug),\n" +
        "75 a secret changed under --on-change exit, 77 authentication failed or access denied,\n" +
        "78 secret/version/field not found, 126 command not executable, 127 command not found.\n" +
        "Every option can be set as ENVJECT_<OPTION>, e.g. ENVJECT_LOG_LEVEL=debug.",
    )
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((message: string | undefined, error: Error | undefined) => {
      throw new UsageError(explainUsage(message ?? error?.message ?? "invalid command line", environ));
    });
}

/** yargs' "Unknown argument: foo" names neither the flag form nor the ENVJECT_ variable it may come from. */
function explainUsage(message: string, environ: NodeJS.ProcessEnv): string {
  const m = /^Unknown arguments?: (.*)$/.exec(message);
  if (!m) return message;
  const names = m[1]!.split(", ").map((name) => {
    const kebab = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const variable = `ENVJECT_${kebab.toUpperCase().replaceAll("-", "_")}`;
    const flag = kebab.length === 1 ? `-${kebab}` : `--${kebab}`;
    return variable in environ ? `${flag} (from the environment variable ${variable})` : flag;
  });
  return `unknown option ${names.join(", ")}`;
}

function globalArgs(p: Record<string, unknown>): GlobalArgs {
  return {
    config: (p.config as string | undefined) || undefined,
    vaultAddr: (p.vaultAddr as string | undefined) || undefined,
    envFiles: ((p.envFile as string[] | string | undefined) === undefined ? [] : ([] as string[]).concat(p.envFile as string[])).filter(Boolean),
    startTimeoutMs: durationOption("--start-timeout", p.startTimeout, 0),
    logLevel: choiceOption<LogLevel>("--log-level", p.logLevel, GLOBAL_OPTIONS["log-level"].choices),
    logFormat: choiceOption<LogFormat>("--log-format", p.logFormat, GLOBAL_OPTIONS["log-format"].choices),
    passCredentials: Boolean(p.passCredentials),
    pristine: Boolean(p.pristine),
  };
}

function runArgs(p: Record<string, unknown>, command: string[]): RunArgs {
  const restart = p.restartOnFailure as number;
  if (!Number.isInteger(restart) || restart < 0) throw new UsageError(`--restart-on-failure must be a whole number >= 0, got ${String(p.restartOnFailure)}`);
  return {
    watch: p.watch as boolean | undefined,
    intervalMs: durationOption("--interval", p.interval, 1000),
    splayMs: durationOption("--splay", p.splay, 0),
    onChange: parseOnChange(String(p.onChange)),
    killSignal: signalOption("--kill-signal", String(p.killSignal)),
    killTimeoutMs: durationOption("--kill-timeout", p.killTimeout, 0),
    restartOnFailure: restart,
    mask: Boolean(p.mask),
    shell: Boolean(p.shell),
    command,
  };
}

/** `restart`, `signal:SIG`, `exit` or `none`. */
export function parseOnChange(text: string): OnChange {
  if (text === "restart" || text === "exit" || text === "none") return { kind: text };
  if (text.startsWith("signal:")) return { kind: "signal", signal: signalOption("--on-change", text.slice("signal:".length)) };
  throw new UsageError(`--on-change must be restart, signal:SIG, exit or none, got ${JSON.stringify(text)}`);
}

function signalOption(option: string, text: string): NodeJS.Signals {
  try {
    return parseSignalName(text);
  } catch {
    throw new UsageError(`${option}: unknown signal ${JSON.stringify(text)} (use a name such as HUP or SIGTERM)`);
  }
}

/** yargs does not check `choices` of dashed options under `strip-dashed`, so they are checked here. */
function choiceOption<T extends string>(option: string, value: unknown, choices: readonly string[]): T {
  if (typeof value === "string" && choices.includes(value)) return value as T;
  throw new UsageError(`${option} must be one of ${choices.join(", ")}, got ${JSON.stringify(String(value))}`);
}

function durationOption(option: string, value: unknown, minimumMs: number): number {
  const ms = parseDuration(String(value));
  if (ms === undefined) throw new UsageError(`${option} must be a duration such as 500ms, 30s, 5m or 1m30s, got ${JSON.stringify(String(value))}`);
  if (ms < minimumMs) throw new UsageError(`${option} must be at least ${minimumMs / 1000}s, got ${String(value)}`);
  return ms;
}
