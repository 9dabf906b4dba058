/**
 * Typed errors. Every error envject raises on purpose carries the exit code the product contract
 * gives it and a message a user can act on. Messages name variables, paths and keys — never a
 * secret value; callers must not interpolate values into them.
 */

/** Exit codes of the product contract (docs/contract/exit-codes.md#codes), sysexits-style. */
export const ExitCode = {
  ok: 0,
  usage: 64,
  config: 65,
  unavailable: 69,
  tempFail: 75,
  auth: 77,
  notFound: 78,
  /** EX_SOFTWARE: a bug in envject, not a user mistake. */
  internal: 70,
  notExecutable: 126,
  commandNotFound: 127,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Base class: an expected failure, reported as one line without a stack trace. */
export class EnvjectError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number, options?: { cause?: unknown }) {
    super(message, options);
    // Spelled out, not taken from the class: the bundle is minified without keeping names.
    this.name = "EnvjectError";
    this.exitCode = exitCode;
  }
}

/** Bad flags or no command (64). */
export class UsageError extends EnvjectError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.usage, options);
    this.name = "UsageError";
  }
}

/** Where in a file a configuration error sits; line and column are 1-based. */
export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
  /** The offending key, e.g. `env.DB_PASSWORD` or `vault.auth.method`. */
  key?: string;
}

/** Bad mapping file, .env file or reference (65). */
export class ConfigError extends EnvjectError {
  readonly location: SourceLocation | undefined;
  /** Further problems of the same kind found with this one (every unknown key of a file), each reported on its own line. */
  readonly related: readonly ConfigError[];
  constructor(message: string, location?: SourceLocation, options?: { cause?: unknown; related?: readonly ConfigError[] }) {
    super(location ? `${formatLocation(location)}: ${message}` : message, ExitCode.config, options);
    this.name = "ConfigError";
    this.location = location;
    this.related = options?.related ?? [];
  }
}

/** Authentication failed or access denied (77). */
export class AuthError extends EnvjectError {
  /** The store said the credentials themselves are bad (Vault's "invalid token"), not just that this request is denied. */
  readonly credentialsInvalid: boolean;
  constructor(message: string, options?: { cause?: unknown; credentialsInvalid?: boolean }) {
    super(message, ExitCode.auth, options);
    this.name = "AuthError";
    this.credentialsInvalid = options?.credentialsInvalid ?? false;
  }
}

/** A secret store could not be reached (69). `retryable` errors are retried until --start-timeout. */
export class UnavailableError extends EnvjectError {
  readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, ExitCode.unavailable, options);
    this.name = "UnavailableError";
    this.retryable = options?.retryable ?? true;
  }
}

/** A referenced secret, version or field does not exist (78). */
export class NotFoundError extends EnvjectError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.notFound, options);
    this.name = "NotFoundError";
  }
}

/** The command could not be started: 126 (not executable) or 127 (not found). */
export class SpawnError extends EnvjectError {
  constructor(message: string, exitCode: number, options?: { cause?: unknown }) {
    super(message, exitCode, options);
    this.name = "SpawnError";
  }
}

/** `file:line:column (key)` — the prefix of every configuration error. */
export function formatLocation(loc: SourceLocation): string {
  let s = loc.file;
  if (loc.line !== undefined) s += `:${loc.line}`;
  if (loc.line !== undefined && loc.column !== undefined) s += `:${loc.column}`;
  if (loc.key) s += ` (${loc.key})`;
  return s;
}

/** Runs `parse` (a parser whose ConfigErrors carry no location) and gives its ConfigErrors `origin`. */
export function atLocation<T>(parse: () => T, origin: SourceLocation): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ConfigError && !error.location) throw new ConfigError(error.message, origin, { cause: error });
    throw error;
  }
}

/**
 * For `check`: the most serious failure decides the exit code, in the contract's order
 * 65, 77, 69, 78 (anything else after those).
 */
export function mostSeriousExitCode(codes: number[]): number {
  const order: number[] = [ExitCode.config, ExitCode.auth, ExitCode.unavailable, ExitCode.notFound];
  for (const c of order) if (codes.includes(c)) return c;
  return codes.find((c) => c !== 0) ?? 0;
}
