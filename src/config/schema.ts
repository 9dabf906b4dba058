/**
 * The shape of the mapping file (docs/contract/mapping.md#sections) as a valibot schema, and the one place where a
 * valibot issue path becomes `file:line:column (key)`. The schema checks shapes and settings
 * (with `${NAME}` expanded); references in `env`/`files`/`expand` are parsed afterwards by
 * mapping.ts, which needs the configured mount first.
 *
 * Messages never quote a value from the file: a literal may be a pasted secret, so they name the
 * key (through the location) and the type or rule, and nothing else.
 */
import { VAULT_AUTH_FIELDS, VAULT_AUTH_METHODS, type VaultAuthField } from "./vault-auth.js";
import * as v from "valibot";
import { ConfigError } from "../errors.js";
import type { PathKey, SourceMap } from "./source-map.js";
import type { SourceLocation } from "../errors.js";
import { expandEnvReferences } from "./expand-env.js";
import { INVALID_VARIABLE_NAME, VARIABLE_NAME } from "./names.js";
import { closestKey } from "../suggest.js";

/** What a value is, for messages that must not show the value itself. */
export function describeType(value: unknown): string {
  if (value === null || value === undefined) return "no value";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `a ${typeof value}`;
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
        address: v.optional(v.pipe(setting(environ), v.check(isHttpUrl, "expected an http:// or https:// URL"))),
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
            ...(Object.fromEntries(VAULT_AUTH_FIELDS.map((key) => [key, str()])) as Record<VaultAuthField, ReturnType<typeof str>>),
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
