/**
 * Secrets delivered as files (`files:` in the mapping): each is written to a 0600 file in a private
 * 0700 directory on tmpfs when one is available (/dev/shm, then $XDG_RUNTIME_DIR), so the secret
 * never reaches a disk; the directory is removed when envject exits. Writes are atomic (write a
 * temporary file, then rename), so a program re-reading a file after a signal never sees half of it.
 *
 * An envject killed with SIGKILL cannot remove its directory. So each directory holds an `.owner`
 * record (pid, the process's start time and its PID namespace, read from /proc), and the next
 * envject that writes files removes the directories of owners that are gone: same user, same PID
 * namespace, and no live process with that pid and start time. A directory without a record, or
 * whose owner cannot be judged (no /proc, another namespace), is left alone.
 */
import { accessSync, constants, mkdtempSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readProcStat } from "../proc.js";

/** node:crypto, loaded only when a file is written: a run without `files:` never pays for it at start. */
const crypto = () => process.getBuiltinModule("node:crypto");

export class SecretFiles {
  private constructor(readonly directory: string) {}

  /** Creates the private directory (tmpfs when available). */
  static create(environ: NodeJS.ProcessEnv = process.env): SecretFiles {
    const base = secretFileBase(environ);
    removeStaleDirectories(base);
    const files = new SecretFiles(mkdtempSync(join(base, "envject-")));
    const owner = ownerRecord(process.pid);
    if (owner !== undefined) writeFileSync(join(files.directory, OWNER_FILE), owner, { mode: 0o600, flag: "wx" });
    return files;
  }

  /** Where the file for variable `name` is (whether or not it has been written yet). */
  pathOf(name: string): string {
    return join(this.directory, name);
  }

  /** Writes (or atomically replaces) the file for variable `name` and returns its path. */
  write(name: string, content: string): string {
    const path = this.pathOf(name);
    const temporary = join(this.directory, `.${name}.${crypto().randomBytes(6).toString("hex")}`);
    writeFileSync(temporary, content, { mode: 0o600, flag: "wx" });
    renameSync(temporary, path);
    return path;
  }

  /** Deletes the directory and everything in it; safe to call more than once, and from an exit handler. */
  remove(): void {
    rmSync(this.directory, { recursive: true, force: true });
  }
}

/** The first writable tmpfs-backed directory, else the system temporary directory. */
export function secretFileBase(environ: NodeJS.ProcessEnv): string {
  const candidates = ["/dev/shm", environ.XDG_RUNTIME_DIR].filter((d): d is string => Boolean(d));
  for (const dir of candidates) {
    try {
      if (!statSync(dir).isDirectory()) continue;
      accessSync(dir, constants.W_OK | constants.X_OK);
      return dir;
    } catch {
      // not usable; try the next one
    }
  }
  return tmpdir();
}

const OWNER_FILE = ".owner";

/**
 * `<pid> <start time in clock ticks> <pid namespace>` for a live process, from /proc; undefined
 * where there is no /proc (macOS) or the process is gone.
 */
export function ownerRecord(pid: number): string | undefined {
  const stat = readProcStat(pid);
  if (stat === undefined) return undefined;
  try {
    return `${pid} ${stat.startTime} ${readlinkSync(`/proc/${pid}/ns/pid`)}\n`;
  } catch {
    return undefined;
  }
}

/** Removes `envject-*` directories in `base` whose recorded owner process no longer exists. */
export function removeStaleDirectories(base: string): string[] {
  const removed: string[] = [];
  const self = ownerRecord(process.pid);
  if (self === undefined) return removed;
  const namespace = self.trim().split(" ")[2];
  const uid = process.getuid?.();
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith("envject-")) continue;
    const directory = join(base, name);
    try {
      const info = statSync(directory);
      if (!info.isDirectory() || (uid !== undefined && info.uid !== uid)) continue;
      const [pid, startTime, ownerNamespace] = readFileSync(join(directory, OWNER_FILE), "utf8").trim().split(" ");
      if (ownerNamespace !== namespace || !/^\d+$/.test(pid ?? "")) continue;
      if (readProcStat(Number(pid))?.startTime === startTime) continue; // still running
      rmSync(directory, { recursive: true, force: true });
      removed.push(directory);
    } catch {
      // no record (being created, or an older envject) or unreadable: not ours to judge
    }
  }
  return removed;
}
