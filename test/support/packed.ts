/**
 * The package as users install it: the files `package.json` ships are copied to a staging folder
 * (the repository is not touched), the declarations `prepack` would emit are emitted there,
 * `npm pack --ignore-scripts` packs it, and the tarball is installed into an empty project.
 * Installing takes the dependencies from npm's cache (`npm ci` filled it) or the registry.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./cli.js";

const NPM_CLI = join(process.execPath, "../../lib/node_modules/npm/bin/npm-cli.js");
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");

function npm(args: string[], cwd: string): { status: number | null; output: string } {
  const [file, ...pre] = existsSync(NPM_CLI) ? [process.execPath, NPM_CLI] : ["npm"];
  const r = spawnSync(file, [...pre, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" },
    timeout: 240_000,
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}${r.error ? String(r.error) : ""}` };
}

/** Packs the project as it ships into `dir`; returns the tarball's path. */
export function pack(dir: string): string {
  const stage = join(dir, "stage");
  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { files: string[] };
  mkdirSync(stage);
  cpSync(join(ROOT, "package.json"), join(stage, "package.json"));
  for (const entry of manifest.files) {
    const from = join(ROOT, entry);
    if (existsSync(from)) cpSync(from, join(stage, entry), { recursive: true });
  }
  const types = spawnSync(process.execPath, [TSC, "-p", join(ROOT, "tsconfig.build.json"), "--outDir", join(stage, "dist")], { cwd: ROOT, encoding: "utf8" });
  assert.equal(types.status, 0, types.stdout + types.stderr);
  const packed = npm(["pack", "--ignore-scripts", "--pack-destination", dir], stage);
  assert.equal(packed.status, 0, packed.output);
  return join(
    dir,
    readdirSync(dir).find((f) => f.endsWith(".tgz"))!,
  );
}

/** Packs the project into `dir` and installs the tarball into `dir/app` (a `type: module` project); returns both paths. */
export function installPacked(dir: string): { app: string; tarball: string } {
  const tarball = pack(dir);
  const app = join(dir, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true, type: "module" }));
  const installed = npm(["install", "--prefer-offline", "--ignore-scripts", "--no-package-lock", tarball], app);
  assert.equal(installed.status, 0, installed.output);
  return { app, tarball };
}

/** Packs the project into `dir` and installs it globally into the prefix `dir/prefix`, as the example Dockerfile does; returns the bin's path. */
export function installPackedGlobally(dir: string): string {
  const tarball = pack(dir);
  const prefix = join(dir, "prefix");
  const installed = npm(["install", "--global", "--prefix", prefix, "--omit=dev", "--prefer-offline", "--ignore-scripts", tarball], dir);
  assert.equal(installed.status, 0, installed.output);
  return join(prefix, "bin/envject");
}
