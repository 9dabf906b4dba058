/**
 * The Supervisor runs the command for the whole of envject's life: one child at a time (a restart
 * waits for the old one to have exited before starting the next), envject's signals passed on by
 * the forwarding policy, and the exit code envject ends with.
 *
 * Its state is one `phase` (a discriminated union, `Phase` below); each change of phase is one of
 * the named transitions, and a signal is decided by the phase it arrives in.
 *
 *   phase               what holds                                        left by (transition → phase)
 *   ------------------  ------------------------------------------------  ----------------------------------------------
 *   idle                constructed; no child, signals not caught yet     spawned (start() or restart()) → starting
 *   starting            a child has been spawned and has run less than    graceOver → running; crashed → waiting-to-restart;
 *                       the start grace (newChildSignalGraceMs, 1 s)      beginRestart → restarting; beginStop → stopping;
 *                                                                         end (exited, limit reached, spawn failed) → ended
 *   running             the child has run past its grace                  crashed → waiting-to-restart; beginRestart →
 *                                                                         restarting; beginStop → stopping; end (exited) → ended
 *   restarting          restart(spec): the old child is being stopped;    spawned (the old child is gone) → starting;
 *                       the next starts once it has exited                beginStop → stopping; end (spawn failed) → ended
 *   waiting-to-restart  a crashed child's backoff (--restart-on-failure); spawned (backoffElapsed, or restart(spec) at once)
 *                       no child runs; the timer is in the phase          → starting; end (stop(), a shutdown signal, spec()
 *                                                                         failed, spawn failed) → ended with the crash's code
 *   stopping            stop() or a shutdown signal: the child is being   end (the child has exited) → ended
 *                       stopped (killSignal, SIGKILL after killTimeoutMs);
 *                       nothing starts any more
 *   ended               `done` has resolved; no child runs, none starts   (final)
 *
 * Signals received, by phase. "From the terminal": stdin is a terminal, so the kernel gave the
 * child the same SIGINT, SIGQUIT or SIGWINCH, and envject does not forward it again; without a
 * terminal every signal is sent, and handled as in the other columns.
 *
 *   phase               SIGTERM; SIGINT sent    SIGINT from the terminal   SIGQUIT           SIGHUP SIGUSR1 SIGUSR2 SIGWINCH
 *   ------------------  ----------------------  -------------------------  ----------------  ------------------------------
 *   starting            beginStop; the child    the user's stop (then no   forwarded         dropped (the start grace)
 *                       gets that signal        crash); the 2nd within
 *                                               terminalDoublePressMs:
 *                                               SIGKILL
 *   running             as in starting          as in starting             forwarded         forwarded
 *   restarting          beginStop; the old      the 2nd within the         to the old child  dropped (a restart is in
 *                       child gets it           window: SIGKILL the old                      progress)
 *   waiting-to-restart  end (the crash's code)  end (the crash's code)     nothing           dropped (a restart is in
 *                                                                                            progress)
 *   stopping            passed on; the 2nd      the 2nd within the         forwarded         forwarded once the child's
 *                       (stop() is not one):    window: SIGKILL                              grace is over; never after a
 *                       SIGKILL                                                              restart began
 *   idle, ended         ignored: no child runs
 *
 * SIGQUIT from the terminal is only logged and marks the user's stop (the child's exit is then no
 * crash); SIGWINCH from the terminal is only logged. A dropped signal is not kept for later: a
 * SIGHUP or SIGUSR1 replayed later would be a surprise of its own.
 */
import { isatty } from "node:tty";
import { type Clock, type TimerHandle, systemClock } from "../clock.js";
import { SpawnError } from "../errors.js";
import type { Logger } from "../log/logger.js";
import { type ChildOptions, SupervisedChild, type ChildSpec } from "./child.js";
import { type CrashDecision, CrashPolicy } from "./crash-policy.js";
import type { ChildExit } from "./exit-code.js";
import { catchSignals, type ForwardedSignal, heldDuringStart, isShutdownSignal, NEW_CHILD_SIGNAL_GRACE_MS, shouldForward } from "./signals.js";

export type { ChildSpec } from "./child.js";
export type { ChildExit } from "./exit-code.js";

/** What the Supervisor needs of one child (SupervisedChild; a fake in unit tests). */
export type Child = Pick<SupervisedChild, "pid" | "spawned" | "exited" | "hasStarted" | "running" | "signal" | "stop" | "kill">;

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
  /** The crash backoff, the start grace, the Ctrl-C window and each child's kill deadline run on it (default systemClock). */
  clock?: Clock;
  /** Starts one child (default SupervisedChild.start); unit tests pass a fake. */
  startChild?: (spec: ChildSpec, options: ChildOptions) => Child;
  /** Installs the handler for envject's signals and returns its remover (default catchSignals: the process's own). */
  catchSignals?: (handler: (signal: ForwardedSignal) => void) => () => void;
}

/** A child that has just been spawned. */
export interface StartedChild {
  pid: number | undefined;
  /** Which start this is: 1 for the first child, then 2, 3, … for each restart. */
  start: number;
}

/** One child's life as the Supervisor sees it. */
interface Run {
  readonly child: Child;
  /** clock.monotonic() at the spawn: how long it ran decides whether a crash resets the count. */
  readonly startedAt: number;
  /** The terminal's Ctrl-C or Ctrl-\ reached it: its exit is the user's wish, not a crash. */
  stoppedByUser: boolean;
}

/** Every phase, with its own data; see the tables at the top. */
export type Phase =
  | { readonly name: "idle" }
  | {
      readonly name: "starting";
      readonly run: Run;
      /** Ends the grace (graceOver). */
      readonly grace: TimerHandle;
      /** Why SIGHUP/SIGUSR1/SIGUSR2/SIGWINCH are dropped meanwhile, for the log line. */
      readonly heldBecause: string;
    }
  | { readonly name: "running"; readonly run: Run }
  | { readonly name: "restarting"; readonly run: Run }
  | {
      readonly name: "waiting-to-restart";
      /** The child that crashed; it has exited. */
      readonly crashed: Run;
      /** Its exit: what supervision ends with if told to stop meanwhile. */
      readonly exit: ChildExit;
      readonly backoff: TimerHandle;
    }
  | {
      readonly name: "stopping";
      readonly run: Run;
      /** Shutdown signals received so far (stop() is not one): the second kills the child. */
      readonly shutdownSignals: number;
      /** Set while the child's grace is not over (its timer still runs) or a restart had begun:
       *  SIGHUP/SIGUSR1/SIGUSR2/SIGWINCH are then dropped, for this reason. */
      readonly heldBecause: string | undefined;
      readonly grace: TimerHandle | undefined;
    }
  | {
      readonly name: "ended";
      readonly code: number;
      /** The last child started, if any (it has exited, or never ran). */
      readonly last: Child | undefined;
    };

export type PhaseName = Phase["name"];
type Waiting = Extract<Phase, { name: "waiting-to-restart" }>;
type Stopping = Extract<Phase, { name: "stopping" }>;
/** The phases in which a child runs or has just run: signals are decided in these. */
type Live = Exclude<Phase, { name: "idle" | "ended" }>;

const RESTART_IN_PROGRESS = "a restart is in progress";
const NO_CHILD_EXIT: ChildExit = { code: null, signal: null, exitCode: 0 };

export class Supervisor {
  /** Resolves when supervision is over — the child exited on its own, or envject was told to stop
   *  (SIGTERM/SIGINT, stop()) and the child has exited — with the code envject must exit with. */
  readonly done: Promise<number>;

  private phase: Phase = { name: "idle" };

  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly stdinIsTTY: boolean;
  private readonly graceMs: number;
  private readonly startChild: (spec: ChildSpec, options: ChildOptions) => Child;
  private resolveDone!: (code: number) => void;
  /** When the terminal last delivered SIGINT (clock.monotonic()): the user's key presses, kept across children. */
  private lastTerminalStop = Number.NEGATIVE_INFINITY;
  /** restart() calls and crash restarts run one after another through this chain. */
  private queue: Promise<unknown> = Promise.resolve();
  private removeSignalHandlers: (() => void) | undefined;
  private readonly exitListeners: ((exit: ChildExit) => void)[] = [];
  private readonly crashPolicy: CrashPolicy | undefined;
  /** Children spawned so far. */
  private starts = 0;

  constructor(private readonly options: SupervisorOptions) {
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    // Same answer as process.stdin.isTTY, asked of the kernel without building a stream.
    this.stdinIsTTY = options.stdinIsTTY ?? isatty(0);
    this.graceMs = options.newChildSignalGraceMs ?? NEW_CHILD_SIGNAL_GRACE_MS;
    this.startChild = options.startChild ?? ((spec, childOptions) => SupervisedChild.start(spec, childOptions));
    this.done = new Promise<number>((resolve) => {
      this.resolveDone = resolve;
    });
    const crash = options.restartOnFailure;
    // The backoff's jitter draws from the clock's random source (Math.random on the real one).
    if (crash && crash.limit > 0) this.crashPolicy = new CrashPolicy({ ...crash, random: () => this.clock.random() });
  }

  /** The current phase's name (see the table at the top of this file). */
  get phaseName(): PhaseName {
    return this.phase.name;
  }

  /** The current child's process id — the last one started, even once it has exited. */
  get childPid(): number | undefined {
    return childOf(this.phase)?.pid;
  }

  /**
   * Starts the first child; rejects with SpawnError (126 not executable, 127 not found) before
   * anything runs when the command cannot be started (`done` then resolves with that code).
   * Installs signal forwarding.
   */
  async start(spec: ChildSpec): Promise<void> {
    if (this.phase.name !== "idle") throw new Error("Supervisor.start() may only be called once; use restart()");
    this.installSignalHandlers();
    await this.launch(spec, "first");
  }

  /**
   * Gracefully stops the current child (killSignal, then SIGKILL after killTimeoutMs), waits for
   * it to have exited, then starts `spec`: never two children at once. Calls run in the order made.
   * Does nothing once supervision is ending. Rejects with SpawnError when `spec` cannot be
   * started, and supervision then ends with that code.
   */
  restart(spec: ChildSpec): Promise<void> {
    return this.enqueue(() => this.replace(spec));
  }

  /** Sends a signal to the current child (for `--on-change signal:SIG`); does nothing between children. */
  signal(signal: NodeJS.Signals): void {
    if (!childOf(this.phase)?.signal(signal)) this.logger.debug("no running child to signal", { signal });
  }

  /**
   * Stops the child gracefully and resolves with its exit once it has exited; `done` resolves with
   * it too. While waiting to restart a crashed child, the wait is cancelled and the crashed child's
   * exit is the answer.
   */
  async stop(): Promise<ChildExit> {
    const phase = this.phase;
    switch (phase.name) {
      case "idle":
        this.end(0);
        return NO_CHILD_EXIT;
      case "waiting-to-restart":
        this.end(phase.exit.exitCode);
        return phase.exit;
      case "ended":
        return phase.last ? await phase.last.stop() : NO_CHILD_EXIT;
      default: {
        const { run } = this.beginStop();
        const exit = await run.child.stop();
        // A restart in flight sees the phase and starts nothing; wait for it so nothing runs after.
        await this.queue;
        this.end(exit.exitCode);
        return exit;
      }
    }
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

  // ——— Transitions: the only places `phase` changes. ———

  /** → starting: `child` has just been spawned; its start grace begins. */
  private spawned(run: Run, kind: "first" | "restart"): void {
    const heldBecause = kind === "first" ? `the command started less than ${Number((this.graceMs / 1000).toFixed(1))}s ago` : RESTART_IN_PROGRESS;
    const grace = this.clock.after(this.graceMs, () => this.graceOver(run));
    this.phase = { name: "starting", run, grace, heldBecause };
  }

  /** starting → running (or, while stopping, the child's signals are no longer held): `run` has run past its grace. */
  private graceOver(run: Run): void {
    const phase = this.phase;
    if (phase.name === "starting" && phase.run === run) this.phase = { name: "running", run };
    else if (phase.name === "stopping" && phase.run === run && phase.grace) this.phase = { ...phase, heldBecause: undefined, grace: undefined };
  }

  /** starting | running → restarting: restart(spec) stops the current child. */
  private beginRestart(): Run {
    const phase = this.phase;
    if (phase.name !== "starting" && phase.name !== "running") throw new Error(`beginRestart in phase ${phase.name}`);
    if (phase.name === "starting") phase.grace.cancel();
    this.phase = { name: "restarting", run: phase.run };
    return phase.run;
  }

  /** starting | running → waiting-to-restart: the child crashed and the crash policy says to start it again after a delay. */
  private crashed(run: Run, exit: ChildExit, decision: CrashDecision & { restart: true }): void {
    const { attempt, limit, delayMs } = decision;
    if (this.phase.name === "starting") this.phase.grace.cancel();
    this.logger.warn(`${describeExit(exit)}; restarting in ${seconds(delayMs)} (restart ${attempt} of ${limit})`, {
      exit_code: exit.exitCode,
      signal: exit.signal ?? undefined,
      delay_ms: delayMs,
      attempt,
      limit,
    });
    // Kept alive: during the wait nothing else may keep envject's event loop alive.
    const backoff = this.clock.after(delayMs, () => this.backoffElapsed(waiting), { keepAlive: true });
    const waiting: Waiting = { name: "waiting-to-restart", crashed: run, exit, backoff };
    this.phase = waiting;
  }

  /**
   * starting | running | restarting | stopping → stopping: stop(), or a shutdown signal (counted
   * when `shutdownSignal`); returns the stopping phase.
   */
  private beginStop(shutdownSignal = false): Stopping {
    const phase = this.phase;
    switch (phase.name) {
      case "stopping":
        break;
      case "starting":
        this.phase = { name: "stopping", run: phase.run, shutdownSignals: 0, heldBecause: phase.heldBecause, grace: phase.grace };
        break;
      case "running":
        this.phase = { name: "stopping", run: phase.run, shutdownSignals: 0, heldBecause: undefined, grace: undefined };
        break;
      case "restarting":
        this.phase = { name: "stopping", run: phase.run, shutdownSignals: 0, heldBecause: RESTART_IN_PROGRESS, grace: undefined };
        break;
      default:
        throw new Error(`beginStop in phase ${phase.name}`);
    }
    const stopping = this.phase as Stopping;
    if (shutdownSignal) this.phase = { ...stopping, shutdownSignals: stopping.shutdownSignals + 1 };
    return this.phase as Stopping;
  }

  /** any → ended (once): `done` resolves with `code`; a pending timer is cancelled, so nothing starts and none holds envject back. */
  private end(code: number): void {
    const phase = this.phase;
    if (phase.name === "ended") return;
    if (phase.name === "starting" || phase.name === "stopping") phase.grace?.cancel();
    if (phase.name === "waiting-to-restart") phase.backoff.cancel();
    this.phase = { name: "ended", code, last: childOf(phase) };
    this.resolveDone(code);
  }

  // ——— What leads to the transitions. ———

  private async replace(spec: ChildSpec): Promise<void> {
    const phase = this.phase;
    if (phase.name === "stopping" || phase.name === "ended") {
      this.logger.debug("supervision is ending, not restarting");
      return;
    }
    this.installSignalHandlers(); // restart() without start() simply starts
    if (phase.name === "waiting-to-restart") {
      // A new spec (a secret changed) does not wait out a crash backoff: it starts now, as an
      // ordinary restart. The crash count is kept; only a healthy run resets it.
      phase.backoff.cancel();
      this.logger.debug("restart requested while waiting after a crash; starting now");
      return this.launch(spec, "restart");
    }
    if (phase.name === "idle") return this.launch(spec, "first");
    const old = this.beginRestart();
    const exit = await old.child.stop();
    // Told to stop while waiting: the old child's exit is the last word.
    if (this.phase.name !== "restarting") {
      this.end(exit.exitCode);
      return;
    }
    await this.launch(spec, "restart");
  }

  /** Starts a child (→ starting). Synchronous up to the spawn, so a signal never finds a gap. */
  private async launch(spec: ChildSpec, kind: "first" | "restart"): Promise<void> {
    try {
      const child = this.startChild(spec, { ...this.options, clock: this.clock });
      this.spawned({ child, startedAt: this.clock.monotonic(), stoppedByUser: false }, kind);
      void child.exited.then((exit) => this.onChildExit(child, exit));
      await child.spawned;
      this.starts += 1;
      this.options.onStart?.({ pid: child.pid, start: this.starts });
    } catch (error) {
      if (error instanceof SpawnError) this.end(error.exitCode);
      throw error;
    }
  }

  private backoffElapsed(waiting: Waiting): void {
    if (this.phase !== waiting) return;
    // Through the restart queue, so a restart() made meanwhile and this one never overlap.
    void this.enqueue(() => this.restartAfterCrash(waiting));
  }

  private async restartAfterCrash(waiting: Waiting): Promise<void> {
    if (this.phase !== waiting) {
      this.end(waiting.exit.exitCode); // told to stop meanwhile: already ended with this code
      return;
    }
    try {
      const spec = this.options.restartOnFailure!.spec();
      this.logger.info("restarting the command after a crash", { restart: this.crashPolicy?.count });
      await this.launch(spec, "restart");
    } catch (error) {
      // No caller awaits a crash restart: the reason is logged here, and supervision ends.
      this.logger.error(error instanceof Error ? error.message : String(error));
      this.end(error instanceof SpawnError ? error.exitCode : waiting.exit.exitCode);
    }
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(step);
    this.queue = run.catch(() => {});
    return run;
  }

  private installSignalHandlers(): void {
    this.removeSignalHandlers ??= (this.options.catchSignals ?? catchSignals)((signal) => this.onSignal(signal));
  }

  private onChildExit(child: Child, exit: ChildExit): void {
    // A child that never ran is reported by launch() as a SpawnError, not as an exit.
    if (!child.hasStarted || childOf(this.phase) !== child) return;
    for (const listener of this.exitListeners) {
      try {
        listener(exit);
      } catch (error) {
        this.logger.error("child exit listener failed", { reason: error instanceof Error ? error.message : String(error) });
      }
    }
    const phase = this.phase;
    if (phase.name === "stopping") return this.end(exit.exitCode); // the stop is done
    // restarting: replace() goes on with the next child. (No other phase has a child that runs.)
    if (phase.name !== "starting" && phase.name !== "running") return;
    const decision = this.crashDecision(phase.run, exit);
    if (decision?.restart) {
      this.crashed(phase.run, exit, decision);
      return;
    }
    if (decision) {
      this.logger.error(`${describeExit(exit)}; not restarting: the limit of ${decision.limit} restart${decision.limit === 1 ? "" : "s"} in a row was reached`, {
        exit_code: exit.exitCode,
        signal: exit.signal ?? undefined,
        limit: decision.limit,
      });
    }
    this.end(exit.exitCode);
  }

  /**
   * Consults the crash policy when a child's exit on its own is a crash: non-zero or a signal, and
   * not the user's wish (the terminal's Ctrl-C or Ctrl-\). Undefined otherwise.
   */
  private crashDecision(run: Run, exit: ChildExit): CrashDecision | undefined {
    if (!this.crashPolicy || run.stoppedByUser || exit.exitCode === 0) return undefined;
    return this.crashPolicy.onCrash(this.clock.monotonic() - run.startedAt);
  }

  /** Decides a received signal by the phase (the table at the top). */
  private onSignal(signal: ForwardedSignal): void {
    const phase = this.phase;
    if (phase.name === "idle" || phase.name === "ended") {
      this.logger.debug("no child runs; signal ignored", { signal });
      return;
    }
    const forward = shouldForward(signal, this.stdinIsTTY);
    if (!isShutdownSignal(signal)) this.otherSignal(phase, signal, forward);
    else if (forward) this.shutdownSignal(phase, signal);
    else this.terminalStop(phase, signal);
  }

  /** SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH: forwarded unless held or already delivered by the terminal. */
  private otherSignal(phase: Live, signal: ForwardedSignal, forward: boolean): void {
    const held = forward && heldDuringStart(signal) ? heldBecause(phase) : undefined;
    if (held) {
      this.logger.debug(`not forwarding signal: ${held}`, { signal, grace_ms: this.graceMs });
      return;
    }
    this.logger.debug(forward ? "forwarding signal" : "signal already delivered by the terminal", { signal });
    const run = phase.name === "waiting-to-restart" ? phase.crashed : phase.run;
    // Ctrl-\ quits the program on the user's behalf, like Ctrl-C below.
    if (!forward && signal === "SIGQUIT" && run.child.running) run.stoppedByUser = true;
    if (forward) run.child.signal(signal);
  }

  /** SIGTERM, or SIGINT not from a terminal: envject is told to stop. */
  private shutdownSignal(phase: Live, signal: ForwardedSignal): void {
    if (phase.name === "waiting-to-restart") return this.endDuringBackoff(phase, signal);
    const { run, shutdownSignals } = this.beginStop(true);
    const child = run.child;
    if (shutdownSignals > 1) {
      this.logger.warn(`received ${signal} again, killing the child`, { pid: child.pid });
      child.kill();
      return;
    }
    this.logger.info(`received ${signal}, stopping the child`, { pid: child.pid, kill_timeout_ms: this.options.killTimeoutMs });
    // The signal itself is what the child gets, not killSignal: whoever sent it to envject meant
    // it for the program.
    void child.stop(signal);
  }

  /**
   * SIGINT from the terminal, which delivered it to the child too. An interactive program (a
   * REPL, psql) may rightly survive Ctrl-C, so it neither ends supervision nor starts a kill
   * deadline; the child's exit, if it comes, ends envject as always. Pressed twice in quick
   * succession, it kills the child: the usual "press Ctrl-C again to force".
   */
  private terminalStop(phase: Live, signal: ForwardedSignal): void {
    // Ctrl-C while waiting to restart a crashed program: the user wants it to stay down.
    if (phase.name === "waiting-to-restart") return this.endDuringBackoff(phase, signal);
    const { run } = phase;
    const now = this.clock.monotonic();
    const window = this.options.terminalDoublePressMs ?? 2000;
    // If the child does end now, that is what the user asked for: not a crash to restart.
    // (A program that survives Ctrl-C and crashes much later is then not restarted either.)
    if (run.child.running) run.stoppedByUser = true;
    if (now - this.lastTerminalStop <= window && run.child.running) {
      this.logger.warn(`${signal} twice within ${window} ms, killing the child`, { pid: run.child.pid });
      run.child.kill();
    } else {
      this.logger.debug("signal already delivered by the terminal; again within the window kills the child", { signal, window_ms: window });
    }
    this.lastTerminalStop = now;
  }

  /** A shutdown signal while waiting to restart a crashed child ends supervision now, with the crashed child's code. */
  private endDuringBackoff(phase: Waiting, signal: NodeJS.Signals): void {
    this.logger.info(`received ${signal} while waiting to restart the command; exiting`, { exit_code: phase.exit.exitCode });
    this.end(phase.exit.exitCode);
  }
}

/** The phase's child: the current one, the one being stopped, the crashed one, or the last one. */
function childOf(phase: Phase): Child | undefined {
  switch (phase.name) {
    case "idle":
      return undefined;
    case "waiting-to-restart":
      return phase.crashed.child;
    case "ended":
      return phase.last;
    default:
      return phase.run.child;
  }
}

/** Why SIGHUP/SIGUSR1/SIGUSR2/SIGWINCH are dropped in `phase`; undefined when they are forwarded. */
function heldBecause(phase: Live): string | undefined {
  switch (phase.name) {
    case "starting":
    case "stopping":
      return phase.heldBecause;
    case "running":
      return undefined;
    case "restarting":
    case "waiting-to-restart":
      return RESTART_IN_PROGRESS;
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
