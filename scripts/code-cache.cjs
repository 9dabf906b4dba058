"use strict";
// Build step (scripts/build.mjs): `node scripts/code-cache.cjs <envject arguments…>` runs envject
// through bin/envject.cjs's own compile and run — the same wrapped source, so that V8 accepts the
// cache at every start — and, when that run exits, writes the V8 code cache of everything it
// compiled to the file the bin reads for this V8 (dist/envject.cjs.v8-<V8 version>.cache).
const { renameSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");

const bin = join(__dirname, "..", "bin", "envject.cjs");
process.argv = [process.argv[0], bin, ...process.argv.slice(2)];
const { cacheFile, compile, run } = require(bin);
const script = compile(undefined);
// Written whole, then renamed: V8 checks a cache's header, not every byte, so a cut-off file must never be left under the name the bin reads.
process.on("exit", () => {
  writeFileSync(`${cacheFile}.partial`, script.createCachedData());
  renameSync(`${cacheFile}.partial`, cacheFile);
});
run(script);
