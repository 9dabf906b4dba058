/**
 * Where each part of a parsed YAML file was written: paths into the document (`env.DB_PASSWORD`,
 * `expand[0].from`) back to file, line and column. Knows nothing about envject's keys, so every
 * error of the mapping file is located the same way; built once per file, linear in its size.
 */
import { isAlias, isMap, isPair, isScalar, isSeq } from "yaml";
import type { Document, LineCounter, Node, Pair, YAMLMap } from "yaml";
import type { SourceLocation } from "../errors.js";

/** One step of a path into the file: a mapping key or a list index. */
export type PathKey = string | number;

/** `env.DB_PASSWORD`, `vault.auth.method`, `expand[0].from`; "" for the whole file. */
export function formatKeyPath(path: readonly PathKey[]): string {
  let s = "";
  for (const k of path) s += typeof k === "number" ? `[${k}]` : s === "" ? k : `.${k}`;
  return s;
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
    let node: Node | undefined = this.doc.contents ?? undefined;
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
    return isAlias(node) ? (node.resolve(this.doc) ?? undefined) : node;
  }
}

/** A pair's key as doc.toJS() names it in the object it builds (collection keys aside, which
 *  toJS flattens to YAML text and which no envject section accepts anyway). */
function keyText(pair: Pair): string {
  const key = pair.key;
  if (isScalar(key)) return key.value === null ? "" : String(key.value);
  return String(key);
}
