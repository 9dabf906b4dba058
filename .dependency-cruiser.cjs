// The import graph's rules (`npm run lint:graph`, part of `npm run lint` and so of CI): no import
// circle anywhere, and no module of src/ importing from a layer above its own. The layers, lowest
// first (CONTRIBUTING.md "Lint, format and layers" draws them):
const LAYERS = [
  ["base", "^src/(backoff|clock|errors|proc|suggest)[.]ts$|^src/log/"],
  ["config", "^src/config/"],
  ["providers", "^src/providers/"],
  ["resolve", "^src/resolve/"],
  ["supervise", "^src/supervise/"],
  ["watch", "^src/watch/"],
  ["dev", "^src/dev/"],
  ["entry", "^src/cli/|^src/index[.]ts$"],
];

// Inside providers/: the shared interface, retry and start-up wait, then one folder per store,
// then the registry that knows them all.
const PROVIDER_LAYERS = [
  ["providers-shared", "^src/providers/(provider|retry|wait)[.]ts$"],
  ["providers-stores", "^src/providers/(aws|vault)/"],
  ["providers-registry", "^src/providers/registry[.]ts$"],
];

/** One rule per layer: it may not import from any layer above it. */
function upward(layers) {
  return layers.slice(0, -1).map(([name, path], i) => ({
    name: `no-upward-from-${name}`,
    comment: `${name} may import only from its own layer and those below it (${
      layers
        .slice(0, i)
        .map(([n]) => n)
        .join(", ") || "none"
    })`,
    severity: "error",
    from: { path },
    to: {
      path: layers
        .slice(i + 1)
        .map(([, p]) => `(${p})`)
        .join("|"),
    },
  }));
}

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "an import circle, type-only imports included: two modules that need each other are one concern, or one of them holds a piece that belongs lower",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    ...upward(LAYERS),
    ...upward(PROVIDER_LAYERS),
    {
      name: "stores-apart",
      comment: "the Vault and the AWS provider share code only through src/providers/*.ts",
      severity: "error",
      from: { path: "^src/providers/(aws|vault)/" },
      to: { path: "^src/providers/(aws|vault)/", pathNot: "^src/providers/$1/" },
    },
    {
      name: "supervise-knows-no-stores",
      comment: "the supervisor knows nothing about Vault, AWS, the mapping file or resolving: it runs a command with an environment",
      severity: "error",
      from: { path: "^src/supervise/" },
      to: { path: "^src/(config|providers|resolve)/" },
    },
    {
      name: "config-has-no-network",
      comment: "the mapping file, .env files and the reference grammar are parsed without any network code",
      severity: "error",
      from: { path: "^src/config/" },
      to: { dependencyTypes: ["core"], path: "^(node:)?(http|https|http2|net|tls|dgram|dns)$" },
    },
    {
      name: "doubles-stand-alone",
      comment: "the Vault and Secrets Manager doubles judge envject's clients, so they share no code with them (only src/dev/shared/)",
      severity: "error",
      from: { path: "^src/dev/(aws|vault|shared)/" },
      to: { path: "^src/", pathNot: "^src/dev/(aws|vault|shared)/" },
    },
    {
      name: "doubles-apart",
      comment: "the two doubles share code only through src/dev/shared/",
      severity: "error",
      from: { path: "^src/dev/(aws|vault)/" },
      to: { path: "^src/dev/(aws|vault)/", pathNot: "^src/dev/$1/" },
    },
    {
      name: "src-not-to-tests",
      comment: "the product does not import test code, benchmarks or scripts",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^(test|bench|scripts)/" },
    },
    {
      name: "src-not-to-dev-dependencies",
      comment: "what src/ imports at run time must be a dependency, not a devDependency (type-only imports are erased)",
      severity: "error",
      from: { path: "^src/" },
      to: { dependencyTypes: ["npm-dev"], dependencyTypesNot: ["type-only"] },
    },
    {
      name: "not-to-unresolvable",
      comment: "an import that does not resolve would leave a hole in this graph",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Type-only imports are edges too: a circle through `import type` still ties two modules together.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(dist|examples)/" },
    enhancedResolveOptions: { extensions: [".ts", ".js", ".mjs", ".cjs", ".json"] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
