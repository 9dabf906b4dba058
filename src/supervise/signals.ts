/**
 * Which signals envject passes on to its child, and when it must not.
 *
 * The child stays in envject's process group (like a shell's foreground job), so a key press on
 * the terminal (Ctrl-C → SIGINT, Ctrl-\ → SIGQUIT, a resize → SIGWINCH) is delivered by the
 * kernel to both. Forwarding those again would hand the child each one twice. Without a terminal
 * (Docker, systemd, `kill`) only envject receives them, so every listed signal is forwarded.
 */

/** The signals envject catches and forwards (docs/contract/supervision.md#signals). */
export const FORWARDED_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH"] as const satisfies readonly NodeJS.Signals[];
export type ForwardedSignal = (typeof FORWARDED_SIGNALS)[number];

/** Signals a terminal sends to the whole foreground process group. */
const TERMINAL_GENERATED: ReadonlySet<NodeJS.Signals> = new Set(["SIGINT", "SIGQUIT", "SIGWINCH"]);

/** Signals that, besides being forwarded, end supervision once the child has exited. */
const SHUTDOWN: ReadonlySet<NodeJS.Signals> = new Set(["SIGTERM", "SIGINT"]);

/**
 * How long a new child must have run before the signals below are forwarded to it. A program
 * that has not yet installed its handlers takes the default action: SIGHUP kills it, and SIGUSR1
 * makes a Node program open its inspector on 127.0.0.1:9229 — a debugger, open to any local user,
 * into a process whose environment holds the secrets. The same holds at the very first start.
 */
export const NEW_CHILD_SIGNAL_GRACE_MS = 1_000;

/** Signals that keep their meaning during a (re)start: they stop envject (TERM, INT) or quit the program (QUIT). */
const NEVER_HELD: ReadonlySet<NodeJS.Signals> = new Set(["SIGTERM", "SIGINT", "SIGQUIT"]);

/**
 * True for the signals a new child does not get during its start grace (NEW_CHILD_SIGNAL_GRACE_MS
 * from its spawn, and from the moment a restart begins until the new child has run that long):
 * SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH. Such a signal is dropped, not kept for later. The Supervisor
 * decides when the grace applies (its phases); SIGTERM, SIGINT and SIGQUIT are never held.
 */
export function heldDuringStart(signal: NodeJS.Signals): boolean {
  return !NEVER_HELD.has(signal);
}

/** True when a received `signal` must be sent on to the child: always, except terminal-generated ones when stdin is a terminal. */
export function shouldForward(signal: NodeJS.Signals, stdinIsTTY: boolean): boolean {
  return !(stdinIsTTY && TERMINAL_GENERATED.has(signal));
}

/** True for the signals that ask envject itself to stop (SIGTERM, SIGINT). */
export function isShutdownSignal(signal: NodeJS.Signals): boolean {
  return SHUTDOWN.has(signal);
}

/**
 * Installs `handler` for every forwarded signal and returns the function that removes it.
 * A handler is needed for each of them even when nothing is forwarded: as PID 1 a process without
 * one ignores the signal, and elsewhere Node's default for most of them is to die at once.
 */
export function catchSignals(handler: (signal: ForwardedSignal) => void): () => void {
  const installed = FORWARDED_SIGNALS.map((signal) => {
    const listener = () => handler(signal);
    process.on(signal, listener);
    return () => process.removeListener(signal, listener);
  });
  return () => {
    for (const remove of installed) remove();
  };
}
