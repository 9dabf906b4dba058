/**
 * Secrets delivered as files (`files:` in the mapping): each is written to a 0600 file in a private
 * 0700 directory on tmpfs when one is available (/dev/shm, then $XDG_RUNTIME_DIR), so the secret
 * never reaches a disk; the directory is removed when envject exits. Writes are atomic (write a
 * temporary file, then rename), so a program re-reading a file after a signal never sees half of it.
 */
import { accessSync, constants, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

export class SecretFiles {
  private constructor(readonly directory: string) {}

  /** Creates the private directory (tmpfs when available). */
  static create(environ: NodeJS.ProcessEnv = process.env): SecretFiles {
    const base = secretFileBase(environ);
    return new SecretFiles(mkdtempSync(join(base, "envject-")));
  }

  /** Where the file for variable `name` is (whether or not it has been written yet). */
  pathOf(name: string): string {
    return join(this.directory, name);
  }

  /** Writes (or atomically replaces) the file for variable `name` and returns its path. */
  write(name: string, content: string): string {
    const path = this.pathOf(name);
    const temporary = join(this.directory, `.${name}.${randomBytes(6).toString("hex")}`);
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
