/**
 * Parsing the command line: command-line.ts reads what the user typed (and ENVJECT_* variables)
 * into a command and canonical options; yargs' parser reads those for types and defaults, and
 * yargs prints the help of each command and the completions. Every mistake is a UsageError
 * (exit 64).
 */
import type { Argv } from "yargs";
import yargsParser from "yargs-parser";
import { UsageError } from "../errors.js";
import { parseDuration } from "../config/duration.js";
import type { LogFormat, LogLevel } from "../log/logger.js";
import { parseSignalName } from "../supervise/signal-names.js";
import { CHECK_OPTIONS, COMMON_OPTIONS, type CommandName, DEV_OPTIONS, EXPORT_OPTIONS, OPTIONS_OF, RUN_OPTIONS } from "./options.js";
import { type CommandLine, readCommandLine } from "./command-line.js";

import type { OnChange } from "../watch/policy.js";

export type { OnChange };
export type ExportFormat = "dotenv" | "json" | "shell";
export type CheckFormat = "table" | "json";

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

export interface DevArgs {
  seed?: string;
  vaultPort: number;
  awsPort: number;
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
  | { kind: "command"; command: "check"; global: GlobalArgs; format: CheckFormat }
  | { kind: "command"; command: "export"; global: GlobalArgs; format: ExportFormat }
  | { kind: "command"; command: "dev"; global: Pick<GlobalArgs, "logLevel" | "logFormat">; dev: DevArgs }
  | { kind: "output"; text: string };

/** Parses argv (without node and script); `version` is printed for --version. */
export async function parseArgs(argv: readonly string[], version: string, environ: NodeJS.ProcessEnv = process.env): Promise<ParsedArgs> {
  const line = readCommandLine(argv, environ);
  if (line.command === "version") return { kind: "output", text: version };
  if (line.command === "run" || line.command === "check" || line.command === "export" || line.command === "dev") {
    return fromParsed(line, parseCommandOptions(line.command, line.options));
  }
  const { default: yargs } = await import("yargs");
  const parser = buildParser(yargs, version).parserConfiguration(PARSER_CONFIGURATION);
  if (line.command === "completion" && !line.completionRequest) {
    // yargs writes the script itself (console.log), as it does the completions below.
    parser.showCompletionScript();
    return { kind: "output", text: "" };
  }
  const tokens = line.command === "help" ? [...(line.helpFor ? [line.helpFor] : []), "--help"] : line.completionRequest!;
  return { kind: "output", text: await yargsOutput(parser, tokens) };
}

const PARSER_CONFIGURATION = { "strip-dashed": true, "duplicate-arguments-array": true };

/** What yargs prints for `tokens` (a help text, completions); every failure is a UsageError. */
async function yargsOutput(parser: Argv, tokens: readonly string[]): Promise<string> {
  let output = "";
  try {
    await parser.parseAsync([...tokens], {}, (_err: unknown, _argv: unknown, text: string) => {
      output = text;
    });
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message);
  }
  return output;
}

/**
 * One command's options, for types and defaults, read by yargs' own parser (yargs-parser) alone.
 * The command line has been read and checked already (command-line.ts: known options, values
 * where needed), so nothing of yargs proper is needed to run a command; yargs, with its
 * commands, usage and examples, is loaded only for help and completion. Loading it cost a
 * noticeable part of every start (and it rendered each command's help after running it, to
 * cache it).
 */
function parseCommandOptions(command: CommandName, tokens: readonly string[]): Record<string, unknown> {
  const options = { string: [] as string[], boolean: [] as string[], number: [] as string[], default: {} as Record<string, unknown>, alias: {} as Record<string, string> };
  for (const [name, spec] of Object.entries(OPTIONS_OF[command])) {
    if (spec.type === "string" || spec.type === "boolean" || spec.type === "number") options[spec.type].push(name);
    if (spec.default !== undefined) options.default[name] = spec.default;
    if (typeof spec.alias === "string") options.alias[name] = spec.alias;
  }
  const parsed = yargsParser.detailed([...tokens], { ...options, configuration: PARSER_CONFIGURATION });
  if (parsed.error) throw new UsageError(parsed.error.message);
  return parsed.argv;
}

/** What `line` asks for, from its options as yargs parsed them. */
function fromParsed(line: CommandLine, parsed: Record<string, unknown>): ParsedArgs {
  if (line.command === "dev") {
    return {
      kind: "command",
      command: "dev",
      global: {
        logLevel: choiceOption<LogLevel>("--log-level", parsed.logLevel, COMMON_OPTIONS["log-level"].choices),
        logFormat: choiceOption<LogFormat>("--log-format", parsed.logFormat, COMMON_OPTIONS["log-format"].choices),
      },
      dev: { seed: (parsed.seed as string | undefined) || undefined, vaultPort: portOption("--vault-port", parsed.vaultPort), awsPort: portOption("--aws-port", parsed.awsPort) },
    };
  }
  const global = globalArgs(parsed);
  if (line.command === "check") return { kind: "command", command: "check", global, format: choiceOption<CheckFormat>("--format", parsed.format, CHECK_OPTIONS.format.choices) };
  if (line.command === "export") return { kind: "command", command: "export", global, format: choiceOption<ExportFormat>("--format", parsed.format, EXPORT_OPTIONS.format.choices) };
  if (line.child.length === 0) throw new UsageError("no command to run; usage: envject [run] [options] -- <command> [args...]");
  return { kind: "command", command: "run", global, run: runArgs(parsed, line.child) };
}

const REFERENCE_SYNTAX =
  "References (in envject.yaml, or as .env values):\n" +
  "  vault://PATH[?version=N&mount=M][#FIELD]       PATH as for `vault kv get`; ref+vault:// too\n" +
  "  aws-sm://NAME[?version_stage=S&region=R][#FIELD]   or arn:aws:secretsmanager:…:secret:NAME[#FIELD]\n" +
  "  \"{{ vault('secret/app#key') }}\" templates inside any value; literal:… keeps a value as text";

const AUTHENTICATION =
  "Authentication (envject's own environment; never passed to the command):\n" +
  "  Vault: VAULT_ADDR (or VAULT_AGENT_ADDR), and VAULT_TOKEN or VAULT_ROLE_ID + VAULT_SECRET_ID\n" +
  "         (else ~/.vault-token); or vault.auth.method: kubernetes, jwt, aws, cert, token_file, none\n" +
  "         in envject.yaml (docs/auth/); VAULT_NAMESPACE, VAULT_CACERT, VAULT_CLIENT_CERT/KEY,\n" +
  "         VAULT_SKIP_VERIFY=1 (not recommended)\n" +
  "  AWS:   the SDK's chain (AWS_PROFILE, AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY, roles), AWS_REGION";

const EXIT_CODES =
  "Exit codes: the child's own; 128+N if it died of signal N; 64 usage, 65 bad mapping or reference,\n" +
  "69 store unreachable within --start-timeout, 70 internal error (a bug),\n" +
  "75 a secret changed under --on-change exit, 77 authentication failed or access denied,\n" +
  "78 secret/version/field not found, 126 command not executable, 127 command not found.";

const ENVIRONMENT_OPTIONS =
  "Every option can be set as ENVJECT_<OPTION> (ENVJECT_LOG_LEVEL=debug); the command line wins.\n" + "Booleans: --mask, --no-mask, --mask=true|false|1|0|yes|no|on|off (ENVJECT_MASK=yes alike).";

function buildParser(yargs: typeof import("yargs").default, version: string): Argv {
  const common = (y: Argv) => y.options(COMMON_OPTIONS).group(Object.keys(COMMON_OPTIONS), "Options:").help().alias("h", "help");
  return yargs()
    .scriptName("envject")
    .usage(
      "Usage: envject [run] [options] -- <command> [args...]\n" +
        "       envject check [options] [--format table|json]\n" +
        "       envject export [options] --format dotenv|json|shell\n" +
        "       envject dev [--seed seed.yaml] [--vault-port N] [--aws-port N]\n" +
        "       envject help [command] | version | completion\n\n" +
        "Start a program with secrets from HashiCorp Vault and AWS Secrets Manager in its environment.",
    )
    .command(["run", "$0"], "run a command with the secrets in its environment (default)", (y) =>
      common(y)
        .options(RUN_OPTIONS)
        .group(["pristine", "pass-credentials", "mask", "shell", "kill-signal", "kill-timeout"], "Run options:")
        .group(["watch", "interval", "splay", "on-change", "restart-on-failure"], "Watching and restarts:")
        .example("envject -- node server.js", "run with the variables of the mapping file ./envject.yaml (-c FILE for another)")
        .example("envject -e .env -- npm start", "a .env file whose values may be vault:// or aws-sm:// references")
        .example("envject check --format json > check.json", "in CI: is every reference readable? one JSON array, no values; exit 0 if all are")
        .example('eval "$(envject export --format shell)"', "load the variables into this shell")
        .example("envject --watch --interval 1m -- node server.js", "watch: restart the program when a secret rotates")
        .example("envject --on-change signal:HUP -- nginx", "on rotation: rewrite files:, send SIGHUP instead of restarting")
        .example("envject -c prod.yaml --mask -- ./start.sh", "mask secret values in the program's output")
        .epilogue(`${REFERENCE_SYNTAX}\n\n${AUTHENTICATION}\n\n${EXIT_CODES}\n${ENVIRONMENT_OPTIONS}`),
    )
    .command("check", "resolve every reference and print NAME, source, version and status (never values)", (y) =>
      common(y)
        .usage("Usage: envject check [options] [--format table|json]\n\nResolve every reference of the mapping file and the --env-file files; print NAME, SOURCE, VERSION and STATUS, never a value.")
        .options(CHECK_OPTIONS)
        .example("envject check", "check ./envject.yaml")
        .example("envject check --format json > check.json", "in CI: one JSON array, one object per variable; the exit code as for the table")
        .example("envject check -c prod.yaml -e .env", "a mapping file and a .env file")
        .example("VAULT_ADDR=https://vault:8200 envject check --start-timeout 5s", "in CI: fail fast when Vault is down")
        .epilogue("Exits 0 when every reference resolves, else with the most serious failure's code:\n65 bad reference, 77 access denied, 69 store unreachable, 78 not found."),
    )
    .command("export", "print the resolved variables", (y) =>
      common(y)
        .usage("Usage: envject export [options] [--format dotenv|json|shell]\n\nPrint the variables the mapping file and the --env-file files produce (not the whole environment).")
        .options(EXPORT_OPTIONS)
        .example("envject export > .env.local", "dotenv lines that dotenv.parse reads back exactly")
        .example('eval "$(envject export --format shell)"', "load the variables into this shell")
        .example("envject export --format json -c prod.yaml", "one JSON object")
        .epilogue("Leases are not revoked after export (the output would be dead on arrival); files: entries are not exported."),
    )
    .command("dev", "start a local Vault and Secrets Manager for development (in memory, 127.0.0.1)", (y) =>
      y
        .usage(
          "Usage: envject dev [--seed seed.yaml] [--vault-port N] [--aws-port N]\n\n" +
            "Start local, in-memory Vault and Secrets Manager stores on 127.0.0.1, seeded from a YAML file;\n" +
            "print the export lines for another shell on stdout and serve until Ctrl-C. For development only.",
        )
        .options({ "log-level": COMMON_OPTIONS["log-level"], "log-format": COMMON_OPTIONS["log-format"] })
        .options(DEV_OPTIONS)
        .help()
        .alias("h", "help")
        .example("envject dev --seed seed.yaml > dev.env", 'then, in another shell: eval "$(cat dev.env)"; envject -- node server.js')
        .epilogue(
          "Seed file:\n  vault:\n    secret/myapp/db: { username: app, password: s3cr3t }   # KV v2 (secret/) or v1 (kv/)\n" +
            '  aws:\n    prod/api: \'{"key":"k-1"}\'                          # a string, or an object stored as JSON\n\n' +
            "Exits 0 on SIGINT/SIGTERM; 64 usage, 65 bad seed file (file:line), 69 a port already in use.",
        ),
    )
    .command("help [command]", "show the help of envject or of a command")
    .command("version", "print envject's version")
    .completion("completion", "print a bash/zsh completion script (source <(envject completion))")
    .strict()
    .exitProcess(false)
    .version(version)
    .alias("V", "version")
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((message: string | undefined, error: Error | undefined) => {
      throw new UsageError(message ?? error?.message ?? "invalid command line");
    });
}

function globalArgs(p: Record<string, unknown>): GlobalArgs {
  return {
    config: (p.config as string | undefined) || undefined,
    vaultAddr: (p.vaultAddr as string | undefined) || undefined,
    envFiles: ((p.envFile as string[] | string | undefined) === undefined ? [] : ([] as string[]).concat(p.envFile as string[])).filter(Boolean),
    startTimeoutMs: durationOption("--start-timeout", p.startTimeout, 0),
    logLevel: choiceOption<LogLevel>("--log-level", p.logLevel, COMMON_OPTIONS["log-level"].choices),
    logFormat: choiceOption<LogFormat>("--log-format", p.logFormat, COMMON_OPTIONS["log-format"].choices),
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

function portOption(option: string, value: unknown): number {
  const port = /^\d{1,5}$/.test(String(value)) ? Number(value) : Number.NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${option} must be a port number from 0 to 65535 (0: a free one), got ${JSON.stringify(String(value))}`);
  return port;
}

function durationOption(option: string, value: unknown, minimumMs: number): number {
  const ms = parseDuration(String(value));
  if (ms === undefined) throw new UsageError(`${option} must be a duration such as 500ms, 30s, 5m or 1m30s, got ${JSON.stringify(String(value))}`);
  if (ms < minimumMs) throw new UsageError(`${option} must be at least ${minimumMs / 1000}s, got ${String(value)}`);
  return ms;
}
