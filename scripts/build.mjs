// Builds the bundled CLI (dist/envject.mjs) and the library entry (dist/index.js).
// Dependencies are bundled so that start-up reads one file; the AWS SDK stays external and is
// only imported (dynamically) when a mapping references AWS.
import { build } from "esbuild";
import { mkdir, readFile } from "node:fs/promises";

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
await Promise.all([
  build({ ...common, entryPoints: ["src/cli/main.ts"], outfile: "dist/envject.mjs" }),
  build({ ...common, entryPoints: ["src/index.ts"], outfile: "dist/index.js" }),
]);
