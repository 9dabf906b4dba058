/**
 * The seed file of `envject dev` (README "`envject dev`"): YAML (or JSON) with two optional keys,
 *
 *   vault:  { "<mount>/<path>": { field: value, … }, … }   written to KV v2 or v1 by the mount
 *   aws:    { "<name>" | "<region>:<name>": "SecretString" | { … JSON … }, … }
 *
 * Read like the mapping file (bounded, UTF-8, one document, duplicate keys refused); every problem
 * is a ConfigError (65) with the file and the line of the entry, never the value.
 */
import { LineCounter, isMap, isPair, isScalar } from "yaml";
import type { Document, Node, Pair } from "yaml";
import { ConfigError, type SourceLocation } from "../errors.js";
import { readConfigText } from "../config/read-file.js";
import { parseYamlDocument } from "../config/yaml-document.js";

export interface SeedEntry<T> {
  key: string;
  value: T;
  /** Where the entry's key is written, for messages about it. */
  line?: number;
  column?: number;
}

export interface DevSeed {
  file: string;
  vault: SeedEntry<Record<string, unknown>>[];
  aws: SeedEntry<string | Record<string, unknown>>[];
}

/** Reads and checks the seed file at `path`. */
export async function readSeedFile(path: string): Promise<DevSeed> {
  const text = (await readConfigText(path, "seed file"))!;
  return parseSeed(text, path);
}

/** Parses seed text; `file` names it in messages. */
export function parseSeed(text: string, file: string): DevSeed {
  const lines = new LineCounter();
  const doc = parseYamlDocument(text, file, lines);
  const at = (offset: number | undefined, key?: string): SourceLocation => {
    if (offset === undefined) return { file, ...(key ? { key } : {}) };
    const { line, col } = lines.linePos(offset);
    return { file, line, column: col, ...(key ? { key } : {}) };
  };
  const problem = doc.errors[0];
  if (problem) throw new ConfigError(`YAML syntax error: ${problem.message.split("\n")[0]}`, at(problem.pos[0]));
  const seed: DevSeed = { file, vault: [], aws: [] };
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === undefined))) return seed;
  if (!isMap(root)) throw new ConfigError("a seed file is a mapping with the keys vault: and aws:", at(root.range?.[0]));
  for (const pair of root.items) {
    const name = keyText(pair);
    const where = at(keyOffset(pair), name);
    if (name !== "vault" && name !== "aws") throw new ConfigError(`unknown key ${JSON.stringify(name)} in a seed file (it takes vault: and aws:)`, where);
    const section = pair.value as Node | null;
    if (section === null || (isScalar(section) && section.value === null)) continue;
    if (!isMap(section))
      throw new ConfigError(`${name}: must be a mapping of ${name === "vault" ? "secret paths to objects of fields" : "secret names to strings or objects"}`, at(section.range?.[0], name));
    for (const entry of section.items) {
      const key = keyText(entry);
      const place = at(keyOffset(entry), `${name}.${key}`);
      const value = toPlain(doc, entry.value as Node | null);
      if (key.trim() === "") throw new ConfigError(`${name}: an entry has an empty name`, place);
      const location = { line: place.line, column: place.column };
      if (name === "vault") {
        if (!isObject(value)) throw new ConfigError(`vault: ${JSON.stringify(key)} must be an object of fields (password: …), got ${kindOf(value)}`, place);
        if (key.startsWith("/") || !key.includes("/")) throw new ConfigError(`vault: ${JSON.stringify(key)} must be a path <mount>/<path> such as secret/myapp/db`, place);
        seed.vault.push({ key, value, ...location });
      } else {
        if (typeof value !== "string" && !isObject(value))
          throw new ConfigError(`aws: ${JSON.stringify(key)} must be a string (SecretString) or an object (stored as JSON), got ${kindOf(value)}`, place);
        seed.aws.push({ key, value, ...location });
      }
    }
  }
  return seed;
}

function keyText(pair: Pair): string {
  const key = pair.key as Node | null;
  return isScalar(key) ? String(key.value) : String(key);
}

function keyOffset(pair: Pair): number | undefined {
  if (!isPair(pair)) return undefined;
  return (pair.key as Node | null)?.range?.[0];
}

function toPlain(doc: Document, node: Node | null): unknown {
  if (node === null) return null;
  return node.toJS(doc, { maxAliasCount: 100 });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** What a refused value is, without the value (it may be a secret). */
function kindOf(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  return `a ${typeof value}`;
}
