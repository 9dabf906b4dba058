/**
 * The package as users install it (issue 14): `npm pack` of the project as it ships (the bundle
 * plus the declarations `prepack` emits), installed from the tarball into an empty project, then
 * used the ways the README shows — the `envject` bin, `import { resolveEnv, getSecret }` from ESM,
 * the typed errors, TypeScript against the shipped declarations, and `require("envject")` from
 * CommonJS, which either works or says to use `import()`.
 * (How it is packed and installed: test/support/packed.ts.)
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ROOT, hermeticEnv, runProgram, tempDir } from "./support/cli.js";
import { installPacked } from "./support/packed.js";
import { SEED, type SeededVault, startSeededVault } from "./support/vault-fixture.js";

const TSC = join(ROOT, "node_modules/typescript/bin/tsc");

let dir: { path: string; cleanup: () => void };
let app: string;
let tarball: string;
let vault: SeededVault;

/** Runs `node args…` in the consumer project, with the Vault double's address and token (asynchronously: the double answers from this process). */
async function node(args: string[], extra: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const r = await runProgram(process.execPath, args, { cwd: app, env: hermeticEnv(app, { VAULT_ADDR: vault.url, VAULT_TOKEN: vault.rootToken, ...extra }), timeoutMs: 60_000 });
  return { status: r.code, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  vault = await startSeededVault();
  dir = tempDir("envject-packed-");
  ({ app, tarball } = installPacked(dir.path));
  writeFileSync(join(app, "envject.yaml"), "env:\n  DB_PASSWORD: vault://secret/myapp/db#password\n  LEGACY: vault://kv/legacy#token\n");
});
after(async () => {
  dir?.cleanup();
  await vault?.close();
});

describe("the packed package", () => {
  it("ships the bundle, the bin, the declarations and the README, and no sources or tests", () => {
    const listed = spawnSync("tar", ["-tzf", tarball], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
    for (const f of [
      "package/package.json",
      "package/bin/envject.cjs",
      "package/dist/envject.cjs",
      `package/dist/envject.cjs.v8-${process.versions.v8}.cache`,
      "package/dist/index.js",
      "package/dist/index.d.ts",
      "package/README.md",
    ]) {
      assert.ok(listed.includes(f), `${f} is in the tarball`);
    }
    assert.deepEqual(
      listed.filter((f) => /^package\/(src|test|bench|scripts)\//.test(f) || (f.endsWith(".ts") && !f.endsWith(".d.ts"))),
      [],
      "no sources, tests or scripts",
    );
  });

  it("its bin runs a command with the secrets, as installed", async () => {
    const version = await node([join(app, "node_modules/.bin/envject"), "--version"]);
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout.trim(), (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version);
    const run = await node([join(app, "node_modules/.bin/envject"), "--", process.execPath, "-e", "process.stdout.write(process.env.DB_PASSWORD)"]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, SEED.db.password);
  });

  it("imports resolveEnv, getSecret and the typed errors from ESM", async () => {
    const script = `
      import { resolveEnv, getSecret, NotFoundError, ConfigError, ExitCode } from "envject";
      const env = await resolveEnv();
      const one = await getSecret("vault://kv/legacy#token");
      let missing;
      try { await getSecret("vault://secret/myapp/db#no_such_field"); } catch (e) { missing = { isNotFound: e instanceof NotFoundError, name: e.name, exitCode: e.exitCode }; }
      process.stdout.write(JSON.stringify({ env, one, missing, configError: typeof ConfigError, notFound: ExitCode.NotFound ?? null }));`;
    const r = await node(["--input-type=module", "-e", script]);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { env: Record<string, string>; one: string; missing: { isNotFound: boolean; name: string; exitCode: number }; configError: string };
    assert.deepEqual(out.env, { DB_PASSWORD: SEED.db.password, LEGACY: SEED.legacy.token });
    assert.equal(out.one, SEED.legacy.token);
    assert.deepEqual(out.missing, { isNotFound: true, name: "NotFoundError", exitCode: 78 });
    assert.equal(out.configError, "function");
  });

  it("type-checks a TypeScript consumer against the shipped declarations", () => {
    writeFileSync(
      join(app, "main.ts"),
      `import { resolveEnv, getSecret, ConfigError, type ResolveEnvOptions } from "envject";
const options: ResolveEnvOptions = { config: "envject.yaml", startTimeout: "5s" };
const env: Record<string, string> = await resolveEnv(options);
const value: string = await getSecret("vault://kv/legacy#token");
const code: number = new ConfigError("x").exitCode;
export { env, value, code };
`,
    );
    writeFileSync(
      join(app, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { target: "ES2022", module: "nodenext", moduleResolution: "nodenext", strict: true, noEmit: true, types: [], lib: ["ES2022"] }, files: ["main.ts"] }),
    );
    const ok = spawnSync(process.execPath, [TSC, "-p", "."], { cwd: app, encoding: "utf8" });
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    writeFileSync(join(app, "main.ts"), `import { getSecret } from "envject";\nconst n: number = await getSecret("vault://kv/legacy#token");\nexport { n };\n`);
    const bad = spawnSync(process.execPath, [TSC, "-p", "."], { cwd: app, encoding: "utf8" });
    assert.notEqual(bad.status, 0, "a wrong type is caught: the declarations are really used");
    assert.match(bad.stdout, /not assignable to type 'number'/);
  });

  it('require("envject") from CommonJS either works or says to use import()', async () => {
    const r = await node([
      "-e",
      'try { const m = require("envject"); process.stdout.write("works:" + typeof m.resolveEnv); } catch (e) { process.stdout.write("threw:" + e.code + ":" + e.message); }',
    ]);
    assert.equal(r.status, 0, r.stderr);
    if (r.stdout.startsWith("works:")) assert.equal(r.stdout, "works:function");
    else assert.match(r.stdout, /^threw:.*import\(/s, `a bare resolution error instead of a hint: ${r.stdout}`);
  });
});
