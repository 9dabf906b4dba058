/**
 * `${NAME}` expansion in the mapping file's `vault:` and `aws:` settings (docs/contract/mapping.md#expansion-of-settings), so a
 * committed file can take credentials and addresses from envject's own environment. It applies
 * to those settings only: `env`/`files` values and .env files are never expanded, because a
 * value there is handed to the child and must mean what it says.
 */
import { ConfigError } from "../errors.js";
import { isValidVariableName } from "./names.js";

/**
 * Replaces `${NAME}` with NAME's value and `${NAME:-default}` with NAME's value when it is set
 * and non-empty, else `default` (the shell's rule); `$${` stands for a literal `${`. Throws a
 * ConfigError without location (the caller adds it) naming an unset variable or a malformed `${`;
 * messages never contain the text being expanded, which may be a pasted credential.
 */
export function expandEnvReferences(text: string, environ: NodeJS.ProcessEnv): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    if (text.startsWith("$${", i)) {
      out += "${";
      i += 3;
      continue;
    }
    if (!text.startsWith("${", i)) {
      out += text[i];
      i += 1;
      continue;
    }
    const close = text.indexOf("}", i + 2);
    if (close < 0) throw new ConfigError("unterminated ${ (write $${ for a literal ${)");
    out += substitute(text.slice(i + 2, close), environ);
    i = close + 1;
  }
  return out;
}

function substitute(inner: string, environ: NodeJS.ProcessEnv): string {
  const sep = inner.indexOf(":-");
  const name = sep < 0 ? inner : inner.slice(0, sep);
  if (!isValidVariableName(name)) {
    throw new ConfigError("malformed ${…}: write ${NAME} or ${NAME:-default}, NAME being a variable name (or $${ for a literal ${)");
  }
  const value = environ[name];
  if (sep >= 0) return value === undefined || value === "" ? inner.slice(sep + 2) : value;
  if (value === undefined) throw new ConfigError(`environment variable ${name} is not set (use \${${name}:-default} to give a default)`);
  return value;
}

/** The names `text` refers to with `${NAME}` or `${NAME:-default}` (not `$${`), in order, without duplicates. */
export function referencedVariables(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(/(\$?)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}/g)) {
    if (m[1] === "" && !names.includes(m[2]!)) names.push(m[2]!);
  }
  return names;
}
