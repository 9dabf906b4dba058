/**
 * The environment the child runs with, kept across changes: the resolution it came from, the
 * `files:` secrets on disk, and what a change would alter (variable names only). After a change
 * is adopted, the next start of the child — a restart for a change or after a crash — uses it.
 */
import type { ChildSpec } from "../supervise/child.js";
import { type EnvironmentOptions, buildChildEnvironment } from "../resolve/environment.js";
import { type Resolution, type ResolvedVariable, finalValues } from "../resolve/resolution.js";
import { SecretFiles } from "../resolve/secret-files.js";

export interface ChildEnvironmentOptions {
  /** The command to run, without its environment. */
  command: Omit<ChildSpec, "env">;
  environment: EnvironmentOptions;
  /** envject's own environment (where to put the `files:` directory). */
  environ: NodeJS.ProcessEnv;
}

/** What a new resolution changes, by variable name. */
export interface EnvironmentChange {
  resolution: Resolution;
  /** Every variable whose value changed (added and removed ones included). */
  variables: string[];
  /** Those delivered as environment variables: they reach the child only when it starts. */
  environment: string[];
  /** Those delivered under `files:`: rewritten in place. */
  files: string[];
}

export class ChildEnvironment {
  private secretFiles: SecretFiles | undefined;
  private current: Resolution;
  private env: Record<string, string>;
  /** `files:` contents adopted but not written yet (`--on-change none`): written before the next start. */
  private readonly pendingFiles = new Map<string, string>();

  /** Writes the `files:` secrets and builds the environment; throws ConfigError for a value with NUL. */
  constructor(
    resolution: Resolution,
    private readonly options: ChildEnvironmentOptions,
  ) {
    try {
      this.env = this.build(resolution);
      for (const v of fileVariables(resolution)) this.files().write(v.name, v.value);
    } catch (error) {
      this.removeFiles();
      throw error;
    }
    this.current = resolution;
  }

  get resolution(): Resolution {
    return this.current;
  }

  /** The `files:` directory, if any secret is delivered as a file. */
  get filesDirectory(): string | undefined {
    return this.secretFiles?.directory;
  }

  /** What `next` would change for the child (names only). */
  diff(next: Resolution): EnvironmentChange {
    const before = finalValues(this.current.variables);
    const after = finalValues(next.variables);
    const change: EnvironmentChange = { resolution: next, variables: [], environment: [], files: [] };
    for (const name of new Set([...before.keys(), ...after.keys()])) {
      const a = before.get(name);
      const b = after.get(name);
      if (a?.value === b?.value && (a?.section === "files") === (b?.section === "files")) continue;
      change.variables.push(name);
      ((b ?? a)!.section === "files" ? change.files : change.environment).push(name);
    }
    return change;
  }

  /**
   * Makes `change` the environment of the child's next start. With `writeFiles`, the changed
   * `files:` secrets are rewritten now (atomically); otherwise just before the next start.
   * Throws ConfigError (a value with NUL) and then changes nothing.
   */
  adopt(change: EnvironmentChange, options: { writeFiles: boolean }): void {
    this.env = this.build(change.resolution);
    this.current = change.resolution;
    const values = finalValues(change.resolution.variables);
    for (const name of change.files) {
      const v = values.get(name);
      if (v?.section === "files") this.pendingFiles.set(name, v.value);
    }
    if (options.writeFiles) this.writePendingFiles();
  }

  /** What the next child starts with; `files:` secrets adopted but not yet written are written first. */
  spec(): ChildSpec {
    this.writePendingFiles();
    return { ...this.options.command, env: this.env };
  }

  /** Deletes the `files:` directory; safe to call more than once, and from an exit handler. */
  removeFiles(): void {
    this.secretFiles?.remove();
  }

  private writePendingFiles(): void {
    for (const [name, value] of this.pendingFiles) this.files().write(name, value);
    this.pendingFiles.clear();
  }

  private files(): SecretFiles {
    this.secretFiles ??= SecretFiles.create(this.options.environ);
    return this.secretFiles;
  }

  private build(resolution: Resolution): Record<string, string> {
    // A file's path is fixed by its variable's name, so the environment can name it before it is (re)written.
    const entries = resolution.variables.map((v) => (v.section === "files" ? { name: v.name, value: this.files().pathOf(v.name) } : v));
    return buildChildEnvironment(entries, this.options.environment);
  }
}

function fileVariables(resolution: Resolution): ResolvedVariable[] {
  return resolution.variables.filter((v) => v.section === "files");
}
