/**
 * bin/envject.cjs, the loader of the one-file CLI (scripts/build.mjs): the build's V8 code cache is
 * one this Node accepts (otherwise every start compiles the bundle again), and without a fitting
 * cache the bundle still runs, compiled from source.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Script } from "node:vm";
import { BIN, ROOT, hermeticEnv, tempDir } from "../support/cli.js";

const bin = createRequire(import.meta.url)(BIN) as { cacheFile: string; compile: (cachedData?: Buffer) => Script };

describe("bin/envject.cjs", () => {
  it("finds the build's code cache for this Node's V8, and V8 accepts it", () => {
    assert.equal(bin.cacheFile, join(ROOT, "dist", `envject.cjs.v8-${process.versions.v8}.cache`));
    const script = bin.compile(readFileSync(bin.cacheFile));
    assert.equal(script.cachedDataRejected, false, "the cache fits the bundle and this V8");
  });

  const { path: dir, cleanup } = tempDir("envject-bin-");
  after(cleanup);
  /** A copy of the package's bin and bundle, without the cache, or with `cache` as this V8's. */
  function install(name: string, cache?: Buffer): string {
    const root = join(dir, name);
    mkdirSync(join(root, "bin"), { recursive: true });
    mkdirSync(join(root, "dist"), { recursive: true });
    copyFileSync(BIN, join(root, "bin/envject.cjs"));
    copyFileSync(join(ROOT, "dist/envject.cjs"), join(root, "dist/envject.cjs"));
    if (cache) writeFileSync(join(root, "dist", `envject.cjs.v8-${process.versions.v8}.cache`), cache);
    writeFileSync(join(root, "envject.yaml"), "env:\n  GREETING: hello-from-the-bundle\n");
    return root;
  }
  function runs(root: string): void {
    const r = spawnSync(process.execPath, [join(root, "bin/envject.cjs"), "--no-watch", "-c", join(root, "envject.yaml"), "--", process.execPath, "-e", "process.stdout.write(process.env.GREETING)"], {
      env: hermeticEnv(dir),
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "hello-from-the-bundle");
  }

  it("without a cache for this V8, compiles the bundle from source and runs the command", () => {
    runs(install("no-cache"));
  });

  it("with a stale cache (of another build of the bundle), which V8 refuses, still runs the command", () => {
    const stale = new Script("(function () {\n'another build'\n})").createCachedData();
    assert.equal(bin.compile(stale).cachedDataRejected, true, "V8 refuses a cache of other source");
    runs(install("stale-cache", stale));
  });
});
