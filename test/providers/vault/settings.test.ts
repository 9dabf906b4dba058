import { loginOf } from "../../support/vault-auth.js";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuthError, ConfigError } from "../../../src/errors.js";
import type { VaultFileSettings } from "../../../src/config/model.js";
import { DEFAULT_VAULT_ADDRESS, isSkipVerify, resolveVaultSettings } from "../../../src/providers/vault/settings.js";

const emptyHome = mkdtempSync(join(tmpdir(), "envject-home-"));
const loc = (key: string) => ({ file: "envject.yaml", line: 3, column: 12, key });
const located = (value: string, key: string) => ({ value, origin: loc(key) });

function settings(environ: NodeJS.ProcessEnv, file: VaultFileSettings = {}, addressFlag?: string) {
  return resolveVaultSettings({ file, environ: { HOME: emptyHome, ...environ }, addressFlag });
}

describe("Vault address resolution", () => {
  it("prefers --vault-addr, then the file, then VAULT_ADDR, then VAULT_URL, then the default", () => {
    const env = { VAULT_TOKEN: "t", VAULT_ADDR: "http://addr:1", VAULT_URL: "http://url:2" };
    const file = { address: located("http://file:3", "vault.address") };
    assert.equal(settings(env, file, "http://flag:4").address, "http://flag:4");
    assert.equal(settings(env, file).address, "http://file:3");
    assert.equal(settings(env).address, "http://addr:1");
    assert.equal(settings({ VAULT_TOKEN: "t", VAULT_URL: "http://url:2" }).address, "http://url:2");
    assert.equal(settings({ VAULT_TOKEN: "t" }).address, DEFAULT_VAULT_ADDRESS);
    assert.equal(settings({ VAULT_TOKEN: "t" }).addressSource, "the default");
    assert.match(settings(env, file).addressSource, /envject\.yaml:3:12 \(vault\.address\)/);
  });

  it("says so when the address is the default, and only then (the wait messages name it)", () => {
    assert.equal(settings({ VAULT_TOKEN: "t" }).defaultAddressHint, "the default address; set VAULT_ADDR or vault.address");
    assert.equal(settings({ VAULT_TOKEN: "t", VAULT_ADDR: "  " }).defaultAddressHint, "the default address; set VAULT_ADDR or vault.address");
    for (const [env, file, flag] of [
      [{ VAULT_TOKEN: "t" }, {}, "http://127.0.0.1:8200"],
      [{ VAULT_TOKEN: "t" }, { address: located("http://127.0.0.1:8200", "vault.address") }, undefined],
      [{ VAULT_TOKEN: "t", VAULT_ADDR: "http://127.0.0.1:8200" }, {}, undefined],
      [{ VAULT_TOKEN: "t", VAULT_URL: "http://vault:8200" }, {}, undefined],
    ] as Array<[NodeJS.ProcessEnv, VaultFileSettings, string | undefined]>) {
      assert.equal(settings(env, file, flag).defaultAddressHint, undefined, JSON.stringify([env, file, flag]));
    }
  });

  it("VAULT_AGENT_ADDR is the address ahead of VAULT_ADDR, like the Vault CLI (the flag and vault.address still win)", () => {
    const env = { VAULT_TOKEN: "t", VAULT_AGENT_ADDR: "http://127.0.0.1:8100", VAULT_ADDR: "https://vault.example.com" };
    const s = settings(env);
    assert.equal(s.address, "http://127.0.0.1:8100");
    assert.equal(s.addressSource, "VAULT_AGENT_ADDR");
    assert.equal(s.defaultAddressHint, undefined);
    assert.equal(settings(env, { address: located("https://file.example.com", "vault.address") }).address, "https://file.example.com");
    assert.equal(settings(env, {}, "https://flag.example.com").address, "https://flag.example.com");
    assert.notEqual(s.address, DEFAULT_VAULT_ADDRESS);
  });

  it("rejects an address that is not http(s), naming where it came from", () => {
    assert.throws(
      () => settings({ VAULT_TOKEN: "t", VAULT_ADDR: "ftp://x" }),
      (e: unknown) => e instanceof ConfigError && /VAULT_ADDR/.test(e.message),
    );
  });

  it("takes namespace, mount and CA from the file before the environment", () => {
    const env = { VAULT_TOKEN: "t", VAULT_NAMESPACE: "envns", VAULT_MOUNT_POINT: "envmount", VAULT_CACERT: "/env/ca.pem" };
    assert.deepEqual((({ namespace, mount, caCertPath }) => ({ namespace, mount, caCertPath }))(settings(env)), { namespace: "envns", mount: "envmount", caCertPath: "/env/ca.pem" });
    const file = { namespace: located("admin", "vault.namespace"), mount: located("kv2/", "vault.mount"), caCert: located("/file/ca.pem", "vault.ca_cert") };
    const s = settings(env, file);
    assert.equal(s.namespace, "admin");
    assert.equal(s.mount, "kv2");
    assert.equal(s.caCertPath, "/file/ca.pem");
    assert.equal(settings({ VAULT_TOKEN: "t" }).mount, "secret");
  });
});

describe("VAULT_SKIP_VERIFY", () => {
  it("turns verification off only for 1 or true in any case", () => {
    for (const v of ["1", "true", "TRUE", "True", " true "]) assert.equal(isSkipVerify(v), true, v);
    for (const v of [undefined, "", "0", "false", "FALSE", "no", "yes", "2", "off"]) assert.equal(isSkipVerify(v), false, String(v));
  });
});

describe("Vault auth inference", () => {
  it("uses VAULT_TOKEN alone as token auth", () => {
    const s = settings({ VAULT_TOKEN: "hvs.abc" });
    assert.deepEqual(s.auth, { kind: "token", method: "token", token: "hvs.abc", source: "VAULT_TOKEN" });
  });

  it("uses VAULT_ROLE_ID + VAULT_SECRET_ID as AppRole at auth/approle", async () => {
    const s = settings({ VAULT_ROLE_ID: "r", VAULT_SECRET_ID: "s" });
    assert.deepEqual(await loginOf(s.auth), { method: "approle", path: "approle", body: { role_id: "r", secret_id: "s" } });
  });

  it("refuses VAULT_TOKEN together with AppRole variables (65), naming both", () => {
    assert.throws(
      () => settings({ VAULT_TOKEN: "t", VAULT_ROLE_ID: "r", VAULT_SECRET_ID: "s" }),
      (e: unknown) => e instanceof ConfigError && e.exitCode === 65 && /VAULT_TOKEN/.test(e.message) && /VAULT_ROLE_ID/.test(e.message),
    );
  });

  it("falls back to ~/.vault-token, but a stale file never overrides AppRole variables", () => {
    const home = mkdtempSync(join(tmpdir(), "envject-home-"));
    writeFileSync(join(home, ".vault-token"), "hvs.fromfile\n");
    const fromFile = resolveVaultSettings({ file: {}, environ: { HOME: home } });
    assert.equal(fromFile.auth.method, "token");
    assert.equal(fromFile.auth.kind === "token" && fromFile.auth.token, "hvs.fromfile");
    const approle = resolveVaultSettings({ file: {}, environ: { HOME: home, VAULT_ROLE_ID: "r", VAULT_SECRET_ID: "s" } });
    assert.equal(approle.auth.method, "approle");
    // Half an AppRole is an error, not a silent use of the file.
    assert.throws(
      () => resolveVaultSettings({ file: {}, environ: { HOME: home, VAULT_ROLE_ID: "r" } }),
      (e: unknown) => e instanceof AuthError && /VAULT_SECRET_ID/.test(e.message),
    );
  });

  it("fails with 77 and says what to set when there are no credentials at all", () => {
    assert.throws(
      () => settings({}),
      (e: unknown) => e instanceof AuthError && e.exitCode === 77 && /VAULT_TOKEN/.test(e.message) && /VAULT_ROLE_ID/.test(e.message),
    );
  });

  it("lets vault.auth.method decide, even with other credentials around", async () => {
    const file: VaultFileSettings = { auth: { method: { value: "approle", origin: loc("vault.auth.method") }, settings: { path: located("/team-approle/", "vault.auth.path") } } };
    const s = settings({ VAULT_TOKEN: "t", VAULT_ROLE_ID: "r", VAULT_SECRET_ID: "s" }, file);
    assert.deepEqual(await loginOf(s.auth), { method: "approle", path: "team-approle", body: { role_id: "r", secret_id: "s" } });
    const tokenFile: VaultFileSettings = { auth: { method: { value: "token", origin: loc("vault.auth.method") }, settings: {} } };
    assert.equal(settings({ VAULT_TOKEN: "t", VAULT_ROLE_ID: "r", VAULT_SECRET_ID: "s" }, tokenFile).auth.method, "token");
    assert.throws(() => settings({ VAULT_ROLE_ID: "r", VAULT_SECRET_ID: "s" }, tokenFile), AuthError);
  });

  it("takes credentials written in the file (after ${} expansion) before the environment", async () => {
    const file: VaultFileSettings = { auth: { settings: { role_id: located("file-role", "vault.auth.role_id"), secret_id: located("file-secret", "vault.auth.secret_id") } } };
    const s = settings({ VAULT_TOKEN: "env-token" }, file);
    assert.deepEqual(await loginOf(s.auth), { method: "approle", path: "approle", body: { role_id: "file-role", secret_id: "file-secret" } });
  });

  it("rejects a VAULT_CLIENT_TIMEOUT that is not a duration", () => {
    assert.equal(settings({ VAULT_TOKEN: "t", VAULT_CLIENT_TIMEOUT: "5s" }).timeoutMs, 5000);
    assert.throws(() => settings({ VAULT_TOKEN: "t", VAULT_CLIENT_TIMEOUT: "soon" }), ConfigError);
  });
});
