/**
 * `envject run`: resolve every variable, write the `files:` secrets, start the child with the
 * assembled environment, supervise it, and on the way out revoke leases and delete secret files.
 */
import type { Logger } from "../../log/logger.js";
import { type ResolvedVariable, resolveBindings } from "../../resolve/resolution.js";
import { buildChildEnvironment, type EnvironmentEntry } from "../../resolve/environment.js";
import { SecretFiles } from "../../resolve/secret-files.js";
import type { Supervisor } from "../../supervise/supervisor.js";
import { catchSignals, isShutdownSignal } from "../../supervise/signals.js";
import { signalNumber } from "../../supervise/signal-names.js";
import type { GlobalArgs, RunArgs } from "../argv.js";
import { loadContext, releaseStores } from "../context.js";
import { reportFailures } from "../report.js";

export async function runCommand(global: GlobalArgs, args: RunArgs, environ: NodeJS.ProcessEnv, logger: Logger): Promise<number> {
  // The supervisor (and execa under it) loads, and setpriv is probed, while the secrets are read.
  const supervision = import("../../supervise/supervisor.js");
  supervision.catch(() => {});
  void import("../../supervise/parent-death.js").then((m) => m.probeSetprivInBackground(), () => {});
  const ctx = await loadContext(global, environ, logger);
  if (args.watch === true) {
    logger.warn("--watch: this version reads secrets once at start; version polling is not available yet");
  }
  let files: SecretFiles | undefined;
  const removeFiles = () => files?.remove();
  process.once("exit", removeFiles);
  // Until the child exists, a stop request ends envject at once — resolution may be retrying for
  // the whole --start-timeout — revoking what it holds so far and removing files; the other
  // signals are caught so that none takes Node's default action (SIGUSR1 would open the inspector).
  let stopping: Promise<never> | undefined;
  let stopEarly: (() => void) | undefined = catchSignals((signal) => {
    if (!isShutdownSignal(signal)) return logger.debug("signal received before the command started; ignored", { signal });
    if (stopping) return;
    logger.info(`received ${signal} before the command started; exiting`);
    stopping = releaseStores(ctx).finally(() => {
      removeFiles();
      process.exit(128 + (signalNumber(signal) ?? 0));
    }) as Promise<never>;
  });
  try {
    const resolution = await resolveBindings({ envFiles: ctx.envFiles, mapping: ctx.mapping }, { reader: ctx.reader, redactor: logger.redactor, environ });
    if (stopping) return await stopping;
    if (resolution.failures.length > 0) return reportFailures(resolution.failures, logger);

    const entries: EnvironmentEntry[] = [];
    for (const v of resolution.variables) {
      if (v.section === "files") {
        files ??= SecretFiles.create(environ);
        entries.push({ name: v.name, value: files.write(v.name, v.value) });
      } else {
        entries.push(v);
      }
    }
    warnAboutOverrides(resolution.variables, logger);
    const env = buildChildEnvironment(entries, {
      parent: environ,
      pristine: global.pristine,
      passCredentials: global.passCredentials,
      credentialVariables: ctx.mapping.vault.credentialVariables,
    });
    logger.info("starting command", {
      command: args.command[0],
      variables: resolution.variables.length,
      secrets: ctx.reader.all().size,
    });

    const supervisor: Supervisor = new (await supervision).Supervisor({
      killSignal: args.killSignal,
      killTimeoutMs: args.killTimeoutMs,
      mask: args.mask ? () => logger.redactor.secrets() : undefined,
      logger,
    });
    // The last await is behind us: from the check to the spawn nothing can run in between, so a
    // stop request either came before (nothing starts) or reaches the supervisor's handlers.
    if (stopping) return await stopping;
    try {
      stopEarly();
      stopEarly = undefined;
      await supervisor.start({ command: args.command[0]!, args: args.command.slice(1), shell: args.shell, env });
      const code = await supervisor.done;
      logger.debug("command exited", { exit_code: code });
      return code;
    } finally {
      supervisor.dispose();
    }
  } finally {
    stopEarly?.();
    // The child is gone; the secret files go first, and a signal now must not cut the cleanup
    // short (Node's default would kill envject with files and leases left): it is only noted.
    // Revocation is bounded (a few seconds), so this cannot hang.
    const noted = catchSignals((signal) => logger.debug("signal during cleanup; finishing cleanup first", { signal }));
    removeFiles();
    process.removeListener("exit", removeFiles);
    await releaseStores(ctx);
    noted();
  }
}

/** Within the mapping file, a later section silently replacing an earlier one is usually a mistake: say so. */
function warnAboutOverrides(variables: readonly ResolvedVariable[], logger: Logger): void {
  const seen = new Map<string, ResolvedVariable>();
  for (const v of variables) {
    const before = seen.get(v.name);
    if (before && before.section !== "env-file" && v.section !== "env-file" && before.section !== v.section) {
      logger.warn(`${v.name} from ${v.section} replaces the value from ${before.section}`, { variable: v.name });
    }
    seen.set(v.name, v);
  }
}
