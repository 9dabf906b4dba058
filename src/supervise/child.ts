/**
 * One child process, from spawn to exit. It owns everything about that one life: finding the
 * command, the parent-death wrapper, the `--mask` pipes, signalling, and the graceful stop with its
 * SIGKILL deadline. What happens between children (restarts, shutdown, exit codes) is the
 * Supervisor's business.
 */
import { ChildProcess as NodeChildProcess } from "node:child_process";
import { execa, type ResultPromise } from "execa";
import { type Clock, type TimerHandle, sleep, systemClock } from "../clock.js";
import type { Logger } from "../log/logger.js";
import { commandLine, findExecutable, spawnErrorFrom } from "./command.js";
import { type ChildExit, childExit } from "./exit-code.js";
import { pipeThroughMask } from "./output.js";
import { addNoted, type NotedProcess, noteDescendants, signalEach, stillRunning } from "./leftovers.js";
import { findSetpriv, withParentDeathSignal } from "./parent-death.js";

/** While a stop is under way, the child's descendants are noted again this often (ms). */
const NOTE_EVERY_MS = 100;

export interface ChildSpec {
  /** argv[0], passed through untouched (no shell). With `shell`, the start of the script (see `args`). */
  command: string;
  /** The remaining arguments, untouched. With `shell: true`, `command` and `args` are joined with
   *  " " and run as `$SHELL -c "<string>"` ($SHELL from envject's own environment, else /bin/sh). */
  args: string[];
  shell: boolean;
  /** The child's complete environment: nothing of envject's own is added. */
  env: Record<string, string>;
}

export interface ChildOptions {
  /** Sent by stop() unless told otherwise. */
  killSignal: NodeJS.Signals;
  /** How long stop() waits after its signal before SIGKILL. */
  killTimeoutMs: number;
  /** When set, stdout/stderr are piped through the mask filter with these secrets. */
  mask?: () => readonly string[];
  logger: Logger;
  /** Wrap the command with `setpriv --pdeathsig SIGKILL` when available (default true). */
  parentDeathSignal?: boolean;
  /** The kill deadline, the descendants' note interval and the leftovers' wait run on it (default systemClock). */
  clock?: Clock;
}

export class SupervisedChild {
  /** The process id (the command's own, even when wrapped by setpriv, which execs). */
  readonly pid: number | undefined;
  /** Resolves once the OS has started the process; rejects with SpawnError (126/127) when it could not. */
  readonly spawned: Promise<void>;
  /** Resolves when the process has exited and all of its (masked) output has been written on. Never rejects. */
  readonly exited: Promise<ChildExit>;

  private readonly subprocess: ResultPromise;
  private readonly clock: Clock;
  private killTimer: TimerHandle | undefined;
  private hasSpawned = false;
  /** Set once a stop begins: the child's descendants seen since, to stop after it has exited. */
  private noted: NotedProcess[] | undefined;
  private noteTimer: TimerHandle | undefined;

  private constructor(
    /** The name used in messages: the command, or the shell for `shell: true`. */
    readonly name: string,
    file: string,
    args: string[],
    spec: ChildSpec,
    private readonly options: ChildOptions,
  ) {
    const { mask, logger } = options;
    this.clock = options.clock ?? systemClock;
    this.subprocess = execa(file, args, {
      env: spec.env,
      extendEnv: false,
      shell: false,
      reject: false,
      stdin: "inherit",
      stdout: mask ? "pipe" : "inherit",
      stderr: mask ? "pipe" : "inherit",
      // Output is streamed on, never collected: a long-running child would otherwise fill memory.
      buffer: false,
      encoding: "buffer",
      stripFinalNewline: false,
      // execa's own kill-on-exit (signal-exit) for every ordinary way envject ends; its kill uses
      // these two, so they follow our options rather than execa's 5 s default. Graceful stops made
      // by this class send signals themselves and keep their own deadline (see stop()).
      cleanup: true,
      killSignal: options.killSignal,
      forceKillAfterDelay: options.killTimeoutMs,
    });
    this.pid = this.subprocess.pid;
    const result = this.subprocess;

    this.spawned = new Promise<void>((resolve, reject) => {
      this.subprocess.once("spawn", () => {
        this.hasSpawned = true;
        resolve();
      });
      void result.then((r) => {
        // Neither a code nor a signal: the process never ran (ENOENT, EACCES, invalid options).
        if (r.exitCode === undefined && r.signal === undefined) reject(spawnErrorFrom(r, this.name));
      });
    });
    this.spawned.catch(() => {}); // observed by whoever awaits it; never an unhandled rejection

    const outputs = mask ? [pipeThroughMask(this.subprocess.stdout, process.stdout, mask), pipeThroughMask(this.subprocess.stderr, process.stderr, mask)] : [];
    // The process itself has ended ('exit' comes before its pipes close; execa's result waits for
    // them). What it forked that still runs is stopped now, not once the output has ended: with
    // --mask, such a process holding the pipes would otherwise keep envject waiting for it.
    const leftovers = new Promise<void>((resolve) => {
      this.subprocess.once("exit", () => {
        this.noteTimer?.cancel();
        if (!this.noted) return resolve();
        void this.stopLeftovers(this.noted).then(resolve, resolve);
      });
    });
    this.exited = result.then(async (r) => {
      this.killTimer?.cancel();
      this.noteTimer?.cancel();
      if (!this.hasSpawned) return { code: null, signal: null, exitCode: spawnErrorFrom(r, this.name).exitCode };
      await leftovers; // a process that was spawned always emits 'exit'
      // With --mask, a descendant that inherited the pipes and outlives the child delays this
      // until it closes them, as the reader of a shell pipeline would wait.
      await Promise.all(outputs);
      const exit = childExit(r.exitCode, r.signal ?? null);
      logger.debug("child exited", { pid: this.pid, code: exit.code, signal: exit.signal, exit_code: exit.exitCode });
      return exit;
    });
  }

  /**
   * Starts `spec`. Throws SpawnError (127 not found, 126 not executable) before anything runs
   * when the command cannot be found in the child's PATH; `spawned` rejects likewise when the OS
   * refuses to start it after all.
   */
  static start(spec: ChildSpec, options: ChildOptions): SupervisedChild {
    const line = commandLine(spec);
    const name = spec.shell ? line.file : spec.command;
    // Checked here so that 126/127 and their messages come from us, even under setpriv.
    findExecutable(line.file, spec.env);
    const setpriv = options.parentDeathSignal === false ? undefined : findSetpriv();
    if (!setpriv && options.parentDeathSignal !== false) {
      options.logger.debug("setpriv --pdeathsig is not available: the child is not killed if envject is killed with SIGKILL");
    }
    const launch = setpriv ? withParentDeathSignal(line, setpriv) : line;
    const child = new SupervisedChild(name, launch.file, launch.args, spec, options);
    if (child.pid !== undefined) options.logger.debug("child started", { pid: child.pid, command: name, parent_death_signal: setpriv !== undefined });
    return child;
  }

  /** True once the OS has started the process (it may have exited since). */
  get hasStarted(): boolean {
    return this.hasSpawned;
  }

  /** True from spawn until the OS reports the process gone. */
  get running(): boolean {
    return this.pid !== undefined && this.subprocess.exitCode === null && this.subprocess.signalCode === null;
  }

  /** Sends `signal` to the process (not its descendants); false when it is no longer running. */
  signal(signal: NodeJS.Signals): boolean {
    if (!this.running) return false;
    // Node's own kill, not execa's wrapper: execa would start its SIGKILL timer whenever the signal
    // equals killSignal, and a forwarded or `--on-change signal:` signal is not a stop.
    return NodeChildProcess.prototype.kill.call(this.subprocess, signal);
  }

  /**
   * Asks the process to stop: sends `signal` (default killSignal; null when it has already
   * received one, e.g. from the terminal) and, the first time, starts the killTimeout deadline
   * after which it is sent SIGKILL. Resolves with its exit; never rejects.
   */
  stop(signal: NodeJS.Signals | null = this.options.killSignal): Promise<ChildExit> {
    if (this.running) {
      this.noteDescendants();
      if (signal) this.signal(signal);
      this.killTimer ??= this.clock.after(
        this.options.killTimeoutMs,
        () => {
          this.options.logger.warn("child did not exit in time, sending SIGKILL", { pid: this.pid, kill_timeout_ms: this.options.killTimeoutMs });
          this.kill();
        },
        { keepAlive: true },
      );
    }
    return this.exited;
  }

  /** Sends SIGKILL now. */
  kill(): void {
    this.signal("SIGKILL");
  }

  /**
   * From the first stop on, notes the child's descendants (and its own process group's members,
   * if it made one) now and every NOTE_EVERY_MS until it exits: once it has, its children are
   * re-parented and no longer found by parent pid (src/supervise/leftovers.ts).
   */
  private noteDescendants(): void {
    if (this.noted || this.pid === undefined) return;
    const pid = this.pid;
    const noted: NotedProcess[] = [];
    this.noted = noted;
    addNoted(noted, noteDescendants(pid));
    const again = () => {
      this.noteTimer = this.clock.after(
        NOTE_EVERY_MS,
        () => {
          if (this.running) addNoted(noted, noteDescendants(pid));
          again();
        },
        { keepAlive: true },
      );
    };
    again();
  }

  /**
   * After the child has exited: those of `noted` that still run get killSignal, then SIGKILL after
   * killTimeoutMs. Resolves when they are gone (or, should SIGKILL not end one, shortly after).
   */
  private async stopLeftovers(noted: readonly NotedProcess[]): Promise<void> {
    const left = stillRunning(noted);
    if (left.length === 0) return;
    const { killSignal, killTimeoutMs, logger } = this.options;
    const pids = left.map((p) => p.pid);
    logger.warn(`${left.length} process${left.length === 1 ? "" : "es"} the command started still running after it exited; sending ${killSignal}`, {
      pid: this.pid,
      pids,
      signal: killSignal,
      kill_timeout_ms: killTimeoutMs,
    });
    signalEach(left, killSignal);
    if (await gone(left, killTimeoutMs, this.clock)) return;
    const stubborn = stillRunning(left);
    logger.warn(`${stubborn.length} process${stubborn.length === 1 ? "" : "es"} the command started did not exit in time, sending SIGKILL`, {
      pids: stubborn.map((p) => p.pid),
    });
    signalEach(stubborn, "SIGKILL");
    await gone(stubborn, 2000, this.clock);
  }
}

export type { ChildExit };

/** Waits until none of `procs` runs, up to `limitMs` on `clock`; true when they are all gone. */
async function gone(procs: readonly NotedProcess[], limitMs: number, clock: Clock): Promise<boolean> {
  const deadline = clock.monotonic() + limitMs;
  for (;;) {
    if (stillRunning(procs).length === 0) return true;
    if (clock.monotonic() >= deadline) return false;
    // Kept alive: the child has exited, and nothing else may hold envject's event loop open meanwhile.
    await sleep(50, clock);
  }
}
