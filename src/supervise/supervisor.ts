/**
 * The Supervisor runs the command for the whole of envject's life: one child at a time (a restart
 * waits for the old one to have exited before starting the next), envject's signals passed on by
 * the forwarding policy, and the exit code envject ends with.
 */
import { isatty } from "node:tty";
import { SpawnError } from "../errors.js";
import type { Logger } from "../log/logger.js";
import { ChildProcess, type ChildSpec } from "./child.js";
import type { ChildExit } from "./exit-code.js";
import { catchSignals, type ForwardedSignal, isShutdownSignal, shouldForward } from "./signals.js";

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
}

export class Supervisor {
  /** Resolves when supervision is over — the child exited on its own, or envject was told to stop
   *  (SIGTERM/SIGINT, stop()) and the child has exited — with the code envject must exit with. */
  readonly done: Promise<number>;

  private readonly logger: Logger;
  private readonly stdinIsTTY: boolean;
  private resolveDone!: (code: number) => void;
  private current: ChildProcess | undefined;
  /** The child restart() is stopping: its exit is expected and does not end supervision. */
  private replacing: ChildProcess | undefined;
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

  constructor(private readonly options: SupervisorOptions) {
    this.logger = options.logger;
    // Same answer as process.stdin.isTTY, asked of the kernel without building a stream.
    this.stdinIsTTY = options.stdinIsTTY ?? isatty(0);
    this.done = new Promise<number>((resolve) => {
      this.resolveDone = resolve;
    });
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

  /** Stops the child gracefully and resolves with its exit once it has exited; `done` resolves with it too. */
  async stop(): Promise<ChildExit> {
    this.stopping = true;
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
    const old = this.current;
    if (old) {
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
      const child = ChildProcess.start(spec, this.options);
      this.current = child;
      void child.exited.then((exit) => this.onChildExit(child, exit));
      await child.spawned;
    } catch (error) {
      if (error instanceof SpawnError) this.finish(error.exitCode);
      throw error;
    }
  }

  private installSignalHandlers(): void {
    this.removeSignalHandlers ??= catchSignals((signal) => this.onSignal(signal));
  }

  private onChildExit(child: ChildProcess, exit: ChildExit): void {
    // A child that never ran is reported by launch() as a SpawnError, not as an exit.
    if (!child.hasStarted || !this.isCurrentOrReplaced(child)) return;
    this.lastExit = exit;
    for (const listener of this.exitListeners) {
      try {
        listener(exit);
      } catch (error) {
        this.logger.error("child exit listener failed", { error: error instanceof Error ? error.message : String(error) });
      }
    }
    if (child === this.replacing) return; // restart() goes on with the next child
    this.finish(exit.exitCode);
  }

  private isCurrentOrReplaced(child: ChildProcess): boolean {
    return child === this.current || child === this.replacing;
  }

  private onSignal(signal: ForwardedSignal): void {
    const child = this.current;
    const forward = shouldForward(signal, this.stdinIsTTY);
    if (!isShutdownSignal(signal)) {
      this.logger.debug(forward ? "forwarding signal" : "signal already delivered by the terminal", { signal });
      if (forward) child?.signal(signal);
      return;
    }
    if (!forward) {
      // The terminal delivered it to the child too. An interactive program (a REPL, psql) may
      // rightly survive Ctrl-C, so it neither ends supervision nor starts a kill deadline; the
      // child's exit, if it comes, ends envject as always. Pressed twice in quick succession, it
      // kills the child: the usual "press Ctrl-C again to force".
      const now = Date.now();
      const window = this.options.terminalDoublePressMs ?? 2000;
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

  private isEnding(): boolean {
    return this.stopping || this.finished;
  }

  private finish(code: number): void {
    if (this.finished) return;
    this.finished = true;
    this.resolveDone(code);
  }
}
