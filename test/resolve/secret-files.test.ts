import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { SecretFiles, secretFileBase } from "../../src/resolve/secret-files.js";

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
      assert.deepEqual(readdirSync(files.directory), ["CERT"]);
    } finally {
      files.remove();
      files.remove(); // idempotent
    }
  });

  it("falls back to XDG_RUNTIME_DIR, then the temporary directory", () => {
    const base = secretFileBase({ XDG_RUNTIME_DIR: "/nonexistent-runtime-dir" });
    assert.ok(base === "/dev/shm" || base.length > 0);
  });
});
