/**
 * The library's shipped declarations (README "Library") type-check in a TypeScript project that
 * has no `@types/node`: the declarations are emitted as `npm pack` emits them (tsconfig.build.json)
 * and a consumer importing every documented option is compiled with `types: []`.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ROOT, tempDir } from "./support/cli.js";

const TSC = join(ROOT, "node_modules/typescript/bin/tsc");
let dir: { path: string; cleanup: () => void };

function tsc(args: string[], cwd: string): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [TSC, ...args], { cwd, encoding: "utf8" });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Compiles `source` as app/main.ts against the emitted package; returns tsc's status and output. */
function compileConsumer(source: string): { status: number | null; output: string } {
  writeFileSync(join(dir.path, "app/main.ts"), source);
  return tsc(["-p", "."], join(dir.path, "app"));
}

before(() => {
  dir = tempDir("envject-types-");
  const pkg = join(dir.path, "node_modules/envject");
  const emitted = tsc(["-p", join(ROOT, "tsconfig.build.json"), "--outDir", join(pkg, "dist")], ROOT);
  assert.equal(emitted.status, 0, emitted.output);
  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as Record<string, unknown>;
  writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "envject", type: "module", exports: manifest.exports, types: manifest.types }));
  mkdirSync(join(dir.path, "app"));
  symlinkSync(join(dir.path, "node_modules"), join(dir.path, "app/node_modules"));
  writeFileSync(join(dir.path, "app/package.json"), JSON.stringify({ type: "module" }));
  writeFileSync(
    join(dir.path, "app/tsconfig.json"),
    JSON.stringify({ compilerOptions: { target: "ES2022", module: "nodenext", moduleResolution: "nodenext", strict: true, noEmit: true, types: [], lib: ["ES2022"] }, files: ["main.ts"] }),
  );
});
after(() => dir.cleanup());

describe("the shipped declarations", () => {
  it("type-check without @types/node, with every documented option of resolveEnv and the typed errors", () => {
    const r = compileConsumer(`
import { resolveEnv, getSecret, ConfigError, AuthError, NotFoundError, UnavailableError, UsageError, EnvjectError, ExitCode, Logger, type ResolveEnvOptions, type GetSecretOptions } from "envject";
const options: ResolveEnvOptions = {
  config: "envject.yaml",
  envFiles: [".env", ".env.local"],
  vaultAddr: "https://vault.example.com:8200",
  environ: { VAULT_ROLE_ID: "r", VAULT_SECRET_ID: undefined },
  startTimeout: "10s",
  logger: new Logger("warn", "json"),
};
const env: Record<string, string> = await resolveEnv(options);
const one: GetSecretOptions = { startTimeout: 5000 };
const value: string = await getSecret("vault://secret/myapp/db#password", one);
function exitCodeOf(error: unknown): number {
  if (error instanceof ConfigError || error instanceof AuthError || error instanceof NotFoundError || error instanceof UnavailableError || error instanceof UsageError) return error.exitCode;
  return error instanceof EnvjectError ? error.exitCode : ExitCode.internal;
}
void env; void value; void exitCodeOf;
`);
    assert.equal(r.status, 0, r.output);
  });

  it("still catch a mistake (the check is not vacuous)", () => {
    const r = compileConsumer(`import { getSecret } from "envject";\nconst n: number = await getSecret("vault://a#b", { startTimeout: true });\nvoid n;\n`);
    assert.notEqual(r.status, 0);
    assert.match(r.output, /TS2322|TS2769|TS2345/);
  });
});
