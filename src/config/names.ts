/**
 * Environment variable names (docs/contract/environment.md#names-and-values): what a name may look like, and how an `expand:`
 * secret key becomes one. POSIX shells accept only these names, and a child started through
 * `--shell` would silently lose any other.
 */
import { ConfigError, type SourceLocation } from "../errors.js";

/** The name rule of docs/contract/environment.md#names-and-values: a letter or underscore, then letters, digits and underscores. */
export const VARIABLE_NAME: RegExp = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What a ConfigError says about a name that breaks the rule (the location names the name). */
export const INVALID_VARIABLE_NAME = "invalid variable name: names are a letter or _ followed by letters, digits and _";

/** True when `name` is a variable name the child may receive. */
export function isValidVariableName(name: string): boolean {
  return VARIABLE_NAME.test(name);
}

/**
 * `expand:` key → variable name: prefix + key upper-cased with every [^A-Z0-9_] replaced by "_".
 * One underscore per character (code point), not per UTF-16 unit. The result is not checked:
 * with an empty prefix a key such as `1st` gives `1ST`, so callers test it with
 * isValidVariableName and report the key.
 */
export function expandedVariableName(prefix: string, key: string): string {
  return prefix + key.toUpperCase().replace(/[^A-Z0-9_]/gu, "_");
}

/**
 * Throws ConfigError when `value` holds a NUL, which no environment variable can carry (execve
 * would silently cut the value there). `name` is named in the message, never the value.
 */
export function assertNoNul(value: string, name: string, origin?: SourceLocation): void {
  if (value.includes("\0")) throw new ConfigError(`the value of ${name} contains a NUL character, which no environment variable can hold`, origin);
}
