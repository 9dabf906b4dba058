import assert from "node:assert/strict";
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { SpawnError } from "../../src/errors.js";
import { commandLine, findExecutable, spawnErrorFrom } from "../../src/supervise/command.js";
import { tempDir } from "./fixtures/processes.js";

const dir = tempDir();
after(() => rmSync(dir, { recursive: true, force: true }));

function file(path: string, mode: number): string {
  const full = join(dir, path);
  mkdirSync(join(full, ".."), { recursive: true });
  writeFileSync(full, "#!/bin/sh\nexit 0\n");
  chmodSync(full, mode);
  return full;
}

function spawnError(fn: () => unknown): SpawnError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SpawnError, `expected SpawnError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected a SpawnError");
}

describe("findExecutable", () => {
  const tool = file("bin/tool", 0o755);
  file("first/tool", 0o644);
  file("first/plain", 0o644);
  mkdirSync(join(dir, "first/adir"), { recursive: true });
  mkdirSync(join(dir, "bin/adir"), { recursive: true });

  it("searches the child's PATH, not envject's", () => {
    assert.equal(findExecutable("tool", { PATH: join(dir, "bin") }), tool);
    assert.equal(spawnError(() => findExecutable("tool", { PATH: "/nonexistent-envject" })).exitCode, 127);
  });

  it("skips a non-executable match and keeps searching, like execvp", () => {
    assert.equal(findExecutable("tool", { PATH: `${join(dir, "first")}:${join(dir, "bin")}` }), tool);
  });

  it("reports 127 with 'command not found' when nothing matches", () => {
    const error = spawnError(() => findExecutable("envject-no-such-tool", { PATH: join(dir, "bin") }));
    assert.equal(error.exitCode, 127);
    assert.equal(error.message, "command not found: envject-no-such-tool");
  });

  it("reports 126 when only a non-executable file or a directory matches", () => {
    const plain = spawnError(() => findExecutable("plain", { PATH: join(dir, "first") }));
    assert.equal(plain.exitCode, 126);
    assert.match(plain.message, /^command not executable: plain \(permission denied\)$/);
    const directory = spawnError(() => findExecutable("adir", { PATH: `${join(dir, "first")}:${join(dir, "bin")}` }));
    assert.equal(directory.exitCode, 126);
    assert.match(directory.message, /is a directory/);
  });

  it("checks a command containing a slash directly, relative to cwd, ignoring PATH", () => {
    assert.equal(findExecutable("./bin/tool", { PATH: "" }, dir), tool);
    assert.equal(findExecutable(tool, {}), tool);
    assert.equal(spawnError(() => findExecutable("./bin/missing", {}, dir)).exitCode, 127);
    assert.equal(spawnError(() => findExecutable("./first/plain", {}, dir)).exitCode, 126);
    assert.equal(spawnError(() => findExecutable("./bin/adir", {}, dir)).exitCode, 126);
    assert.equal(spawnError(() => findExecutable("./first/plain/x", {}, dir)).exitCode, 127);
  });

  it("treats an empty PATH entry as the current directory", () => {
    assert.equal(findExecutable("tool", { PATH: ":/nonexistent-envject" }, join(dir, "bin")), tool);
  });

  it("reports an empty command as not found", () => {
    assert.equal(spawnError(() => findExecutable("", { PATH: join(dir, "bin") })).exitCode, 127);
  });
});

describe("commandLine", () => {
  it("passes the command and arguments through untouched without a shell", () => {
    const args = ["a b", "$HOME", "'quoted'", "", "*"];
    assert.deepEqual(commandLine({ command: "prog", args, shell: false }, { SHELL: "/bin/bash" }), { file: "prog", args });
  });

  it("runs the joined words through $SHELL -c with --shell", () => {
    assert.deepEqual(commandLine({ command: "echo $A", args: ["&&", "exit 3"], shell: true }, { SHELL: "/bin/bash" }), {
      file: "/bin/bash",
      args: ["-c", "echo $A && exit 3"],
    });
  });

  it("falls back to /bin/sh when $SHELL is unset or empty", () => {
    assert.equal(commandLine({ command: "true", args: [], shell: true }, {}).file, "/bin/sh");
    assert.equal(commandLine({ command: "true", args: [], shell: true }, { SHELL: "" }).file, "/bin/sh");
  });
});

describe("spawnErrorFrom", () => {
  it("maps ENOENT to 127 and EACCES to 126", () => {
    assert.equal(spawnErrorFrom({ code: "ENOENT" }, "x").exitCode, 127);
    assert.equal(spawnErrorFrom({ code: "EACCES" }, "x").exitCode, 126);
    assert.equal(spawnErrorFrom({ code: "ENOEXEC" }, "x").exitCode, 126);
  });
});
