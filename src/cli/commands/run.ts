/**
 * `envject run`: resolve every variable, write the `files:` secrets, start the child with the
 * assembled environment, supervise it while the watch engine keeps its secrets fresh (versions
 * polled, leases renewed, the login kept alive), and on the way out revoke leases and delete
 * secret files.
 *
 * runCommand is four steps: resolveEnvironment (the variables, the `files:` secrets), assemble
 * (supervisor, change applier, watch engine), supervise (start the child, watch, wait for the
 * end; stopWatching on the way out) and cleanUp (files removed, leases revoked), with
 * envject's own signal listeners (OwnSignals) covering the time before the child and after it.
 */
import { systemClock } from "../../clock.js";
import type { LogFields, Logger } from "../../log/logger.js";
import type { EvaluationContext } from "../../resolve/evaluate.js";
import { type ResolutionInput, resolveBindings, usedSecrets } from "../../resolve/resolution.js";
import type { Supervisor } from "../../supervise/supervisor.js";
import { catchSignals, isShutdownSignal } from "../../supervise/signals.js";
import { signalNumber } from "../../supervise/signal-names.js";
import { ChangeApplier } from "../../watch/apply.js";
import { ChildEnvironment } from "../../watch/child-environment.js";
import { WatchController } from "../../watch/controller.js";
import { holdYoungGeneration } from "../../watch/heap.js";
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
  void import("../../supervise/parent-death.js").then(
    (m) => m.probeSetprivInBackground(),
    () => {},
  );
  const ctx = await loadContext(global, environ, logger);
  const files = new SecretFiles();
  const signals = new OwnSignals(ctx, logger, files);
  const run: RunInputs = {
    global,
    args,
    environ,
    logger,
    ctx,
    input: { envFiles: ctx.envFiles, mapping: ctx.mapping },
    evaluation: { reader: ctx.reader, redactor: logger.redactor, environ, warn: (message: string, fields: LogFields) => logger.warn(message, fields) },
  };
  try {
    const environment = await resolveEnvironment(run, signals, files);
    if (typeof environment === "number") return environment;
    const session = assemble(run, environment, (await supervision).Supervisor);
    // The last await is behind us: from the check to the spawn nothing can run in between, so a
    // stop request either came before (nothing starts) or reaches the supervisor's handlers.
    if (signals.stopRequested) return await signals.stopRequested;
    return await supervise(run, session, signals);
  } finally {
    await cleanUp(ctx, files, signals);
  }
}

/** What one `envject run` works from. */
interface RunInputs {
  global: GlobalArgs;
  args: RunArgs;
  environ: NodeJS.ProcessEnv;
  logger: Logger;
  ctx: CommandContext;
  /** The mapping the variables are resolved from (and re-resolved on a change). */
  input: ResolutionInput;
  /** How references are evaluated (and re-evaluated on a change). */
  evaluation: EvaluationContext;
}

/** The `files:` secrets written for the child: removed on the way out, and by an exit listener should envject end another way. */
class SecretFiles {
  private environment: ChildEnvironment | undefined;
  private readonly onExit = () => this.remove();

  constructor() {
    process.once("exit", this.onExit);
  }

  /** The environment whose files are now on disk. */
  track(environment: ChildEnvironment): void {
    this.environment = environment;
  }

  remove(): void {
    this.environment?.removeFiles();
  }

  /** Removes the files now and the exit listener with them. */
  removeNow(): void {
    this.remove();
    process.removeListener("exit", this.onExit);
  }
}

/**
 * envject's own signal listeners, before the child exists and after it is gone; while it runs the
 * supervisor's handle signals. Each set goes in before the previous one comes out: removing the
 * last listener of a signal restores its default action at once, and a SIGHUP in that gap would
 * kill envject.
 */
class OwnSignals {
  /** Set once a stop request came before the child existed; never resolves (envject exits). */
  stopRequested: Promise<never> | undefined;
  private removeEarly: (() => void) | undefined;
  private holding = false;

  /**
   * Until the child exists, a stop request ends envject at once — resolution may be retrying for
   * the whole --start-timeout — revoking what it holds so far and removing files; the other
   * signals are caught so that none takes Node's default action (SIGUSR1 would open the inspector).
   */
  constructor(
    ctx: CommandContext,
    private readonly logger: Logger,
    files: SecretFiles,
  ) {
    this.removeEarly = catchSignals((signal) => {
      if (!isShutdownSignal(signal)) return logger.debug("signal received before the command started; ignored", { signal });
      if (this.stopRequested) return;
      logger.info(`received ${signal} before the command started; exiting`);
      this.stopRequested = releaseStores(ctx).finally(() => {
        files.remove();
        process.exit(128 + (signalNumber(signal) ?? 0));
      }) as Promise<never>;
    });
  }

  /** The supervisor's handlers are in (they must be, first): the early listeners come out. */
  handOver(): void {
    this.removeEarly?.();
    this.removeEarly = undefined;
  }

  /**
   * The child is gone: the secret files go first, and a signal now must not cut the cleanup short
   * (Node's default would kill envject with files and leases left): it is only noted. These
   * listeners stay until envject exits (main's process.exit follows): removing them would give
   * SIGHUP back its default action, and one arriving in the last moment would end envject with
   * 129 instead of the child's code. Revocation is bounded (a few seconds), so this cannot hang.
   * Call before the supervisor's handlers (or the early ones) come out.
   */
  holdForCleanup(): void {
    if (this.holding) return;
    this.holding = true;
    catchSignals((signal) => this.logger.debug("signal during cleanup; finishing cleanup first", { signal }));
  }
}

/**
 * Step 1: resolves every variable and writes the `files:` secrets. Returns the child's
 * environment, or the exit code when a variable could not be resolved.
 */
async function resolveEnvironment(run: RunInputs, signals: OwnSignals, files: SecretFiles): Promise<ChildEnvironment | number> {
  const { global, args, environ, logger, ctx } = run;
  const resolution = await resolveBindings(run.input, run.evaluation);
  if (signals.stopRequested) return await signals.stopRequested;
  if (resolution.failures.length > 0) return reportFailures(explainDenials(resolution.failures, await ctx.providers.active()), logger);

  warnAboutOverrides(resolution.variables, logger);
  const environment = new ChildEnvironment(resolution, {
    command: { command: args.command[0]!, args: args.command.slice(1), shell: args.shell },
    environment: {
      parent: environ,
      pristine: global.pristine,
      passCredentials: global.passCredentials,
      credentialVariables: ctx.mapping.vault.credentialVariables,
    },
    environ,
  });
  files.track(environment);
  return environment;
}

/** The supervisor and the watch engine of one `envject run`, built but not started. */
interface Session {
  environment: ChildEnvironment;
  supervisor: Supervisor;
  applier: ChangeApplier;
  watcher: WatchController;
  /** How many secrets have their versions polled. */
  polled: number;
  /** Ends supervision with envject's own code (--on-change exit, a login lost for good). */
  end: (code: number) => Promise<void>;
  /** The code envject decided to end with itself, if it did. */
  ownExitCode(): number | undefined;
}

/** Step 2: builds the supervisor, the change applier and the watch engine around `environment`. Starts nothing. */
function assemble(run: RunInputs, environment: ChildEnvironment, SupervisorClass: typeof Supervisor): Session {
  const { args, logger, ctx } = run;
  const supervisor = new SupervisorClass({
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
        variable_count: environment.resolution.variables.length,
        secret_count: ctx.reader.all().size,
      }),
    // A crashed child starts again with the newest values (after `--on-change none`, too).
    restartOnFailure: { limit: args.restartOnFailure, spec: () => environment.spec() },
  });
  let ownExitCode: number | undefined;
  const end = async (code: number) => {
    ownExitCode ??= code;
    await supervisor.stop();
  };
  const applier = new ChangeApplier({
    input: run.input,
    ctx: run.evaluation,
    policy: args.onChange,
    splayMs: args.splayMs,
    target: { environment, supervisor, exit: end, logger },
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
      if (ctx.mapping.expand.some((e) => e.ref.folder)) watcher.sync(usedSecrets(environment.resolution));
    },
    retireReplacedLogins: args.onChange.kind === "restart" || args.onChange.kind === "exit",
  });
  return { environment, supervisor, applier, watcher, polled, end, ownExitCode: () => ownExitCode };
}

/**
 * Step 3: starts the child, then the watch engine and the logins' keep-alive, and waits for
 * supervision to end; resolves with envject's exit code. Stops watching on the way out, whatever
 * happened.
 */
async function supervise(run: RunInputs, session: Session, signals: OwnSignals): Promise<number> {
  const { args, ctx, logger } = run;
  const { supervisor, watcher, polled } = session;
  let supervising = true;
  void supervisor.done.then(() => (supervising = false));
  let watchingNotice: { cancel(): void } | undefined;
  try {
    // The supervisor's handlers go in before the early ones come out (see OwnSignals).
    const started = supervisor.start(session.environment.spec());
    signals.handOver();
    await started;
    watcher.start();
    if (polled > 0) {
      // A watching envject allocates at every poll for as long as the child runs (../../watch/heap.ts).
      holdYoungGeneration();
      watchingNotice = systemClock.after(WATCHING_NOTICE_AFTER_MS, () => {
        if (!supervising) return;
        const secrets = polled === 1 ? "secret" : "secrets";
        logger.info(`watching ${polled} ${secrets} for changes every ${args.intervalMs / 1000}s`, { on_change: describeOnChange(args.onChange) });
      });
    }
    await keepLoginsAlive(ctx, watcher, logger, session.end);
    const code = await supervisor.done;
    logger.debug("command exited", { exit_code: code });
    return session.ownExitCode() ?? code;
  } finally {
    watchingNotice?.cancel();
    stopWatching(session, signals);
  }
}

/** Step 3's way out: the watch engine stops, and the clean-up listeners go in before the supervisor's come out. */
function stopWatching(session: Session, signals: OwnSignals): void {
  session.watcher.close();
  session.applier.close();
  signals.holdForCleanup(); // before the supervisor's handlers come out (see OwnSignals)
  session.supervisor.dispose();
}

/**
 * Step 4, always: signals are only noted from now on, the secret files are removed (first: the
 * child is gone), then the leases are revoked and the stores closed.
 */
async function cleanUp(ctx: CommandContext, files: SecretFiles, signals: OwnSignals): Promise<void> {
  signals.holdForCleanup();
  signals.handOver(); // the early listeners, if the child never started
  files.removeNow();
  await releaseStores(ctx);
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
