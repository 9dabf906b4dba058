"use strict";
// Build step (scripts/build.mjs): `node scripts/code-cache.cjs <cache file> <envject arguments…>`
// runs envject through bin/envject.cjs — the same wrapped source, so V8 accepts the cache at every
// start — and, when that run exits, writes the V8 code cache of everything it compiled.
const { writeFileSync } = require("node:fs");
const { join } = require("node:path");

const [out, ...args] = process.argv.slice(2);
if (!out) throw new Error("usage: node scripts/code-cache.cjs <cache file> <envject arguments…>");
process.argv = [process.argv[0], join(__dirname, "..", "bin", "envject.cjs"), ...args];
const { script } = require("../bin/envject.cjs");
process.on("exit", () => writeFileSync(out, script.createCachedData()));
