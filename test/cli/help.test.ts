/**
 * `envject --help`, `--version` and `completion` (docs/contract/command-line.md#commands; README "Usage"): printed on
 * stdout, exit 0, nothing contacted.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BIN, ROOT, hermeticEnv, runCli, runProgram, tempDir } from "../support/cli.js";

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
      for (const option of [
        "--config",
        "--vault-addr",
        "--env-file",
        "--pristine",
        "--watch",
        "--interval",
        "--splay",
        "--on-change",
        "--kill-signal",
        "--kill-timeout",
        "--restart-on-failure",
        "--start-timeout",
        "--mask",
        "--shell",
        "--pass-credentials",
        "--log-level",
        "--log-format",
      ]) {
        assert.ok(r.stdout.includes(option), `help lists ${option}`);
      }
      assert.match(r.stdout, /Examples:/);
      assert.match(r.stdout, /envject -- node server\.js/);
      for (const code of ["64", "65", "69", "75", "77", "78", "126", "127"]) assert.ok(r.stdout.includes(code), `help names exit code ${code}`);
      assert.match(r.stdout, /Watching and restarts:/, "help groups the watch options");
      assert.doesNotMatch(r.stdout, /not active in this release/, "watching is active: help no longer says otherwise");
    });
  }

  it("--help shows examples of the five most common tasks", async () => {
    const r = await runCli(["--help"]);
    assert.equal(r.code, 0, r.stderr);
    const examples = r.stdout.slice(r.stdout.indexOf("Examples:"), r.stdout.indexOf("References"));
    const tasks: Array<[string, RegExp]> = [
      ["run with a mapping", /^ {2}envject -- node server\.js +run with the variables of the mapping file/m],
      ["run with a .env file", /^ {2}envject -e \.env -- npm start +a \.env file/m],
      ["check in CI", /^ {2}envject check --format json\b.* +in CI:/m],
      ["export for a shell", /^ {2}eval "\$\(envject export --format shell\)" +load the variables/m],
      ["watch and restart on rotation", /^ {2}envject --watch --interval 1m -- node server\.js +watch: restart the program when a secret rotates/m],
    ];
    for (const [task, example] of tasks) assert.match(examples, example, task);
  });

  it("help after a command name shows that command's options", async () => {
    const r = await runCli(["export", "--help"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /--format/);
  });
});

describe("envject completion", () => {
  /** Runs bash with `envject` on PATH (the bundled CLI), sourcing the script and completing `line`. */
  async function completeInBash(script: string, words: string[]): Promise<string[]> {
    const ws = tempDir("envject-completion-");
    try {
      writeFileSync(join(ws.path, "envject"), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
      writeFileSync(join(ws.path, "completion.bash"), script);
      const driver = [
        "source ./completion.bash",
        `COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")})`,
        "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))",
        "_envject_yargs_completions",
        'printf "%s\\n" "${COMPREPLY[@]}"',
      ].join("\n");
      const r = await runProgram("bash", ["-c", driver], { cwd: ws.path, env: hermeticEnv(ws.path, { PATH: `${ws.path}:${process.env.PATH}` }) });
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.split("\n").filter(Boolean);
    } finally {
      ws.cleanup();
    }
  }

  it("prints a bash script that completes commands, options and option values", async () => {
    const r = await runCli(["completion"], { env: hermeticEnv(ROOT, { SHELL: "/bin/bash" }) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    assert.match(r.stdout, /^complete .*-F _envject_yargs_completions envject$/m);
    const syntax = await runProgram("bash", ["-n"], { input: r.stdout });
    assert.equal(syntax.code, 0, `bash -n: ${syntax.stderr}`);
    assert.deepEqual(await completeInBash(r.stdout, ["envject", "ch"]), ["check"]);
    assert.deepEqual(await completeInBash(r.stdout, ["envject", "ex"]), ["export"]);
    assert.deepEqual((await completeInBash(r.stdout, ["envject", "check", "--format", ""])).sort(), ["json", "table"]);
    assert.ok((await completeInBash(r.stdout, ["envject", "run", "--on-"])).includes("--on-change"));
  });

  it("prints a zsh script under zsh", async () => {
    const r = await runCli(["completion"], { env: hermeticEnv(ROOT, { SHELL: "/usr/bin/zsh" }) });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^#compdef envject$/m);
    assert.match(r.stdout, /compdef _envject_yargs_completions envject/);
  });
});
