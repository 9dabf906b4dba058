/**
 * Tokens someone else keeps alive (docs/contract/authentication.md#login-methods): `method: token_file` reads a Vault Agent sink
 * at start, again when the file changes and again when Vault says the token is invalid, and
 * applies the new token to polling — never renewing or revoking a token it did not create. With
 * VAULT_AGENT_ADDR and no credentials, envject sends no token at all and a Vault Agent / proxy
 * with auto-auth adds its own (here a loopback proxy in front of the double, as Agent's API proxy).
 * The real CLI against the Vault double, watching at --interval 1s.
 */
import assert from "node:assert/strict";
import { writeFileSync, utimesSync, statSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { RequestLogEntry } from "../../src/dev/vault/client.js";
import { closedPort } from "./e2e.js";
import { watchSuite } from "../watch/e2e-harness.js";

const POLICY = "agent-app";
/** Requests made with the token of `accessor`. */
const madeWith = (log: readonly RequestLogEntry[], accessor: string) => log.filter((e) => e.token_accessor === accessor);
/** Token self-management calls: envject must make none for a token it did not create. */
const selfCalls = (log: readonly RequestLogEntry[]) => log.filter((e) => /^auth\/token\/(renew|revoke)-self/.test(e.path));

describe("envject run: method token_file (a Vault Agent sink)", () => {
  const suite = watchSuite(async (vault) => {
    await vault.admin.writePolicy(POLICY, { "secret/data/agent/*": ["read"], "secret/metadata/agent/*": ["read"], "sys/internal/ui/mounts/*": ["read"] });
  });

  it("reads the token from the file, follows the file when Agent rewrites it, never renews or revokes either token", { timeout: 60_000 }, async () => {
    const admin = suite.vault.admin;
    await admin.writeKv2("secret/agent/app", { key: "agent-One-6161" });
    const first = await admin.createTokenAuth({ policies: [POLICY], ttl: "1h", renewable: true });
    const ws = suite.workspace("vault:\n  auth:\n    method: token_file\n    token_file: sink/token\nenv:\n  K: vault://secret/agent/app#key\n");
    const sink = ws.file("sink/token", `${first.client_token}\n`);
    await suite.vault.control.clearRequests();
    // No VAULT_TOKEN: the file is the only credential.
    const run = suite.start(ws, [], ["K"], { VAULT_TOKEN: undefined });
    await run.waitForStarts(1);
    assert.equal(run.starts()[0]!.env!.K, "agent-One-6161");

    // Agent renews into a new token: it writes the sink, and the old token goes away.
    const second = await admin.createTokenAuth({ policies: [POLICY], ttl: "1h", renewable: true });
    writeFileSync(sink, `${second.client_token}\n`);
    await run.waitFor("the new token in use", () => run.lines("INFO", /read a new Vault token from the token file/).length === 1);
    await admin.revokeToken(first.client_token);
    await admin.writeKv2("secret/agent/app", { key: "agent-Two-6262" });
    await run.waitForStarts(2);
    assert.equal(run.starts()[1]!.env!.K, "agent-Two-6262");

    const log = await suite.vault.control.requests();
    assert.ok(
      madeWith(log, second.accessor).some((e) => e.path === "secret/metadata/agent/app"),
      "polling goes on under the new token",
    );
    assert.deepEqual(selfCalls(log), [], "no renew-self or revoke-self: the tokens are Agent's");
    const end = await run.stop();
    assert.equal(end.code, 0, run.stderr);
    assert.deepEqual(selfCalls(await suite.vault.control.requests()), [], "not on exit either");
    for (const token of [first.client_token, second.client_token]) assert.ok(!run.stderr.includes(token), "a token is never printed");
  });

  it("reads the file again when Vault says the token is invalid, even when the file looks unchanged", { timeout: 60_000 }, async () => {
    const admin = suite.vault.admin;
    await admin.writeKv2("secret/agent/quiet", { key: "quiet-One-7171" });
    const first = await admin.createTokenAuth({ policies: [POLICY], ttl: "1h" });
    const ws = suite.workspace(`vault:\n  auth:\n    method: token_file\n    token_file: ${join("sink", "quiet")}\nenv:\n  K: vault://secret/agent/quiet#key\n`);
    const sink = ws.file("sink/quiet", first.client_token);
    const run = suite.start(ws, [], ["K"], { VAULT_TOKEN: undefined });
    await run.waitForStarts(1);
    // The same length, written in place, and the old times put back: a stat watch cannot see it,
    // so only Vault's 403 for the revoked token can make envject read the file.
    const second = await admin.createTokenAuth({ policies: [POLICY], ttl: "1h" });
    assert.equal(second.client_token.length, first.client_token.length);
    const before = statSync(sink);
    writeFileSync(sink, second.client_token);
    utimesSync(sink, before.atime, before.mtime);
    await admin.revokeToken(first.client_token);
    await run.waitFor("the token read again after a denial", () => run.lines("INFO", /read a new Vault token from the token file/).length === 1, 30_000);
    assert.match(run.lines("INFO", /read a new Vault token/)[0]!, /why="?Vault says the token is invalid/);
    await admin.writeKv2("secret/agent/quiet", { key: "quiet-Two-7272" });
    await run.waitForStarts(2);
    assert.equal(run.starts()[1]!.env!.K, "quiet-Two-7272");
    assert.deepEqual(selfCalls(await suite.vault.control.requests()), []);
    await run.stop();
  });

  it("a token file that is missing at start is a 77 naming the file", { timeout: 30_000 }, async () => {
    const ws = suite.workspace("vault:\n  auth:\n    method: token_file\n    token_file: /nonexistent/agent/sink\nenv:\n  K: vault://secret/agent/app#key\n");
    const r = await ws.run(["--", process.execPath, "-e", "0"], { VAULT_TOKEN: undefined });
    assert.equal(r.code, 77, r.stderr);
    assert.match(r.stderr, /the Vault token file \/nonexistent\/agent\/sink does not exist/);
  });
});

describe("envject run: VAULT_AGENT_ADDR and method none (Agent / proxy with auto-auth)", () => {
  const suite = watchSuite();
  let agentToken = "";
  const seenTokens: Array<string | undefined> = [];
  let upstream = "";
  // Agent's API proxy with `use_auto_auth_token`: forwards to Vault, adding its own token.
  const proxy = http.createServer((req, res) => {
    seenTokens.push(req.headers["x-vault-token"] as string | undefined);
    const target = new URL(req.url ?? "/", upstream);
    const headers = { ...req.headers, host: target.host, "x-vault-token": agentToken };
    const out = http.request(target, { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on("error", () => res.destroy());
    req.pipe(out);
  });
  const listening = new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", () => resolve()));
  after(() => proxy.close());

  it("sends no token of its own to the agent address, which wins over VAULT_ADDR", { timeout: 30_000 }, async () => {
    await listening;
    const admin = suite.vault.admin;
    upstream = suite.vault.url;
    agentToken = suite.vault.rootToken;
    await admin.writeKv2("secret/agent/proxied", { key: "proxied-Value-8181" });
    const ws = suite.workspace("env:\n  K: vault://secret/agent/proxied#key\n");
    const agentAddr = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    // VAULT_ADDR points nowhere: only the agent can answer.
    const r = await ws.run(["--no-watch", "--", process.execPath, "-e", "process.stdout.write(process.env.K ?? 'unset')"], {
      VAULT_TOKEN: undefined,
      VAULT_ADDR: `http://127.0.0.1:${await closedPort()}`,
      VAULT_AGENT_ADDR: agentAddr,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "proxied-Value-8181");
    assert.ok(seenTokens.length > 0, "the requests went through the agent");
    assert.deepEqual(
      seenTokens.filter((t) => t !== undefined),
      [],
      "envject sent no X-Vault-Token",
    );
    assert.ok(!r.stderr.includes(agentToken));
  });
});
