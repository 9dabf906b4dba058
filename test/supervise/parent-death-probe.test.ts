/**
 * How envject learns whether `setpriv` supports --pdeathsig: from the option name in the program
 * file when it is there (no process started at every envject start), else by asking --help.
 */
import assert from "node:assert/strict";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { findSetpriv } from "../../src/supervise/parent-death.js";
import { tempDir } from "../support/cli.js";

const dirs: Array<() => void> = [];
after(() => dirs.forEach((cleanup) => cleanup()));

/** A fake `setpriv` in a folder of its own that records each time it is run; `tail` is appended after its exit line. */
function fakeSetpriv(script: string, tail = ""): { env: NodeJS.ProcessEnv; path: string; ran: () => boolean } {
  const { path: dir, cleanup } = tempDir("envject-setpriv-");
  dirs.push(cleanup);
  const marker = join(dir, "ran");
  const path = join(dir, "setpriv");
  writeFileSync(path, `#!/bin/sh\n: > '${marker}'\n${script}\nexit 0\n${tail}`);
  chmodSync(path, 0o755);
  return { env: { PATH: dir }, path, ran: () => existsSync(marker) };
}

describe("finding a setpriv with --pdeathsig", { skip: process.platform !== "linux" ? "Linux only" : false }, () => {
  it("a program that holds the option's name is used without being run", () => {
    const fake = fakeSetpriv("echo 'no options here'", "# \0pdeathsig\0\n");
    assert.equal(findSetpriv(fake.env), fake.path);
    assert.equal(fake.ran(), false, "setpriv was run, although its file names --pdeathsig");
  });

  it("one that does not is asked with --help, and used only if its help names --pdeathsig", () => {
    const supports = fakeSetpriv("echo ' --pdeathsig keep|clear|<signame>'");
    assert.equal(findSetpriv(supports.env), supports.path);
    assert.equal(supports.ran(), true);
    const old = fakeSetpriv("echo ' --reuid <uid>'");
    assert.equal(findSetpriv(old.env), undefined);
    assert.equal(old.ran(), true);
  });

  it("the system's setpriv, where there is one, is found by its file alone", { skip: existsSync("/usr/bin/setpriv") ? false : "no /usr/bin/setpriv (apt-get install -y util-linux)" }, () => {
    assert.equal(findSetpriv({ PATH: "/usr/bin" }), "/usr/bin/setpriv");
  });
});
