/**
 * Which signals envject passes on to its child, and when it must not.
 *
 * The child stays in envject's process group (like a shell's foreground job), so a key press on
 * the terminal (Ctrl-C → SIGINT, Ctrl-\ → SIGQUIT, a resize → SIGWINCH) is delivered by the
 * kernel to both. Forwarding those again would hand the child each one twice. Without a terminal
 * (Docker, systemd, `kill`) only envject receives them, so every listed signal is forwarded.
 */

/** The signals envject catches and forwards (PRODUCT.md §5). */
export const FORWARDED_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH"] as const satisfies readonly NodeJS.Signals[];
export type ForwardedSignal = (typeof FORWARDED_SIGNALS)[number];

/** Signals a terminal sends to the whole foreground process group. */
const TERMINAL_GENERATED: ReadonlySet<NodeJS.Signals> = new Set(["SIGINT", "SIGQUIT", "SIGWINCH"]);

/** Signals that, besides being forwarded, end supervision once the child has exited. */
const SHUTDOWN: ReadonlySet<NodeJS.Signals> = new Set(["SIGTERM", "SIGINT"]);

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
