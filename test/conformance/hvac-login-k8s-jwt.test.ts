/**
 * Conformance: Debian's python3-hvac (hvac 0.11.x) configures the Vault double's kubernetes and
 * jwt auth methods with its own configure/create_role methods and logs in with
 * auth.kubernetes.login and auth.jwt.jwt_login; hvac_login_k8s_jwt.py prints one line per check.
 * The JWTs and keys are minted here (test/support/jwt.ts) and handed over in HVAC_LOGIN_FIXTURES.
 * Skipped with an install hint when /usr/bin/python3 cannot import hvac, failed when CI=true.
 */
import assert from "node:assert/strict";
import { startVaultDouble } from "../../src/dev/vault/index.js";
import { conformanceTest, hvacClient, runHvacScript } from "../support/conformance.js";
import { mintJwt, newSigningKey, nowSeconds, selfSignedCertificate, serviceAccountClaims, standardClaims } from "../support/jwt.js";

const hvac = hvacClient();

const CHECKS = [
  "setup_policy_and_secret",
  "k8s_enable_and_configure",
  "k8s_create_role",
  "k8s_login",
  "k8s_login_glob_namespace",
  "k8s_renew_self",
  "k8s_login_refused_namespace",
  "k8s_login_refused_name",
  "k8s_login_refused_signature",
  "k8s_login_refused_expired",
  "k8s_login_unknown_role",
  "jwt_enable_and_configure",
  "jwt_create_role",
  "jwt_create_role_needs_a_bound_constraint",
  "jwt_login",
  "jwt_login_es256",
  "jwt_login_refused_audience",
  "jwt_login_refused_signature",
  "jwt_login_refused_expired",
  "jwt_login_refused_missing_user_claim",
  "jwt_login_refused_bound_claim",
  "jwt_login_unknown_role",
];

/** Keys, certificates and JWTs for every check (nothing secret outside this test). */
function fixtures(): Record<string, unknown> {
  const cluster = newSigningKey("RS256");
  const ca = newSigningKey("ES256");
  const ci = newSigningKey("RS256");
  const ciEc = newSigningKey("ES256");
  const stranger = newSigningKey("RS256");
  const uid = "0b7a3c55-9f21-4e0e-8d3a-5c6b7a8d9e0f";
  const now = nowSeconds();
  const sa = (over: Partial<Parameters<typeof serviceAccountClaims>[0]> = {}) => serviceAccountClaims({ namespace: "default", name: "app", uid, ...over });
  const issuer = "https://token.actions.githubusercontent.com";
  const subject = "repo:org/app:ref:refs/heads/main";
  const ciClaims = (over: Parameters<typeof standardClaims>[0] = {}) => standardClaims({ issuer, subject, audience: "vault", ...over, extra: { repository: "org/app", ...over.extra } });
  const { sub: _sub, ...noSub } = ciClaims();
  return {
    k8s_cert: selfSignedCertificate(cluster, { commonName: "service-account-signer" }),
    k8s_ca_cert: selfSignedCertificate(ca, { commonName: "cluster-ca" }),
    k8s_uid: uid,
    k8s_ok: mintJwt(cluster, sa({ pod: "app-6c9f8" })),
    k8s_team_ns: mintJwt(cluster, sa({ namespace: "team-a" })),
    k8s_wrong_ns: mintJwt(cluster, sa({ namespace: "kube-system" })),
    k8s_wrong_name: mintJwt(cluster, sa({ name: "intruder" })),
    k8s_bad_sig: mintJwt(stranger, sa()),
    k8s_expired: mintJwt(cluster, sa({ now: now - 7200, expiresIn: 3600 })),
    jwt_issuer: issuer,
    jwt_subject: subject,
    jwt_pubkeys: [ci.publicKeyPem, ciEc.publicKeyPem],
    jwt_ok: mintJwt(ci, ciClaims()),
    jwt_es256: mintJwt(ciEc, ciClaims()),
    jwt_wrong_aud: mintJwt(ci, ciClaims({ audience: "other" })),
    jwt_bad_sig: mintJwt(stranger, ciClaims()),
    jwt_expired: mintJwt(ci, ciClaims({ now: now - 900, expiresIn: 300 })),
    jwt_no_sub: mintJwt(ci, noSub),
    jwt_other_repo: mintJwt(ci, ciClaims({ extra: { repository: "org/evil" } })),
  };
}

conformanceTest("hvac (python3-hvac) configures and logs in with the double's kubernetes and jwt auth methods", hvac, async () => {
  const double = await startVaultDouble();
  try {
    const { code, stdout, stderr, lines, failures } = await runHvacScript("hvac_login_k8s_jwt.py", [double.url, double.rootToken], {
      env: { HVAC_LOGIN_FIXTURES: JSON.stringify(fixtures()) },
    });
    assert.deepEqual(failures, [], `failed checks:\n${failures.join("\n")}\nstderr:\n${stderr.slice(-2000)}`);
    for (const name of CHECKS) assert.ok(lines.includes(`ok ${name}`), `missing "ok ${name}" in:\n${stdout}\n${stderr.slice(-2000)}`);
    assert.ok(lines.includes(`summary: ${CHECKS.length} passed, 0 failed`), stdout);
    assert.equal(code, 0, `exit code ${code}\n${stderr.slice(-2000)}`);
  } finally {
    await double.close();
  }
});
