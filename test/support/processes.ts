/**
 * Counting processes the way the kernel sees them, by walking /proc (Linux): `kill(pid, 0)`
 * succeeds for a zombie, so it cannot tell "still running" from "exited, never reaped".
 * Every function reads a fresh snapshot; a process that ends while it is read is skipped.
 */
import { readdirSync, readFileSync } from "node:fs";

export interface ProcInfo {
  pid: number;
  ppid: number;
  /** Process group and session ids. */
  pgid: number;
  sid: number;
  /** One letter: R running, S sleeping, D disk wait, T stopped, Z zombie, … */
  state: string;
  /** The executable's name as the kernel keeps it (`comm`, at most 15 characters). */
  comm: string;
}

/** Parses /proc/<pid>/stat; undefined when the process is gone. `comm` may hold spaces and ")". */
export function procInfo(pid: number, root = "/proc"): ProcInfo | undefined {
  let stat: string;
  try {
    stat = readFileSync(`${root}/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  return parseStat(stat);
}

/** The fields of a /proc/<pid>/stat line that matter here. */
export function parseStat(stat: string): ProcInfo {
  const open = stat.indexOf("(");
  const close = stat.lastIndexOf(")");
  const fields = stat.slice(close + 2).split(" ");
  return {
    pid: Number(stat.slice(0, open).trim()),
    comm: stat.slice(open + 1, close),
    state: fields[0]!,
    ppid: Number(fields[1]),
    pgid: Number(fields[2]),
    sid: Number(fields[3]),
  };
}

/** Every process visible in `root` (default /proc). */
export function allProcesses(root = "/proc"): ProcInfo[] {
  const found: ProcInfo[] = [];
  for (const entry of readdirSync(root)) {
    if (!/^\d+$/.test(entry)) continue;
    const info = procInfo(Number(entry), root);
    if (info) found.push(info);
  }
  return found;
}

/** The processes whose parent is `pid`. */
export function childrenOf(pid: number, all: ProcInfo[] = allProcesses()): ProcInfo[] {
  return all.filter((p) => p.ppid === pid);
}

/** Every descendant of `pid` (children, their children, …), by parent pid; zombies included. */
export function descendantsOf(pid: number, all: ProcInfo[] = allProcesses()): ProcInfo[] {
  const byParent = new Map<number, ProcInfo[]>();
  for (const p of all) byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p]);
  const out: ProcInfo[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}

/** The processes in process group `pgid`. */
export function inProcessGroup(pgid: number, all: ProcInfo[] = allProcesses()): ProcInfo[] {
  return all.filter((p) => p.pgid === pgid);
}

/** The processes in session `sid`. */
export function inSession(sid: number, all: ProcInfo[] = allProcesses()): ProcInfo[] {
  return all.filter((p) => p.sid === sid);
}

/** NUL-separated /proc/<pid>/<file> as text ("" when unreadable: gone, or a zombie's empty files). */
function procText(pid: number, file: "environ" | "cmdline"): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "latin1");
  } catch {
    return "";
  }
}

/** The argv of `pid` ([] for a zombie or a process that is gone). */
export function cmdlineOf(pid: number): string[] {
  return procText(pid, "cmdline")
    .split("\0")
    .filter((a) => a !== "");
}

/**
 * The processes whose environment or command line contains `marker` — found wherever they have
 * been re-parented to. A zombie has neither, so a zombie is found only through its parent
 * (`zombiesAmong`, `descendantsOf`); the caller's own process is never included.
 */
export function withMarker(marker: string, all: ProcInfo[] = allProcesses()): ProcInfo[] {
  return all.filter((p) => p.pid !== process.pid && (procText(p.pid, "environ").includes(marker) || procText(p.pid, "cmdline").includes(marker)));
}

/** The zombies among `procs`. */
export function zombiesAmong(procs: ProcInfo[]): ProcInfo[] {
  return procs.filter((p) => p.state === "Z");
}

/** True while `pid` exists and is not a zombie. */
export function isRunning(pid: number): boolean {
  const info = procInfo(pid);
  return info !== undefined && info.state !== "Z";
}

/** "123 (node, S, ppid 1)" for each, for assertion messages. */
export function describeProcs(procs: ProcInfo[]): string {
  return procs.map((p) => `${p.pid} (${p.comm}, ${p.state}, ppid ${p.ppid}) ${cmdlineOf(p.pid).join(" ")}`).join("\n") || "(none)";
}

/** SIGKILLs each of `procs` that still exists (test cleanup; ignores those already gone). */
export function killAll(procs: ProcInfo[]): void {
  for (const p of procs) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // gone
    }
  }
}
