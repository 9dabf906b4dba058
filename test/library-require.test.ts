/**
 * `require("envject")` from CommonJS (README "Library"): the package is ESM only, and its
 * `require` condition answers with an error saying how to load it (`await import("envject")`)
 * instead of Node's bare ERR_PACKAGE_PATH_NOT_EXPORTED; `import("envject")` still loads the
 * library. Run in a child Node, from a project whose node_modules/envject is this checkout (built).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ROOT, tempDir } from "./support/cli.js";

let dir: { path: string; cleanup: () => void };

function node(script: string): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, ["-e", script], { cwd: dir.path, encoding: "utf8", env: { PATH: process.env.PATH ?? "" } });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

before(() => {
  dir = tempDir("envject-require-");
  mkdirSync(join(dir.path, "node_modules"));
  symlinkSync(ROOT, join(dir.path, "node_modules/envject"), "dir");
});
after(() => dir.cleanup());

describe('require("envject") from CommonJS', () => {
  it("throws an error saying envject is an ES module and to use import(), not ERR_PACKAGE_PATH_NOT_EXPORTED", () => {
    const r = node(`try { require("envject"); console.log("loaded"); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /ERR_PACKAGE_PATH_NOT_EXPORTED/);
    const error = JSON.parse(r.stdout) as { code: string; message: string };
    assert.equal(error.code, "ERR_REQUIRE_ESM");
    assert.match(error.message, /envject is an ES module/);
    assert.match(error.message, /await import\("envject"\)/);
  });

  it("uncaught, it ends the program with that message", () => {
    const r = node(`require("envject")`);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /envject is an ES module and cannot be loaded with require\(\)/);
    assert.doesNotMatch(r.stderr, /ERR_PACKAGE_PATH_NOT_EXPORTED/);
  });

  it('await import("envject") from CommonJS loads the library', () => {
    const r = node(`import("envject").then((m) => console.log(typeof m.resolveEnv, typeof m.getSecret, typeof m.ConfigError))`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), "function function function");
  });
});
