/**
 * The output formats of `envject export` (docs/contract/check-and-export.md#export). Each is exact: dotenv output
 * round-trips through `dotenv.parse`, json through `JSON.parse`, shell through `eval`.
 */
import { parse as parseDotenv } from "dotenv";
import { ConfigError } from "../errors.js";
import type { ExportFormat } from "./argv.js";

/** Formats `variables` (in order) as `format`; throws ConfigError when a value cannot be written as dotenv. */
export function formatVariables(variables: ReadonlyMap<string, string>, format: ExportFormat): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(Object.fromEntries(variables), null, 2)}\n`;
    case "shell":
      return [...variables].map(([name, value]) => `export ${name}=${shellQuote(value)}\n`).join("");
    case "dotenv":
      return [...variables].map(([name, value]) => `${name}=${dotenvQuote(name, value)}\n`).join("");
  }
}

/** POSIX single quoting: everything literal, `'` written as `'\''`. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * dotenv has no escape for every character in every quoting style, so each candidate quoting is
 * checked against dotenv's own parser and the first that gives the value back is used.
 */
export function dotenvQuote(name: string, value: string): string {
  const candidates = [`'${value}'`, `"${value}"`, `\`${value}\``];
  if (!value.includes("\n")) candidates.push(`"${value.replaceAll("\r", "\\r")}"`);
  if (!value.includes("\\n") && !value.includes("\\r")) candidates.push(`"${value.replaceAll("\n", "\\n").replaceAll("\r", "\\r")}"`);
  for (const candidate of candidates) {
    if (parseDotenv(`${name}=${candidate}\n`)[name] === value) return candidate;
  }
  throw new ConfigError(`the value of ${name} cannot be written in dotenv format (it mixes quote characters dotenv cannot escape); use --format json or --format shell`);
}
