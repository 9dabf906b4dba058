/**
 * The Supervisor runs the command for the whole of envject's life: one child at a time (a restart
 * waits for the old one to have exited before starting the next), envject's signals passed on by
 * the forwarding policy, and the exit code envject ends with.
 */
import { isatty } from "node:tty";
import { SpawnError } from "../errors.js";
import type { Logger } from "../log/logger.js";
import { SupervisedChild, type ChildSpec } from "./child.js";
import { type CrashDecision, CrashPolicy } from "./crash-policy.js";
import type { ChildExit } from "./exit-code.js";
import { catchSignals, type ForwardedSignal, isShutdownSignal, shouldForward, StartGrace } from "./signals.js";

export type { ChildSpec } from "./child.js";
export type { ChildExit } from "./exit-code.js";

export interface SupervisorOptions {
  /** Graceful stop signal for restart() and stop() (default SIGTERM at the CLI). */
  killSignal: NodeJS.Signals;
  /** How long a graceful stop may take before SIGKILL (default 30000 at the CLI). */
  killTimeoutMs: number;
  /** When set, the child's stdout/stderr are piped through a filter replacing every value
   *  returned by this function (read at each chunk, so new secrets apply) with `*****`. */
  mask?: () => readonly string[];
  logger: Logger;
  /** envject's stdin is a terminal (default: whether fd 0 is a TTY) — decides double-signal avoidance. */
  stdinIsTTY?: boolean;
  /** Wrap the child with `setpriv --pdeathsig SIGKILL` when available (default true). */
  parentDeathSignal?: boolean;
  /** With a terminal, a second Ctrl-C within this many ms kills the child (default 2000). */
  terminalDoublePressMs?: number;
  /**
   * Called once each child has been spawned (the OS has started it), before anything else about
   * it is known: the first start is 1, each restart (a change, a crash) counts on. Never called
   * for a command that could not be started.
   */
  onStart?: (child: StartedChild) => void;
  /** Signals other than SIGTERM/SIGINT/SIGQUIT reach a new child only once it has run this long,
   *  and none during a restart (default NEW_CHILD_SIGNAL_GRACE_MS). */
  newChildSignalGraceMs?: number;
  /** Restart a child that exits on its own with a non-zero code or by a signal, up to `limit` times. */
  restartOnFailure?: {
    limit: number; // 0 = never (exit with the child, as today)
    spec: () => ChildSpec; // the spec for the next start: the newest environment
    /** A child that ran this long resets the count (default 60000). */
    healthyAfterMs?: number;
    /** Backoff: initial (default 1000), doubling, capped at max (default 60000). */
    initialDelayMs?: number;
    maxDelayMs?: number;
  };
}

/** A child that has just been spawned. */
export interface StartedChild {
  pid: number | undefined;
  /** Which start this is: 1 for the first child, then 2, 3, … for each restart. */
  start: number;
}

/** The wait between a crash and the restart it leads to. */
interface CrashBackoff {
  timer: NodeJS.Timeout;
  /** The crashed child's exit: what supervision ends with if it is told to stop meanwhile. */
  exit: ChildExit;
}

export class Supervisor {
  /** Resolves when supervision is over — the child exited on its own, or envject was told to stop
   *  (SIGTERM/SIGINT, stop()) and the child has exited — with the code envject must exit with. */
  readonly done: Promise<number>;

  private readonly logger: Logger;
  private readonly stdinIsTTY: boolean;
  private resolveDone!: (code: number) => void;
  private current: SupervisedChild | undefined;
  /** The child restart() is stopping: its exit is expected and does not end supervision. */
  private replacing: SupervisedChild | undefined;
  private lastExit: ChildExit | undefined;
  private started = false;
  private finished = false;
  private stopping = false;
  private shutdownSignals = 0;
  /** When the terminal last delivered SIGINT/SIGTERM to the child (ms since epoch). */
  private lastTerminalStop = Number.NEGATIVE_INFINITY;
  /** restart() calls run one after another through this chain. */
  private queue: Promise<unknown> = Promise.resolve();
  private removeSignalHandlers: (() => void) | undefined;
  private readonly exitListeners: ((exit: ChildExit) => void)[] = [];
  private readonly crashPolicy: CrashPolicy | undefined;
  /** When the current child was started (performance.now(), a clock that never jumps). */
  private currentStartedAt = 0;
  /** The current child received a terminal's SIGINT/SIGTERM: its exit is the user's wish, not a crash. */
  private terminalStopped = false;
  /** Set while waiting to restart a crashed child; no child runs meanwhile. */
  private backoff: CrashBackoff | undefined;
  /** Children spawned so far. */
  private starts = 0;
  /** Holds back forwarded signals while a child is (re)starting. */
  private readonly startGrace: StartGrace;

  constructor(private readonly options: SupervisorOptions) {
    this.logger = options.logger;
    // Same answer as process.stdin.isTTY, asked of the kernel without building a stream.
    this.stdinIsTTY = options.stdinIsTTY ?? isatty(0);
    this.done = new Promise<number>((resolve) => {
      this.resolveDone = resolve;
    });
    const crash = options.restartOnFailure;
    if (crash && crash.limit > 0) this.crashPolicy = new CrashPolicy(crash);
    this.startGrace = new StartGrace(options.newChildSignalGraceMs);
  }

  /** The current child's process id, if one has been started. */
  get childPid(): number | undefined {
    return this.current?.pid;
  }

  /**
   * Starts the first child; rejects with SpawnError (126 not executable, 127 not found) before
   * anything runs when the command cannot be started (`done` then resolves with that code).
   * Installs signal forwarding.
   */
  async start(spec: ChildSpec): Promise<void> {
    if (this.started) throw new Error("Supervisor.start() may only be called once; use restart()");
    this.started = true;
    this.installSignalHandlers();
    await this.launch(spec);
  }

  /**
   * Gracefully stops the current child (killSignal, then SIGKILL after killTimeoutMs), waits for
   * it to have exited, then starts `spec`: never two children at once. Calls run in the order made.
   * Does nothing once supervision is ending. Rejects with SpawnError when `spec` cannot be
   * started, and supervision then ends with that code.
   */
  restart(spec: ChildSpec): Promise<void> {
    const run = this.queue.then(() => this.replace(spec));
    this.queue = run.catch(() => {});
    return run;
  }

  /** Sends a signal to the current child (for `--on-change signal:SIG`); does nothing between children. */
  signal(signal: NodeJS.Signals): void {
    const child = this.current;
    if (!child?.signal(signal)) this.logger.debug("no running child to signal", { signal });
  }

  /**
   * Stops the child gracefully and resolves with its exit once it has exited; `done` resolves with
   * it too. While waiting to restart a crashed child, the wait is cancelled and the crashed child's
   * exit is the answer.
   */
  async stop(): Promise<ChildExit> {
    this.stopping = true;
    this.cancelBackoff();
    const child = this.current;
    const exit = child ? await child.stop() : (this.lastExit ?? { code: null, signal: null, exitCode: 0 });
    // A restart in flight sees `stopping` and starts nothing; wait for it so nothing runs after.
    await this.queue;
    this.finish(exit.exitCode);
    return exit;
  }

  /** Subscribes to every child exit (restarts and stops included), in order. */
  onExit(listener: (exit: ChildExit) => void): void {
    this.exitListeners.push(listener);
  }

  /** Removes the signal handlers; call before envject exits. Does not stop the child. */
  dispose(): void {
    this.removeSignalHandlers?.();
    this.removeSignalHandlers = undefined;
  }

  private async replace(spec: ChildSpec): Promise<void> {
    if (this.isEnding()) {
      this.logger.debug("supervision is ending, not restarting");
      return;
    }
    this.started = true; // restart() without start() simply starts
    this.installSignalHandlers();
    // A new spec (a secret changed) does not wait out a crash backoff: it starts now, as an
    // ordinary restart. The crash count is kept; only a healthy run resets it.
    if (this.cancelBackoff()) this.logger.debug("restart requested while waiting after a crash; starting now");
    const old = this.current;
    if (old) {
      this.startGrace.restartBegins();
      this.replacing = old;
      try {
        await old.stop();
      } finally {
        this.replacing = undefined;
      }
      // Told to stop while waiting: the old child's exit is the last word.
      if (this.isEnding()) {
        this.finish(this.lastExit?.exitCode ?? 0);
        return;
      }
    }
    await this.launch(spec);
  }

  /** Starts a child and makes it current. Synchronous up to the spawn, so a signal never finds a gap. */
  private async launch(spec: ChildSpec): Promise<void> {
    try {
      const child = SupervisedChild.start(spec, this.options);
      this.current = child;
      this.currentStartedAt = performance.now();
      this.startGrace.childSpawned(this.currentStartedAt);
      this.terminalStopped = false;
      void child.exited.then((exit) => this.onChildExit(child, exit));
      await child.spawned;
      this.starts += 1;
      this.options.onStart?.({ pid: child.pid, start: this.starts });
    } catch (error) {
      if (error instanceof SpawnError) this.finish(error.exitCode);
      throw error;
    }
  }

  private installSignalHandlers(): void {
    this.removeSignalHandlers ??= catchSignals((signal) => this.onSignal(signal));
  }

  private onChildExit(child: SupervisedChild, exit: ChildExit): void {
    // A child that never ran is reported by launch() as a SpawnError, not as an exit.
    if (!child.hasStarted || !this.isCurrentOrReplaced(child)) return;
    this.lastExit = exit;
    for (const listener of this.exitListeners) {
      try {
        listener(exit);
      } catch (error) {
        this.logger.error("child exit listener failed", { reason: error instanceof Error ? error.message : String(error) });
      }
    }
    if (child === this.replacing) return; // restart() goes on with the next child
    const decision = this.crashDecision(exit);
    if (decision?.restart) {
      this.waitThenRestart(exit, decision);
      return;
    }
    if (decision) {
      this.logger.error(`${describeExit(exit)}; not restarting: the limit of ${decision.limit} restart${decision.limit === 1 ? "" : "s"} in a row was reached`, {
        exit_code: exit.exitCode,
        signal: exit.signal ?? undefined,
        limit: decision.limit,
      });
    }
    this.finish(exit.exitCode);
  }

  /**
   * Consults the crash policy when the current child's exit is a crash: non-zero or a signal, and
   * not caused by envject (a stop, a shutdown signal, the terminal's Ctrl-C). Undefined otherwise.
   */
  private crashDecision(exit: ChildExit): CrashDecision | undefined {
    if (!this.crashPolicy || this.isEnding() || this.terminalStopped || exit.exitCode === 0) return undefined;
    return this.crashPolicy.onCrash(performance.now() - this.currentStartedAt);
  }

  private waitThenRestart(exit: ChildExit, decision: CrashDecision & { restart: true }): void {
    const { attempt, limit, delayMs } = decision;
    this.startGrace.restartBegins();
    this.logger.warn(`${describeExit(exit)}; restarting in ${seconds(delayMs)} (restart ${attempt} of ${limit})`, {
      exit_code: exit.exitCode,
      signal: exit.signal ?? undefined,
      delay_ms: delayMs,
      attempt,
      limit,
    });
    // Not unref'd: during the wait nothing else may keep envject's event loop alive.
    const timer = setTimeout(() => {
      if (this.backoff?.timer !== timer) return;
      this.backoff = undefined;
      // Through the restart queue, so a restart() made meanwhile and this one never overlap.
      const run = this.queue.then(() => this.restartAfterCrash(exit));
      this.queue = run.catch(() => {});
    }, delayMs);
    this.backoff = { timer, exit };
  }

  private async restartAfterCrash(crashed: ChildExit): Promise<void> {
    if (this.isEnding()) {
      this.finish(crashed.exitCode);
      return;
    }
    try {
      const spec = this.options.restartOnFailure!.spec();
      this.logger.info("restarting the command after a crash", { restart: this.crashPolicy?.count });
      await this.launch(spec);
    } catch (error) {
      // No caller awaits a crash restart: the reason is logged here, and supervision ends.
      this.logger.error(error instanceof Error ? error.message : String(error));
      this.finish(error instanceof SpawnError ? error.exitCode : crashed.exitCode);
    }
  }

  /** Cancels a pending crash restart; true if there was one. A stop then ends with the crashed exit. */
  private cancelBackoff(): boolean {
    const backoff = this.backoff;
    if (!backoff) return false;
    clearTimeout(backoff.timer);
    this.backoff = undefined;
    return true;
  }

  private isCurrentOrReplaced(child: SupervisedChild): boolean {
    return child === this.current || child === this.replacing;
  }

  private onSignal(signal: ForwardedSignal): void {
    const child = this.current;
    const forward = shouldForward(signal, this.stdinIsTTY);
    if (!isShutdownSignal(signal)) {
      const held = forward ? this.startGrace.holdReason(signal, performance.now()) : undefined;
      if (held) {
        // Dropped, not queued: a SIGHUP or SIGUSR1 replayed later would be a surprise of its own.
        this.logger.debug(`not forwarding signal: ${held}`, { signal, grace_ms: this.startGrace.graceMs });
        return;
      }
      this.logger.debug(forward ? "forwarding signal" : "signal already delivered by the terminal", { signal });
      // Ctrl-\ quits the program on the user's behalf, like Ctrl-C below.
      if (!forward && signal === "SIGQUIT" && child?.running) this.terminalStopped = true;
      if (forward) child?.signal(signal);
      return;
    }
    if (!forward) {
      // Ctrl-C while waiting to restart a crashed program: the user wants it to stay down.
      if (this.endDuringBackoff(signal)) return;
      // The terminal delivered it to the child too. An interactive program (a REPL, psql) may
      // rightly survive Ctrl-C, so it neither ends supervision nor starts a kill deadline; the
      // child's exit, if it comes, ends envject as always. Pressed twice in quick succession, it
      // kills the child: the usual "press Ctrl-C again to force".
      const now = Date.now();
      const window = this.options.terminalDoublePressMs ?? 2000;
      // If the child does end now, that is what the user asked for: not a crash to restart.
      // (A program that survives Ctrl-C and crashes much later is then not restarted either.)
      if (child?.running) this.terminalStopped = true;
      if (now - this.lastTerminalStop <= window && child?.running) {
        this.logger.warn(`${signal} twice within ${window} ms, killing the child`, { pid: child.pid });
        child.kill();
      } else {
        this.logger.debug("signal already delivered by the terminal; again within the window kills the child", { signal, window_ms: window });
      }
      this.lastTerminalStop = now;
      return;
    }
    this.shutdownSignals += 1;
    if (this.endDuringBackoff(signal)) return;
    this.stopping = true;
    if (this.shutdownSignals > 1) {
      this.logger.warn(`received ${signal} again, killing the child`, { pid: child?.pid });
      child?.kill();
      return;
    }
    this.logger.info(`received ${signal}, stopping the child`, { pid: child?.pid, kill_timeout_ms: this.options.killTimeoutMs });
    // The signal itself is what the child gets, not killSignal: whoever sent it to envject meant
    // it for the program.
    void child?.stop(signal);
  }

  /** A shutdown signal while waiting to restart a crashed child ends supervision now, with the crashed child's code. */
  private endDuringBackoff(signal: NodeJS.Signals): boolean {
    const backoff = this.backoff;
    if (!backoff) return false;
    this.stopping = true;
    this.cancelBackoff();
    this.logger.info(`received ${signal} while waiting to restart the command; exiting`, { exit_code: backoff.exit.exitCode });
    this.finish(backoff.exit.exitCode);
    return true;
  }

  private isEnding(): boolean {
    return this.stopping || this.finished;
  }

  private finish(code: number): void {
    if (this.finished) return;
    this.finished = true;
    this.cancelBackoff(); // nothing starts after the end, and no timer holds envject back
    this.resolveDone(code);
  }
}

/** "command exited with code 3" or "command was killed by SIGSEGV", for log lines. */
function describeExit(exit: ChildExit): string {
  return exit.signal ? `command was killed by ${exit.signal}` : `command exited with code ${exit.exitCode}`;
}

/** A delay as seconds for people: 1000 → "1s", 1850 → "1.9s". */
function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))}s`;
}
