import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { SecretFiles, ownerRecord, removeStaleDirectories, secretFileBase } from "../../src/resolve/secret-files.js";

const HAS_PROC = existsSync("/proc/self/stat");

describe("secret files", () => {
  it("writes 0600 files in a private 0700 directory, on tmpfs when there is one", () => {
    const files = SecretFiles.create();
    try {
      const path = files.write("TLS_KEY_FILE", "-----BEGIN KEY-----\nabc\n");
      assert.equal(readFileSync(path, "utf8"), "-----BEGIN KEY-----\nabc\n");
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.equal(statSync(files.directory).mode & 0o777, 0o700);
      if (existsSync("/dev/shm")) assert.equal(dirname(files.directory), "/dev/shm");
    } finally {
      files.remove();
    }
    assert.equal(existsSync(files.directory), false);
  });

  it("replaces a file atomically, leaving no temporary file behind", () => {
    const files = SecretFiles.create();
    try {
      const first = files.write("CERT", "v1");
      const second = files.write("CERT", "v2");
      assert.equal(first, second);
      assert.equal(readFileSync(second, "utf8"), "v2");
      assert.deepEqual(
        readdirSync(files.directory).filter((n) => n !== ".owner"),
        ["CERT"],
      );
    } finally {
      files.remove();
      files.remove(); // idempotent
    }
  });

  it("falls back to XDG_RUNTIME_DIR, then the temporary directory", () => {
    const base = secretFileBase({ XDG_RUNTIME_DIR: "/nonexistent-runtime-dir" });
    assert.ok(base === "/dev/shm" || base.length > 0);
  });

  it("records its owner, so that a later envject can tell a leftover from a live directory", { skip: !HAS_PROC && "needs /proc" }, () => {
    const files = SecretFiles.create();
    try {
      const [pid, start, ns] = readFileSync(join(files.directory, ".owner"), "utf8").trim().split(" ");
      assert.equal(Number(pid), process.pid);
      assert.match(start!, /^\d+$/);
      assert.match(ns!, /^pid:\[\d+\]$/);
      assert.equal(statSync(join(files.directory, ".owner")).mode & 0o777, 0o600);
    } finally {
      files.remove();
    }
  });

  describe("leftovers of a killed envject", { skip: !HAS_PROC && "needs /proc" }, () => {
    function leftover(base: string, name: string, owner: string | undefined): string {
      const dir = join(base, name);
      mkdirSync(dir, { mode: 0o700 });
      writeFileSync(join(dir, "DB_PASSWORD"), "x");
      if (owner !== undefined) writeFileSync(join(dir, ".owner"), owner);
      return dir;
    }

    it("removes directories whose owner is gone or is another process with a reused pid, keeps the rest", () => {
      const base = mkdtempSync(join(tmpdir(), "envject-stale-test-"));
      try {
        const self = ownerRecord(process.pid)!;
        const [, start, ns] = self.trim().split(" ");
        const dead = spawnSync(process.execPath, ["-e", "console.log(process.pid)"], { encoding: "utf8" });
        const deadPid = dead.stdout.trim();
        const gone = leftover(base, "envject-gone", `${deadPid} ${start} ${ns}\n`);
        const reused = leftover(base, "envject-reused", `${process.pid} ${Number(start) + 1} ${ns}\n`);
        const live = leftover(base, "envject-live", self);
        const otherNamespace = leftover(base, "envject-otherns", `${deadPid} ${start} pid:[1]\n`);
        const noRecord = leftover(base, "envject-norecord", undefined);
        const notOurs = leftover(base, "something-else", `${deadPid} ${start} ${ns}\n`);
        const removed = removeStaleDirectories(base).sort();
        assert.deepEqual(removed, [gone, reused].sort());
        for (const dir of [gone, reused]) assert.equal(existsSync(dir), false, dir);
        for (const dir of [live, otherNamespace, noRecord, notOurs]) assert.equal(existsSync(dir), true, dir);
      } finally {
        rmSync(base, { recursive: true, force: true });
      }
    });

    it("a missing base directory removes nothing", () => {
      assert.deepEqual(removeStaleDirectories("/nonexistent-envject-base"), []);
    });
  });
});
