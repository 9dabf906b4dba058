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
const common = {
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
  // Error classes keep their names (err.name === "ConfigError") for library users.
  keepNames: true,
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
// Which source modules each output file holds, for the load guards (test/cli/load-guards.test.ts):
// kept beside the build, not in dist/ (which is published).
await mkdir(".build", { recursive: true });
await writeFile(
  ".build/bundle-inputs.json",
  JSON.stringify(Object.fromEntries(Object.entries(metafile.outputs).map(([file, out]) => [file, Object.keys(out.inputs)])), null, 1),
);

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
