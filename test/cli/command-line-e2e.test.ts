/**
 * The command line as people type it, through the bundled CLI (README "Command-line rules"):
 * booleans never silently false, reserved command words, one value per option, nothing silently
 * empty, help that matches the command. Each case here failed before these rules existed.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, it } from "node:test";
import { ROOT } from "../support/cli.js";
import { SEED, type SeededVault, leakedSecrets } from "../support/vault-fixture.js";
import { NODE, type Workspace, assertNoStackTrace, childJson, errorLines, printEnv, seededWorkspace } from "./e2e.js";

const MAPPING = "env:\n  DB_PASSWORD: vault://secret/myapp/db#password\n";
const suite = seededWorkspace();
let vault: SeededVault;
let ws: Workspace;
let marker: string;

beforeEach(async () => {
  ({ vault, ws } = suite);
  marker = join(ws.dir, "child-started");
  rmSync(marker, { force: true });
  ws.file("envject.yaml", MAPPING);
  await vault.control.clearRequests();
});

/** A child that leaves a file behind, so a test can tell whether it ran. */
function markerChild(): string[] {
  return [NODE, "-e", `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "ran")`];
}

/** One usage error (64), in one line, that matches `pattern`; the child never ran. */
function assertUsage(result: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(result.code, 64, result.stderr);
  assert.equal(errorLines(result.stderr).length, 1, result.stderr);
  assert.match(errorLines(result.stderr)[0]!, pattern);
  assert.equal(existsSync(marker), false, "the child did not run");
  assertNoStackTrace(result.stderr);
}

describe("booleans are never silently false", () => {
  const masked: Array<[string, string[], Record<string, string>]> = [
    ["--mask=1", ["--mask=1"], {}],
    ["--mask=yes", ["--mask=yes"], {}],
    ["--mask=on", ["--mask=on"], {}],
    ["--mask=TRUE", ["--mask=TRUE"], {}],
    ["ENVJECT_MASK=1", [], { ENVJECT_MASK: "1" }],
    ["ENVJECT_MASK=yes", [], { ENVJECT_MASK: "yes" }],
  ];
  for (const [what, flags, extra] of masked) {
    it(`${what} masks the secret in the child's output`, async () => {
      const r = await ws.run([...flags, "--", ...printEnv("DB_PASSWORD")], extra);
      assert.deepEqual(childJson(r), { DB_PASSWORD: "*****" });
      assert.deepEqual(leakedSecrets(r.stdout + r.stderr), []);
    });
  }

  it("--mask=0, --mask=off and --no-mask leave the output as it is", async () => {
    for (const flag of ["--mask=0", "--mask=off", "--no-mask"]) {
      const r = await ws.run([flag, "--", ...printEnv("DB_PASSWORD")]);
      assert.deepEqual(childJson(r), { DB_PASSWORD: SEED.db.password }, flag);
    }
  });

  it("--pristine=yes gives the child only the mapped variables", async () => {
    const r = await ws.run(["--pristine=yes", "--", ...printEnv("DB_PASSWORD", "FROM_PARENT")], { FROM_PARENT: "inherited" });
    assert.deepEqual(childJson(r), { DB_PASSWORD: SEED.db.password, FROM_PARENT: null });
  });

  it("--watch=maybe, ENVJECT_MASK=maybe and --mask=<a pasted secret> are 64, naming the option and not the value", async () => {
    assertUsage(await ws.run(["--watch=maybe", "--", ...markerChild()]), /--watch takes true\/false, 1\/0, yes\/no or on\/off \(any case\), got a 5-letter word/);
    assertUsage(await ws.run(["--", ...markerChild()], { ENVJECT_MASK: "maybe" }), /ENVJECT_MASK takes true\/false/);
    const pasted = await ws.run([`--mask=${SEED.db.password}`, "--", ...markerChild()]);
    assertUsage(pasted, /--mask takes .* got a 18-character value/);
    assert.deepEqual(leakedSecrets(pasted.stderr), []);
  });

  it("--mask true is refused instead of running the program `true`", async () => {
    assertUsage(await ws.run(["--mask", "true", "--", ...markerChild()]), /--mask takes no separate value: write --mask=true/);
  });
});

describe("reserved command words", () => {
  for (const word of ["init", "test", "login", "status", "show", "get", "list"]) {
    it(`envject ${word} is 64 and says how to run a program named ${word}`, async () => {
      assertUsage(await ws.run([word, "-f", "x"]), new RegExp(`unknown command ${word} .*write: envject -- ${word}`));
      assert.equal(await vault.control.requestCount(), 0, "nothing was read");
    });
  }

  it("envject -- test runs the program", async () => {
    const yes = await ws.run(["--", "test", "-n", "x"]);
    assert.equal(yes.code, 0, yes.stderr);
    const no = await ws.run(["--", "test", "-z", "x"]);
    assert.equal(no.code, 1, no.stderr);
  });

  it("envject chekc suggests check; envject node … still runs node", async () => {
    assertUsage(await ws.run(["chekc"]), /unknown command chekc; did you mean check\?/);
    const r = await ws.run(printEnv("DB_PASSWORD"));
    assert.deepEqual(childJson(r), { DB_PASSWORD: SEED.db.password });
  });

  it("envject help, envject help check and envject version print, exit 0 and start nothing", async () => {
    const help = await ws.run(["help"]);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /Usage: envject \[run\] \[options\] -- <command>/);
    assert.doesNotMatch(help.stderr, /starting command/);
    const helpCheck = await ws.run(["help", "check"]);
    assert.equal(helpCheck.code, 0, helpCheck.stderr);
    assert.match(helpCheck.stdout, /Usage: envject check \[options\]/);
    const version = await ws.run(["version"]);
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version);
  });

  it("envject completion prints a shell completion script that asks envject for completions", async () => {
    const r = await ws.run(["completion"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /envject --get-yargs-completions/);
    const words = await ws.run(["--get-yargs-completions", "envject", ""]);
    assert.equal(words.code, 0, words.stderr);
    for (const command of ["run", "check", "export"]) assert.ok(words.stdout.split("\n").includes(command), words.stdout);
  });
});

describe("options that take a value take one", () => {
  it("-e .env check reads the file and runs check", async () => {
    ws.file("extra.env", "FROM_ENV_FILE=vault://secret/myapp/single\n");
    const r = await ws.run(["-e", "extra.env", "check"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /FROM_ENV_FILE\s+vault:\/\/secret\/myapp\/single\s+\d+\s+ok/);
  });

  it("-e .env run -- … reads the file and runs the command", async () => {
    ws.file("extra.env", "FROM_ENV_FILE=vault://secret/myapp/single\n");
    const r = await ws.run(["-e", "extra.env", "run", "--", ...printEnv("FROM_ENV_FILE")]);
    assert.deepEqual(childJson(r), { FROM_ENV_FILE: SEED.single.value });
  });

  it("-e a -e b: one file per use, the later wins; options may follow the subcommand", async () => {
    ws.file("a.env", "X=from-a\nY=only-a\n");
    ws.file("b.env", "X=from-b\n");
    const r = await ws.run(["run", "-e", "a.env", "-e", "b.env", "--", ...printEnv("X", "Y")]);
    assert.deepEqual(childJson(r), { X: "from-b", Y: "only-a" });
  });

  it("--mask check is 64 naming the command that takes --mask", async () => {
    assertUsage(await ws.run(["--mask", "check"]), /--mask is an option of envject run; envject check does not take it/);
  });

  it("a forgotten value is 64, not the next option swallowed", async () => {
    assertUsage(await ws.run(["-c", "--mask", "--", ...markerChild()]), /-c needs a value \(it is followed by the option --mask/);
  });
});

describe("nothing is silently empty", () => {
  it("no mapping file, no -c, no -e: a warning names the file looked for and the flags", async () => {
    rmSync(join(ws.dir, "envject.yaml"));
    const r = await ws.run(["--", ...markerChild()]);
    assert.equal(r.code, 0, r.stderr);
    const warning = r.stderr.split("\n").find((l) => / WARN /.test(l)) ?? "";
    assert.ok(warning.includes(join(ws.dir, "envject.yaml")), r.stderr);
    assert.match(warning, /-c\/--config/);
    assert.match(warning, /-e\/--env-file/);
  });

  it("several unknown mapping keys are each reported with a suggestion", async () => {
    ws.file("envject.yaml", "enviroment:\n  A: x\nvault:\n  adress: http://127.0.0.1:1\nfile:\n  B: x\n");
    const r = await ws.run(["--", ...markerChild()]);
    assert.equal(r.code, 65, r.stderr);
    const lines = errorLines(r.stderr);
    assert.equal(lines.length, 3, r.stderr);
    assert.match(lines[0]!, /envject\.yaml:1:1 \(enviroment\): unknown key 'enviroment'.*did you mean 'env'\?/);
    assert.match(lines[1]!, /envject\.yaml:4:3 \(vault\.adress\): unknown key 'adress'.*did you mean 'address'\?/);
    assert.match(lines[2]!, /envject\.yaml:5:1 \(file\): unknown key 'file'.*did you mean 'files'\?/);
    assert.equal(existsSync(marker), false);
  });

  it("an unknown flag suggests the nearest one; --format yaml is one line", async () => {
    assertUsage(await ws.run(["--evn-file", "x", "--", ...markerChild()]), /unknown option --evn-file; did you mean --env-file\?/);
    const r = await ws.run(["export", "--format", "yaml"]);
    assertUsage(r, /--format must be one of dotenv, json, shell, got "yaml"/);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  });
});

describe("help that matches the command", () => {
  const RUN_ONLY = ["--mask", "--pristine", "--pass-credentials", "--shell", "--watch", "--interval", "--on-change", "--kill-timeout", "--restart-on-failure"];
  const COMMON = ["--config", "--vault-addr", "--env-file", "--start-timeout", "--log-level", "--log-format"];

  it("check --help lists only check's options, with examples", async () => {
    const r = await ws.run(["check", "--help"]);
    assert.equal(r.code, 0, r.stderr);
    for (const option of [...COMMON, "--format"]) assert.ok(r.stdout.includes(option), option);
    assert.match(r.stdout, /--format[\s\S]*?\[choices: "table", "json"\]/, "check's own formats");
    for (const option of RUN_ONLY) assert.ok(!r.stdout.includes(option), `check --help does not list ${option}`);
    assert.match(r.stdout, /Examples:\n\s+envject check/);
  });

  it("export --help lists --format and not run's options, with examples", async () => {
    const r = await ws.run(["export", "--help"]);
    assert.equal(r.code, 0, r.stderr);
    for (const option of [...COMMON, "--format"]) assert.ok(r.stdout.includes(option), option);
    for (const option of RUN_ONLY) assert.ok(!r.stdout.includes(option), `export --help does not list ${option}`);
    assert.match(r.stdout, /Examples:\n\s+envject export/);
  });

  it("envject --help shows the reference syntax and the variables that authenticate", async () => {
    const r = await ws.run(["--help"]);
    assert.equal(r.code, 0, r.stderr);
    const block = r.stdout.slice(r.stdout.indexOf("References"));
    const [, ...syntax] = block.split("\n");
    assert.match(syntax[0]!, /vault:\/\/PATH\[\?version=N&mount=M\]\[#FIELD\]/);
    assert.match(syntax[1]!, /aws-sm:\/\/NAME.*arn:aws:secretsmanager:/);
    assert.match(syntax[2]!, /\{\{ vault\(/);
    for (const variable of ["VAULT_ADDR", "VAULT_TOKEN", "VAULT_ROLE_ID", "VAULT_SECRET_ID", "VAULT_NAMESPACE", "VAULT_CACERT", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_REGION"]) {
      assert.ok(r.stdout.includes(variable), `--help names ${variable}`);
    }
  });
});
