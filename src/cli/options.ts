/**
 * The command-line options of docs/contract/command-line.md#options and the commands that take them, in one table: the
 * command-line reader (command-line.ts) knows from it which options take a value and which
 * command each belongs to, and yargs builds the help of each command from it.
 */
import type { Options } from "yargs";

/** Options every command takes: where the mapping is, how to reach the stores, how to log. */
export const COMMON_OPTIONS = {
  config: { alias: "c", type: "string", requiresArg: true, describe: "mapping file (YAML or JSON) [default: envject.yaml if present]" },
  "vault-addr": { type: "string", requiresArg: true, describe: "Vault address; wins over the mapping file and VAULT_ADDR" },
  "env-file": { alias: "e", type: "string", requiresArg: true, describe: "dotenv file whose values may be references; repeat -e for several, later wins" },
  "start-timeout": { type: "string", requiresArg: true, default: "60s", describe: "how long to retry reaching the secret stores at start" },
  "log-level": { type: "string", requiresArg: true, choices: ["debug", "info", "warn", "error", "silent"], default: "info", describe: "logs go to stderr" },
  "log-format": { type: "string", requiresArg: true, choices: ["text", "json"], default: "text", describe: "log line format" },
} as const satisfies Record<string, Options>;

export const RUN_OPTIONS = {
  pristine: { type: "boolean", default: false, describe: "child gets only the mapped variables (plus PATH, HOME, USER, LANG, TZ, TERM)" },
  "pass-credentials": { type: "boolean", default: false, describe: "let the child inherit envject's own Vault/AWS credentials" },
  mask: { type: "boolean", default: false, describe: "replace secret values in the child's stdout/stderr with *****" },
  shell: { type: "boolean", default: false, describe: 'run the command through $SHELL -c "<string>"' },
  "kill-signal": { type: "string", requiresArg: true, default: "SIGTERM", describe: "graceful stop signal for the child" },
  "kill-timeout": { type: "string", requiresArg: true, default: "30s", describe: "then SIGKILL" },
  watch: { type: "boolean", describe: "poll secret versions (default: on when any reference is watchable); --no-watch still renews leases and the login" },
  interval: { type: "string", requiresArg: true, default: "30s", describe: "version poll interval (minimum 1s)" },
  splay: { type: "string", requiresArg: true, default: "0s", describe: "random delay before each restart/signal" },
  "on-change": { type: "string", requiresArg: true, default: "restart", describe: "when a secret changes: restart | signal:SIG | exit (code 75) | none" },
  "restart-on-failure": { type: "number", requiresArg: true, default: 0, describe: "restart a crashed child up to N times (backoff 1s..60s)" },
} as const satisfies Record<string, Options>;

export const CHECK_OPTIONS = {
  format: { type: "string", requiresArg: true, choices: ["table", "json"], default: "table", describe: "output format; json is one array, for CI" },
} as const satisfies Record<string, Options>;

export const EXPORT_OPTIONS = {
  format: { type: "string", requiresArg: true, choices: ["dotenv", "json", "shell"], default: "dotenv", describe: "output format" },
} as const satisfies Record<string, Options>;

/** `envject dev`: local stores for development (docs/contract/dev.md); it reads no mapping. */
export const DEV_OPTIONS = {
  seed: { type: "string", requiresArg: true, describe: "YAML file with vault: and aws: secrets to write at start" },
  "vault-port": { type: "string", requiresArg: true, default: "0", describe: "port of the Vault store on 127.0.0.1 (0: a free one)" },
  "aws-port": { type: "string", requiresArg: true, default: "0", describe: "port of the Secrets Manager store on 127.0.0.1 (0: a free one)" },
} as const satisfies Record<string, Options>;

/** The commands that do a job; `run` is the default. */
export const COMMANDS = ["run", "check", "export", "dev"] as const;
export type CommandName = (typeof COMMANDS)[number];

/** Commands that print something about envject itself. */
export const INFO_COMMANDS = ["help", "version", "completion"] as const;
export type InfoCommandName = (typeof INFO_COMMANDS)[number];

/**
 * Words that are not commands yet but are what users of `vault`, `doppler`, `infisical`, `op`,
 * `chamber` and envconsul type, or that envject may take as a subcommand later. As a first word
 * they are a usage error (64) instead of running a program of that name (`envject init` would
 * otherwise start `/usr/sbin/init`): `envject -- init` runs the program.
 */
export const RESERVED_WORDS = [
  "init",
  "login",
  "logout",
  "status",
  "exec",
  "get",
  "set",
  "list",
  "test",
  "show",
  "read",
  "write",
  "delete",
  "secrets",
  "config",
  "setup",
  "doctor",
  "update",
  "upgrade",
  "whoami",
  "agent",
  "serve",
  "server",
  "watch",
  "validate",
  "lint",
  "template",
  "render",
  "inject",
] as const;

/** The options each command takes. */
export const OPTIONS_OF: Record<CommandName, Record<string, Options>> = {
  run: { ...COMMON_OPTIONS, ...RUN_OPTIONS },
  check: { ...COMMON_OPTIONS, ...CHECK_OPTIONS },
  export: { ...COMMON_OPTIONS, ...EXPORT_OPTIONS },
  dev: { "log-level": COMMON_OPTIONS["log-level"], "log-format": COMMON_OPTIONS["log-format"], ...DEV_OPTIONS },
};

/** Options that may be given more than once, each use adding one value. */
export const REPEATABLE_OPTIONS: ReadonlySet<string> = new Set(["env-file"]);

/**
 * Every option of every command by long name, and the commands that take it. An option two
 * commands take (`--format`) has the same type in both, but each command may allow its own
 * values: read those from OPTIONS_OF.
 */
export function optionTable(): Map<string, { spec: Options; commands: CommandName[] }> {
  const table = new Map<string, { spec: Options; commands: CommandName[] }>();
  for (const command of COMMANDS) {
    for (const [name, spec] of Object.entries(OPTIONS_OF[command])) {
      const entry = table.get(name) ?? { spec, commands: [] };
      entry.commands.push(command);
      table.set(name, entry);
    }
  }
  return table;
}
