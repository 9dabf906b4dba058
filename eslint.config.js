// ESLint for src/, test/, scripts/ and bench/ (`npm run lint`; CI runs it through `npm test`).
// Type-aware: the rules that matter most here read TypeScript's types — a promise nobody awaits
// (deliberate fire-and-forget calls are marked `void`), a promise passed where a callback's result
// is ignored, an `await` of a value that is not a promise. On top of those, typescript-eslint's
// recommended type-checked set, less the rules below, each with the reason it is off.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

// The .mjs files are plain Node scripts: their globals are the ones of the Node running the lint.
const nodeGlobals = Object.fromEntries(Object.getOwnPropertyNames(globalThis).map((name) => [name, "readonly"]));

export default defineConfig(
  { ignores: ["dist/", "node_modules/", "examples/", "tmp/", "docs/", ".proto/", ".build/"] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // The three promise rules, stated even though the set above has them.
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          // node:test's describe/it/test return promises that the runner itself awaits.
          allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["describe", "it", "test", "suite", "before", "after", "beforeEach", "afterEach"] }],
        },
      ],
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      // Off: an `async` function without `await` is how this code turns a synchronous throw into
      // a rejection and meets an interface that returns a promise (a provider's close(), a login
      // method's request()); the rule would have us write Promise.resolve/reject by hand.
      "@typescript-eslint/require-await": "off",
      // Off: log lines pad the level to a column ("INFO  ", "WARN  "); a regex with the two spaces
      // reads like the line it matches, ` {2}` does not.
      "no-regex-spaces": "off",
      // Off: String(value) of a parsed YAML or JSON value is deliberate — its type is known only at
      // run time, and where an object would matter the code has handled it before.
      "@typescript-eslint/no-base-to-string": "off",
      // On, but a leading `_` marks a binding kept on purpose (a destructured field left out of a
      // copy, a parameter an interface requires).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Tests, and the doubles' clients that tests steer them with.
    files: ["test/**/*.ts", "src/dev/*/client.ts"],
    rules: {
      // Off: tests read JSON answers (of the doubles, of `envject export`) as `any` and the
      // assertions are what check their shape; typing each would be churn that finds nothing.
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
  {
    files: ["test/**/*.ts"],
    rules: {
      // Off: tests match terminal escapes (\x1b) and carriage returns on purpose.
      "no-control-regex": "off",
      // Off: the test harnesses hand out closures (workspace, start, close) typed as interface
      // methods, and tests destructure them; there is no `this` to lose.
      "@typescript-eslint/unbound-method": "off",
    },
  },
  {
    files: ["**/*.mjs", "**/*.js", "**/*.cjs"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: nodeGlobals },
  },
  {
    // CommonJS scripts (bin/envject.cjs, scripts/code-cache.cjs): require() is how they load.
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { ...nodeGlobals, require: "readonly", module: "writable", exports: "writable", __dirname: "readonly", __filename: "readonly" } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
