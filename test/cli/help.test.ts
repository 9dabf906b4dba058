/** `envject --help` and `--version` (PRODUCT.md §1): printed on stdout, exit 0, nothing contacted. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT, runCli } from "../support/cli.js";

const version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

describe("--help and --version", () => {
  for (const flag of ["--version", "-V"]) {
    it(`${flag} prints the package version and exits 0`, async () => {
      const r = await runCli([flag]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), version);
      assert.equal(r.stderr, "");
    });
  }

  for (const flag of ["--help", "-h"]) {
    it(`${flag} prints usage, every option, examples and the exit codes, and exits 0`, async () => {
      const r = await runCli([flag]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Usage: envject \[run\] \[options\] -- <command> \[args\.\.\.\]/);
      for (const option of ["--config", "--vault-addr", "--env-file", "--pristine", "--watch", "--interval", "--splay", "--on-change", "--kill-signal", "--kill-timeout", "--restart-on-failure", "--start-timeout", "--mask", "--shell", "--pass-credentials", "--log-level", "--log-format"]) {
        assert.ok(r.stdout.includes(option), `help lists ${option}`);
      }
      assert.match(r.stdout, /Examples:/);
      assert.match(r.stdout, /envject -- node server\.js/);
      for (const code of ["64", "65", "69", "75", "77", "78", "126", "127"]) assert.ok(r.stdout.includes(code), `help names exit code ${code}`);
      assert.match(r.stdout, /Watching and restarts:/, "help groups the watch options");
      assert.doesNotMatch(r.stdout, /not active in this release/, "watching is active: help no longer says otherwise");
    });
  }

  it("help after a command name shows that command's options", async () => {
    const r = await runCli(["export", "--help"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /--format/);
  });
});
