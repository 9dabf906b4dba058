// Builds the bundled CLI (dist/envject.js) and the library entry (dist/index.js).
// Dependencies are bundled, so start-up reads a few files instead of hundreds; code shared by the
// two entries and code imported dynamically (each command, the supervisor with execa) lands in
// chunks loaded only when needed: `--version`, `check` and `export` never load execa, and `run`
// loads it while the secrets are being read; the dev stores (src/dev/) are only in the chunk of
// `envject dev`. The AWS SDK stays external and is only imported
// (dynamically) when a mapping references AWS.
import { build } from "esbuild";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";

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

const common = {
  plugins: [lazySegmenter],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["@aws-sdk/*"],
  // CommonJS dependencies (dotenv) call require() for Node built-ins; give the ESM bundle one.
  banner: { js: "import { createRequire as __envjectCreateRequire } from 'node:module'; const require = __envjectCreateRequire(import.meta.url);" },
  define: { __ENVJECT_VERSION__: JSON.stringify(pkg.version) },
  legalComments: "none",
  minify: true,
  // No keepNames: it wraps every function and class of the bundle, dependencies included, in a
  // defineProperty call at load (about 12 ms of every start here). The error classes spell out
  // their names (err.name === "ConfigError") for library users instead (src/errors.ts).
  keepNames: false,
  logLevel: "warning",
};
await rm("dist/chunks", { recursive: true, force: true });
const { metafile } = await build({
  ...common,
  entryPoints: { envject: "src/cli/main.ts", index: "src/index.ts" },
  outdir: "dist",
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  metafile: true,
});
// The banner gives each output file a `require` for the CommonJS dependencies' require() calls,
// but only the file holding esbuild's __require helper uses it; creating one in each of the other
// files costs a createRequire() apiece at every start, so it is taken out of those.
const REQUIRE_BANNER = common.banner.js;
for (const file of Object.keys(metafile.outputs).filter((f) => f.endsWith(".js"))) {
  const text = await readFile(file, "utf8");
  if (!text.startsWith(REQUIRE_BANNER)) continue;
  const body = text.slice(REQUIRE_BANNER.length);
  // A free `require` (not `.require`, not a `require:` key); a mention inside a string keeps the banner, harmlessly.
  if (!/(?<![.\w$])require(?!\s*:)\b/.test(body)) await writeFile(file, body.replace(/^\n/, ""));
}

// Which source modules each output file holds, for the load guards (test/cli/load-guards.test.ts):
// kept beside the build, not in dist/ (which is published).
await mkdir(".build", { recursive: true });
await writeFile(".build/bundle-inputs.json", JSON.stringify(Object.fromEntries(Object.entries(metafile.outputs).map(([file, out]) => [file, Object.keys(out.inputs)])), null, 1));

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
