/**
 * Bad input through the real CLI (docs/RELIABILITY.md, "Bad input"): each hostile or broken
 * mapping or .env file ends envject with 65 and one line naming the file (and the line, where
 * there is one), before any command starts; never 70, never a stack trace. The files that are
 * fine however odd (CRLF, empty) work.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, beforeEach, describe, it } from "node:test";
import type { CliResult } from "../support/cli.js";
import { NODE, Workspace, assertNoStackTrace, childJson, errorLines, printEnv } from "../cli/e2e.js";

const ws = new Workspace();
const marker = join(ws.dir, "child-started");
after(() => ws.cleanup());
beforeEach(() => rmSync(marker, { force: true }));

/** A child that leaves a file behind, so a test can tell that it never ran. */
const markerChild = [NODE, "-e", `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "ran")`];

function write(name: string, content: string | Buffer): string {
  const path = join(ws.dir, name);
  writeFileSync(path, content);
  return path;
}

/** `flag FILE` run both ways a user meets it: `check` and `-- command`. */
async function runBoth(flag: "-c" | "-e", file: string): Promise<CliResult[]> {
  return Promise.all([ws.run(["check", flag, file]), ws.run([flag, file, "--", ...markerChild])]);
}

/** Exit 65 with one first error line matching every pattern; the command never ran; no trace. */
function assertRefused(results: CliResult[], ...patterns: RegExp[]): void {
  for (const result of results) {
    assert.equal(result.code, 65, result.stderr);
    assertNoStackTrace(result.stderr);
    const first = errorLines(result.stderr)[0] ?? "";
    for (const p of patterns) assert.match(first, p, result.stderr);
  }
  assert.equal(existsSync(marker), false, "the command was not started");
}

describe("a hostile or broken mapping file is refused with 65, the file and the line", () => {
  it("a YAML alias bomb (billion laughs)", async () => {
    const lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
    for (let i = 1; i <= 9; i++)
      lines.push(
        `a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(", ")}]`,
      );
    const file = write("bomb.yaml", `${lines.join("\n")}\nenv:\n  A: x\n`);
    assertRefused(await runBoth("-c", file), /bomb\.yaml:3:\d+/, /aliases expand too far/, /alias bomb/);
  });

  it("a 50 MB file with one value, refused by its size before it is read", async () => {
    const file = write("huge.yaml", "env:\n  A: ");
    truncateSync(file, 50 * 1024 * 1024); // sparse: the rest reads as NUL bytes
    assertRefused(await runBoth("-c", file), /huge\.yaml: mapping file is larger than 8 MiB/, /50 MiB/);
  });

  it("10,000 levels of nesting, in YAML and in JSON", async () => {
    const yaml = write("deep.yaml", `env:\n  A:\n    ${"- ".repeat(10_000)}x\n`);
    assertRefused(await runBoth("-c", yaml), /deep\.yaml:3:\d+/, /nesting deeper than 64 levels/);
    const json = write("deep.json", `{"env": {"A":\n${"[".repeat(10_000)}${"]".repeat(10_000)}}}`);
    assertRefused(await runBoth("-c", json), /deep\.json:2:\d+/, /nesting deeper than 64 levels/);
  });

  it("a NUL byte, in a value or in a comment", async () => {
    const value = write("nul-value.yaml", 'env:\n  A: ok\n  B: "x\0y"\n');
    assertRefused(await runBoth("-c", value), /nul-value\.yaml:3: mapping file contains a NUL byte/);
    const comment = write("nul-comment.yaml", "# a comment \0\nenv:\n  A: x\n");
    assertRefused(await runBoth("-c", comment), /nul-comment\.yaml:1: mapping file contains a NUL byte/);
  });

  it("invalid UTF-8 in a value", async () => {
    const file = write("latin1.yaml", Buffer.concat([Buffer.from("env:\n  A: ok\n  B: caf"), Buffer.from([0xe9]), Buffer.from("\n")]));
    assertRefused(await runBoth("-c", file), /latin1\.yaml:3: mapping file is not UTF-8 text/);
  });

  it("a directory", async () => {
    const dir = join(ws.dir, "conf.d");
    mkdirSync(dir, { recursive: true });
    assertRefused(await runBoth("-c", dir), /conf\.d: mapping file is a directory/);
  });

  it("variable names with a space or an =", async () => {
    const space = write("space.yaml", 'env:\n  OK: x\n  "A B": y\n');
    assertRefused(await runBoth("-c", space), /space\.yaml:3:3 \(env\.A B\): invalid variable name/);
    const equals = write("equals.yaml", "env:\n  OK: x\n  A=B: y\n");
    assertRefused(await runBoth("-c", equals), /equals\.yaml:3:3 \(env\.A=B\): invalid variable name/);
  });
});

describe("a hostile or broken .env file is refused with 65, the file and the line", () => {
  it("a 50 MB file, refused by its size", async () => {
    const file = write("huge.env", "A=");
    truncateSync(file, 50 * 1024 * 1024);
    assertRefused(await runBoth("-e", file), /huge\.env: env file is larger than 8 MiB/);
  });

  it("a NUL byte and invalid UTF-8", async () => {
    assertRefused(await runBoth("-e", write("nul.env", "A=1\n# note\0\nB=2\n")), /nul\.env:2: env file contains a NUL byte/);
    const latin1 = write("latin1.env", Buffer.concat([Buffer.from("A=1\nB=caf"), Buffer.from([0xe9]), Buffer.from("\n")]));
    assertRefused(await runBoth("-e", latin1), /latin1\.env:2: env file is not UTF-8 text/);
  });

  it("a UTF-16 file (what some Windows editors save) is named as such", async () => {
    const file = write("utf16.env", Buffer.from("\uFEFFA=1\r\n", "utf16le"));
    assertRefused(await runBoth("-e", file), /utf16\.env:1: env file contains a NUL byte.*UTF-16/);
  });

  it("a directory", async () => {
    const dir = join(ws.dir, "env.d");
    mkdirSync(dir, { recursive: true });
    assertRefused(await runBoth("-e", dir), /env\.d: env file is a directory/);
  });

  it("variable names with a space or an =, named with their line", async () => {
    assertRefused(await runBoth("-e", write("space.env", "OK=1\nA B=1\n")), /space\.env:2 \(A B\): invalid variable name/);
    assertRefused(await runBoth("-e", write("equals.env", 'OK=1\n"A=B"=1\n')), /equals\.env:2 \("A=B"\): invalid variable name/);
  });
});

describe("odd but valid files work", () => {
  it("a CRLF .env file gives values without a trailing \\r", async () => {
    const file = write("crlf.env", "A=plain\r\nB=\"quoted\"\r\nC='single'\r\n# comment\r\nD=last\r\n");
    assert.deepEqual(childJson(await ws.run(["-e", file, "--", ...printEnv("A", "B", "C", "D")])), { A: "plain", B: "quoted", C: "single", D: "last" });
  });

  it("a CRLF mapping file works the same", async () => {
    const file = write("crlf.yaml", 'env:\r\n  A: plain\r\n  B: "quoted"\r\n');
    assert.deepEqual(childJson(await ws.run(["-c", file, "--", ...printEnv("A", "B")])), { A: "plain", B: "quoted" });
  });

  // README, "The mapping file": files that define no variables give a warning, and the command
  // runs without secrets.
  it("an empty mapping file or .env file defines no variables: a warning, and the command runs", async () => {
    for (const [flag, name] of [
      ["-c", "empty.yaml"],
      ["-e", "empty.env"],
    ] as const) {
      rmSync(marker, { force: true });
      const file = write(name, "");
      const run = await ws.run([flag, file, "--", ...markerChild]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /WARN .*defines no variables/);
      assert.equal(existsSync(marker), true, "the command ran");
      const check = await ws.run(["check", flag, file]);
      assert.equal(check.code, 0, check.stderr);
      assertNoStackTrace(run.stderr + check.stderr);
    }
  });
});
