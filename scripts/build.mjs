// Builds the CLI (dist/envject.cjs, with its V8 code cache dist/envject.cjs.v8-<V8 version>.cache) and the library
// entry (dist/index.js).
//
// The CLI is one CommonJS file, run by bin/envject.cjs through `vm.Script` with a code cache made
// here: Node 20 keeps no code cache for ES modules, and compiling the bundle's ES-module chunks was
// the largest single cost of every start (BENCHMARKS.md, issue 12). Every module in the file is
// evaluated only when first imported (esbuild wraps each one), and each command, the supervisor with
// execa, the dev stores (src/dev/) and the `aws` login's signer are imported dynamically: `--version`,
// `check` and `export` never evaluate execa, and no command but `envject dev` runs the dev stores
// (test/cli/load-guards.test.ts follows what runs, from V8's coverage and the source map this
// writes to .build/). The AWS SDK stays external and is only required when a mapping references AWS; so do the
// @smithy signer packages, only required by an `aws` login (kept out of the bundle, they take 145 KiB off it and
// 65 KiB off its code cache: less to read and deserialize at every start).
//
// The library (`import "envject"`) stays an ES module, its lazy parts in chunks of their own.
import { build } from "esbuild";
import { spawn, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const pkg = JSON.parse(await readFile("package.json", "utf8"));

await mkdir("dist", { recursive: true });
/**
 * string-width (yargs' and cliui's, for help text) builds an Intl.Segmenter when it is loaded, and
 * the first Segmenter loads ICU's break data: tens of milliseconds at every start, for text only
 * help output measures. This builds it at the first measurement instead; nothing else changes.
 */
const lazySegmenter = {
  name: "lazy-segmenter",
  setup(b) {
    b.onLoad({ filter: /[\\/]string-width[\\/]index\.js$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      const eager = "const segmenter = new Intl.Segmenter();";
      if (!source.includes(eager)) throw new Error(`${args.path}: expected "${eager}" (string-width changed; update scripts/build.mjs)`);
      const lazy = "let eagerSegmenter; const segmenter = { segment: (text) => (eagerSegmenter ??= new Intl.Segmenter()).segment(text) };";
      return { contents: source.replace(eager, lazy), loader: "js" };
    });
  },
};

/**
 * dotenv requires node:crypto when it is loaded, for decrypting `.env.vault` files, which envject
 * never does (it calls parse() only); loading crypto is a few milliseconds of every start. This
 * requires it at the first decryption instead; nothing else changes.
 */
const lazyDotenvCrypto = {
  name: "lazy-dotenv-crypto",
  setup(b) {
    b.onLoad({ filter: /[\\/]dotenv[\\/]lib[\\/]main\.js$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      const eager = "const crypto = require('crypto')\n";
      const uses = source.match(/\bcrypto\.\w+/g) ?? [];
      if (!source.includes(eager) || uses.some((u) => u !== "crypto.createDecipheriv")) {
        throw new Error(`${args.path}: expected "${eager.trim()}" and only crypto.createDecipheriv (dotenv changed; update scripts/build.mjs)`);
      }
      const lazy = "let eagerCrypto; const crypto = { createDecipheriv: (...args) => (eagerCrypto ??= require('crypto')).createDecipheriv(...args) }\n";
      return { contents: source.replace(eager, lazy), loader: "js" };
    });
  },
};

const common = {
  plugins: [lazySegmenter, lazyDotenvCrypto],
  bundle: true,
  platform: "node",
  target: "node20",
  external: ["@aws-sdk/*", "@smithy/*"],
  define: { __ENVJECT_VERSION__: JSON.stringify(pkg.version) },
  legalComments: "none",
  minify: true,
  // No keepNames: it wraps every function and class of the bundle, dependencies included, in a
  // defineProperty call at load (about 12 ms of every start here). The error classes spell out
  // their names (err.name === "ConfigError") for library users instead (src/errors.ts).
  keepNames: false,
  logLevel: "warning",
};

// --- The CLI: one CommonJS file. ---
await rm("dist/envject.js", { force: true });
for (const f of await readdir("dist")) if (/^envject\.cjs\..*cache(\.partial)?$/.test(f)) await rm(join("dist", f)); // a cache of an earlier build, for this V8 or another
await mkdir(".build", { recursive: true });
await rm(".build/bundle-inputs.json", { force: true }); // what the load guards read before the CLI was one file
await build({
  ...common,
  entryPoints: ["src/cli/main.ts"],
  outfile: "dist/envject.cjs",
  format: "cjs",
  // import() of a bundled module becomes a lazy evaluation of it, and of the external AWS SDK a
  // require() (its package.json points both ways at the same dist-cjs build): a script run by
  // vm.Script has no ES-module loader to import with.
  supported: { "dynamic-import": false },
  // Dependencies written as ES modules read import.meta.url (yargs-parser, for a createRequire).
  define: { ...common.define, "import.meta.url": "__envjectModuleUrl", "import.meta.dirname": "__dirname" },
  banner: { js: 'var __envjectModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  // The map is for the load guards only: kept beside the build, not in dist/ (which is published).
  sourcemap: "external",
  sourcesContent: false,
});
await rm(".build/envject.cjs.map", { force: true });
await writeFile(".build/envject.cjs.map", await readFile("dist/envject.cjs.map"));
await rm("dist/envject.cjs.map");
const cliText = await readFile("dist/envject.cjs", "utf8");
// A dynamic import left in the file would fail only when reached (vm.Script has no loader for it).
if (/(?<![\w$.])import\(/.test(cliText)) throw new Error("dist/envject.cjs: an import() was left in the CommonJS bundle");

// The code cache: compiled by running a typical command through the same loader as
// bin/envject.cjs (scripts/code-cache.cjs), so that the cache holds what a start compiles: `run`
// with a literal and two Vault references (KV v2 and v1, read from the build's own `envject dev`
// on 127.0.0.1 with made-up values), a child, no watching. A Node whose V8 differs rejects the
// cache and compiles from source, as without one.
const work = await mkdtemp(join(tmpdir(), "envject-code-cache-"));
const dev = spawn(process.execPath, ["bin/envject.cjs", "dev", "--seed", join(work, "seed.yaml")], { env: { PATH: process.env.PATH ?? "", HOME: work }, stdio: ["ignore", "pipe", "pipe"] });
try {
  await writeFile(join(work, "seed.yaml"), "vault:\n  secret/build/app: { password: made-up-at-build }\n  kv/build/legacy: { token: made-up-at-build }\n");
  await writeFile(join(work, "envject.yaml"), "env:\n  GREETING: hello\n  APP_PASSWORD: vault://secret/build/app#password\n  LEGACY_TOKEN: vault://kv/build/legacy#token\n");
  const vault = await devExports(dev);
  const made = spawnSync(process.execPath, ["scripts/code-cache.cjs", "--no-watch", "-c", join(work, "envject.yaml"), "--", process.execPath, "-e", "0"], {
    env: { PATH: process.env.PATH ?? "", HOME: work, VAULT_ADDR: vault.VAULT_ADDR, VAULT_TOKEN: vault.VAULT_TOKEN },
    encoding: "utf8",
  });
  if (made.status !== 0) throw new Error(`making the code cache failed (${made.status}): ${made.stderr}`);
} finally {
  dev.kill("SIGTERM");
  await rm(work, { recursive: true, force: true });
}

/** The VAULT_ADDR and VAULT_TOKEN export lines `envject dev` prints once its stores listen. */
function devExports(child) {
  return new Promise((done, fail) => {
    let out = "";
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.stdout.on("data", (d) => {
      out += d;
      const vars = Object.fromEntries([...out.matchAll(/^export (\w+)='([^']*)'$/gm)].map((m) => [m[1], m[2]]));
      if (vars.VAULT_ADDR && vars.VAULT_TOKEN) done(vars);
    });
    child.on("exit", (code) => fail(new Error(`envject dev exited (${code}) before it printed VAULT_ADDR and VAULT_TOKEN: ${err}`)));
  });
}

// --- The library: an ES module, its lazily imported parts in chunks. ---
await rm("dist/chunks", { recursive: true, force: true });
const REQUIRE_BANNER = "import { createRequire as __envjectCreateRequire } from 'node:module'; const require = __envjectCreateRequire(import.meta.url);";
const library = await build({
  ...common,
  entryPoints: { index: "src/index.ts" },
  outdir: "dist",
  format: "esm",
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  // CommonJS dependencies (dotenv) call require() for Node built-ins; give the ESM bundle one.
  banner: { js: REQUIRE_BANNER },
  metafile: true,
});
// The banner gives each output file a `require` for the CommonJS dependencies' require() calls,
// but only the file holding esbuild's __require helper uses it; creating one in each of the other
// files costs a createRequire() apiece at load, so it is taken out of those.
for (const file of Object.keys(library.metafile.outputs).filter((f) => f.endsWith(".js"))) {
  const text = await readFile(file, "utf8");
  if (!text.startsWith(REQUIRE_BANNER)) continue;
  const body = text.slice(REQUIRE_BANNER.length);
  // A free `require` (not `.require`, not a `require:` key); a mention inside a string keeps the banner, harmlessly.
  if (!/(?<![.\w$])require(?!\s*:)\b/.test(body)) await writeFile(file, body.replace(/^\n/, ""));
}

// `require("envject")` (the package's `require` condition): envject is ESM only, so say how to
// load it instead of Node's bare ERR_PACKAGE_PATH_NOT_EXPORTED.
await writeFile(
  "dist/require.cjs",
  `"use strict";
// envject is an ES module; this file only answers require("envject") with how to load it.
const error = new Error(
  'envject is an ES module and cannot be loaded with require(): from CommonJS use \`const { resolveEnv, getSecret } = await import("envject")\`, or \`import { resolveEnv } from "envject"\` in an ES module (.mjs, or "type": "module")',
);
error.code = "ERR_REQUIRE_ESM";
throw error;
`,
);
