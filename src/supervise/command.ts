/**
 * Finding the program before starting it, the way a shell does, so a missing or unusable command
 * ends with the shell's codes and a one-line message (127 not found, 126 not executable) instead
 * of a spawn stack trace — and before anything has run.
 */
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, resolve } from "node:path";
import { ExitCode, SpawnError } from "../errors.js";

/** What the child runs: the file given to spawn and its arguments. */
export interface CommandLine {
  file: string;
  args: string[];
}

/** What the user asked to run, before the shell rule is applied. */
export interface CommandRequest {
  command: string;
  args: readonly string[];
  shell: boolean;
}

// What execvp falls back to when the environment has no PATH at all.
const DEFAULT_PATH = "/usr/bin:/bin";

/**
 * Turns a request into the command line to spawn: the command and its arguments untouched, or,
 * with `shell`, `$SHELL -c "<command and arguments joined by spaces>"` where `$SHELL` comes from
 * `shellEnv` (envject's own environment) and defaults to /bin/sh.
 */
export function commandLine(request: CommandRequest, shellEnv: NodeJS.ProcessEnv = process.env): CommandLine {
  if (!request.shell) return { file: request.command, args: [...request.args] };
  const shell = shellEnv.SHELL?.trim() || "/bin/sh";
  const script = [request.command, ...request.args].filter((part) => part !== "").join(" ");
  return { file: shell, args: ["-c", script] };
}

/**
 * Returns the path `command` would run as, searched like execvp: a name containing `/` is taken
 * relative to `cwd`, anything else is looked up in `env.PATH` (the child's PATH, not envject's).
 * Throws SpawnError 127 when nothing is found, 126 when only a directory or a file without
 * execute permission is.
 */
export function findExecutable(command: string, env: Readonly<Record<string, string | undefined>>, cwd: string = process.cwd()): string {
  if (command === "") throw notFound(command);
  if (command.includes("/")) {
    const path = resolve(cwd, command);
    const problem = unusable(path);
    if (problem === "missing") throw notFound(command);
    if (problem) throw notExecutable(command, problem);
    return path;
  }
  // Like execvp: an unusable match is remembered but the search goes on; only if nothing better
  // turns up is it reported (126), so a stray non-executable file early in PATH does not win.
  let firstProblem: string | undefined;
  for (const dir of (env.PATH ?? DEFAULT_PATH).split(delimiter)) {
    const path = resolve(cwd, dir === "" ? "." : dir, command);
    const problem = unusable(path);
    if (!problem) return path;
    if (problem !== "missing") firstProblem ??= problem;
  }
  if (firstProblem) throw notExecutable(command, firstProblem);
  throw notFound(command);
}

/** Maps an error from spawning `command` to a SpawnError: ENOENT → 127, anything else (EACCES, ENOEXEC…) → 126. */
export function spawnErrorFrom(error: unknown, command: string): SpawnError {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ENOENT") return notFound(command, error);
  const reason = code === "EACCES" || code === "EPERM" ? "permission denied" : typeof code === "string" ? code : "cannot be executed";
  return notExecutable(command, reason, error);
}

/** Why `path` cannot be executed: "missing", a short reason, or undefined when it can. */
function unusable(path: string): string | undefined {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A path through a file ("a/b" where a is a file) is as missing as a path that is not there.
    return code === "ENOENT" || code === "ENOTDIR" ? "missing" : "permission denied";
  }
  if (isDirectory) return "is a directory";
  try {
    accessSync(path, constants.X_OK);
  } catch {
    return "permission denied";
  }
  return undefined;
}

function notFound(command: string, cause?: unknown): SpawnError {
  return new SpawnError(`command not found: ${command}`, ExitCode.commandNotFound, { cause });
}

function notExecutable(command: string, reason: string, cause?: unknown): SpawnError {
  return new SpawnError(`command not executable: ${command} (${reason})`, ExitCode.notExecutable, { cause });
}
