/**
 * Conformance of the Vault double's aws (IAM) and cert auth methods with real clients: Debian's
 * python3-hvac (hvac 0.11.x signs GetCallerIdentity itself and logs in with a TLS client
 * certificate through requests) and python3-botocore (a second SigV4 signer), driving an HTTPS
 * double started here with a throw-away PKI (test/support/certs.ts). hvac_login_aws_cert.py
 * prints one line per check, refused logins included. Skipped with an install hint when
 * /usr/bin/python3 cannot import hvac and botocore, or openssl is missing; failed instead when
 * CI=true.
 */
import assert from "node:assert/strict";
import { startVaultDouble } from "../../src/dev/vault/index.js";
import { makePki, opensslUnavailable } from "../support/certs.js";
import { conformanceTest, hvacClient, runHvacScript } from "../support/conformance.js";

const clients = hvacClient({
  name: "hvac and botocore (Debian python3-hvac, python3-botocore) with openssl",
  extraModules: ["botocore.auth"],
  installHint: "sudo apt-get install -y python3-hvac python3-botocore openssl",
  precheck: opensslUnavailable,
});

const CHECKS = [
  "aws_setup",
  "aws_iam_login",
  "aws_iam_login_wrong_secret_refused",
  "aws_iam_login_without_server_id_refused",
  "aws_iam_login_unbound_role_refused",
  "aws_iam_login_botocore_regional",
  "aws_iam_login_botocore_wrong_region_refused",
  "cert_setup",
  "cert_login",
  "cert_login_without_name",
  "cert_login_other_ca_refused",
  "cert_login_without_certificate_refused",
];

conformanceTest("hvac and botocore log in to the double's aws and cert auth methods (and are refused where Vault refuses)", clients, async () => {
  const pki = makePki();
  const web = pki.client("web.example.com");
  const stranger = pki.client("web.example.com", { ca: pki.newCa("stranger CA") });
  const double = await startVaultDouble({ tls: { key: pki.server.key, cert: pki.server.cert } });
  try {
    // No AWS settings leak in: the script starts from PATH and HOME only.
    const { code, stdout, stderr, lines, failures } = await runHvacScript(
      "hvac_login_aws_cert.py",
      [double.url, double.rootToken, pki.ca.certPath, web.certPath, web.keyPath, stranger.certPath, stranger.keyPath],
      { cleanEnv: true, env: { AWS_EC2_METADATA_DISABLED: "true" } },
    );
    assert.deepEqual(failures, [], `failed checks:\n${failures.join("\n")}\nstderr:\n${stderr.slice(-2000)}`);
    for (const name of CHECKS) assert.ok(lines.includes(`ok ${name}`), `missing "ok ${name}" in:\n${stdout}\n${stderr.slice(-2000)}`);
    assert.ok(lines.includes(`summary: ${CHECKS.length} passed, 0 failed`), stdout);
    assert.equal(code, 0, `exit code ${code}\n${stderr.slice(-2000)}`);
  } finally {
    await double.close();
    pki.cleanup();
  }
});
