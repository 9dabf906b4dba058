/**
 * What `execve(2)` accepts, so that an environment the child could not be started with is
 * refused before anything is stopped or started (an E2BIG from the spawn would otherwise be
 * "command not executable", 126). Linux refuses with E2BIG:
 *
 * - one argument or environment string longer than MAX_ARG_STRLEN — 32 pages, 131072 bytes,
 *   counting the string's NUL (for a variable, `NAME=value` and the NUL);
 * - argv and envp together (their strings, NULs and pointers) beyond the argument space: a
 *   quarter of the stack size limit, at least 128 KiB (what `getconf ARG_MAX` reports; 2 MiB
 *   under the usual 8 MiB stack).
 *
 * The argument space is read once, lazily, from `/proc/self/limits` (the child inherits envject's
 * stack limit) and capped at 2 MiB; where that file cannot be read it is 2 MiB (1 MiB on macOS,
 * its ARG_MAX). The per-string limit is Linux's, applied everywhere: an environment that starts
 * on a developer's Mac and not in the Linux container would be a worse surprise. Room is kept for
 * what this count leaves out: the program's path, which the kernel copies too, and the words of
 * the `setpriv` wrapper or `--shell`'s `$SHELL -c`.
 */
import { readFileSync } from "node:fs";

/** MAX_ARG_STRLEN: the longest single environment string, its NUL included. */
export const MAX_ENV_STRING_BYTES = 32 * 4096;

/** The usual `getconf ARG_MAX` (8 MiB stack / 4), and the most envject counts on. */
export const DEFAULT_ARGUMENT_SPACE_BYTES = 2 * 1024 * 1024;

/** Kept free of the argument space for the program's path and the wrapper's words. */
export const ARGUMENT_SPACE_HEADROOM_BYTES = 16 * 1024;

/** macOS's fixed ARG_MAX. */
const MACOS_ARG_MAX_BYTES = 1024 * 1024;

const POINTER_BYTES = 8;

/** The bytes `NAME=value` takes as an environment string, its NUL included. */
export function envStringBytes(name: string, value: string): number {
  return Buffer.byteLength(name) + 1 + Buffer.byteLength(value) + 1;
}

/** The bytes an `execve` of `argv` with `env` takes of the argument space: strings, NULs and pointers (with the NULL ends). */
export function execBytes(env: Readonly<Record<string, string>>, argv: readonly string[]): number {
  let bytes = 0;
  let count = 0;
  for (const arg of argv) {
    bytes += Buffer.byteLength(arg) + 1;
    count++;
  }
  for (const [name, value] of Object.entries(env)) {
    bytes += envStringBytes(name, value);
    count++;
  }
  return bytes + (count + 2) * POINTER_BYTES;
}

/**
 * The argument space `/proc/self/limits` implies (`Max stack size` soft limit / 4, at least
 * 128 KiB), capped at DEFAULT_ARGUMENT_SPACE_BYTES; that default when the text says nothing usable.
 */
export function argumentSpaceFrom(limits: string | undefined): number {
  const soft = limits === undefined ? undefined : /^Max stack size\s+(\d+|unlimited)\s/m.exec(limits)?.[1];
  if (soft === undefined || soft === "unlimited") return DEFAULT_ARGUMENT_SPACE_BYTES;
  return Math.min(DEFAULT_ARGUMENT_SPACE_BYTES, Math.max(Math.floor(Number(soft) / 4), MAX_ENV_STRING_BYTES));
}

let argumentLimit: number | undefined;

/** How many bytes argv and the environment may take in all (the argument space less the headroom); read once. */
export function argumentLimitBytes(): number {
  if (argumentLimit === undefined) {
    let limits: string | undefined;
    try {
      limits = readFileSync("/proc/self/limits", "utf8");
    } catch {
      limits = undefined; // not Linux, or no /proc: the usual value
    }
    const space = limits === undefined && process.platform === "darwin" ? MACOS_ARG_MAX_BYTES : argumentSpaceFrom(limits);
    argumentLimit = space - ARGUMENT_SPACE_HEADROOM_BYTES;
  }
  return argumentLimit;
}
