#!/usr/bin/env node
/**
 * Counts the assertions written in each test case, to find cases that check too much at once
 * (a failure should name the broken guarantee). Rough on purpose: it counts the `assert(…)`,
 * `assert.x(…)` and `t.assert.x(…)` calls written inside each `it(…)` / `test(…)` body, as text —
 * an assertion in a loop counts once, one in a helper the case calls not at all.
 *
 *   node scripts/count-assertions.mjs [--min N] [file or folder …]     (default: --min 15 test/)
 *
 * Prints `count  file:line  name` for every case with at least N, most first.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const args = process.argv.slice(2);
let min = 15;
const roots = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--min") min = Number(args[++i]);
  else roots.push(args[i]);
}
if (!Number.isInteger(min) || min < 0) {
  console.error("usage: node scripts/count-assertions.mjs [--min N] [file or folder …]");
  process.exit(64);
}
if (roots.length === 0) roots.push("test");

/** Every .ts/.mts/.js/.mjs file under `path` (or `path` itself). */
function files(path) {
  if (statSync(path).isFile()) return [path];
  return readdirSync(path, { withFileTypes: true }).flatMap((e) =>
    e.name === "node_modules" ? [] : e.isDirectory() ? files(join(path, e.name)) : /\.(m?ts|m?js)$/.test(e.name) ? [join(path, e.name)] : [],
  );
}

/**
 * The text with comments and the insides of strings blanked (same length, newlines kept), so
 * braces and words in them are not counted. Template literals keep their `${…}` code.
 */
function codeOnly(src) {
  let out = "";
  let i = 0;
  const templates = []; // brace depth at which each open `${` returns to its template
  let depth = 0;
  const blank = (s) => s.replace(/[^\n]/g, " ");
  const readTemplate = () => {
    // At a template's text (after ` or }); copies it blanked up to ` (end) or ${ (code).
    let j = i;
    while (j < src.length && src[j] !== "`" && !(src[j] === "$" && src[j + 1] === "{")) j += src[j] === "\\" ? 2 : 1;
    out += blank(src.slice(i, j));
    if (src[j] === "`") {
      out += "`";
      i = j + 1;
    } else {
      out += "${";
      i = j + 2;
      templates.push(depth);
      depth++;
    }
  };
  while (i < src.length) {
    const c = src[i];
    if (c === "/" && src[i + 1] === "/") {
      const j = src.indexOf("\n", i);
      const end = j < 0 ? src.length : j;
      out += blank(src.slice(i, end));
      i = end;
    } else if (c === "/" && src[i + 1] === "*") {
      const j = src.indexOf("*/", i + 2);
      const end = j < 0 ? src.length : j + 2;
      out += blank(src.slice(i, end));
      i = end;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c && src[j] !== "\n") j += src[j] === "\\" ? 2 : 1;
      out += c + blank(src.slice(i + 1, j)) + (src[j] ?? "");
      i = j + 1;
    } else if (c === "`") {
      out += "`";
      i++;
      readTemplate();
    } else if (c === "}" && templates.length > 0 && templates[templates.length - 1] === depth - 1) {
      templates.pop();
      depth--;
      out += "}";
      i++;
      readTemplate();
    } else {
      if (c === "{") depth++;
      if (c === "}") depth--;
      out += c;
      i++;
    }
  }
  return out;
}

const CASE = /(?<![.\w])(?:it|test)(?:\.(?:only|skip|todo))?\s*\(\s*(["'`])/g;
const ASSERTION = /\b(?:t\.)?assert(?:\.\w+)*\s*\(/g;

const found = [];
for (const root of roots) {
  for (const file of files(root)) {
    const src = readFileSync(file, "utf8");
    const code = codeOnly(src);
    for (const m of code.matchAll(CASE)) {
      // The name is read from the original text; the body is the first {…} after it.
      const nameStart = m.index + m[0].length;
      const nameEnd = src.indexOf(m[1], nameStart);
      const name = src.slice(nameStart, nameEnd);
      const open = code.indexOf("{", nameEnd);
      if (open < 0) continue;
      let depth = 0;
      let close = open;
      for (; close < code.length; close++) {
        if (code[close] === "{") depth++;
        else if (code[close] === "}" && --depth === 0) break;
      }
      const count = [...code.slice(open, close).matchAll(ASSERTION)].length;
      if (count >= min) found.push({ count, where: `${relative(process.cwd(), file)}:${src.slice(0, m.index).split("\n").length}`, name });
    }
  }
}
found.sort((a, b) => b.count - a.count || a.where.localeCompare(b.where));
for (const f of found) console.log(`${String(f.count).padStart(4)}  ${f.where}  ${f.name}`);
console.error(`${found.length} case(s) with ${min} or more assertions`);
