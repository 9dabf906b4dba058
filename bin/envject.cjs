#!/usr/bin/env node
"use strict";
// The envject executable. It runs the bundled CLI (dist/envject.cjs) through vm.Script with the V8
// code cache made at build time (dist/envject.cjs.cache), so that a start deserializes compiled code
// instead of compiling the bundle: most of what a start cost before (BENCHMARKS.md). A cache that
// does not fit this Node's V8 is rejected by V8 and the bundle is compiled from source, as it would
// be without one. The wrapper's first line is its own, so that the bundle's line numbers stay its own
// (the load guards map V8's coverage of it through its source map).
const { readFileSync } = require("node:fs");
const { createRequire } = require("node:module");
const { dirname, join } = require("node:path");
const { Script } = require("node:vm");

const file = join(__dirname, "..", "dist", "envject.cjs");
let cachedData;
try {
  cachedData = readFileSync(`${file}.cache`);
} catch {
  // No cache (a build without one): compile from source.
}
const script = new Script(`(function (exports, require, module, __filename, __dirname) {\n${readFileSync(file, "utf8")}\n})`, { filename: file, cachedData });
// For scripts/code-cache.cjs, which makes the cache from this very script once a run has compiled what it needs.
module.exports = { script };
const bundle = { exports: {} };
script.runInThisContext()(bundle.exports, createRequire(file), bundle, file, dirname(file));
