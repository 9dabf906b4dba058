/**
 * Logging in with a Kubernetes service account and with a JWT (docs/contract/authentication.md#login-methods), end to end: the
 * bundled CLI against the Vault double's `auth/kubernetes` (service-account tokens verified with
 * the configured keys) and `auth/jwt` (RS256/ES256, audience, bound claims), and a GitHub Actions
 * runner's OIDC endpoint played by a loopback server. The token file is read again at every login
 * (a rotated projected token is what the next login sends), the replaced tokens are revoked, every
 * documented refusal is a 77 with Vault's own message, and no JWT or request token is printed.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import type { RequestLogEntry } from "../../src/dev/vault/client.js";
import { mintJwt, newSigningKey, serviceAccountClaims, standardClaims } from "../support/jwt.js";
import { NODE } from "./e2e.js";
import { watchSuite } from "../watch/e2e-harness.js";

const POLICY = "login-app";
const ISSUER = "https://ci.example.com";
const saKey = newSigningKey("RS256");
const ciKey = newSigningKey("ES256");

const count = (log: readonly RequestLogEntry[], path: string, status = 200) => log.filter((e) => e.path === path && e.status === status).length;
const printJson = (...names: string[]) => [NODE, "-e", `process.stdout.write(JSON.stringify(Object.fromEntries(${JSON.stringify(names)}.map((n) => [n, process.env[n] ?? null]))))`];

const suite = watchSuite(async (vault) => {
  const admin = vault.admin;
  await admin.writePolicy(POLICY, { "secret/data/login/*": ["read"], "secret/metadata/login/*": ["read"], "sys/internal/ui/mounts/*": ["read"] });
  await admin.writeKv2("secret/login/app", { key: "k8s-Login-5151" });
  await admin.enableAuth("kubernetes", "kubernetes");
  await admin.writeKubernetesConfig({ pem_keys: [saKey.publicKeyPem] });
  // Tokens of 3 s, at most 6 s: the second renewal is capped, so a new login comes every ~4 s
  // with the old token still valid for its revocation.
  await admin.writeKubernetesRole("app", {
    bound_service_account_names: ["app", "app-next"],
    bound_service_account_namespaces: ["prod"],
    audience: "vault",
    policies: [POLICY],
    token_ttl: 3,
    token_max_ttl: 6,
  });
  await admin.enableAuth("jwt", "jwt");
  await admin.writeJwtConfig({ jwt_validation_pubkeys: [ciKey.publicKeyPem], bound_issuer: ISSUER });
  await admin.writeJwtRole("deploy", { user_claim: "sub", bound_audiences: ["vault"], bound_claims: { repository: "acme/app" }, policies: [POLICY] });
  await admin.enableAuth("github", "jwt");
  await admin.writeJwtConfig({ jwt_validation_pubkeys: [ciKey.publicKeyPem], bound_issuer: ISSUER }, "github");
  await admin.writeJwtRole("gh", { user_claim: "sub", bound_audiences: ["https://github.com/acme"], policies: [POLICY] }, "github");
});

const saToken = (name = "app", namespace = "prod", extra: { expiresIn?: number; audience?: string } = {}) =>
  mintJwt(saKey, serviceAccountClaims({ namespace, name, audience: extra.audience ?? "vault", expiresIn: extra.expiresIn ?? 3600 }));
const ciToken = (claims: { audience?: string; repository?: string; expiresIn?: number } = {}) =>
  mintJwt(
    ciKey,
    standardClaims({
      issuer: ISSUER,
      subject: "repo:acme/app:ref:refs/heads/main",
      audience: claims.audience ?? "vault",
      expiresIn: claims.expiresIn,
      extra: { repository: claims.repository ?? "acme/app" },
    }),
  );

const K8S = "vault:\n  auth:\n    method: kubernetes\n    role: app\n    token_file: sa/token\nenv:\n  K: vault://secret/login/app#key\n";

describe("envject run: method kubernetes", () => {
  it("logs in with the token file, reads it again at every login (a rotated token is what the next login sends), revokes each replaced token", { timeout: 60_000 }, async () => {
    const admin = suite.vault.admin;
    const ws = suite.workspace(K8S);
    ws.file("sa/token", saToken("app"));
    await suite.vault.control.clearRequests();
    const run = suite.start(ws, ["--log-level", "debug"], ["K"], { VAULT_TOKEN: undefined });
    await run.waitForStarts(1);
    assert.equal(run.starts()[0]!.env!.K, "k8s-Login-5151");
    await run.waitFor("a re-login at the max TTL", () => run.lines("INFO", /logged in to Vault again with Kubernetes/).length >= 1, 30_000);
    // The kubelet rotates the projected token; here it names another bound service account, so
    // the double's tokens show which file content each login sent.
    ws.file("sa/token", saToken("app-next"));
    const before = run.lines("INFO", /logged in to Vault again with Kubernetes/).length;
    await run.waitFor("two more logins after the rotation", () => run.lines("INFO", /logged in to Vault again with Kubernetes/).length >= before + 2, 30_000);
    const tokens = await admin.tokens();
    const next = tokens.filter((t) => t.display_name === "kubernetes-prod-app-next");
    assert.ok(next.length >= 1, `logins after the rotation sent the new token: ${JSON.stringify(tokens.map((t) => t.display_name))}`);
    assert.ok(
      next.some((t) => t.state === "active"),
      "the current login is one made with the rotated token",
    );
    const log = await suite.vault.control.requests();
    const logins = count(log, "auth/kubernetes/login");
    assert.ok(logins >= 3, `logins ${logins}`);
    assert.equal(log.filter((e) => e.path === "auth/kubernetes/login" && e.status !== 200).length, 0, "no refused login");
    const tally = new Map<string, number>();
    for (const e of log) tally.set(`${e.path} ${e.status}`, (tally.get(`${e.path} ${e.status}`) ?? 0) + 1);
    const paths = JSON.stringify([...tally]);
    assert.ok(
      count(log, "auth/token/revoke-self", 204) >= logins - 2,
      `replaced tokens revoked (${count(log, "auth/token/revoke-self", 204)} of ${logins} logins): ${paths}\n${run.stderr
        .split("\n")
        .filter((l) => /revoke|renew|logged in|token/i.test(l))
        .join("\n")}`,
    );
    assert.ok(count(log, "auth/token/renew-self") >= 1, "the token is renewed before it is replaced");
    const end = await run.stop();
    assert.equal(end.code, 0, run.stderr);
    assert.deepEqual(run.lines("WARN", /./), [], "no warning");
  });

  for (const [what, token, message] of [
    ["a service account of a namespace the role does not bind", () => saToken("app", "staging"), /\(403: namespace not authorized\)/],
    ["a service account name the role does not bind", () => saToken("intruder"), /\(403: service account name not authorized\)/],
    ["an expired token", () => saToken("app", "prod", { expiresIn: -3600 }), /\(403: invalid expiration time \(exp\) claim: token is expired\)/],
    ["a token for another audience", () => saToken("app", "prod", { audience: "other" }), /\(403: invalid audience \(aud\) claim: audience claim does not match any expected audience\)/],
    ["a token signed by another key", () => mintJwt(newSigningKey("RS256"), serviceAccountClaims({ namespace: "prod", name: "app", audience: "vault" })), /\(403: permission denied\)/],
  ] as const) {
    it(`${what}: 77 with Vault's own message, the JWT never printed`, async () => {
      const ws = suite.workspace(K8S);
      const jwt = token();
      ws.file("sa/token", jwt);
      const r = await ws.run(["--log-level", "debug", "--", NODE, "-e", "0"], { VAULT_TOKEN: undefined });
      assert.equal(r.code, 77, r.stderr);
      assert.match(r.stderr, /Vault rejected the Kubernetes login at auth\/kubernetes/);
      assert.match(r.stderr, message);
      assert.ok(!r.stderr.includes(jwt), "the JWT is never printed");
      assert.ok(!r.stderr.includes(jwt.split(".")[2]!), "nor its signature");
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    });
  }

  it("an unknown role: 77 with Vault's 400; no token file: 77 naming it", async () => {
    const ws = suite.workspace(K8S.replace("role: app", "role: nope"));
    ws.file("sa/token", saToken());
    const r = await ws.run(["--", NODE, "-e", "0"], { VAULT_TOKEN: undefined });
    assert.equal(r.code, 77, r.stderr);
    assert.match(r.stderr, /\(400: invalid role name "nope"\)/);
    const missing = suite.workspace(K8S);
    const m = await missing.run(["--", NODE, "-e", "0"], { VAULT_TOKEN: undefined });
    assert.equal(m.code, 77, m.stderr);
    assert.match(m.stderr, /the Kubernetes service-account token file .*\/sa\/token does not exist/);
  });
});

describe("envject run: method jwt", () => {
  const mapping = "vault:\n  auth:\n    method: jwt\n    role: deploy\n    jwt: ${CI_JOB_JWT_V2}\nenv:\n  K: vault://secret/login/app#key\n";

  it("logs in with the JWT from ${CI_JOB_JWT_V2} (ES256), which the child does not inherit", async () => {
    const ws = suite.workspace(mapping);
    const jwt = ciToken();
    const r = await ws.run(["--log-level", "debug", "--", ...printJson("K", "CI_JOB_JWT_V2")], { VAULT_TOKEN: undefined, CI_JOB_JWT_V2: jwt });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { K: "k8s-Login-5151", CI_JOB_JWT_V2: null });
    assert.match(r.stderr, /logged in to Vault with JWT/);
    assert.ok(!r.stderr.includes(jwt));
  });

  for (const [what, jwt, message] of [
    ["another audience", () => ciToken({ audience: "not-vault" }), /\(400: error validating token: invalid audience \(aud\) claim: audience claim does not match any expected audience\)/],
    ["a claim the role binds otherwise", () => ciToken({ repository: "evil/fork" }), /\(400: error validating claims: claim "repository" does not match any associated bound claim values\)/],
    ["an expired JWT", () => ciToken({ expiresIn: -3600 }), /\(400: error validating token: invalid expiration time \(exp\) claim: token is expired\)/],
  ] as const) {
    it(`${what}: 77 with Vault's own message`, async () => {
      const ws = suite.workspace(mapping);
      const token = jwt();
      const r = await ws.run(["--", NODE, "-e", "0"], { VAULT_TOKEN: undefined, CI_JOB_JWT_V2: token });
      assert.equal(r.code, 77, r.stderr);
      assert.match(r.stderr, /Vault rejected the JWT login at auth\/jwt/);
      assert.match(r.stderr, message);
      assert.ok(!r.stderr.includes(token));
    });
  }
});

describe("envject run: method jwt on a GitHub Actions runner", () => {
  const issued: string[] = [];
  const seen: Array<{ audience: string | null; authorization: string | undefined }> = [];
  const runner = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://runner");
    seen.push({ audience: url.searchParams.get("audience"), authorization: req.headers.authorization });
    const jwt = ciToken({ audience: url.searchParams.get("audience") ?? "none" });
    issued.push(jwt);
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ count: 1, value: jwt }));
  });
  const listening = new Promise<void>((resolve) => runner.listen(0, "127.0.0.1", () => resolve()));
  after(() => runner.close());

  it("fetches the runner's OIDC token for the audience, logs in with it, and withholds the ACTIONS_* variables from the child", async () => {
    await listening;
    const ws = suite.workspace("vault:\n  auth:\n    method: jwt\n    path: github\n    role: gh\n    audience: https://github.com/acme\nenv:\n  K: vault://secret/login/app#key\n");
    const requestToken = "ghs-runner-request-token-0123456789";
    const r = await ws.run(["--log-level", "debug", "--", ...printJson("K", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN")], {
      VAULT_TOKEN: undefined,
      ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${(runner.address() as AddressInfo).port}/_apis/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { K: "k8s-Login-5151", ACTIONS_ID_TOKEN_REQUEST_URL: null, ACTIONS_ID_TOKEN_REQUEST_TOKEN: null });
    assert.deepEqual(seen, [{ audience: "https://github.com/acme", authorization: `Bearer ${requestToken}` }]);
    assert.ok(!r.stderr.includes(requestToken), "the request token is never printed");
    assert.ok(!r.stderr.includes(issued[0]!), "the OIDC token is never printed");
    assert.equal(count(await suite.vault.control.requests(), "auth/github/login"), 1);
  });
});
