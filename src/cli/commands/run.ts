/**
 * `envject run`: resolve every variable, write the `files:` secrets, start the child with the
 * assembled environment, supervise it while the watch engine keeps its secrets fresh (versions
 * polled, leases renewed, the login kept alive), and on the way out revoke leases and delete
 * secret files.
 */
import { systemClock } from "../../clock.js";
import type { LogFields, Logger } from "../../log/logger.js";
import { resolveBindings, usedSecrets } from "../../resolve/resolution.js";
import type { Supervisor } from "../../supervise/supervisor.js";
import { catchSignals, isShutdownSignal } from "../../supervise/signals.js";
import { signalNumber } from "../../supervise/signal-names.js";
import { ChangeApplier } from "../../watch/apply.js";
import { ChildEnvironment } from "../../watch/child-environment.js";
import { WatchController } from "../../watch/controller.js";
import { describeOnChange } from "../../watch/policy.js";
import type { GlobalArgs, RunArgs } from "../argv.js";
import { type CommandContext, loadContext, releaseStores } from "../context.js";
import { explainDenials, reportFailures, warnAboutOverrides } from "../report.js";

/**
 * How long the command must have run before "watching N secrets for changes" is logged, so that a
 * one-shot command (`envject -- printenv FOO`) never announces a watch it does not need. Polling
 * itself starts at once.
 */
export const WATCHING_NOTICE_AFTER_MS = 1000;

export async function runCommand(global: GlobalArgs, args: RunArgs, environ: NodeJS.ProcessEnv, logger: Logger): Promise<number> {
  // The supervisor (and execa under it) loads, and setpriv is probed, while the secrets are read.
  const supervision = import("../../supervise/supervisor.js");
  supervision.catch(() => {});
  void import("../../supervise/parent-death.js").then((m) => m.probeSetprivInBackground(), () => {});
  const ctx = await loadContext(global, environ, logger);
  let environment: ChildEnvironment | undefined;
  const removeFiles = () => environment?.removeFiles();
  process.once("exit", removeFiles);
  // Until the child exists, a stop request ends envject at once — resolution may be retrying for
  // the whole --start-timeout — revoking what it holds so far and removing files; the other
  // signals are caught so that none takes Node's default action (SIGUSR1 would open the inspector).
  let stopping: Promise<never> | undefined;
  // The child is gone: the secret files go first, and a signal now must not cut the cleanup short
  // (Node's default would kill envject with files and leases left): it is only noted. These
  // listeners stay until envject exits (main's process.exit follows): removing them would give
  // SIGHUP back its default action, and one arriving in the last moment would end envject with
  // 129 instead of the child's code. Revocation is bounded (a few seconds), so this cannot hang.
  let holdingSignals = false;
  const holdSignalsForCleanup = () => {
    if (holdingSignals) return;
    holdingSignals = true;
    catchSignals((signal) => logger.debug("signal during cleanup; finishing cleanup first", { signal }));
  };
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
    const input = { envFiles: ctx.envFiles, mapping: ctx.mapping };
    const evaluation = { reader: ctx.reader, redactor: logger.redactor, environ, warn: (message: string, fields: LogFields) => logger.warn(message, fields) };
    const resolution = await resolveBindings(input, evaluation);
    if (stopping) return await stopping;
    if (resolution.failures.length > 0) return reportFailures(explainDenials(resolution.failures, await ctx.providers.active()), logger);

    warnAboutOverrides(resolution.variables, logger);
    const current = new ChildEnvironment(resolution, {
      command: { command: args.command[0]!, args: args.command.slice(1), shell: args.shell },
      environment: {
        parent: environ,
        pristine: global.pristine,
        passCredentials: global.passCredentials,
        credentialVariables: ctx.mapping.vault.credentialVariables,
      },
      environ,
    });
    environment = current;

    const supervisor: Supervisor = new (await supervision).Supervisor({
      killSignal: args.killSignal,
      killTimeoutMs: args.killTimeoutMs,
      mask: args.mask ? () => logger.redactor.secrets() : undefined,
      logger,
      // Logged once the child exists, so it names its pid, and never for a command that cannot start.
      onStart: ({ pid, start }) =>
        logger.info("starting command", {
          command: args.command[0],
          pid,
          start,
          variable_count: current.resolution.variables.length,
          secret_count: ctx.reader.all().size,
        }),
      // A crashed child starts again with the newest values (after `--on-change none`, too).
      restartOnFailure: { limit: args.restartOnFailure, spec: () => current.spec() },
    });
    // Set when envject itself decides how it ends (--on-change exit, a login lost for good).
    let ownExitCode: number | undefined;
    const end = async (code: number) => {
      ownExitCode ??= code;
      await supervisor.stop();
    };
    const applier = new ChangeApplier({
      input,
      ctx: evaluation,
      policy: args.onChange,
      splayMs: args.splayMs,
      target: { environment: current, supervisor, exit: end, logger },
    });
    const polled = secretsToPoll(args, ctx, logger);
    const watcher = new WatchController({
      reader: ctx.reader,
      providers: ctx.providers,
      logger,
      intervalMs: args.intervalMs,
      poll: polled > 0,
      apply: async (changes) => {
        await applier.apply(changes);
        // A secret added to or removed from an expand: folder starts or stops being watched.
        if (ctx.mapping.expand.some((e) => e.ref.folder)) watcher.sync(usedSecrets(current.resolution));
      },
      retireReplacedLogins: args.onChange.kind === "restart" || args.onChange.kind === "exit",
    });
    // The last await is behind us: from the check to the spawn nothing can run in between, so a
    // stop request either came before (nothing starts) or reaches the supervisor's handlers.
    if (stopping) return await stopping;
    let supervising = true;
    void supervisor.done.then(() => (supervising = false));
    let watchingNotice: { cancel(): void } | undefined;
    try {
      // The supervisor's handlers go in before the early ones come out: removing the last listener
      // of a signal restores its default action at once, and a SIGHUP in that gap would kill envject.
      const started = supervisor.start(current.spec());
      stopEarly();
      stopEarly = undefined;
      await started;
      watcher.start();
      if (polled > 0) {
        watchingNotice = systemClock.after(WATCHING_NOTICE_AFTER_MS, () => {
          if (!supervising) return;
          const secrets = polled === 1 ? "secret" : "secrets";
          logger.info(`watching ${polled} ${secrets} for changes every ${args.intervalMs / 1000}s`, { on_change: describeOnChange(args.onChange) });
        });
      }
      await keepLoginsAlive(ctx, watcher, logger, end);
      const code = await supervisor.done;
      logger.debug("command exited", { exit_code: code });
      return ownExitCode ?? code;
    } finally {
      watchingNotice?.cancel();
      watcher.close();
      applier.close();
      holdSignalsForCleanup(); // before the supervisor's handlers come out, for the same reason
      supervisor.dispose();
    }
  } finally {
    holdSignalsForCleanup();
    stopEarly?.();
    // The child is gone; the secret files go first (see holdSignalsForCleanup).
    removeFiles();
    process.removeListener("exit", removeFiles);
    await releaseStores(ctx);
  }
}

/**
 * How many secrets have their versions polled: none under `--no-watch`, else every secret with a
 * version to compare (pinned versions and leased secrets have none). Leases are renewed either way.
 */
function secretsToPoll(args: RunArgs, ctx: CommandContext, logger: Logger): number {
  const stamped = [...ctx.reader.all().values()].filter((r) => r.doc?.stamp !== undefined).length;
  if (args.watch === false) {
    logger.debug("--no-watch: secret versions are not polled (leases and the login are still renewed)");
    return 0;
  }
  if (stamped === 0 && args.watch === true) logger.info("--watch: no secret has a version to poll (pinned versions and dynamic secrets are renewed, not polled)");
  return stamped;
}

/**
 * Starts every store's own login keep-alive (Vault: token renewal and AppRole re-login), also
 * under `--no-watch`: the child's dynamic credentials must stay valid. A new login re-reads the
 * leased secrets; a login lost for good stops the child and ends envject with its code (77).
 */
async function keepLoginsAlive(ctx: CommandContext, watcher: WatchController, logger: Logger, end: (code: number) => Promise<void>): Promise<void> {
  for (const provider of await ctx.providers.active()) {
    provider.keepAlive?.({
      onNewLogin: (login) => watcher.rereadLeased(provider.name, login),
      holdsLeases: () => watcher.leasedOf(provider.name) > 0,
      onFatal: (error) => {
        logger.error(`${error.message}; stopping the command`);
        void end(error.exitCode);
      },
    });
  }
}
