/**
 * The Vault double's TLS certificate auth method: roles, login with the client certificate of the
 * HTTPS connection (with and without `name`), Vault's refusals (other CA, common name not allowed,
 * no certificate, plain HTTP, expired certificate, a server-only certificate), registered leaf
 * certificates, and that HTTPS without a client certificate still serves everything else.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { VaultDoubleClient } from "../../src/dev/vault/client.js";
import { startVaultDouble, type VaultDouble } from "../../src/dev/vault/index.js";
import { makePki, opensslUnavailable, type CertPair, type TestPki } from "../support/certs.js";

const errorsOf = (answer: { body: unknown }) => (answer.body as { errors?: string[] } | undefined)?.errors ?? [];
const authOf = (answer: { body: unknown }) => (answer.body as { auth: { client_token: string; policies: string[]; metadata: Record<string, string>; accessor: string; lease_duration: number } }).auth;

describe("Vault double: cert auth", { skip: opensslUnavailable() }, () => {
  let pki: TestPki;
  let vault: VaultDouble;
  let admin: VaultDoubleClient;
  let web: CertPair;

  before(async () => {
    pki = makePki();
    web = pki.client("web.example.com");
    vault = await startVaultDouble({ tls: { key: pki.server.key, cert: pki.server.cert } });
    admin = new VaultDoubleClient(vault.url, vault.rootToken, { ca: pki.ca.cert });
    await admin.enableAuth("cert", "cert");
    await admin.writePolicy("web", { "secret/data/web/*": ["read"] });
    await admin.writeCertRole("web", { certificate: pki.ca.cert, allowed_common_names: ["*.example.com"], policies: ["web"], token_ttl: 600 });
  });
  after(async () => {
    await vault?.close();
    pki?.cleanup();
  });

  const login = (cert: CertPair | undefined, body: Record<string, unknown> = {}, mount = "cert") => admin.withToken("").withClientCert(cert).request("POST", `auth/${mount}/login`, body);

  test("sys/auth lists the cert mount and the role reads back", async () => {
    const mounts = await admin.request("GET", "sys/auth");
    assert.equal((mounts.body as { data: Record<string, { type: string }> }).data["cert/"]?.type, "cert");
    const role = await admin.request("GET", "auth/cert/certs/web");
    assert.equal(role.status, 200);
    const data = (role.body as { data: Record<string, unknown> }).data;
    assert.deepEqual(data.allowed_common_names, ["*.example.com"]);
    assert.equal(data.display_name, "web");
    assert.deepEqual(data.token_policies, ["web"]);
    assert.equal(data.token_ttl, 600);
  });

  test("login with the role's name issues a token with Vault's metadata", async () => {
    const answer = await login(web, { name: "web" });
    assert.equal(answer.status, 200, JSON.stringify(errorsOf(answer)));
    const auth = authOf(answer);
    assert.deepEqual(auth.policies, ["default", "web"]);
    assert.equal(auth.lease_duration, 600);
    const leaf = new X509Certificate(web.cert);
    assert.equal(auth.metadata.cert_name, "web");
    assert.equal(auth.metadata.common_name, "web.example.com");
    assert.equal(auth.metadata.serial_number, BigInt(`0x${leaf.serialNumber}`).toString(10));
    assert.match(auth.metadata.subject_key_id ?? "", /^[0-9a-f]{2}(:[0-9a-f]{2}){19}$/);
    assert.match(auth.metadata.authority_key_id ?? "", /^[0-9a-f]{2}(:[0-9a-f]{2}){19}$/);
    assert.notEqual(auth.metadata.subject_key_id, auth.metadata.authority_key_id);
    assert.equal((answer.body as { mount_type: string }).mount_type, "");
    // The token works and carries the display name Vault gives it.
    const self = await admin.withToken(auth.client_token).request("GET", "auth/token/lookup-self");
    assert.equal(self.status, 200);
    assert.equal((self.body as { data: { display_name: string; path: string } }).data.display_name, "cert-web");
    assert.equal((self.body as { data: { path: string } }).data.path, "auth/cert/login");
  });

  test("login without a name tries every role and picks the one that matches", async () => {
    const other = pki.newCa("other CA");
    await admin.writeCertRole("aaa-other", { certificate: other.cert, policies: ["default"] });
    try {
      const answer = await login(web);
      assert.equal(answer.status, 200, JSON.stringify(errorsOf(answer)));
      assert.equal(authOf(answer).metadata.cert_name, "web");
    } finally {
      await admin.request("DELETE", "auth/cert/certs/aaa-other");
    }
  });

  test("a certificate issued by an intermediate CA logs in when the client sends the intermediate too", async () => {
    const intermediate = pki.newIntermediate("envject intermediate CA");
    const leaf = pki.client("api.example.com", { ca: intermediate });
    const withChain = { cert: leaf.cert + intermediate.cert, key: leaf.key, certPath: leaf.certPath, keyPath: leaf.keyPath };
    const answer = await login(withChain, { name: "web" });
    assert.equal(answer.status, 200, JSON.stringify(errorsOf(answer)));
    assert.equal(authOf(answer).metadata.common_name, "api.example.com");
    // Without the intermediate there is no chain to the role's CA.
    const alone = await login(leaf, { name: "web" });
    assert.equal(alone.status, 400);
    assert.deepEqual(errorsOf(alone), ["invalid certificate or no client certificate supplied"]);
  });

  test("the login name is compared as given: role names are stored lower-cased", async () => {
    const answer = await login(web, { name: "WEB" });
    assert.equal(answer.status, 400);
    assert.deepEqual(errorsOf(answer), ["invalid certificate or no client certificate supplied"]);
  });

  test("a certificate from another CA: 400 invalid certificate or no client certificate supplied", async () => {
    const stranger = pki.client("web.example.com", { ca: pki.newCa("stranger CA") });
    for (const body of [{ name: "web" }, {}]) {
      const answer = await login(stranger, body);
      assert.equal(answer.status, 400);
      assert.deepEqual(errorsOf(answer), ["invalid certificate or no client certificate supplied"]);
    }
  });

  test("naming a role whose CA did not issue the certificate refuses it", async () => {
    const other = pki.newCa("second CA");
    await admin.writeCertRole("second", { certificate: other.cert });
    const answer = await login(web, { name: "second" });
    assert.equal(answer.status, 400);
    assert.deepEqual(errorsOf(answer), ["invalid certificate or no client certificate supplied"]);
  });

  test("a common name the role does not allow: 400 no chain matching all constraints", async () => {
    const answer = await login(pki.client("intruder.example.org"), { name: "web" });
    assert.equal(answer.status, 400);
    assert.deepEqual(errorsOf(answer), ["no chain matching all constraints could be found for this login certificate"]);
  });

  test("no client certificate on the TLS connection: 400 client certificate must be supplied", async () => {
    const answer = await login(undefined, { name: "web" });
    assert.equal(answer.status, 400);
    assert.deepEqual(errorsOf(answer), ["client certificate must be supplied"]);
    // Everything else still works without one (Vault requests, never requires, client certificates).
    const health = await admin.request("GET", "sys/health");
    assert.equal(health.status, 200);
  });

  test("an expired certificate: 500 from x509 with Go's detail", async () => {
    const answer = await login(pki.client("old.example.com", { expired: true }), { name: "web" });
    assert.equal(answer.status, 500);
    const [message] = errorsOf(answer);
    assert.match(
      message ?? "",
      /^1 error occurred:\n\t\* failed to verify client's certificate: x509: certificate has expired or is not yet valid: current time \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ is after \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n\n$/,
    );
  });

  test("a certificate without client-auth usage: 500 incompatible key usage", async () => {
    const answer = await login(pki.client("srv.example.com", { extendedKeyUsage: "serverAuth" }), { name: "web" });
    assert.equal(answer.status, 500);
    assert.deepEqual(errorsOf(answer), ["1 error occurred:\n\t* failed to verify client's certificate: x509: certificate specifies an incompatible key usage\n\n"]);
  });

  test("a registered leaf certificate logs in as itself; another leaf of the same CA does not", async () => {
    await admin.enableAuth("pinned", "cert");
    const pinned = pki.client("pinned.example.com");
    await admin.writeCertRole("pin", { certificate: pinned.cert, display_name: "pinned-app" }, "pinned");
    const answer = await login(pinned, { name: "pin" }, "pinned");
    assert.equal(answer.status, 200, JSON.stringify(errorsOf(answer)));
    assert.equal(authOf(answer).metadata.cert_name, "pin");
    const refused = await login(pki.client("pinned.example.com"), { name: "pin" }, "pinned");
    assert.equal(refused.status, 400);
    assert.deepEqual(errorsOf(refused), ["invalid certificate or no client certificate supplied"]);
  });

  test("role writes: unparsable certificate, non-CA without client auth", async () => {
    const bad = await admin.request("POST", "auth/cert/certs/bad", { certificate: "not a pem" });
    assert.equal(bad.status, 400);
    assert.deepEqual(errorsOf(bad), ["failed to parse certificate"]);
    const server = await admin.request("POST", "auth/cert/certs/bad", { certificate: pki.server.cert });
    assert.equal(server.status, 400);
    assert.deepEqual(errorsOf(server), ["non-CA certificates should have TLS client authentication set as an extended key usage"]);
    const list = await admin.request("GET", "auth/cert/certs", undefined, { list: "true" });
    assert.deepEqual((list.body as { data: { keys: string[] } }).data.keys, ["second", "web"]);
  });

  test("over plain HTTP: 400 tls connection required", async () => {
    const plain = await startVaultDouble();
    try {
      const v = new VaultDoubleClient(plain.url, plain.rootToken);
      await v.enableAuth("cert", "cert");
      await v.writeCertRole("web", { certificate: pki.ca.cert });
      const answer = await v.withToken("").request("POST", "auth/cert/login", { name: "web" });
      assert.equal(answer.status, 400);
      assert.deepEqual(errorsOf(answer), ["tls connection required"]);
    } finally {
      await plain.close();
    }
  });
});
