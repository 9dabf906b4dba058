/**
 * Processes the command started that outlive it when envject stops it (README "Supervision").
 *
 * The child stays in envject's process group (a terminal's Ctrl-C must reach it), and so does
 * everything it forks — and so do the other commands of a shell pipeline (`envject -- app | grep
 * x`). Signalling "the process group" would therefore hit envject and its neighbours. The rule
 * instead: while envject is stopping the child, it notes the child's descendants (by parent pid,
 * from /proc) and, if the child leads a process group of its own, that group's members; once the
 * child has exited, those of them that still run — the same process, checked by its start time,
 * not a reused pid — get the stop signal, then SIGKILL after the kill timeout. A process the child
 * forked and left before the stop began (re-parented to init by then) is not known to envject.
 * Linux only (/proc); elsewhere nothing is noted.
 */
import { readdirSync } from "node:fs";
import { platform } from "node:process";
import { type ProcStat as Stat, readProcStat as readStat } from "../proc.js";

/** One process, identified so a reused pid is never mistaken for it. */
export interface NotedProcess {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot. */
  startTime: string;
}

/**
 * The descendants of `pid` that run now, plus the members of the process group `pid` leads when it
 * made one of its own (the child starts in envject's group, whose id is never its pid). Zombies and
 * `pid` itself are left out. [] off Linux.
 */
export function noteDescendants(pid: number): NotedProcess[] {
  if (platform !== "linux") return [];
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const all: Stat[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) all.push(stat);
  }
  const byParent = new Map<number, Stat[]>();
  for (const s of all) {
    const list = byParent.get(s.ppid);
    if (list) list.push(s);
    else byParent.set(s.ppid, [s]);
  }
  const found = new Map<number, Stat>();
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      if (found.has(child.pid)) continue;
      found.set(child.pid, child);
      queue.push(child.pid);
    }
  }
  const leader = all.find((s) => s.pid === pid);
  if (leader && leader.pgid === pid) {
    for (const s of all) if (s.pgid === pid && s.pid !== pid) found.set(s.pid, s);
  }
  return [...found.values()].filter((s) => s.state !== "Z").map((s) => ({ pid: s.pid, startTime: s.startTime }));
}

/** Those of `noted` that are still the same process and still run (not zombies). */
export function stillRunning(noted: readonly NotedProcess[]): NotedProcess[] {
  return noted.filter((p) => {
    const stat = readStat(p.pid);
    return stat !== undefined && stat.state !== "Z" && stat.startTime === p.startTime;
  });
}

/** Sends `signal` to each of `procs`; a process that is gone meanwhile is skipped. */
export function signalEach(procs: readonly NotedProcess[], signal: NodeJS.Signals): void {
  for (const p of stillRunning(procs)) {
    try {
      process.kill(p.pid, signal);
    } catch {
      // exited between the check and the signal, or not ours to signal
    }
  }
}

/** Merges `more` into `into` (by pid and start time). */
export function addNoted(into: NotedProcess[], more: readonly NotedProcess[]): void {
  for (const p of more) if (!into.some((q) => q.pid === p.pid && q.startTime === p.startTime)) into.push(p);
}
