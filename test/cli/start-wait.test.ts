/**
 * A wait says what it waits for (README "Authentication and TLS", `--start-timeout`), through the
 * bundled CLI: when Vault cannot be reached at start, the first warning names the address (and
 * that it is the default, when it is), the reason, the deadline as local time and the
 * --start-timeout; a progress line follows every 10 s; at a terminal one line updates in place
 * instead and is finished with a newline; the store answering ends the wait and the command runs.
 * The runs are independent and run concurrently (the longest lasts its 12 s --start-timeout).
 */
import assert from "node:assert/strict";
import { type Server, type Socket, connect, createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { BIN, type CliResult, runProgram } from "../support/cli.js";
import { netnsUnavailable, scriptUnavailable } from "../support/system.js";
import { type SeededVault, SEED, leakedSecrets, startSeededVault } from "../support/vault-fixture.js";
import { NODE, Workspace, assertNoStackTrace, closedPort, errorLines, printEnv } from "./e2e.js";

const ERASE = "\r\x1b[2K";
const MAPPING = "env:\n  A: vault://secret/myapp/db#password\n";
const TOKEN = "hvs.root-start-wait-test";

let ws: Workspace;
let vault: SeededVault;

before(async () => {
  ws = new Workspace();
  ws.file("envject.yaml", MAPPING);
  vault = await startSeededVault({ rootToken: TOKEN });
});
after(async () => {
  ws.cleanup();
  await vault.close();
});

/** The environment of a run: the workspace's, a token, the caller's time zone (the messages print local time). */
function env(extra: Record<string, string | undefined>): Record<string, string> {
  return ws.env({ VAULT_TOKEN: TOKEN, TZ: process.env.TZ, ...extra });
}

/** Runs envject directly (stderr a pipe). */
function envject(args: string[], extra: Record<string, string | undefined>): Promise<CliResult> {
  return runProgram(NODE, [BIN, ...args], { cwd: ws.dir, env: env(extra), timeoutMs: 60_000 });
}

/** Runs envject on a pseudo-terminal (`script`), so its stderr is a TTY; what it wrote is in `stdout` (with \r\n line ends).
 *  Colour is off (NO_COLOR): these tests read the updating line, the colour rule has its own tests. */
function envjectAtTerminal(args: string[], extra: Record<string, string | undefined>): Promise<CliResult> {
  const command = [NODE, BIN, ...args].map(shellQuote).join(" ");
  return runProgram("script", ["-qec", command, "/dev/null"], { cwd: ws.dir, env: env({ NO_COLOR: "1", ...extra }), timeoutMs: 60_000 });
}

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Local HH:MM:SS of an ISO time, as envject prints the deadline. */
function localTime(iso: string): string {
  return new Date(Date.parse(iso)).toTimeString().slice(0, 8);
}

/** From `ms` on, forwards connections on loopback `port` to the Vault double: the store "starts answering" there. */
function answerLater(port: number, ms: number): { close(): Promise<void> } {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  const target = new URL(vault.url);
  const timer = setTimeout(() => {
    server = createServer((client) => {
      const upstream = connect(Number(target.port), "127.0.0.1");
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on("error", () => {}).on("close", () => sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
    });
    server.listen(port, "127.0.0.1");
  }, ms);
  return {
    close: () =>
      new Promise((resolve) => {
        clearTimeout(timer);
        for (const s of sockets) s.destroy();
        if (server?.listening) server.close(() => resolve());
        else resolve();
      }),
  };
}

describe("a wait says what it waits for", { concurrency: true }, () => {
  it("text: the first warning names the address, until HH:MM:SS and --start-timeout 12s; a progress line after 10 s; exit 69", async () => {
    const port = await closedPort();
    const address = `http://127.0.0.1:${port}`;
    const r = await envject(["--start-timeout", "12s", "--", NODE, "-e", ""], { VAULT_ADDR: address });
    assert.equal(r.code, 69, r.stderr);
    const lines = r.stderr.split("\n");
    const warnings = lines.filter((l) => / envject WARN /.test(l));
    assert.equal(warnings.length, 1, r.stderr);
    const warning = warnings[0]!;
    const shown = warning.match(/ WARN  Vault at (\S+) could not be reached \([^)]*ECONNREFUSED\); retrying until (\d\d:\d\d:\d\d) \(--start-timeout 12s\) /);
    assert.ok(shown, warning);
    assert.equal(shown[1], address);
    assert.equal(shown[2], localTime(warning.match(/ until=(\S+)/)![1]!), "the deadline, in local time");
    assert.doesNotMatch(warning, /default/, "an address that was set is not the default");
    const progress = lines.filter((l) => / INFO  still waiting for Vault at /.test(l));
    assert.ok(progress.length >= 1, r.stderr);
    for (const line of progress) assert.match(line, new RegExp(`still waiting for Vault at ${address.replace(/[.]/g, "\\.")}: \\d+s so far, \\d+s left \\(until \\d\\d:\\d\\d:\\d\\d\\) `));
    assert.doesNotMatch(r.stderr, /\r|\x1b/, "no terminal codes when stderr is not a terminal");
    const errors = errorLines(r.stderr);
    assert.equal(errors.length, 1, r.stderr);
    assert.match(errors[0]!, /could not be reached .*gave up after \d+s of retries; see --start-timeout/);
    assert.ok(lines.indexOf(progress[0]!) < lines.indexOf(errors[0]!), "progress comes while waiting");
    assert.ok(!r.stderr.includes(TOKEN), "never the token");
    assertNoStackTrace(r.stderr);
  });

  describe("json", () => {
    // One run that gives up after 12 s; each case reads one guarantee off its stderr.
    let address: string;
    let r: Awaited<ReturnType<typeof envject>>;
    let records: Record<string, unknown>[];
    before(async () => {
      address = `http://127.0.0.1:${await closedPort()}`;
      r = await envject(["--log-format", "json", "--start-timeout", "12s", "--", NODE, "-e", ""], { VAULT_ADDR: address });
      records = r.stderr
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    });

    it("every line parses, none has terminal codes, and one error line carries exit code 69", () => {
      assert.equal(r.code, 69, r.stderr);
      assert.equal(records.filter((rec) => rec.level === "error" && rec.exit_code === 69).length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /\r|\x1b/);
    });

    it("the one warning carries address, reason, until, start_timeout_s, and no default_address for a set address", () => {
      const warnings = records.filter((rec) => rec.level === "warn");
      assert.equal(warnings.length, 1, r.stderr);
      const w = warnings[0]!;
      assert.equal(w.address, address);
      assert.match(String(w.reason), /ECONNREFUSED/);
      assert.equal(typeof w.until, "string");
      assert.ok(!Number.isNaN(Date.parse(String(w.until))), String(w.until));
      assert.equal(w.start_timeout_s, 12);
      assert.equal(w.default_address, undefined, "the address was set");
      assert.match(String(w.msg), new RegExp(`retrying until ${localTime(String(w.until))} \\(--start-timeout 12s\\)$`));
    });

    it("progress lines carry address, waited_s and left_s", () => {
      const progress = records.filter((rec) => rec.level === "info" && /^still waiting for Vault at /.test(String(rec.msg)));
      assert.ok(progress.length >= 1, r.stderr);
      for (const p of progress) {
        assert.equal(p.address, address);
        assert.equal(typeof p.waited_s, "number");
        assert.equal(typeof p.left_s, "number");
      }
    });
  });

  it("at a terminal: one line updated in place (\\r\\x1b[2K) instead of progress lines, finished with a newline before the error", async (t) => {
    const skip = scriptUnavailable();
    if (skip) return t.skip(skip);
    const port = await closedPort();
    const r = await envjectAtTerminal(["--start-timeout", "3s", "--", NODE, "-e", ""], { VAULT_ADDR: `http://127.0.0.1:${port}` });
    assert.equal(r.code, 69, r.stdout);
    const out = r.stdout;
    assert.match(out, / WARN  Vault at http:\/\/127\.0\.0\.1:\d+ could not be reached .*retrying until \d\d:\d\d:\d\d \(--start-timeout 3s\)/);
    const updates = out.split(ERASE).slice(1);
    assert.ok(updates.length >= 2, `updates in place:\n${JSON.stringify(out)}`);
    assert.match(updates[0]!, /^\S+ envject INFO  waiting for Vault at http:\/\/127\.0\.0\.1:\d+: \d+s so far, \d+s left \(until \d\d:\d\d:\d\d; \d+ attempts?\)$/);
    assert.doesNotMatch(out, /still waiting/, "no separate progress lines");
    // The last update is left as a line of its own, and the error starts on a fresh one.
    assert.match(out, /INFO  waited \d+s for Vault at http:\/\/127\.0\.0\.1:\d+; giving up \(--start-timeout 3s\)\r\n\S+ envject ERROR cannot resolve A /);
    assert.ok(out.endsWith("\r\n"), JSON.stringify(out.slice(-80)));
  });

  it("the default address is called the default, and how to set it (run where nothing can listen on 127.0.0.1:8200: a network namespace of its own)", async (t) => {
    const skip = netnsUnavailable();
    if (skip) return t.skip(skip);
    const r = await runProgram("unshare", ["--net", NODE, BIN, "--start-timeout", "1s", "--", NODE, "-e", ""], { cwd: ws.dir, env: env({ VAULT_ADDR: undefined }), timeoutMs: 30_000 });
    assert.equal(r.code, 69, r.stderr);
    const warnings = r.stderr.split("\n").filter((l) => / envject WARN /.test(l));
    assert.equal(warnings.length, 1, r.stderr);
    assert.match(
      warnings[0]!,
      / WARN  Vault at http:\/\/127\.0\.0\.1:8200 \(the default address; set VAULT_ADDR or vault\.address\) could not be reached .*; retrying until \d\d:\d\d:\d\d \(--start-timeout 1s\) .*default_address=true/,
    );
  });

  it("recovery: Vault answers during the wait; one 'reachable again' line, no error, the command runs with the secret", async () => {
    const port = await closedPort();
    const proxy = answerLater(port, 2500);
    try {
      const r = await envject(["--start-timeout", "30s", "--", ...printEnv("A")], { VAULT_ADDR: `http://127.0.0.1:${port}` });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { A: SEED.db.password });
      const lines = r.stderr.split("\n");
      assert.equal(lines.filter((l) => / WARN  Vault at http:\/\/127\.0\.0\.1:\d+ could not be reached .*retrying until /.test(l)).length, 1, r.stderr);
      assert.equal(lines.filter((l) => / INFO  Vault is reachable again after \d+s /.test(l)).length, 1, r.stderr);
      assert.equal(errorLines(r.stderr).length, 0, r.stderr);
      assert.deepEqual(leakedSecrets(r.stderr), []);
    } finally {
      await proxy.close();
    }
  });

  it("recovery at a terminal: the updating line is finished ('it answered') before the next lines, and the command runs", async (t) => {
    const skip = scriptUnavailable();
    if (skip) return t.skip(skip);
    const port = await closedPort();
    const proxy = answerLater(port, 2500);
    try {
      const r = await envjectAtTerminal(["--start-timeout", "30s", "--", ...printEnv("A")], { VAULT_ADDR: `http://127.0.0.1:${port}` });
      assert.equal(r.code, 0, r.stdout);
      const out = r.stdout;
      assert.ok(out.split(ERASE).length > 2, JSON.stringify(out));
      assert.match(out, /INFO  waited \d+s for Vault at http:\/\/127\.0\.0\.1:\d+; it answered\r\n\S+ envject INFO  Vault is reachable again after \d+s /);
      assert.ok(out.includes(JSON.stringify({ A: SEED.db.password })), JSON.stringify(out));
      // After the wait, nothing is drawn over: every later line starts on a fresh line.
      assert.equal(out.slice(out.lastIndexOf("it answered")).includes(ERASE), false, JSON.stringify(out));
    } finally {
      await proxy.close();
    }
  });
});
