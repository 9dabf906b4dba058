/**
 * The command-line options of PRODUCT.md §1, in one table: yargs is built from it, and the
 * command splitter uses it to know which options take a value.
 */
import type { Options } from "yargs";

export const GLOBAL_OPTIONS = {
  config: { alias: "c", type: "string", requiresArg: true, describe: "mapping file (YAML or JSON) [default: envject.yaml if present]" },
  "vault-addr": { type: "string", requiresArg: true, describe: "Vault address; wins over the mapping file and VAULT_ADDR" },
  "env-file": { alias: "e", type: "string", array: true, requiresArg: true, describe: "dotenv file whose values may be references; repeatable, later wins" },
  "start-timeout": { type: "string", requiresArg: true, default: "60s", describe: "how long to retry reaching the secret stores at start" },
  "log-level": { type: "string", requiresArg: true, choices: ["debug", "info", "warn", "error", "silent"], default: "info", describe: "logs go to stderr" },
  "log-format": { type: "string", requiresArg: true, choices: ["text", "json"], default: "text", describe: "log line format" },
  "pass-credentials": { type: "boolean", default: false, describe: "let the child inherit envject's own Vault/AWS credentials" },
  pristine: { type: "boolean", default: false, describe: "child gets only the mapped variables (plus PATH, HOME, USER, LANG, TZ, TERM)" },
} as const satisfies Record<string, Options>;

export const RUN_OPTIONS = {
  watch: { type: "boolean", describe: "poll secret versions (default: on when any reference is watchable); --no-watch still renews leases and the login" },
  interval: { type: "string", requiresArg: true, default: "30s", describe: "version poll interval (minimum 1s)" },
  splay: { type: "string", requiresArg: true, default: "0s", describe: "random delay before each restart/signal" },
  "on-change": { type: "string", requiresArg: true, default: "restart", describe: "when a secret changes: restart | signal:SIG | exit (code 75) | none" },
  "kill-signal": { type: "string", requiresArg: true, default: "SIGTERM", describe: "graceful stop signal for the child" },
  "kill-timeout": { type: "string", requiresArg: true, default: "30s", describe: "then SIGKILL" },
  "restart-on-failure": { type: "number", requiresArg: true, default: 0, describe: "restart a crashed child up to N times (backoff 1s..60s)" },
  mask: { type: "boolean", default: false, describe: "replace secret values in the child's stdout/stderr with *****" },
  shell: { type: "boolean", default: false, describe: 'run the command through $SHELL -c "<string>"' },
} as const satisfies Record<string, Options>;

export const EXPORT_OPTIONS = {
  format: { type: "string", requiresArg: true, choices: ["dotenv", "json", "shell"], default: "dotenv", describe: "output format" },
} as const satisfies Record<string, Options>;

export const COMMANDS = ["run", "check", "export"] as const;
export type CommandName = (typeof COMMANDS)[number];

/** Long and short names of options that take a value (`--config FILE`, `-c FILE`). */
export function optionsTakingValues(): Set<string> {
  const out = new Set<string>();
  for (const table of [GLOBAL_OPTIONS, RUN_OPTIONS, EXPORT_OPTIONS] as Array<Record<string, Options>>) {
    for (const [name, spec] of Object.entries(table)) {
      if (spec.type === "boolean") continue;
      out.add(`--${name}`);
      if (typeof spec.alias === "string") out.add(`-${spec.alias}`);
    }
  }
  return out;
}
