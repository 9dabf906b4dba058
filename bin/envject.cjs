#!/usr/bin/env node
"use strict";
// The envject executable: it runs the bundled CLI, dist/envject.cjs. Compiling that file is most of
// what a start would cost, so it is not compiled when it need not be:
// - The build made a V8 code cache of it (dist/envject.cjs.v8-<V8 version>.cache). On a Node with
//   that V8 the bundle goes through vm.Script with the cache: compiled code is read, not made.
//   (V8 checks the cache itself too, and compiles from source if it does not fit.)
// - On another Node that has module.enableCompileCache() (22.1 and later), Node's own on-disk
//   compile cache is used instead (in os.tmpdir(), or NODE_COMPILE_CACHE; NODE_DISABLE_COMPILE_CACHE=1
//   turns it off), from the second start on. It holds compiled code, never a value envject read.
// - Otherwise the bundle is compiled from source, as any script is.
// The vm.Script wrapper's first line is its own, so that the bundle's line numbers stay its own
// (the load guards map V8's coverage of it through its source map).
const { readFileSync } = require("node:fs");
const Module = require("node:module");
const { dirname, join } = require("node:path");
const { Script } = require("node:vm");

const file = join(__dirname, "..", "dist", "envject.cjs");
/** The build's code cache for the V8 running now (scripts/build.mjs names it so). */
const cacheFile = join(__dirname, "..", "dist", `envject.cjs.v8-${process.versions.v8}.cache`);

/** The bundle compiled by vm.Script, with `cachedData` if given. */
function compile(cachedData) {
  return new Script(`(function (exports, require, module, __filename, __dirname) {\n${readFileSync(file, "utf8")}\n})`, { filename: file, cachedData });
}

/** Runs the compiled bundle as the CommonJS module it is. */
function run(script) {
  const bundle = { exports: {} };
  script.runInThisContext()(bundle.exports, Module.createRequire(file), bundle, file, dirname(file));
}

if (require.main === module) {
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // No cache for this V8.
  }
  if (cachedData === undefined && typeof Module.enableCompileCache === "function") {
    Module.enableCompileCache();
    require(file);
  } else {
    run(compile(cachedData));
  }
} else {
  // scripts/code-cache.cjs: the build compiles and runs the bundle here, the same way, to make the cache.
  module.exports = { cacheFile, compile, run };
}
