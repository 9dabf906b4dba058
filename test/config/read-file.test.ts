import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../../src/errors.js";
import { locatedConfigError } from "../support/assert.js";
import { CONFIG_FILE_LIMIT, decodeConfigText, readConfigText } from "../../src/config/read-file.js";

const dir = mkdtempSync(join(tmpdir(), "envject-read-file-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function readError(path: string): Promise<ConfigError> {
  return locatedConfigError(() => readConfigText(path, "mapping file"), path);
}

function decodeError(bytes: Buffer): ConfigError {
  try {
    decodeConfigText(bytes, "f.yaml", "mapping file");
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error;
  }
  assert.fail("expected a ConfigError");
}

describe("reading a configuration file", () => {
  it("refuses a file over the limit by its size, naming the file, the limit and the size", async () => {
    const path = file("huge.yaml", "env:\n  A: x\n");
    truncateSync(path, 50 * 1024 * 1024);
    const e = await readError(path);
    assert.match(e.message, /mapping file is larger than 8 MiB, the most envject reads \(it has 50 MiB\)/);
  });

  it("reads a file of exactly the limit", async () => {
    const path = file("limit.yaml", `# ${"x".repeat(CONFIG_FILE_LIMIT - 3)}\n`);
    assert.equal((await readConfigText(path, "mapping file"))?.length, CONFIG_FILE_LIMIT);
    truncateSync(path, CONFIG_FILE_LIMIT + 1);
    assert.match((await readError(path)).message, /larger than 8 MiB/);
  });

  it("bounds what it reads when the size is not known in advance (a pipe)", async () => {
    // /dev/zero has size 0 for stat and never ends: only the bound stops the read.
    const e = await readError("/dev/zero");
    assert.match(e.message, /larger than 8 MiB/);
    assert.doesNotMatch(e.message, /it has/);
  });

  it("a directory, a missing file, an optional missing file", async () => {
    assert.match((await readError(dir)).message, /mapping file is a directory/);
    assert.match((await readError(join(dir, "nope.yaml"))).message, /mapping file does not exist/);
    assert.equal(await readConfigText(join(dir, "nope.yaml"), "mapping file", true), undefined);
  });
});

describe("decoding a configuration file", () => {
  it("is UTF-8 without the byte-order mark", () => {
    assert.equal(decodeConfigText(Buffer.from("\uFEFFenv:\n  A: café ✓\n"), "f.yaml", "mapping file"), "env:\n  A: café ✓\n");
  });

  it("invalid UTF-8 is an error at the line of the first bad byte, not U+FFFD", () => {
    const bytes = Buffer.concat([Buffer.from("env:\n  A: ok\n  B: caf"), Buffer.from([0xe9]), Buffer.from("\n  C: \xff\n", "latin1")]);
    const e = decodeError(bytes);
    assert.deepEqual(e.location, { file: "f.yaml", line: 3 });
    assert.match(e.message, /^f\.yaml:3: mapping file is not UTF-8 text \(byte 22 is not valid UTF-8\)/);
  });

  it("finds the bad byte whatever kind of invalid UTF-8 it is", () => {
    const cases: Array<[string, number[]]> = [
      ["a lone continuation byte", [0x80]],
      ["an overlong encoding", [0xc0, 0xaf]],
      ["a UTF-16 surrogate", [0xed, 0xa0, 0x80]],
      ["a code point above U+10FFFF", [0xf4, 0x90, 0x80, 0x80]],
      ["a character cut off by the next one", [0xe2, 0x82, 0x41]],
    ];
    for (const [what, bad] of cases) {
      // "C=é" is 4 bytes: the bad one is byte 13.
      const e = decodeError(Buffer.concat([Buffer.from("A=1\nB=2\nC=é"), Buffer.from(bad), Buffer.from("\nD=4\n")]));
      assert.equal(e.location?.line, 3, what);
      assert.match(e.message, /\(byte 13 /, what);
    }
  });

  it("a character cut off by the end of the file is at the last line", () => {
    const e = decodeError(Buffer.concat([Buffer.from("A=1\nB=x"), Buffer.from([0xe2, 0x82])]));
    assert.equal(e.location?.line, 2);
    assert.match(e.message, /byte 8 /);
  });

  it("a NUL byte is an error at its line: binary files and UTF-16 are not configuration", () => {
    const e = decodeError(Buffer.from("A=1\nB=x\0y\n"));
    assert.deepEqual(e.location, { file: "f.yaml", line: 2 });
    assert.match(e.message, /NUL byte/);
    const utf16 = decodeError(Buffer.from("\uFEFFA=1\n", "utf16le"));
    assert.equal(utf16.location?.line, 1);
    assert.match(utf16.message, /UTF-16/);
  });
});

describe("reading a file that is not a regular file", () => {
  it("a named pipe is read as its writer sends, without blocking envject's event loop meanwhile", async () => {
    const fifo = join(dir, "mapping.fifo");
    execFileSync("mkfifo", [fifo]);
    // A synchronous open would wait for a writer inside the call, and this writer (below) would never come.
    const reading = readConfigText(fifo, "mapping file");
    await new Promise<void>((done) => setImmediate(done));
    writeFileSync(fifo, "env:\n  A: from-a-pipe\n");
    assert.equal(await reading, "env:\n  A: from-a-pipe\n");
  });
});
