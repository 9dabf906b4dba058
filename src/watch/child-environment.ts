/**
 * The environment the child runs with, kept across changes: the resolution it came from, the
 * `files:` secrets on disk, and what a change would alter (variable names only). After a change
 * is adopted, the next start of the child — a restart for a change or after a crash — uses it.
 * It is always one the child can be started with (see ../supervise/exec-limits.ts): a value too
 * big for an environment is exit 65 at start, and a change that would bring one is refused
 * (fit()) before anything is stopped.
 */
import { ConfigError } from "../errors.js";
import type { LogFields } from "../log/logger.js";
import type { ChildSpec } from "../supervise/child.js";
import { commandLine } from "../supervise/command.js";
import { MAX_ENV_STRING_BYTES, argumentLimitBytes, envStringBytes, execBytes } from "../supervise/exec-limits.js";
import { type EnvironmentOptions, buildChildEnvironment } from "../resolve/environment.js";
import { type Resolution, type ResolvedVariable, finalValues, withParts } from "../resolve/resolution.js";
import { SecretFiles } from "../resolve/secret-files.js";

export interface ChildEnvironmentOptions {
  /** The command to run, without its environment. */
  command: Omit<ChildSpec, "env">;
  environment: EnvironmentOptions;
  /** envject's own environment (where to put the `files:` directory; `$SHELL` for `--shell`). */
  environ: NodeJS.ProcessEnv;
  /** How many bytes argv and the environment may take in all; default the system's (argumentLimitBytes()). */
  argumentLimitBytes?: number;
}

/** New values that cannot become the child's (too big for an environment): they keep their current ones. Names and sizes only. */
export interface Refusal {
  /** The variables that keep their current values. */
  variables: string[];
  /** A log line: names and byte counts, never a value. */
  message: string;
  fields: LogFields;
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

  /**
   * Writes the `files:` secrets and builds the environment; throws ConfigError for a value with
   * NUL, and for an environment the child could not be started with (every variable too big named).
   */
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
   * `next`, an update of the current resolution, as far as the child can be started with it: a
   * part evaluated again (a binding, an `expand:` entry) that would give a variable longer than
   * an environment string may be, or make the whole environment and argv exceed the argument
   * space, keeps its current variables — as a part that failed to evaluate does — and is
   * reported in `refused`. `files:` contents are not limited (they go to files). The result can
   * always be adopted.
   */
  fit(next: Resolution): { resolution: Resolution; refused: Refusal[] } {
    const current = this.current;
    const parts = [...next.parts];
    const fresh = parts.flatMap((part, i) => (Array.isArray(part) && Array.isArray(current.parts[i]) && part !== current.parts[i] ? [i] : []));
    const refused: Refusal[] = [];
    const finals = finalValues(next.variables);
    for (const i of fresh) {
      const part = parts[i] as ResolvedVariable[];
      const big = part.filter((v) => v.section !== "files" && finals.get(v.name) === v && envStringBytes(v.name, v.value) > MAX_ENV_STRING_BYTES);
      if (big.length === 0) continue;
      parts[i] = current.parts[i]!;
      refused.push(oversizedRefusal(big, part.length > big.length));
    }
    let resolution = withParts(next, parts);
    const bytes = this.execBytesOf(resolution);
    const limit = this.argumentLimit();
    if (bytes > limit) {
      // Put back the parts that grew the environment; if that is not enough, every new value.
      const kept = fresh.filter((i) => parts[i] !== current.parts[i]);
      let reverted = kept.filter((i) => environmentBytes(parts[i] as ResolvedVariable[]) > environmentBytes(current.parts[i] as ResolvedVariable[]));
      for (const i of reverted) parts[i] = current.parts[i]!;
      resolution = withParts(next, parts);
      if (this.execBytesOf(resolution) > limit) {
        reverted = kept;
        for (const i of kept) parts[i] = current.parts[i]!;
        resolution = withParts(next, parts);
      }
      const names = [...new Set(reverted.flatMap((i) => (next.parts[i] as ResolvedVariable[]).filter((v) => v.section !== "files").map((v) => v.name)))];
      const one = names.length === 1;
      refused.push({
        variables: names,
        message:
          `${one ? "the new value of" : "the new values of"} ${names.join(", ")} would make the command's environment and arguments ${bytes} bytes, ` +
          `over the ${limit} the system allows (execve fails with E2BIG); the command keeps running with ${one ? "its current value" : "their current values"}`,
        fields: { variables: names, bytes, limit },
      });
    }
    return { resolution, refused };
  }

  /**
   * Makes `change` the environment of the child's next start. With `writeFiles`, the changed
   * `files:` secrets are rewritten now (atomically); otherwise just before the next start.
   * Throws ConfigError (a value with NUL, an environment too big: fit() first) and then changes nothing.
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

  /** The environment `resolution` gives; throws ConfigError when the child could not be started with it. */
  private build(resolution: Resolution): Record<string, string> {
    const env = this.environmentOf(resolution);
    this.assertStartable(env, resolution);
    return env;
  }

  private environmentOf(resolution: Resolution): Record<string, string> {
    // A file's path is fixed by its variable's name, so the environment can name it before it is (re)written.
    const entries = resolution.variables.map((v) => (v.section === "files" ? { name: v.name, value: this.files().pathOf(v.name) } : v));
    return buildChildEnvironment(entries, this.options.environment);
  }

  /** Every string within MAX_ARG_STRLEN, and all of them within the argument space: else ConfigError (65) naming the variables, with sizes. */
  private assertStartable(env: Record<string, string>, resolution: Resolution): void {
    const origins = finalValues(resolution.variables);
    const big = Object.entries(env).flatMap(([name, value]) => {
      const bytes = envStringBytes(name, value);
      return bytes > MAX_ENV_STRING_BYTES ? [{ message: oversizedMessage(name, bytes), origin: origins.get(name)?.origin }] : [];
    });
    if (big.length > 0) {
      const [first, ...rest] = big;
      throw new ConfigError(first!.message, first!.origin, { related: rest.map((b) => new ConfigError(b.message, b.origin)) });
    }
    const bytes = execBytes(env, this.argv());
    const limit = this.argumentLimit();
    if (bytes > limit) {
      const largest = Object.entries(env)
        .map(([name, value]) => ({ name, bytes: envStringBytes(name, value) }))
        .sort((a, b) => b.bytes - a.bytes)
        .slice(0, 3)
        .map((v) => `${v.name} (${v.bytes} bytes)`);
      throw new ConfigError(
        `the command's environment and arguments would take ${bytes} bytes, over the ${limit} the system allows (execve fails with E2BIG); ` +
          `the largest variables: ${largest.join(", ")}; deliver big secrets under files: instead`,
      );
    }
  }

  private execBytesOf(resolution: Resolution): number {
    return execBytes(this.environmentOf(resolution), this.argv());
  }

  /** What the child is executed with (the `setpriv` wrapper's few words are in the headroom). */
  private argv(): string[] {
    const line = commandLine(this.options.command, this.options.environ);
    return [line.file, ...line.args];
  }

  private argumentLimit(): number {
    return this.options.argumentLimitBytes ?? argumentLimitBytes();
  }
}

/** The bytes a part's environment variables take (`files:` ones hold only a path). */
function environmentBytes(variables: readonly ResolvedVariable[]): number {
  return variables.reduce((sum, v) => sum + (v.section === "files" ? 0 : envStringBytes(v.name, v.value)), 0);
}

function oversizedMessage(name: string, bytes: number): string {
  return (
    `${name} would be ${bytes} bytes as an environment string (${name}=value with its NUL), over Linux's limit of ${MAX_ENV_STRING_BYTES} bytes ` +
    `(execve fails with E2BIG); deliver a secret this big under files: instead`
  );
}

function oversizedRefusal(big: readonly ResolvedVariable[], others: boolean): Refusal {
  const variables = big.map((v) => v.name);
  const one = big.length === 1;
  const sizes = big.map((v) => `${one ? "" : `${v.name}: `}${envStringBytes(v.name, v.value)} bytes`);
  return {
    variables,
    message:
      `${one ? "the new value of" : "the new values of"} ${variables.join(", ")} ${one ? "is" : "are"} too big for an environment variable (${sizes.join(", ")} as NAME=value with its NUL; ` +
      `Linux refuses one over ${MAX_ENV_STRING_BYTES} bytes: E2BIG); the command keeps running with ${one ? "its current value" : "their current values"}` +
      `${others ? ", as do the other variables of the same expand: entry" : ""} (deliver a secret this big under files:)`,
    fields: one ? { variable: variables[0], bytes: envStringBytes(big[0]!.name, big[0]!.value), limit: MAX_ENV_STRING_BYTES } : { variables, limit: MAX_ENV_STRING_BYTES },
  };
}

function fileVariables(resolution: Resolution): ResolvedVariable[] {
  return resolution.variables.filter((v) => v.section === "files");
}
