/**
 * TLS to Vault (docs/contract/authentication.md#tls, README "Authentication and TLS"): certificates are always
 * verified, against vault.ca_cert (relative to the mapping file) or VAULT_CACERT when given; the
 * one escape hatch is VAULT_SKIP_VERIFY=1|true (any case), which warns. An HTTPS double with a
 * self-signed certificate made by openssl stands in for Vault.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SEED, type SeededVault, leakedSecrets, startSeededVault } from "../support/vault-fixture.js";
import { Workspace, assertNoStackTrace, childJson, errorLines, printEnv } from "./e2e.js";

const MAPPING = "env:\n  DB_PASSWORD: vault://secret/myapp/db#password\n";
const SKIP_WARNING = /WARN .*TLS certificate verification for Vault is OFF \(VAULT_SKIP_VERIFY\)/;

/** Why a certificate cannot be made here, or undefined when openssl works. */
function opensslUnavailable(): string | undefined {
  const probe = spawnSync("openssl", ["version"], { encoding: "utf8" });
  if (probe.error) return `openssl is not installed (${(probe.error as NodeJS.ErrnoException).code}); install the openssl package`;
  return probe.status === 0 ? undefined : `openssl does not run: ${probe.stderr.trim()}`;
}

describe("TLS to Vault", { skip: opensslUnavailable() }, () => {
  let vault: SeededVault;
  let ws: Workspace;
  let caFile: string;

  before(async () => {
    ws = new Workspace();
    const key = join(ws.dir, "server-key.pem");
    caFile = join(ws.dir, "ca.pem");
    const made = spawnSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", caFile, "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
      { encoding: "utf8" },
    );
    assert.equal(made.status, 0, made.stderr);
    vault = await startSeededVault({ tls: { key: readFileSync(key), cert: readFileSync(caFile) } });
    assert.match(vault.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  });
  after(async () => {
    await vault?.close();
    ws?.cleanup();
  });

  /** Runs the child printing DB_PASSWORD against the HTTPS double with the root token. */
  function run(args: string[], extra: Record<string, string | undefined> = {}, cwd?: string) {
    return ws.run([...args, "--", ...printEnv("DB_PASSWORD")], { VAULT_ADDR: vault.url, VAULT_TOKEN: vault.rootToken, ...extra }, cwd ? { cwd } : {});
  }

  it("without a CA, verification fails: 69 at once (not retried) with a hint about the CA", async () => {
    ws.file("envject.yaml", MAPPING);
    const result = await run([]);
    assert.equal(result.code, 69, result.stderr);
    const lines = errorLines(result.stderr);
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /DB_PASSWORD/);
    assert.match(lines[0]!, /TLS certificate could not be verified/);
    assert.match(lines[0]!, /vault\.ca_cert or VAULT_CACERT/);
    assert.doesNotMatch(result.stderr, /retrying/, "a certificate failure is not retried");
    assert.equal(result.stdout, "");
    assertNoStackTrace(result.stderr);
  });

  it("VAULT_CACERT makes it work", async () => {
    ws.file("envject.yaml", MAPPING);
    assert.deepEqual(childJson(await run([], { VAULT_CACERT: caFile })), { DB_PASSWORD: SEED.db.password });
  });

  it("vault.ca_cert is read relative to the mapping file, from any working directory", async () => {
    const mapping = ws.file("conf/envject.yaml", `vault:\n  ca_cert: ../ca.pem\n${MAPPING}`);
    assert.deepEqual(childJson(await run(["-c", "conf/envject.yaml"])), { DB_PASSWORD: SEED.db.password });
    assert.deepEqual(childJson(await run(["-c", mapping], {}, "/")), { DB_PASSWORD: SEED.db.password });
  });

  it("vault.ca_cert wins over VAULT_CACERT", async () => {
    ws.file("conf/envject.yaml", `vault:\n  ca_cert: ../ca.pem\n${MAPPING}`);
    assert.deepEqual(childJson(await run(["-c", "conf/envject.yaml"], { VAULT_CACERT: join(ws.dir, "no-such-ca.pem") })), { DB_PASSWORD: SEED.db.password });
  });

  it("a CA file that does not exist is 65 naming the file and where it was set", async () => {
    ws.file("envject.yaml", MAPPING);
    const fromEnv = await run([], { VAULT_CACERT: join(ws.dir, "missing-ca.pem") });
    assert.equal(fromEnv.code, 65, fromEnv.stderr);
    assert.match(fromEnv.stderr, /missing-ca\.pem/);
    assert.match(fromEnv.stderr, /VAULT_CACERT/);
    assert.match(fromEnv.stderr, /ENOENT/);
    assertNoStackTrace(fromEnv.stderr);

    ws.file("conf/bad-ca.yaml", `vault:\n  ca_cert: missing-ca.pem\n${MAPPING}`);
    const fromFile = await run(["-c", "conf/bad-ca.yaml"]);
    assert.equal(fromFile.code, 65, fromFile.stderr);
    assert.match(fromFile.stderr, /conf\/missing-ca\.pem/);
    assert.match(fromFile.stderr, /bad-ca\.yaml:2:\d+ \(vault\.ca_cert\)/);
  });

  for (const value of ["true", "1", "TRUE", "True"]) {
    it(`VAULT_SKIP_VERIFY=${value} turns verification off, with a warning`, async () => {
      ws.file("envject.yaml", MAPPING);
      const result = await run([], { VAULT_SKIP_VERIFY: value });
      assert.deepEqual(childJson(result), { DB_PASSWORD: SEED.db.password });
      assert.match(result.stderr, SKIP_WARNING);
      assert.deepEqual(leakedSecrets(result.stderr), []);
    });
  }

  for (const value of ["false", "0", "yes", "", "off"]) {
    it(`VAULT_SKIP_VERIFY=${JSON.stringify(value)} keeps verification on`, async () => {
      ws.file("envject.yaml", MAPPING);
      const result = await run([], { VAULT_SKIP_VERIFY: value });
      assert.equal(result.code, 69, result.stderr);
      assert.match(result.stderr, /TLS certificate could not be verified/);
      assert.doesNotMatch(result.stderr, SKIP_WARNING);
    });
  }
});
