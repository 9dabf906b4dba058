/**
 * How failures reach the user: one log line per problem, naming the variables and the reference,
 * never a value and never a stack trace for a mistake the user can fix.
 */
import { ConfigError, EnvjectError, ExitCode, UsageError, mostSeriousExitCode } from "../errors.js";
import { displayRef } from "../config/reference.js";
import type { Logger } from "../log/logger.js";
import type { ResolvedVariable, VariableFailure } from "../resolve/resolution.js";
import type { SecretProvider } from "../providers/provider.js";

export const INTERNAL_ERROR_EXIT = ExitCode.internal;

/**
 * Logs every failed variable — variables failing for the same reason share one line — and
 * returns the exit code of the most serious failure (65, 77, 69, 78).
 */
export function reportFailures(failures: readonly VariableFailure[], logger: Logger): number {
  const groups = new Map<string, VariableFailure[]>();
  for (const f of failures) {
    const key = `${f.error.exitCode}\u0000${f.error.message}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  for (const group of groups.values()) {
    const first = group[0]!;
    const names = group.map((f) => f.name);
    const refs = [...new Set(group.flatMap((f) => f.refs.map(displayRef)))];
    logger.error(`cannot resolve ${names.join(", ")}${refs.length ? ` from ${refs.join(", ")}` : ""}: ${first.error.message}`, {
      exit_code: first.error.exitCode,
    });
  }
  return mostSeriousExitCode(failures.map((f) => f.error.exitCode));
}

/**
 * Failures as the user should read them: when a store says its login explains every denial
 * (SecretProvider.loginDenial), the variables it denied share that one error, so they are one line.
 */
export function explainDenials(failures: readonly VariableFailure[], providers: readonly SecretProvider[]): VariableFailure[] {
  let out = [...failures];
  for (const provider of providers) {
    const denial = provider.loginDenial?.();
    if (!denial) continue;
    out = out.map((f) => (f.error.exitCode === ExitCode.auth && f.refs.length > 0 && f.refs.every((r) => r.provider === provider.name) ? { ...f, error: denial } : f));
  }
  return out;
}

/** Logs an error that ends envject and returns the exit code to use. */
export function reportFatal(error: unknown, logger: Logger): number {
  if (error instanceof EnvjectError) {
    const hint = error instanceof UsageError ? " (see envject --help)" : "";
    logger.error(`${error.message}${hint}`, { exit_code: error.exitCode });
    if (error instanceof ConfigError) for (const more of error.related) logger.error(more.message, { exit_code: error.exitCode });
    return error.exitCode;
  }
  const e = error instanceof Error ? error : new Error(String(error));
  logger.error(`internal error: ${e.message} (this is a bug in envject; run with --log-level debug for details)`, {
    exit_code: INTERNAL_ERROR_EXIT,
  });
  logger.debug("stack", { stack: e.stack ?? "" });
  return INTERNAL_ERROR_EXIT;
}

/** Within the mapping file, a later section silently replacing an earlier one is usually a mistake: say so. */
export function warnAboutOverrides(variables: readonly ResolvedVariable[], logger: Logger): void {
  const seen = new Map<string, ResolvedVariable>();
  for (const v of variables) {
    const before = seen.get(v.name);
    if (before && before.section !== "env-file" && v.section !== "env-file" && before.section !== v.section) {
      logger.warn(`${v.name} from ${v.section} replaces the value from ${before.section}`, { variable: v.name });
    }
    seen.set(v.name, v);
  }
}
