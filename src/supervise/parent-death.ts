/**
 * "No child outlives envject", for the one exit Node cannot observe: SIGKILL (the OOM killer,
 * `docker kill`, a supervisor's last resort). On Linux the kernel can deliver a signal to a
 * process when its parent dies (prctl PR_SET_PDEATHSIG); util-linux's `setpriv --pdeathsig`
 * sets it and then execs the command, so the child keeps the PID envject spawned.
 *
 * What remains uncovered, by design of the kernel feature:
 * - grandchildren: the death signal reaches only the process envject started (an ordinary stop
 *   also stops what it forked, see leftovers.ts; a SIGKILL of envject cannot). An app that forks
 *   workers must stop them itself; in containers run with `docker run --init` (or tini) so an init
 *   reaps and signals orphans — Node cannot reap processes it did not spawn.
 * - set-user-ID/-group or file-capability programs: the kernel clears the death signal when one is
 *   executed, so such a command is not covered.
 * - platforms without it (macOS, BSD) or hosts without `setpriv` (old util-linux, minimal images):
 *   the command is spawned directly and only ordinary exits of envject stop it.
 */
import { execFile, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { platform } from "node:process";
import type { CommandLine } from "./command.js";
import { findExecutable } from "./command.js";

let cached: { path: string | undefined } | undefined;

/** The path of a `setpriv` that supports `--pdeathsig`, found on envject's own PATH, or undefined (non-Linux, absent, too old). */
export function findSetpriv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (platform !== "linux") return undefined;
  if (cached && env === process.env) return cached.path;
  const path = probe(env);
  if (env === process.env) cached = { path };
  return path;
}

/**
 * Runs the probe without blocking, so it overlaps other start-up work; findSetpriv() then answers
 * from the cache. Never rejects.
 */
export async function probeSetprivInBackground(): Promise<void> {
  if (platform !== "linux" || cached) return;
  let path: string;
  try {
    path = findExecutable("setpriv", process.env);
  } catch {
    cached = { path: undefined };
    return;
  }
  if (namesPdeathsig(path)) {
    cached ??= { path };
    return;
  }
  const help = await new Promise<string | undefined>((done) => execFile(path, ["--help"], { encoding: "utf8", timeout: 5000 }, (error, stdout) => done(error ? undefined : stdout)));
  cached ??= { path: help?.includes("--pdeathsig") ? path : undefined };
}

/** The long option's name as getopt's table holds it in the program: a NUL-terminated string of its own. */
const PDEATHSIG_OPTION = Buffer.from("\0pdeathsig\0", "latin1");

/**
 * Whether the program at `path` holds `--pdeathsig` among its option names, read from the file
 * (about 80 KB) instead of running `setpriv --help` at every start. Only a yes is trusted: a
 * program that does not show the name (a packed binary, an old util-linux) is asked with --help.
 */
function namesPdeathsig(path: string): boolean {
  try {
    return readFileSync(path).includes(PDEATHSIG_OPTION);
  } catch {
    return false;
  }
}

/** Wraps `line` as `setpriv --pdeathsig SIGKILL -- <file> <args>`, so the child is killed if envject dies without cleaning up. */
export function withParentDeathSignal(line: CommandLine, setpriv: string): CommandLine {
  return { file: setpriv, args: ["--pdeathsig", "SIGKILL", "--", line.file, ...line.args] };
}

function probe(env: NodeJS.ProcessEnv): string | undefined {
  let path: string;
  try {
    path = findExecutable("setpriv", env);
  } catch {
    return undefined;
  }
  // util-linux before 2.33 has setpriv without --pdeathsig: it would fail every start with a usage
  // error, so check the option is there once per process rather than trusting the file's presence.
  if (namesPdeathsig(path)) return path;
  const help = spawnSync(path, ["--help"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5000 });
  return help.status === 0 && help.stdout.includes("--pdeathsig") ? path : undefined;
}
