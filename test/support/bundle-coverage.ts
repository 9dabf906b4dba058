/**
 * Which source modules of the CLI bundle ran in a process, from V8's coverage of it
 * (NODE_V8_COVERAGE) and the source map the build keeps in .build/. The CLI is one CommonJS file
 * whose modules are each evaluated only when first imported (scripts/build.mjs), so "a module of it
 * ran" is what "a module was loaded" meant when the bundle was split into files: a function of
 * src/dev/ that executed says the dev stores were loaded; one that never did, that they were not.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const ROOT = join(import.meta.dirname, "../..");
export const BUNDLE = join(ROOT, "dist/envject.cjs");
export const BUNDLE_MAP = join(ROOT, ".build/envject.cjs.map");
/** The first line of the script bin/envject.cjs compiles, before the bundle's own lines. */
export const WRAPPER_LINE = "(function (exports, require, module, __filename, __dirname) {";

interface FunctionCoverage {
  functionName: string;
  ranges: { startOffset: number; endOffset: number; count: number }[];
}
interface ScriptCoverage {
  url: string;
  functions: FunctionCoverage[];
}

/** Per generated line, its mapped segments: [column, source index] sorted by column. */
export function decodeMappings(mappings: string): [number, number][][] {
  const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const lines: [number, number][][] = [];
  let source = 0;
  for (const line of mappings.split(";")) {
    const segments: [number, number][] = [];
    let column = 0;
    for (const segment of line.split(",")) {
      if (segment === "") continue;
      const fields: number[] = [];
      let value = 0;
      let shift = 0;
      for (const ch of segment) {
        const digit = B64.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      column += fields[0]!;
      if (fields.length >= 4) {
        source += fields[1]!;
        segments.push([column, source]);
      }
      // Fields 2–4 (line, column, name) are deltas too, but only the source is needed here.
    }
    lines.push(segments);
  }
  return lines;
}

/** The bundle's source map: repository-relative sources and each generated line's segments. */
export function readBundleMap(): { sources: string[]; lines: [number, number][][] } {
  assert.ok(existsSync(BUNDLE_MAP), `${BUNDLE_MAP} is missing: run npm run build`);
  const map = JSON.parse(readFileSync(BUNDLE_MAP, "utf8")) as { sources: string[]; mappings: string };
  return { sources: map.sources.map((s) => relative(ROOT, resolve(dirname(BUNDLE_MAP), s))), lines: decodeMappings(map.mappings) };
}

/** The repository-relative source modules (node_modules/… for dependencies) with at least one function that ran, from the coverage files in `dir`. */
export function bundleSourcesRun(dir: string): string[] {
  const url = pathToFileURL(BUNDLE).href;
  const scripts = readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .flatMap((f) => (JSON.parse(readFileSync(join(dir, f), "utf8")) as { result: ScriptCoverage[] }).result)
    .filter((s) => s.url === url || s.url === BUNDLE);
  assert.equal(scripts.length, 1, `one coverage record of ${BUNDLE} in ${dir} (found ${scripts.length})`);
  const { sources, lines } = readBundleMap();
  const text = readFileSync(BUNDLE, "utf8");
  // Offsets in the coverage are UTF-16 offsets into the wrapped script; line 0 is the wrapper's.
  const lineStarts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) lineStarts.push(i + 1);
  const base = WRAPPER_LINE.length + 1;
  const whole = scripts[0]!.functions.find((f) => f.ranges[0]!.startOffset === 0);
  assert.equal(whole?.ranges[0]!.endOffset, base + text.length + "\n})".length, "the coverage is of the script bin/envject.cjs compiles (its wrapper changed?)");

  const position = (offset: number): [number, number] => {
    const at = offset - base;
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    return [lo, at - lineStarts[lo]!];
  };
  /** The source of the first mapped segment at or after `start` and before `end`. */
  const sourceAt = (start: number, end: number): string | undefined => {
    let [line, column] = position(start);
    const [endLine, endColumn] = position(end);
    for (; line <= endLine && line < lines.length; line++, column = 0) {
      for (const [c, s] of lines[line]!) {
        if (c < column) continue;
        if (line === endLine && c >= endColumn) return undefined;
        return sources[s];
      }
    }
    return undefined;
  };
  const ran = new Set<string>();
  for (const fn of scripts[0]!.functions) {
    const { startOffset, endOffset, count } = fn.ranges[0]!;
    if (count === 0 || startOffset < base) continue; // never ran, or the script and its wrapper
    const source = sourceAt(startOffset, endOffset);
    if (source !== undefined) ran.add(source);
  }
  return [...ran].sort();
}
