/**
 * Reading /proc/<pid>/stat (Linux): the fields envject uses to tell processes apart. The command
 * name (field 2) is in parentheses and may hold anything, so fields are counted after the last ")".
 */
import { readFileSync } from "node:fs";

export interface ProcStat {
  pid: number;
  /** One letter: R, S, D, T, Z (zombie), … */
  state: string;
  ppid: number;
  pgid: number;
  /** Field 22: start time in clock ticks since boot; with the pid, it names one process (pids are reused). */
  startTime: string;
}

/** The stat of `pid`; undefined when it is gone or there is no /proc. */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  if (fields[19] === undefined) return undefined;
  return { pid, state: fields[0]!, ppid: Number(fields[1]), pgid: Number(fields[2]), startTime: fields[19] };
}
