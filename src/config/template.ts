/**
 * `{{ … }}` templates inside a string value (docs/contract/references.md#templates): text mixed with calls of
 * vault_secret_var(), aws_secret_var(), vault(), aws() and env_var(). A pure module: it only turns
 * text into TemplateParts. Errors give the character offset (0-based) within the value; the caller
 * adds file, line and column. A `}}` outside a template is plain text, because JSON values such as
 * `{"a":{"b":1}}` are common in environment variables.
 */
import { ConfigError } from "../errors.js";
import { isValidVariableName } from "./names.js";
import type { ParseContext, SecretRef, TemplatePart } from "./reference-types.js";
import { isSecretsManagerArn, normaliseVaultPath, parseAwsBody, parseReference, parseVaultBody } from "./reference-syntax.js";

/** The functions a template may call. */
export const TEMPLATE_FUNCTIONS = ["vault_secret_var", "aws_secret_var", "vault", "aws", "env_var"] as const;

const LITERAL_HINT = "to keep {{ as plain text, write the value as literal:…";

/** Parses a value containing `{{ … }}` into parts, adjacent text merged; ConfigError (with the
 *  offset of the problem) for an unclosed or empty `{{ }}`, an unknown function, wrong arguments. */
export function parseTemplate(text: string, ctx: ParseContext): TemplatePart[] {
  const parts: TemplatePart[] = [];
  const addText = (piece: string) => {
    if (piece === "") return;
    const last = parts.at(-1);
    if (last?.kind === "text") last.text += piece;
    else parts.push({ kind: "text", text: piece });
  };
  let pos = 0;
  for (let open = text.indexOf("{{"); open >= 0; open = text.indexOf("{{", pos)) {
    addText(text.slice(pos, open));
    const call = readCall(text, open);
    parts.push(callToPart(call, text, ctx));
    pos = call.end;
  }
  addText(text.slice(pos));
  return parts;
}

interface Argument {
  value: string;
  /** Offset of its opening quote. */
  at: number;
}

interface Call {
  name: string;
  nameAt: number;
  args: Argument[];
  /** Offset of `{{`. */
  start: number;
  /** Offset just past `}}`. */
  end: number;
}

/** Reads `{{ name('arg', "arg") }}` starting at the `{{` at `open`. */
function readCall(text: string, open: number): Call {
  let i = open + 2;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const unclosed = () => syntaxError(text, open, "this {{ has no closing }}");

  skipSpace();
  if (text.startsWith("}}", i)) throw syntaxError(text, open, "empty {{ }}: expected a call such as {{ vault('secret/app#key') }}");
  if (i >= text.length) throw unclosed();
  const identifier = /[A-Za-z_][A-Za-z0-9_]*/y;
  identifier.lastIndex = i;
  const name = identifier.exec(text)?.[0];
  if (name === undefined) throw syntaxError(text, i, `expected a function name after {{ (${TEMPLATE_FUNCTIONS.join(", ")})`);
  const nameAt = i;
  i += name.length;
  skipSpace();
  if (i >= text.length) throw unclosed();
  if (text[i] !== "(") throw syntaxError(text, i, `expected '(' after ${name}`);
  i++;
  skipSpace();
  const args: Argument[] = [];
  if (text[i] === ")") i++;
  else {
    for (;;) {
      skipSpace();
      if (i >= text.length) throw unclosed();
      const quote = text[i];
      if (quote === ")" && args.length > 0) throw syntaxError(text, i, `trailing ',' in the arguments of ${name}()`);
      if (quote !== "'" && quote !== '"') throw syntaxError(text, i, `the arguments of ${name}() must be quoted strings`);
      const at = i++;
      let value = "";
      for (;;) {
        if (i >= text.length) throw syntaxError(text, at, "unterminated string (no closing quote)");
        const c = text[i]!;
        if (c === quote) break;
        if (c === "\\") {
          const next = text[i + 1];
          if (next !== "\\" && next !== "'" && next !== '"') throw syntaxError(text, i, "unknown escape: only \\\\, \\' and \\\" are allowed in a string");
          value += next;
          i += 2;
        } else {
          value += c;
          i++;
        }
      }
      i++;
      args.push({ value, at });
      skipSpace();
      if (i >= text.length) throw unclosed();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === ")") {
        i++;
        break;
      }
      throw syntaxError(text, i, `expected ',' or ')' in the arguments of ${name}()`);
    }
  }
  skipSpace();
  if (i >= text.length) throw unclosed();
  if (!text.startsWith("}}", i)) throw syntaxError(text, i, `expected }} after ${name}(…)`);
  return { name, nameAt, args, start: open, end: i + 2 };
}

/** Checks a call's function and arguments and turns it into a part. */
function callToPart(call: Call, text: string, ctx: ParseContext): TemplatePart {
  const raw = text.slice(call.start, call.end);
  const arity = (min: number, max: number, usage: string) => {
    const n = call.args.length;
    if (n < min || n > max) throw syntaxError(text, call.nameAt, `${usage} takes ${min === max ? min : `${min} or ${max}`} argument${max === 1 ? "" : "s"}, got ${n}`, false);
  };
  const arg = (index: number) => call.args[index]!.value;
  // A bad reference inside a call: the reference grammar's message, placed at the call.
  const ref = (build: () => SecretRef): TemplatePart => {
    try {
      return { kind: "ref", ref: build() };
    } catch (error) {
      if (error instanceof ConfigError) throw new ConfigError(`template at offset ${call.start}: ${error.message}`, undefined, { cause: error });
      throw error;
    }
  };

  switch (call.name) {
    case "vault_secret_var": {
      arity(2, 2, "vault_secret_var('path', 'key')");
      requireNonEmpty(text, call, 1, "the key");
      return ref(() => {
        // Mage's form: the path is relative to the configured KV mount.
        const mount = normaliseVaultPath(ctx.defaultMount, "mount", raw);
        const path = normaliseVaultPath(arg(0), "path", raw);
        return { provider: "vault", path: `${mount}/${path}`, mount, field: { kind: "key", key: arg(1) }, raw };
      });
    }
    case "aws_secret_var": {
      arity(1, 2, "aws_secret_var('name'[, 'key'])");
      if (/[?#%]/.test(arg(0))) {
        throw syntaxError(text, call.args[0]!.at, "aws_secret_var() takes a plain secret name; for ?query or #field use aws('name?…#key')", false);
      }
      if (call.args.length === 2) requireNonEmpty(text, call, 1, "the key");
      return ref(() => {
        const built = parseAwsBody(arg(0), raw);
        if (call.args.length === 2) built.field = { kind: "key", key: arg(1) };
        return built;
      });
    }
    case "vault": {
      arity(1, 1, "vault('REF')");
      const body = arg(0);
      if (/^(aws-sm|ref\+awssecrets):\/\//.test(body) || isSecretsManagerArn(body)) {
        throw syntaxError(text, call.args[0]!.at, "vault() takes a Vault reference; use aws() for Secrets Manager", false);
      }
      return ref(() => (/^(ref\+)?vault:\/\//.test(body) ? { ...parseReference(body, ctx)!, raw } : parseVaultBody(body, raw)));
    }
    case "aws": {
      arity(1, 1, "aws('REF')");
      const body = arg(0);
      if (/^(ref\+)?vault:\/\//.test(body)) throw syntaxError(text, call.args[0]!.at, "aws() takes a Secrets Manager reference; use vault() for Vault", false);
      return ref(() => (/^(aws-sm|ref\+awssecrets):\/\//.test(body) ? { ...parseReference(body, ctx)!, raw } : parseAwsBody(body, raw)));
    }
    case "env_var": {
      arity(1, 1, "env_var('NAME')");
      const name = arg(0);
      if (!isValidVariableName(name)) {
        throw syntaxError(text, call.args[0]!.at, `env_var() needs a variable name matching [A-Za-z_][A-Za-z0-9_]*, got ${JSON.stringify(name)}`, false);
      }
      return { kind: "env", name };
    }
    default:
      throw syntaxError(text, call.nameAt, `unknown function ${call.name}() (known: ${TEMPLATE_FUNCTIONS.join(", ")})`);
  }
}

function requireNonEmpty(text: string, call: Call, index: number, what: string): void {
  const a = call.args[index]!;
  if (a.value === "") throw syntaxError(text, a.at, `${what} given to ${call.name}() is empty`, false);
}

/** A ConfigError at `offset`. It quotes nothing of the value: the text around a call may be a pasted secret. */
function syntaxError(_text: string, offset: number, what: string, literalHint = true): ConfigError {
  return new ConfigError(`template error at offset ${offset}: ${what}${literalHint ? ` (${LITERAL_HINT})` : ""}`);
}
