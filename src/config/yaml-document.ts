/**
 * Parsing the one YAML document of a mapping file within bounds that `yaml` does not keep itself:
 * a nesting depth (its composer, toJS and the schema recurse once per level, so 10,000 levels
 * overflow the stack), and a duplicate-key check that takes one look per key (yaml's own,
 * `uniqueKeys`, compares each key with every earlier one: 235 s for 100,000 keys).
 */
import { Composer, CST, Parser, YAMLParseError, isAlias, isCollection, isScalar, visit } from "yaml";
import type { Document, LineCounter, Node } from "yaml";
import { ConfigError } from "../errors.js";

/** The deepest nesting of collections a mapping file may have; envject's own keys need 3. */
export const MAX_NESTING = 64;

/**
 * Parses `text` (YAML 1.2, core schema; JSON is YAML) into one Document, as yaml's parseDocument
 * does with `uniqueKeys`: problems, duplicate keys and extra documents included, are in
 * `doc.errors`. Throws ConfigError when collections nest deeper than MAX_NESTING.
 */
export function parseYamlDocument(text: string, file: string, lineCounter: LineCounter): Document {
  const tokens = [...new Parser(lineCounter.addNewLine).parse(text)];
  const tooDeep = firstTooDeep(tokens);
  if (tooDeep !== undefined) {
    const { line, col } = lineCounter.linePos(tooDeep);
    throw new ConfigError(`nesting deeper than ${MAX_NESTING} levels (lists and mappings inside one another)`, { file, line, column: col });
  }
  const composer = new Composer({
    prettyErrors: false,
    uniqueKeys: false, // checked below
    version: "1.2",
    schema: "core",
    // yaml would print a process warning for a collection used as a key; the key is rejected anyway.
    logLevel: "error",
  });
  let doc: Document | undefined;
  for (const next of composer.compose(tokens, true, text.length)) {
    if (doc === undefined) doc = next;
    else {
      doc.errors.push(new YAMLParseError([next.range[0], next.range[1]], "MULTIPLE_DOCS", "Source contains multiple documents; please use YAML.parseAllDocuments()"));
      break;
    }
  }
  // compose(…, forceDoc = true) always yields a document.
  const parsed = doc!;
  for (const problem of [firstDuplicateKey(parsed), firstUnresolvedAlias(parsed)]) if (problem) parsed.errors.push(problem);
  // The first problem in the file comes first, as when yaml found the duplicate while composing.
  parsed.errors.sort((a, b) => a.pos[0] - b.pos[0]);
  return parsed;
}

/** The offset of the first collection nested deeper than MAX_NESTING, walking the CST without
 *  recursion; undefined when there is none. */
function firstTooDeep(tokens: CST.Token[]): number | undefined {
  let first: number | undefined;
  const pending: Array<{ token: CST.Token; depth: number }> = tokens.map((token) => ({ token, depth: 0 }));
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { token, depth } = next;
    if (token.type === "document") {
      if (token.value) pending.push({ token: token.value, depth });
    } else if (CST.isCollection(token)) {
      if (depth === MAX_NESTING) {
        first = first === undefined ? token.offset : Math.min(first, token.offset);
        continue;
      }
      for (const item of token.items) {
        if (item.key) pending.push({ token: item.key, depth: depth + 1 });
        if (item.value) pending.push({ token: item.value, depth: depth + 1 });
      }
    }
  }
  return first;
}

/** yaml's DUPLICATE_KEY error for the first key written twice in one mapping, with yaml's notion
 *  of equal keys (scalars of the same value; NaN equals nothing; other keys only themselves). */
function firstDuplicateKey(doc: Document): YAMLParseError | undefined {
  let first: YAMLParseError | undefined;
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        const key = pair.key as Node | null;
        if (!isScalar(key) || Number.isNaN(key.value)) continue;
        if (seen.has(key.value)) {
          const range = key.range ?? [0, 0];
          if (first === undefined || range[0] < first.pos[0]) first = new YAMLParseError([range[0], range[1]], "DUPLICATE_KEY", "Map keys must be unique");
          break;
        }
        seen.add(key.value);
      }
    },
  });
  return first;
}

/** An alias without an anchor of its name before it: yaml notices only in toJS, which knows no
 *  position. Its own rule: the anchor is the last one of that name earlier in the document. */
function firstUnresolvedAlias(doc: Document): YAMLParseError | undefined {
  const anchors = new Set<string>();
  let first: YAMLParseError | undefined;
  visit(doc, (_key, node) => {
    if (isAlias(node)) {
      if (anchors.has(node.source)) return undefined;
      const range = node.range ?? [0, 0];
      first = new YAMLParseError([range[0], range[1]], "BAD_ALIAS", `Unresolved alias (the anchor must be set before the alias): ${node.source}`);
      return visit.BREAK;
    }
    const anchor = anchorOf(node);
    if (anchor !== undefined) anchors.add(anchor);
    return undefined;
  });
  return first;
}

/** The anchor a node carries (`&name`), if any. */
function anchorOf(node: unknown): string | undefined {
  return node && typeof node === "object" && "anchor" in node && typeof node.anchor === "string" ? node.anchor : undefined;
}

/**
 * Where to point when yaml refuses to expand the aliases (maxAliasCount): the first alias of an
 * anchor that itself holds aliases, whose every use multiplies (a "billion laughs"), else the first
 * alias. One walk; each anchored node is looked into at most once.
 */
export function aliasBombOffset(doc: Document): number {
  const anchors = new Map<string, Node>();
  const holdsAlias = new Map<Node, boolean>();
  const containsAlias = (node: Node): boolean => {
    let found = holdsAlias.get(node);
    if (found === undefined) {
      found = false;
      if (isCollection(node)) {
        visit(node, {
          Alias() {
            found = true;
            return visit.BREAK;
          },
        });
      }
      holdsAlias.set(node, found);
    }
    return found;
  };
  let firstAlias: number | undefined;
  let multiplying: number | undefined;
  visit(doc, (_key, node) => {
    if (isAlias(node)) {
      const at = node.range?.[0] ?? 0;
      firstAlias ??= at;
      const target = anchors.get(node.source);
      if (target && containsAlias(target)) {
        multiplying = at;
        return visit.BREAK;
      }
    } else {
      // The latest anchor of a name before an alias is the one it stands for.
      const anchor = anchorOf(node);
      if (anchor !== undefined) anchors.set(anchor, node as Node);
    }
    return undefined;
  });
  return multiplying ?? firstAlias ?? 0;
}
