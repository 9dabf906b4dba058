/**
 * Reading the command line as people type it, before yargs sees it. The rules users rely on (each
 * in the README):
 *
 * - Subcommands may come before or after envject's options; the child's command starts after
 *   `--`, or at the first word that is neither an option nor a subcommand, and is passed on
 *   untouched.
 * - An option that takes a value takes exactly one: `--config FILE`, `--config=FILE`, `-c FILE`,
 *   `-cFILE`; a repeatable one (`-e`) takes one per use. A value that starts with `-` must be
 *   attached (`--config=-odd.yaml`), so a forgotten value is never an option swallowed.
 * - A boolean option takes no separate word: `--mask`, `--no-mask`, `--mask=SPELLING`. The
 *   spellings are true/false, 1/0, yes/no, on/off in any case, on the command line and in
 *   `ENVJECT_*` variables; anything else is refused (64), never read as "off".
 * - The first word may not be a reserved word (RESERVED_WORDS) or a near miss of a command
 *   (`chekc`) that is no program on PATH: `envject -- WORD` runs a program of that name.
 * - `ENVJECT_<OPTION>` variables set options the command line does not give; a variable for an
 *   option the chosen command does not take is ignored (one environment serves run, check and
 *   export), and so is a value only another command allows (ENVJECT_FORMAT=shell under check);
 *   an unknown variable, or a value no command allows, is a usage error.
 *
 * The result is the chosen command and the options in one canonical form (`--name=value`), which
 * yargs then reads for types, defaults and help.
 */
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { UsageError } from "../errors.js";
import { closest } from "../suggest.js";
import { COMMANDS, type CommandName, INFO_COMMANDS, type InfoCommandName, OPTIONS_OF, REPEATABLE_OPTIONS, RESERVED_WORDS, optionTable } from "./options.js";

export interface CommandLine {
  /** The command to run; `help` with `helpFor`, `version`, `completion` print something. */
  command: CommandName | InfoCommandName;
  /** For `help`/`--help`: the command whose help is asked for (undefined: the general help). */
  helpFor?: CommandName;
  /** envject's options, canonical (`--name=value`), command line first, then the environment. */
  options: string[];
  /** The child's command and arguments, untouched. */
  child: string[];
  /** yargs' own completion protocol (`--get-yargs-completions …`), passed through as given. */
  completionRequest?: string[];
}

const TRUE_SPELLINGS = new Set(["true", "1", "yes", "on"]);
const FALSE_SPELLINGS = new Set(["false", "0", "no", "off"]);
const SHORT_NAMES: Record<string, string> = { c: "config", e: "env-file", h: "help", V: "version" };
const BOOLEAN_WORDS = /^(?:true|false|yes|no|on|off)$/i;

/** The spellings of a boolean value; undefined for anything else. */
export function parseBoolean(text: string): boolean | undefined {
  const word = text.toLowerCase();
  if (TRUE_SPELLINGS.has(word)) return true;
  if (FALSE_SPELLINGS.has(word)) return false;
  return undefined;
}

/** What a refused value looks like, without the value itself (it may be a pasted secret). */
export function describeForm(text: string): string {
  if (text === "") return "an empty value";
  if (/^\d+$/.test(text)) return `a ${text.length}-digit number`;
  if (/^[A-Za-z]+$/.test(text)) return `a ${text.length}-letter word`;
  return `a ${text.length}-character value`;
}

interface Given {
  name: string;
  value: string;
  /** How the user wrote it, for messages: `--mask`, `-c`, `ENVJECT_MASK`. */
  as: string;
}

/** Reads argv (without node and script) and `environ` per the rules above; mistakes are UsageErrors. */
export function readCommandLine(argv: readonly string[], environ: NodeJS.ProcessEnv): CommandLine {
  if (argv.some((a) => a === "--get-yargs-completions")) return { command: "completion", options: [], child: [], completionRequest: [...argv] };
  const table = optionTable();
  const given: Given[] = [];
  let command: CommandName | InfoCommandName | undefined;
  let helpFor: CommandName | undefined;
  let help = false;
  let version = false;
  let child: string[] = [];

  const takeValue = (name: string, as: string, inline: string | undefined, next: string | undefined): { value: string; used: boolean } => {
    if (inline !== undefined) return { value: inline, used: false };
    if (next === undefined || next === "--" || (next.startsWith("-") && next !== "-")) {
      throw new UsageError(`${as} needs a value${next?.startsWith("-") && next !== "--" ? ` (it is followed by the option ${next}; write ${as}=VALUE for a value starting with -)` : ""}`);
    }
    return { value: next, used: true };
  };

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === "--") {
      child = argv.slice(i + 1);
      break;
    }
    if (token.startsWith("--")) {
      const eq = token.indexOf("=");
      const written = eq < 0 ? token : token.slice(0, eq);
      const inline = eq < 0 ? undefined : token.slice(eq + 1);
      const name = written.slice(2);
      if (name === "help" || name === "version") {
        if (inline !== undefined) throw new UsageError(`${written} takes no value`);
        if (name === "help") help = true;
        else version = true;
        continue;
      }
      const negated = name.startsWith("no-") && table.get(name.slice(3))?.spec.type === "boolean" ? name.slice(3) : undefined;
      if (negated !== undefined) {
        if (inline !== undefined) throw new UsageError(`${written} takes no value (write --${negated}=false, or ${written} alone)`);
        given.push({ name: negated, value: "false", as: written });
        continue;
      }
      const entry = table.get(name);
      if (!entry) throw unknownOption(written, table);
      if (entry.spec.type === "boolean") {
        const next = argv[i + 1];
        if (inline === undefined && next !== undefined && BOOLEAN_WORDS.test(next)) {
          throw new UsageError(
            `${written} takes no separate value: write ${written}=${next.toLowerCase()} (or ${written} / --no-${name}); to run a program named ${next}, write envject ${written} -- ${next}`,
          );
        }
        given.push({ name, value: inline === undefined ? "true" : booleanValue(written, inline), as: written });
        continue;
      }
      const { value, used } = takeValue(name, written, inline, argv[i + 1]);
      if (used) i++;
      given.push({ name, value, as: written });
      continue;
    }
    if (token.startsWith("-") && token !== "-") {
      const letter = token[1]!;
      const name = SHORT_NAMES[letter];
      if (name === undefined) throw unknownOption(token, table);
      const rest = token.slice(2);
      if (name === "help" || name === "version") {
        if (rest !== "") throw unknownOption(token, table);
        if (name === "help") help = true;
        else version = true;
        continue;
      }
      const { value, used } = takeValue(name, `-${letter}`, rest === "" ? undefined : rest.replace(/^=/, ""), argv[i + 1]);
      if (used) i++;
      given.push({ name, value, as: `-${letter}` });
      continue;
    }
    // A word: the subcommand, the topic of `help`, or the start of the child's command.
    if (command === undefined) {
      if ((COMMANDS as readonly string[]).includes(token) || (INFO_COMMANDS as readonly string[]).includes(token)) {
        command = token as CommandName | InfoCommandName;
        continue;
      }
      checkFirstWord(token, environ);
      child = argv.slice(i);
      break;
    }
    if (command === "help" && helpFor === undefined && (COMMANDS as readonly string[]).includes(token)) {
      helpFor = token as CommandName;
      continue;
    }
    if (command === "run") {
      child = argv.slice(i);
      break;
    }
    if (command === "help") throw new UsageError(`envject help takes a command name (${COMMANDS.join(", ")}), not ${JSON.stringify(token)}`);
    throw new UsageError(`envject ${command} takes no arguments, but one was given: ${JSON.stringify(token)}`);
  }

  if (version) return { command: "version", options: [], child: [] };
  if (help || command === "help") {
    const topic = helpFor ?? (command !== undefined && command !== "help" && (COMMANDS as readonly string[]).includes(command) ? (command as CommandName) : undefined);
    return { command: "help", helpFor: topic, options: [], child: [] };
  }
  const chosen = command ?? "run";
  if (chosen === "version" || chosen === "completion") {
    if (child.length > 0) throw new UsageError(`envject ${chosen} runs no command, but one was given: ${child[0]}`);
    return { command: chosen, options: [], child: [] };
  }
  if (chosen !== "run" && child.length > 0) throw new UsageError(`envject ${chosen} runs no command, but one was given: ${child[0]}`);

  const accepted = OPTIONS_OF[chosen];
  for (const g of given) {
    if (!(g.name in accepted)) {
      const owners = table
        .get(g.name)!
        .commands.map((c) => `envject ${c}`)
        .join(" and ");
      throw new UsageError(`${g.as} is an option of ${owners}; envject ${chosen} does not take it`);
    }
    checkChoice(g, chosen, table);
  }
  return { command: chosen, options: canonical(given, environOptions(environ, table, chosen, given)), child };
}

/** Options from ENVJECT_* variables that the command line does not give, for `command`. */
function environOptions(environ: NodeJS.ProcessEnv, table: ReturnType<typeof optionTable>, command: CommandName, fromArgv: readonly Given[]): Given[] {
  const out: Given[] = [];
  for (const [variable, value] of Object.entries(environ)) {
    if (!variable.startsWith("ENVJECT_") || value === undefined) continue;
    const name = variable.slice("ENVJECT_".length).toLowerCase().replaceAll("_", "-");
    const entry = table.get(name);
    if (!entry) {
      const hint = closest(name, table.keys());
      throw new UsageError(`unknown option --${name} (from the environment variable ${variable})${hint ? `; did you mean ENVJECT_${hint.toUpperCase().replaceAll("-", "_")}?` : ""}`);
    }
    const as = variable;
    // Checked even where the command ignores it: a bad spelling is a mistake whichever command runs.
    const canonicalValue = entry.spec.type === "boolean" ? booleanValue(as, value) : checkEnvironChoice(name, as, value, entry.commands);
    if (!(name in OPTIONS_OF[command]) || fromArgv.some((g) => g.name === name)) continue;
    // A value only another command allows (ENVJECT_FORMAT=shell under check) is that command's.
    if (!allows(command, name, canonicalValue)) continue;
    out.push({ name, value: canonicalValue, as });
  }
  return out;
}

/** `--name=value` tokens; a repeatable option keeps every use in order, any other the last one. */
function canonical(fromArgv: readonly Given[], fromEnviron: readonly Given[]): string[] {
  const out: string[] = [];
  const all = [...fromArgv, ...fromEnviron];
  all.forEach((g, index) => {
    if (!REPEATABLE_OPTIONS.has(g.name) && all.some((later, j) => j > index && later.name === g.name)) return;
    out.push(`--${g.name}=${g.value}`);
  });
  return out;
}

/** The values `command` allows for option `name`; undefined when any value goes. */
function choicesOf(command: CommandName, name: string): readonly string[] | undefined {
  return OPTIONS_OF[command][name]?.choices as readonly string[] | undefined;
}

function allows(command: CommandName, name: string, value: string): boolean {
  const choices = choicesOf(command, name);
  return choices === undefined || choices.includes(value);
}

/**
 * An option with a fixed set of values (`--format`, `--log-level`) gets one of the chosen
 * command's; a value of another command's (`check --format shell`) says whose it is.
 */
function checkChoice(g: Given, command: CommandName, table: ReturnType<typeof optionTable>): void {
  const choices = choicesOf(command, g.name);
  if (choices === undefined || choices.includes(g.value)) return;
  const owners = table.get(g.name)!.commands.filter((c) => allows(c, g.name, g.value));
  const hint = closest(g.value, choices);
  fail(
    `${g.as} must be one of ${choices.join(", ")}, got ${JSON.stringify(g.value)}` +
      (owners.length > 0 ? ` (${owners.map((c) => `envject ${c}`).join(" and ")} takes --${g.name} ${g.value})` : hint ? `; did you mean ${hint}?` : ""),
  );
}

/** An ENVJECT_* value must be one that some command taking the option allows. */
function checkEnvironChoice(name: string, as: string, value: string, commands: readonly CommandName[]): string {
  const lists = commands.map((c) => choicesOf(c, name));
  if (lists.some((l) => l === undefined || l.includes(value))) return value;
  const choices = [...new Set(lists.flatMap((l) => l ?? []))];
  const hint = closest(value, choices);
  return fail(`${as} must be one of ${choices.join(", ")}, got ${JSON.stringify(value)}${hint ? `; did you mean ${hint}?` : ""}`);
}

function fail(message: string): never {
  throw new UsageError(message);
}

function booleanValue(as: string, text: string): "true" | "false" {
  const value = parseBoolean(text);
  if (value === undefined) {
    throw new UsageError(`${as} takes true/false, 1/0, yes/no or on/off (any case), got ${describeForm(text)}`);
  }
  return value ? "true" : "false";
}

function unknownOption(written: string, table: ReturnType<typeof optionTable>): UsageError {
  const name = written.replace(/^-+/, "").split("=")[0]!;
  const known = [...table.keys(), "help", "version"];
  const hint = written.startsWith("--") ? closest(name, known) : undefined;
  return new UsageError(`unknown option ${written.split("=")[0]}${hint ? `; did you mean --${hint}?` : ""}`);
}

/**
 * The first word of a command without `--`: a reserved word is refused, and so is a near miss of
 * a command (`chekc`) unless a program of that name exists on PATH.
 */
function checkFirstWord(word: string, environ: NodeJS.ProcessEnv): void {
  const runIt = `to run a program named ${word}, write: envject -- ${word}`;
  if ((RESERVED_WORDS as readonly string[]).includes(word)) {
    const hint = word === "exec" ? "; did you mean run?" : "";
    throw new UsageError(`unknown command ${word}${hint} (${word} is a reserved word); ${runIt}`);
  }
  if (word.includes("/")) return;
  const hint = closest(word, [...COMMANDS, ...INFO_COMMANDS]);
  if (hint !== undefined && !onPath(word, environ.PATH)) {
    throw new UsageError(`unknown command ${word}; did you mean ${hint}? ${runIt.charAt(0).toUpperCase()}${runIt.slice(1)}`);
  }
}

/** Whether `name` is an executable file in one of PATH's directories. */
function onPath(name: string, path: string | undefined): boolean {
  for (const dir of (path ?? "").split(delimiter)) {
    if (dir === "") continue;
    const file = join(dir, name);
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}
