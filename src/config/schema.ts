/**
 * The shape of the mapping file (PRODUCT.md §2) as a valibot schema, and the one place where a
 * valibot issue path becomes `file:line:column (key)`. The schema checks shapes and settings
 * (with `${NAME}` expanded); references in `env`/`files`/`expand` are parsed afterwards by
 * mapping.ts, which needs the configured mount first.
 *
 * Messages never quote a value from the file: a literal may be a pasted secret, so they name the
 * key (through the location) and the type or rule, and nothing else.
 */
import { VAULT_AUTH_FIELDS, VAULT_AUTH_METHODS, type VaultAuthField } from "./vault-auth.js";
import * as v from "valibot";
import { isAlias, isMap, isPair, isScalar, isSeq } from "yaml";
import type { Document, LineCounter, Node, Pair, YAMLMap } from "yaml";
import { ConfigError } from "../errors.js";
import type { SourceLocation } from "../errors.js";
import { expandEnvReferences } from "./expand-env.js";
import { INVALID_VARIABLE_NAME, VARIABLE_NAME } from "./names.js";
import { closest, closestKey } from "../suggest.js";

/** One step of a path into the file: a mapping key or a list index. */
export type PathKey = string | number;

/** `env.DB_PASSWORD`, `vault.auth.method`, `expand[0].from`; "" for the whole file. */
export function formatKeyPath(path: readonly PathKey[]): string {
  let s = "";
  for (const k of path) s += typeof k === "number" ? `[${k}]` : s === "" ? k : `.${k}`;
  return s;
}

/** What a value is, for messages that must not show the value itself. */
export function describeType(value: unknown): string {
  if (value === null || value === undefined) return "no value";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `a ${typeof value}`;
}

/**
 * Maps paths in a parsed YAML document back to where they were written. Knows nothing about
 * envject's keys, so every error of the mapping file is located the same way.
 */
export class SourceMap {
  /** Each mapping's pairs by key, built on the first look into that mapping: a file of n entries
   *  is located in O(n), not O(n²) (one scan of the items per entry). */
  private readonly pairsByKey = new WeakMap<YAMLMap, Map<string, Pair>>();

  constructor(
    readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** The location of the value at `path` (or of its key, with part "key"); when the path does
   *  not exist all the way down, the deepest part that does. The key is always the full path. */
  locate(path: readonly PathKey[], part: "key" | "value" = "value"): SourceLocation {
    const found = this.find(path);
    const node = part === "key" ? (found.keyNode ?? found.node) : (found.node ?? found.keyNode);
    const offset = node?.range?.[0] ?? 0;
    return { ...this.position(offset), key: path.length > 0 ? formatKeyPath(path) : undefined };
  }

  /** The location of a character offset (a YAML parser error's position), with the key path
   *  of the deepest entry written there when there is one (a duplicate key, say). */
  locateOffset(offset: number): SourceLocation {
    const path = this.pathAt(offset);
    return { ...this.position(offset), ...(path.length > 0 ? { key: formatKeyPath(path) } : {}) };
  }

  private position(offset: number): SourceLocation {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, column: col };
  }

  /** The scalar at `path` exactly as written (`1.10`, `0x1F`, `True`), or undefined when it is no scalar. */
  scalarSource(path: readonly PathKey[]): string | undefined {
    const { node, complete } = this.find(path);
    const target = complete ? this.deref(node) : undefined;
    return isScalar(target) && typeof target.source === "string" ? target.source : undefined;
  }

  /** Scans the items on the way down: it serves one error, never one call per entry. */
  private pathAt(offset: number): PathKey[] {
    const path: PathKey[] = [];
    const inside = (n: unknown): n is Node => {
      const range = (n as Node | null)?.range;
      return range !== undefined && range !== null && offset >= range[0] && offset < range[2];
    };
    let node: unknown = this.doc.contents;
    for (;;) {
      if (isMap(node)) {
        // A pair spans from its key to the end of its value, tags and anchors in between included.
        const pair = node.items.find((p) => {
          const start = (p.key as Node | null)?.range?.[0] ?? (p.value as Node | null)?.range?.[0];
          const end = (p.value as Node | null)?.range?.[2] ?? (p.key as Node | null)?.range?.[2];
          return start !== undefined && end !== undefined && offset >= start && offset < end;
        });
        if (!pair) return path;
        path.push(keyText(pair));
        if (inside(pair.key) || !inside(pair.value)) return path;
        node = pair.value;
      } else if (isSeq(node)) {
        const index = node.items.findIndex((item) => inside(item));
        if (index < 0) return path;
        path.push(index);
        node = node.items[index];
      } else {
        return path;
      }
    }
  }

  private find(path: readonly PathKey[]): { node?: Node; keyNode?: Node; complete: boolean } {
    let node: Node | undefined = (this.doc.contents as Node | null) ?? undefined;
    let keyNode: Node | undefined;
    for (const k of path) {
      const container = this.deref(node);
      let next: { node?: Node; keyNode?: Node } | undefined;
      if (isMap(container)) {
        const pair = this.pairs(container).get(String(k));
        if (pair) next = { node: (pair.value as Node | null) ?? undefined, keyNode: (pair.key as Node | null) ?? undefined };
      } else if (isSeq(container) && typeof k === "number") {
        const item = container.items[k] as Node | undefined;
        if (item) next = { node: item, keyNode: undefined };
      }
      if (!next) return { node, keyNode, complete: false };
      node = next.node;
      keyNode = next.keyNode;
    }
    return { node, keyNode, complete: true };
  }

  private pairs(map: YAMLMap): Map<string, Pair> {
    let index = this.pairsByKey.get(map);
    if (index === undefined) {
      index = new Map();
      for (const pair of map.items) {
        if (!isPair(pair)) continue;
        // The first of equal keys, as a scan would find it (a duplicate is an error anyway).
        const key = keyText(pair);
        if (!index.has(key)) index.set(key, pair);
      }
      this.pairsByKey.set(map, index);
    }
    return index;
  }

  private deref(node: Node | undefined): Node | undefined {
    // An alias stands for its anchor's content; descend into that, but report the alias's place.
    return isAlias(node) ? ((node.resolve(this.doc) as Node | undefined) ?? undefined) : node;
  }
}

/** A pair's key as doc.toJS() names it in the object it builds (collection keys aside, which
 *  toJS flattens to YAML text and which no envject section accepts anyway). */
function keyText(pair: Pair): string {
  const key = pair.key;
  if (isScalar(key)) return key.value === null ? "" : String(key.value);
  return String(key);
}

/**
 * Turns valibot issues into the ConfigError of the one written first in the file. Unknown keys
 * are all reported (a misspelt section rarely comes alone): the others ride along as `related`.
 */
export function issuesToConfigError(issues: readonly v.BaseIssue<unknown>[], source: SourceMap): ConfigError {
  const located = issues.map((issue) => ({ issue, location: locateIssue(issue, source) }));
  located.sort((a, b) => (a.location.line ?? 0) - (b.location.line ?? 0) || (a.location.column ?? 0) - (b.location.column ?? 0));
  const first = located[0]!;
  const unknownKeys = located.filter((l) => l !== first && l.issue.expected === "never");
  return new ConfigError(first.issue.message, first.location, {
    related: unknownKeys.map((l) => new ConfigError(l.issue.message, l.location)),
  });
}

/** Where a valibot issue points: its path's keys, at the key itself when the issue is about the key. */
export function locateIssue(issue: v.BaseIssue<unknown>, source: SourceMap): SourceLocation {
  const path = (issue.path ?? []).map((item) => item.key as PathKey);
  const last = issue.path?.at(-1) as { origin?: "key" | "value" } | undefined;
  return source.locate(path, last?.origin === "key" ? "key" : "value");
}

/** Valibot's own default messages quote the input; this replaces any this schema does not set. */
export const fallbackMessage = (issue: v.BaseIssue<unknown>): string => `expected ${issue.expected ?? "something else"}, got ${describeType(issue.input)}`;

function isPlainMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * A mapping with exactly these keys (all optional unless the entry says so). Every unknown key is
 * named at its place, with the known key it is most likely a typo of (valibot's strictObject
 * stops at the first).
 */
function section<const E extends v.ObjectEntries>(entries: E) {
  const known = Object.keys(entries);
  const allowed = known.join(", ");
  // The unknown keys are taken from the input before the object schema runs (its output drops
  // `__proto__`, `constructor` and `prototype`) and reported after it, so that the issues inside
  // known keys are found in the same pass. Runs of one section never nest, so one slot is enough.
  let unknown: { input: Record<string, unknown>; keys: string[] } | undefined;
  return v.pipe(
    v.custom<Record<string, unknown>>(isPlainMapping, (issue) => `expected a mapping, got ${describeType(issue.input)}`),
    v.rawCheck(({ dataset }) => {
      const input = dataset.value as Record<string, unknown>;
      unknown = { input, keys: Object.keys(input).filter((key) => !Object.hasOwn(entries, key)) };
    }),
    v.looseObject(entries, (issue) => {
      const key = issue.path?.at(-1)?.key;
      if (issue.input === undefined && key !== undefined) return `missing required key '${String(key)}'`;
      return `expected a mapping, got ${describeType(issue.input)}`;
    }),
    v.rawCheck(({ addIssue }) => {
      const found = unknown;
      unknown = undefined;
      for (const key of found?.keys ?? []) {
        // A key differing only in case (`Env:`) is the likeliest meaning, then a typo of one.
        const hint = closestKey(key, known);
        addIssue({
          expected: "never",
          message: `unknown key '${key}'; expected one of ${allowed}${hint ? `; did you mean '${hint}'?` : ""}`,
          path: [{ type: "object", origin: "key", input: found!.input, key, value: found!.input[key] }],
        });
      }
    }),
  );
}

/** A section that may also be written empty (`vault:` with every line commented out). */
function optionalSection<S extends v.GenericSchema>(schema: S) {
  return v.nullish(schema);
}

function text() {
  return v.string((issue) => `expected a string, got ${describeType(issue.input)}`);
}

/** A `vault:`/`aws:` setting: a string in which `${NAME}` expands from envject's environment. */
function setting(environ: NodeJS.ProcessEnv) {
  return v.pipe(
    text(),
    v.rawTransform<string, string>(({ dataset, addIssue, NEVER }) => {
      try {
        return expandEnvReferences(dataset.value, environ);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        addIssue({ message: error.message });
        return NEVER;
      }
    }),
  );
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}


/** An `env`/`files` entry: a name and the value as YAML read it (strings, numbers, booleans). */
export interface VariableEntry {
  name: string;
  value: string | number | boolean;
}

/**
 * `env`/`files`: NAME → string | number | boolean, as a list of entries in file order. Written by
 * hand rather than with v.record, which silently skips keys named `constructor` or `prototype`.
 */
function variables() {
  return v.pipe(
    v.custom<Record<string, unknown>>(isPlainMapping, (issue) => `expected a mapping of variable names to values, got ${describeType(issue.input)}`),
    v.rawTransform<Record<string, unknown>, VariableEntry[]>(({ dataset, addIssue, NEVER }) => {
      const input = dataset.value;
      const entries: VariableEntry[] = [];
      for (const name of Object.keys(input)) {
        const value = input[name];
        const at = (origin: "key" | "value") => [{ type: "object" as const, origin, input, key: name, value }] as [v.ObjectPathItem];
        if (!VARIABLE_NAME.test(name)) {
          addIssue({ message: INVALID_VARIABLE_NAME, path: at("key") });
        } else if (value === null || value === undefined) {
          addIssue({ message: 'no value; write "" for an empty string', path: at("value") });
        } else if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
          entries.push({ name, value });
        } else {
          addIssue({ message: `expected a string, number or boolean, got ${describeType(value)}`, path: at("value") });
        }
      }
      return dataset.issues ? NEVER : entries;
    }),
  );
}

const PREFIX = /^(?:[A-Za-z_][A-Za-z0-9_]*)?$/;

/** The whole mapping file. `environ` feeds `${NAME}` in the `vault:` and `aws:` settings. */
export function mappingFileSchema(environ: NodeJS.ProcessEnv) {
  const str = () => v.optional(setting(environ));
  return section({
    vault: optionalSection(
      section({
        address: v.optional(
          v.pipe(
            setting(environ),
            v.check(isHttpUrl, "expected an http:// or https:// URL"),
          ),
        ),
        namespace: str(),
        mount: str(),
        ca_cert: str(),
        auth: optionalSection(
          section({
            method: v.optional(
              v.pipe(
                setting(environ),
                v.picklist(VAULT_AUTH_METHODS, (issue) => {
                  const hint = typeof issue.input === "string" ? closestKey(issue.input, VAULT_AUTH_METHODS) : undefined;
                  return `expected one of ${VAULT_AUTH_METHODS.join(", ")}${hint ? `; did you mean '${hint}'?` : ""}`;
                }),
              ),
            ),
            ...Object.fromEntries(VAULT_AUTH_FIELDS.map((key) => [key, str()])) as Record<VaultAuthField, ReturnType<typeof str>>,
          }),
        ),
      }),
    ),
    aws: optionalSection(section({ region: str() })),
    env: optionalSection(variables()),
    expand: optionalSection(
      v.array(
        section({
          from: text(),
          prefix: v.optional(v.pipe(text(), v.regex(PREFIX, "a prefix is empty or starts a variable name: a letter or _, then letters, digits and _"))),
          field: v.optional(text()),
        }),
        (issue) => `expected a list of {from, prefix, field} entries, got ${describeType(issue.input)}`,
      ),
    ),
    files: optionalSection(variables()),
  });
}

export type MappingFileData = v.InferOutput<ReturnType<typeof mappingFileSchema>>;
