/**
 * Logging in with AWS IAM and with a TLS client certificate (docs/contract/authentication.md#login-methods), end to end: the
 * bundled CLI against the Vault double's `auth/aws` (which recomputes the SigV4 signature with the
 * keys it was seeded with, as STS would) and `auth/cert` (an HTTPS listener asking for a client
 * certificate). Each method reads a secret; its documented refusals are 77 with Vault's own
 * message and never a key, signature or token; the AWS credentials are read again at each login
 * (a shared credentials file rewritten mid-run, the old key gone from the double).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { RequestLogEntry } from "../../src/dev/vault/client.js";
import { makePki, opensslUnavailable, type TestPki } from "../support/certs.js";
import { type SeededVault, startSeededVault } from "../support/vault-fixture.js";
import { NODE, Workspace } from "./e2e.js";
import { watchSuite } from "../watch/e2e-harness.js";

const ACCOUNT = "123456789012";
const KEY = { access_key_id: "AKIAENVJECTTEST00001", secret_access_key: "envject-test-secret-key-0001/abcdefGHIJ" };
const NEXT_KEY = { access_key_id: "AKIAENVJECTTEST00002", secret_access_key: "envject-test-secret-key-0002/klmnopQRST" };
const HEADER = "vault.example.com";
const POLICY = "login-app";

const printK = [NODE, "-e", "process.stdout.write(JSON.stringify({K: process.env.K ?? null, secret: process.env.AWS_SECRET_ACCESS_KEY ?? null, id: process.env.AWS_ACCESS_KEY_ID ?? null}))"];

/** The AWS environment of a run: test keys, no instance metadata, nothing of the machine's. */
function awsEnv(ws: Workspace, key: { access_key_id: string; secret_access_key: string } | undefined): Record<string, string | undefined> {
  return {
    VAULT_TOKEN: undefined,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_ACCESS_KEY_ID: key?.access_key_id,
    AWS_SECRET_ACCESS_KEY: key?.secret_access_key,
    AWS_CONFIG_FILE: join(ws.dir, "aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: join(ws.dir, "aws-credentials"),
  };
}

describe("envject run: method aws (IAM)", () => {
  let sv: SeededVault;
  let ws: Workspace;
  before(async () => {
    sv = await startSeededVault();
    ws = new Workspace(sv);
    const admin = sv.admin;
    await admin.writePolicy(POLICY, { "secret/data/login/*": ["read"], "secret/metadata/login/*": ["read"], "sys/internal/ui/mounts/*": ["read"] });
    await admin.writeKv2("secret/login/app", { key: "aws-Login-9191" });
    await admin.enableAuth("aws", "aws");
    await admin.writeAwsClientConfig({ iam_server_id_header_value: HEADER });
    await admin.writeAwsRole("app", { bound_iam_principal_arn: [`arn:aws:iam::${ACCOUNT}:role/app`], policies: [POLICY] });
    await admin.addAwsIdentity({ ...KEY, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/app/i-0abc` });
    await admin.addAwsIdentity({ access_key_id: "AKIAENVJECTOTHER0001", secret_access_key: "other-secret-key-0001/xyzXYZ", arn: `arn:aws:iam::${ACCOUNT}:user/ci` });
  });
  after(async () => {
    ws.cleanup();
    await sv.close();
  });

  const mapping = (header = HEADER) => ws.file("aws.yaml", `vault:\n  auth:\n    method: aws\n    role: app\n    header_value: ${header}\nenv:\n  K: vault://secret/login/app#key\n`);

  it("logs in with a signed sts:GetCallerIdentity and reads the secret; the AWS keys never reach the child or the log", async () => {
    mapping();
    const r = await ws.run(["-c", "aws.yaml", "--log-level", "debug", "--", ...printK], awsEnv(ws, KEY));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { K: "aws-Login-9191", secret: null, id: null });
    assert.match(r.stderr, /logged in to Vault with AWS IAM/);
    assert.ok(!r.stderr.includes(KEY.secret_access_key), "the secret key is never logged");
    assert.ok(!r.stderr.includes("aws-Login-9191"));
    const logins = (await sv.control.requests()).filter((e) => e.path === "auth/aws/login");
    assert.deepEqual(
      logins.map((e) => e.status),
      [200],
    );
  });

  for (const [what, header, key, message] of [
    ["a header_value the Vault config does not expect", "other.example.com", KEY, /X-Vault-AWS-IAM-Server-ID header: expected "vault\.example\.com" but got "other\.example\.com"/],
    [
      "a caller whose ARN the role does not bind",
      HEADER,
      { access_key_id: "AKIAENVJECTOTHER0001", secret_access_key: "other-secret-key-0001/xyzXYZ" },
      /IAM Principal "arn:aws:iam::123456789012:user\/ci" does not belong to the role "app"/,
    ],
    ["a secret key STS does not accept (a bad signature)", HEADER, { access_key_id: KEY.access_key_id, secret_access_key: "not-the-right-secret-key/000000" }, /SignatureDoesNotMatch/],
  ] as const) {
    it(`${what}: 77 with Vault's own message, no key or signature printed`, async () => {
      mapping(header);
      const r = await ws.run(["-c", "aws.yaml", "--", NODE, "-e", "0"], awsEnv(ws, key));
      assert.equal(r.code, 77, r.stderr);
      assert.match(r.stderr, /Vault rejected the AWS IAM login at auth\/aws \(400: /);
      assert.match(r.stderr, message);
      assert.ok(!r.stderr.includes(key.secret_access_key), "no secret key");
      assert.ok(!/Signature=[0-9a-f]{16}/.test(r.stderr), "no signature");
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    });
  }

  it("no AWS credentials anywhere: 77 saying where the chain looked, before any login request", async () => {
    mapping();
    await sv.control.clearRequests();
    const r = await ws.run(["-c", "aws.yaml", "--", NODE, "-e", "0"], awsEnv(ws, undefined));
    assert.equal(r.code, 77, r.stderr);
    assert.match(r.stderr, /found no AWS credentials/);
    assert.deepEqual(
      (await sv.control.requests()).filter((e) => e.path === "auth/aws/login"),
      [],
    );
  });
});

describe("envject run: method aws reads its credentials again at every login", () => {
  const suite = watchSuite(async (vault) => {
    const admin = vault.admin;
    await admin.writePolicy(POLICY, { "secret/data/login/*": ["read"], "secret/metadata/login/*": ["read"], "sys/internal/ui/mounts/*": ["read"] });
    await admin.writeKv2("secret/login/rotating", { key: "rotating-One-9292" });
    await admin.enableAuth("aws", "aws");
    // Tokens of 2 s, at most 4 s: a new login every few seconds.
    await admin.writeAwsRole("app", { bound_iam_principal_arn: [`arn:aws:iam::${ACCOUNT}:role/app`], policies: [POLICY], token_ttl: 2, token_max_ttl: 4 });
    await admin.addAwsIdentity({ ...KEY, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/app/first` });
  });

  it("a shared credentials file rewritten with a new key (the old one gone): the next login signs with the new one", { timeout: 60_000 }, async () => {
    const admin = suite.vault.admin;
    const ws = suite.workspace("vault:\n  auth:\n    method: aws\n    role: app\nenv:\n  K: vault://secret/login/rotating#key\n");
    const credentials = join(ws.dir, "aws-credentials");
    writeFileSync(credentials, `[default]\naws_access_key_id = ${KEY.access_key_id}\naws_secret_access_key = ${KEY.secret_access_key}\n`);
    const run = suite.start(ws, [], ["K"], awsEnv(ws, undefined));
    await run.waitForStarts(1);
    assert.equal(run.starts()[0]!.env!.K, "rotating-One-9292");
    // The key is rotated: the new one is written where the SDK reads it, the old one stops working.
    await admin.addAwsIdentity({ ...NEXT_KEY, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/app/second` });
    writeFileSync(credentials, `[default]\naws_access_key_id = ${NEXT_KEY.access_key_id}\naws_secret_access_key = ${NEXT_KEY.secret_access_key}\n`);
    await admin.clearAwsIdentities();
    await admin.addAwsIdentity({ ...NEXT_KEY, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/app/second` });
    await suite.vault.control.clearRequests();
    const loginsOk = () => suite.vault.control.requestCount((e: RequestLogEntry) => e.path === "auth/aws/login" && e.status === 200);
    await run.waitFor("two logins with the new key", () => run.lines("INFO", /logged in to Vault again with AWS IAM/).length >= 2, 30_000);
    assert.ok((await loginsOk()) >= 1, "logins after the rotation succeeded");
    await admin.writeKv2("secret/login/rotating", { key: "rotating-Two-9393" });
    await run.waitFor("the change reaching the child", () => run.starts().some((s) => s.env?.K === "rotating-Two-9393"), 30_000);
    const refused = (await suite.vault.control.requests()).filter((e) => e.path === "auth/aws/login" && e.status !== 200);
    assert.deepEqual(
      refused.map((e) => e.status),
      [],
      "no login signed with the old key after the rewrite",
    );
    assert.ok(!run.stderr.includes(NEXT_KEY.secret_access_key) && !run.stderr.includes(KEY.secret_access_key));
    await run.stop();
  });
});

const noOpenssl = opensslUnavailable();

describe("envject run: method cert (TLS client certificate)", { skip: noOpenssl && !process.env.CI ? noOpenssl : false }, () => {
  let pki: TestPki;
  let sv: SeededVault;
  let ws: Workspace;
  before(async () => {
    assert.equal(noOpenssl, undefined, noOpenssl);
    pki = makePki();
    sv = await startSeededVault({ tls: { key: pki.server.key, cert: pki.server.cert } }, { ca: pki.ca.cert });
    ws = new Workspace(sv);
    const admin = sv.admin;
    await admin.writePolicy(POLICY, { "secret/data/login/*": ["read"], "secret/metadata/login/*": ["read"], "sys/internal/ui/mounts/*": ["read"] });
    await admin.writeKv2("secret/login/tls", { key: "cert-Login-9494" });
    await admin.enableAuth("cert", "cert");
    await admin.writeCertRole("web", { certificate: pki.ca.cert, allowed_common_names: ["web.example.com"], policies: [POLICY] });
  });
  after(async () => {
    ws?.cleanup();
    await sv?.close();
    pki?.cleanup();
  });

  const mapping = (cert: { certPath: string; keyPath: string }, name = "web") =>
    ws.file(
      "cert.yaml",
      `vault:\n  ca_cert: ${pki.ca.certPath}\n  auth:\n    method: cert\n    name: ${name}\n    client_cert: ${cert.certPath}\n    client_key: ${cert.keyPath}\nenv:\n  K: vault://secret/login/tls#key\n`,
    );

  it("presents the certificate on every connection, logs in with {name} and reads the secret", async () => {
    mapping(pki.client("web.example.com"));
    const r = await ws.run(["-c", "cert.yaml", "--log-level", "debug", "--", NODE, "-e", "process.stdout.write(process.env.K ?? 'unset')"], { VAULT_TOKEN: undefined });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "cert-Login-9494");
    assert.match(r.stderr, /logged in to Vault with TLS certificate/);
  });

  it("VAULT_CLIENT_CERT / VAULT_CLIENT_KEY serve when the mapping names no files", async () => {
    const web = pki.client("web.example.com");
    ws.file("cert-env.yaml", `vault:\n  ca_cert: ${pki.ca.certPath}\n  auth:\n    method: cert\nenv:\n  K: vault://secret/login/tls#key\n`);
    const r = await ws.run(["-c", "cert-env.yaml", "--", NODE, "-e", "process.stdout.write(process.env.K ?? 'unset')"], {
      VAULT_TOKEN: undefined,
      VAULT_CLIENT_CERT: web.certPath,
      VAULT_CLIENT_KEY: web.keyPath,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "cert-Login-9494");
  });

  it("a certificate the role does not allow (another common name, another CA): 77 with Vault's message", async () => {
    for (const cert of [pki.client("intruder.example.com"), pki.client("web.example.com", { ca: pki.newCa("another CA") })]) {
      mapping(cert);
      const r = await ws.run(["-c", "cert.yaml", "--", NODE, "-e", "0"], { VAULT_TOKEN: undefined });
      assert.equal(r.code, 77, r.stderr);
      assert.match(
        r.stderr,
        /Vault rejected the TLS certificate login at auth\/cert \(400: (invalid certificate or no client certificate supplied|no chain matching all constraints could be found for this login certificate)\)/,
      );
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    }
  });

  it("a key file that cannot be read: 77 naming it", async () => {
    mapping({ certPath: pki.client("web.example.com").certPath, keyPath: join(pki.dir, "missing.key") });
    const r = await ws.run(["-c", "cert.yaml", "--", NODE, "-e", "0"], { VAULT_TOKEN: undefined });
    assert.equal(r.code, 77, r.stderr);
    assert.match(r.stderr, /the TLS client key file .*missing\.key cannot be read \(ENOENT\)/);
  });
});
