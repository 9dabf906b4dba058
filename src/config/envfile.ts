/**
 * `--env-file` files (docs/contract/mapping.md#env-files, docs/contract/environment.md#order): dotenv syntax, values that may be references or
 * templates. dotenv.parse() reads the values (never config(): nothing may touch process.env), but
 * it skips malformed lines without a word and knows no line numbers, so the file is first walked
 * with dotenv's own line pattern to place every entry and to reject what dotenv would drop.
 *
 * One rule is Docker Compose's rather than dotenv's: in an unquoted value a `#` starts a comment
 * only when whitespace precedes it, so `DB=vault://secret/db#password` keeps its field. The walk
 * reads such a value itself; every other value is dotenv's.
 */
import { readConfigText } from "./read-file.js";
import dotenv from "dotenv";
import { ConfigError, atLocation } from "../errors.js";
import type { SourceLocation } from "../errors.js";
import type { Binding } from "./model.js";
import { parseValue } from "./reference.js";
import type { ParseContext } from "./reference.js";
import { INVALID_VARIABLE_NAME, assertNoNul, isValidVariableName } from "./names.js";

/**
 * dotenv 17's `LINE` pattern (lib/main.js), unchanged except that the separator is captured and
 * `d` asks for group offsets; adding a capture group does not change what the pattern matches.
 * Groups: 1 key, 2 separator (`=` or `: `), 3 raw value (quotes included).
 */
const DOTENV_LINE = /(?:^|^)\s*(?:export\s+)?([\w.-]+)(\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/dgm;

/** One `NAME=value` as written: the key, the 1-based line it is on and, when the Compose rule
 *  reads the value differently from dotenv (a glued `#`), that value. */
interface EntryPosition {
  name: string;
  line: number;
  value?: string;
}

/** Reads a dotenv file whose values may be references or templates; returns one Binding per
 *  variable in file order (a later duplicate replaces an earlier one, keeping the later origin).
 *  Malformed lines and invalid names are ConfigErrors with file:line. `${NAME}` is kept as
 *  written (no expansion, nothing executed). */
export async function loadEnvFile(path: string, ctx: ParseContext): Promise<Binding[]> {
  const text = (await readConfigText(path, "env file"))!;
  return parseEnvFile(text, path, ctx);
}

/** loadEnvFile without the reading: `text` is the file's content, `file` names it in errors. */
export function parseEnvFile(text: string, file: string, ctx: ParseContext): Binding[] {
  const positions = locateEntries(text, file);
  const values = dotenv.parse(text);
  crossCheck(positions, values, file);

  // A Map keeps the first occurrence's place in the order and takes the later one's value and
  // line: the same order as dotenv.parse's object, which a later duplicate also overwrites.
  const byName = new Map<string, Binding>();
  for (const { name, line, value: composeRead } of positions) {
    const origin: SourceLocation = { file, line, key: name };
    const value = composeRead ?? values[name]!;
    assertNoNul(value, name, origin);
    byName.set(name, { name, spec: atLocation(() => parseValue(value, ctx), origin), origin });
  }
  return [...byName.values()];
}

/** Every entry dotenv will read, with its line; throws on lines dotenv would silently skip. */
function locateEntries(raw: string, file: string): EntryPosition[] {
  // dotenv normalises line breaks the same way before matching, so offsets agree with its view.
  const text = raw.replace(/\r\n?/g, "\n");
  const lineOf = lineIndex(text);
  const at = (offset: number, key?: string): SourceLocation => ({ file, line: lineOf(offset), key });
  const entries: EntryPosition[] = [];
  let covered = 0;
  DOTENV_LINE.lastIndex = 0;
  for (let m = DOTENV_LINE.exec(text); m !== null; m = DOTENV_LINE.exec(text)) {
    rejectUnreadLines(text, covered, m.index, at);
    const name = m[1]!;
    const keyOffset = m.indices![1]![0];
    // dotenv lets `\s` run across line breaks between the key, the separator and the value, so
    // `FOO:` followed by `BAR=1` would give FOO the value "BAR=1": almost surely a mistake.
    const separator = m[2]!;
    const valueLead = m[3]?.match(/^\s*/)?.[0] ?? "";
    if (separator.includes("\n") || valueLead.includes("\n")) {
      throw new ConfigError("the value must start on the same line as its name (write NAME= for an empty value)", at(keyOffset, name));
    }
    if (!isValidVariableName(name)) {
      throw new ConfigError(INVALID_VARIABLE_NAME, at(keyOffset, name));
    }
    rejectUnclosedQuote(m, at(keyOffset, name));
    // dotenv.parse assigns to a plain object, where this name sets the prototype instead.
    if (name === "__proto__") throw new ConfigError("the name __proto__ is not supported", at(keyOffset, name));
    const value = composeValue(text, m);
    entries.push(value === undefined ? { name, line: lineOf(keyOffset) } : { name, line: lineOf(keyOffset), value });
    covered = m.index + m[0].length;
  }
  rejectUnreadLines(text, covered, text.length, at);
  return entries;
}

/** Whether the matched value is one quoted string (dotenv then strips the quotes). */
function isQuoted(m: RegExpExecArray): boolean {
  return m[3] !== undefined && /^(['"`])[\s\S]*\1$/.test(m[3].trim());
}

/**
 * The value of an unquoted entry whose `#` is glued to what precedes it (`DB=vault://…#password`,
 * `COLOR=#fff`, `A=x#y`), read the Compose way: dotenv would stop at that `#`; here the value runs
 * to the first `#` that whitespace precedes, or to the end of the line, and is trimmed as dotenv
 * trims. undefined when dotenv's reading already is the Compose one (quoted, or no glued `#`).
 */
function composeValue(text: string, m: RegExpExecArray): string | undefined {
  if (isQuoted(m)) return undefined;
  const start = m.indices![2]![1];
  const end = m.indices![3]?.[1] ?? start;
  if (text[end] !== "#" || /\s/.test(text[end - 1] ?? "")) return undefined;
  // The match ends with dotenv's `#.*`, so [start, match end) is the rest of this line.
  const rest = text.slice(start, m.index + m[0].length);
  const comment = /\s#/.exec(rest);
  return (comment === null ? rest : rest.slice(0, comment.index)).trim();
}

/** dotenv keeps an opening quote without its closing one as a character of the value: almost never meant. */
function rejectUnclosedQuote(m: RegExpExecArray, location: SourceLocation): void {
  if (m[3] !== undefined && !isQuoted(m) && /^\s*['"`]/.test(m[3])) {
    throw new ConfigError("the value opens a quote it does not close (on this line or a later one)", location);
  }
}

/**
 * `A B=1`, `"A=B"=1`: an assignment to something dotenv cannot read as a name. What stands before
 * the `=` is shown only when it is short and made of name-like characters, since a line that is
 * no entry may be part of a value.
 */
const NOT_A_NAME = /^(?:export\s+)?((["'])[\w.\- =]{1,64}\2|[\w.\- ]{1,64}?)\s*=/;

/** Text between two entries may only hold blank lines and comments; anything else dotenv would drop. */
function rejectUnreadLines(text: string, from: number, to: number, at: (offset: number, key?: string) => SourceLocation): void {
  let offset = from;
  for (const line of text.slice(from, to).split("\n")) {
    const content = line.trim();
    if (content !== "" && !content.startsWith("#")) {
      const where = offset + line.indexOf(content);
      const name = NOT_A_NAME.exec(content)?.[1];
      if (name !== undefined) throw new ConfigError(INVALID_VARIABLE_NAME, at(where, name));
      // The line itself is not quoted: it may hold a value.
      throw new ConfigError("not a NAME=value line, a comment or a blank line", at(where));
    }
    offset += line.length + 1;
  }
}

/** Offset → 1-based line number. */
function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/** The walk mirrors dotenv's pattern; if a future dotenv reads the file differently, say so rather than guess. */
function crossCheck(positions: EntryPosition[], values: Record<string, string>, file: string): void {
  const walked = new Set(positions.map((p) => p.name));
  const parsed = Object.keys(values);
  const missing = parsed.filter((k) => !walked.has(k));
  const extra = [...walked].filter((k) => !Object.hasOwn(values, k));
  if (missing.length > 0 || extra.length > 0) {
    throw new ConfigError(`dotenv and envject disagree on the variables of this file (${[...missing, ...extra].join(", ")}); please report this`, { file });
  }
}
