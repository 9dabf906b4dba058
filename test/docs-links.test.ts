/**
 * The contract lives in the repository (docs/contract/, docs/wire/), and the code points at it:
 * every relative link of the documentation resolves to a file, and to a heading when it has an
 * anchor; every `docs/….md#anchor` cited in src/, test/, bench/ or scripts/ does too; and no
 * file cites the old contract files that live outside the repository.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, extname, join, relative, sep } from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "./support/cli.js";

/** The outside files, spelled so that this file does not cite them itself. */
const OUTSIDE_CITATION = new RegExp(["PRODUCT", "wire-contract"].map((name) => `${name}\\.md`).join("|") + "|\\u00a7\\s*\\d|shared/(?:spec|reference)/");

const rel = (abs: string) => relative(ROOT, abs).split(sep).join("/");
const read = (abs: string) => readFileSync(abs, "utf8");

function filesUnder(dir: string, exts: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (exts.includes(extname(p))) out.push(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

const anchorCache = new Map<string, Set<string>>();
/** The anchors of a Markdown file's headings (outside fenced code), numbered as GitHub numbers repeats. */
function anchorsOf(file: string): Set<string> {
  let anchors = anchorCache.get(file);
  if (anchors) return anchors;
  anchors = new Set();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of read(file).split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const m = !fenced && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  anchorCache.set(file, anchors);
  return anchors;
}

/** Why `target` (a path, maybe with #anchor) seen from `fromDir` does not resolve; undefined when it does. */
function brokenTarget(fromDir: string, target: string): string | undefined {
  const [path, anchor] = target.split("#");
  const file = path === "" ? undefined : join(fromDir, decodeURIComponent(path!));
  if (file && !existsSync(file)) return "no such file";
  if (anchor === undefined || anchor === "") return undefined;
  if (!file || extname(file) !== ".md") return undefined;
  return anchorsOf(file).has(anchor) ? undefined : `no heading #${anchor} in ${rel(file)}`;
}

const PAGES = [...filesUnder(join(ROOT, "docs"), [".md"]), join(ROOT, "README.md"), join(ROOT, "CONTRIBUTING.md"), ...filesUnder(join(ROOT, "src/dev"), [".md"])];
const CODE = ["src", "test", "bench", "scripts"].flatMap((d) => filesUnder(join(ROOT, d), [".ts", ".mts", ".mjs", ".js", ".md", ".py"]));

describe("the documentation's relative links", () => {
  for (const page of PAGES) {
    it(`${rel(page)}: every relative link resolves, anchors included`, () => {
      const broken: string[] = [];
      let fenced = false;
      for (const line of read(page).split("\n")) {
        if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
        if (fenced) continue;
        for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) {
          const target = m[1]!;
          if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
          const why = target.startsWith("#") ? brokenTarget(dirname(page), `${rel(page).split("/").pop()}${target}`) : brokenTarget(dirname(page), target);
          if (why) broken.push(`${target}: ${why}`);
        }
      }
      assert.deepEqual(broken, []);
    });
  }
});

describe("citations of docs/ in the code", () => {
  it("every docs/….md[#anchor] named in src/, test/, bench/ and scripts/ is a file with that heading", () => {
    const broken: string[] = [];
    let cited = 0;
    for (const file of CODE) {
      read(file)
        .split("\n")
        .forEach((line, i) => {
          for (const m of line.matchAll(/(?<![\w/.-])docs\/[\w./-]*?\.md(?:#[\w-]+)?/g)) {
            cited++;
            const why = brokenTarget(ROOT, m[0]);
            if (why) broken.push(`${rel(file)}:${i + 1}: ${m[0]}: ${why}`);
          }
        });
    }
    assert.ok(cited > 50, `the code cites docs/ pages (found ${cited})`);
    assert.deepEqual(broken, []);
  });

  it("no file cites the contract files that live outside the repository", () => {
    const found: string[] = [];
    for (const file of CODE) {
      const path = rel(file);
      read(file)
        .split("\n")
        .forEach((line, i) => {
          if (OUTSIDE_CITATION.test(line)) found.push(`${path}:${i + 1}: ${line.trim()}`);
        });
    }
    assert.deepEqual(found, [], "cite the page of docs/contract/ or docs/wire/ instead");
  });
});
