/**
 * The Vault double's kubernetes auth method (vault-plugin-auth-kubernetes): config and roles
 * through the API, login with projected and legacy service-account tokens signed by
 * test/support/jwt.ts and verified against pem_keys (the double's stand-in for TokenReview), the
 * plugin's exact errors and statuses, tokens with the role's policies and TTLs.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, test } from "node:test";
import { VaultDoubleClient } from "../../src/dev/vault/client.js";
import { startVaultDouble } from "../../src/dev/vault/index.js";
import { legacyServiceAccountClaims, mintJwt, newSigningKey, nowSeconds, selfSignedCertificate, serviceAccountClaims, type Claims } from "../support/jwt.js";

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const rsa = newSigningKey("RS256");
const ec = newSigningKey("ES256");
const stranger = newSigningKey("ES256");
const AUD = "vault";

async function withDouble(fn: (v: VaultDoubleClient) => Promise<void>): Promise<void> {
  const d = await startVaultDouble();
  try {
    await fn(new VaultDoubleClient(d.url, d.rootToken));
  } finally {
    await d.close();
  }
}

/** A kubernetes mount verifying with both keys; role "app" for default/app (and audience "vault"). */
async function setUp(v: VaultDoubleClient): Promise<void> {
  await v.enableAuth("kubernetes", "kubernetes");
  await v.writeKubernetesConfig({ pem_keys: [rsa.publicKeyPem, selfSignedCertificate(ec)] });
  await v.writePolicy("app", { "secret/data/app/*": ["read"] });
  await v.writeKv2("secret/app/db", { password: "p" });
  await v.writeKv2("secret/other/db", { password: "q" });
  await v.writeKubernetesRole("app", { bound_service_account_names: ["app"], bound_service_account_namespaces: ["default"], audience: AUD, policies: ["app"], token_ttl: "20m", token_max_ttl: "30m" });
}

const sa = (over: Partial<Parameters<typeof serviceAccountClaims>[0]> = {}): Claims => serviceAccountClaims({ namespace: "default", name: "app", audience: AUD, ...over });

async function login(v: VaultDoubleClient, body: Record<string, unknown>) {
  return v.withToken("").request("POST", "auth/kubernetes/login", body);
}

async function refused(v: VaultDoubleClient, body: Record<string, unknown>, status: number, message: string): Promise<void> {
  const res = await login(v, body);
  assert.equal(res.status, status, `${message}: ${res.text}`);
  assert.equal(res.text, `${JSON.stringify({ errors: [message] })}\n`);
}

describe("kubernetes auth: login", () => {
  for (const key of [rsa, ec]) {
    test(`a projected ${key.alg} service-account token logs in with the plugin's metadata, the role's policies and TTL`, async () => {
      await withDouble(async (v) => {
        await setUp(v);
        const uid = "3a6f9c1e-0d7b-4c2a-9e55-1f0e2d3c4b5a";
        const res = await login(v, { role: "app", jwt: mintJwt(key, sa({ uid, pod: "app-7d9f" })) });
        assert.equal(res.status, 200, res.text);
        assert.match(
          res.text,
          new RegExp(
            `^\\{"request_id":"${UUID}","lease_id":"","renewable":false,"lease_duration":0,"data":null,"wrap_info":null,"warnings":null,"auth":\\{"client_token":"hvs\\.[0-9A-Za-z]{24}","accessor":"[0-9A-Za-z]{24}","policies":\\["app","default"\\],"token_policies":\\["app","default"\\],"metadata":\\{"role":"app","service_account_name":"app","service_account_namespace":"default","service_account_secret_name":"","service_account_uid":"${uid}"\\},"lease_duration":1200,"renewable":true,"entity_id":"${UUID}","token_type":"service","orphan":true,"mfa_requirement":null,"num_uses":0\\},"mount_type":""\\}\\n$`,
          ),
        );
        const token = (res.body as { auth: { client_token: string } }).auth.client_token;
        const app = v.withToken(token);
        const look = (await app.api("GET", "auth/token/lookup-self"))!.data!;
        assert.equal(look.display_name, "kubernetes-default-app");
        assert.equal(look.path, "auth/kubernetes/login");
        assert.equal((await app.request("GET", "secret/data/app/db")).status, 200);
        assert.equal((await app.request("GET", "secret/data/other/db")).status, 403);
        const renewed = (await app.api("POST", "auth/token/renew-self", { increment: 3600 }))!.auth!;
        assert.ok(renewed.lease_duration >= 1798 && renewed.lease_duration <= 1800, String(renewed.lease_duration));
      });
    });
  }

  test("a legacy (Secret-based, non-expiring) token logs in; its secret name is in the metadata", async () => {
    await withDouble(async (v) => {
      await setUp(v);
      await v.writeKubernetesRole("legacy", { bound_service_account_names: "app", bound_service_account_namespaces: "default", policies: ["app"] });
      const claims = legacyServiceAccountClaims({ namespace: "default", name: "app", uid: "u-1", secretName: "app-token-x7k2p" });
      const auth = await v.loginKubernetes("legacy", mintJwt(rsa, claims));
      assert.deepEqual(auth.metadata, {
        role: "legacy",
        service_account_name: "app",
        service_account_namespace: "default",
        service_account_secret_name: "app-token-x7k2p",
        service_account_uid: "u-1",
      });
      assert.equal(auth.lease_duration, 2764800, "no token_ttl: the system default");
    });
  });

  test("the plugin's refusals, with their exact status and message", async () => {
    await withDouble(async (v) => {
      await setUp(v);
      const ok = mintJwt(rsa, sa());
      const now = nowSeconds();
      await refused(v, { jwt: ok }, 400, "missing role");
      await refused(v, { role: "app" }, 400, "missing jwt");
      await refused(v, { role: "Nope", jwt: ok }, 400, 'invalid role name "Nope"');
      await refused(v, { role: "app", jwt: mintJwt(stranger, sa()) }, 403, "permission denied");
      await refused(v, { role: "app", jwt: "garbage" }, 403, "permission denied");
      await refused(v, { role: "app", jwt: mintJwt(rsa, sa({ now: now - 4000, expiresIn: 3600 })) }, 403, "invalid expiration time (exp) claim: token is expired");
      await refused(
        v,
        { role: "app", jwt: mintJwt(rsa, sa({ audience: "https://kubernetes.default.svc" })) },
        403,
        "invalid audience (aud) claim: audience claim does not match any expected audience",
      );
      await refused(v, { role: "app", jwt: mintJwt(rsa, sa({ name: "intruder" })) }, 403, "service account name not authorized");
      await refused(v, { role: "app", jwt: mintJwt(rsa, sa({ namespace: "kube-system" })) }, 403, "namespace not authorized");
      await refused(v, { role: "app", jwt: mintJwt(rsa, { ...sa(), aud: AUD }) }, 500, "1 error(s) decoding:\n\n* 'aud': source data must be an array or slice, got string");
      const { "kubernetes.io": _k, ...anonymous } = sa();
      await refused(v, { role: "app", jwt: mintJwt(rsa, anonymous) }, 403, "service account name not authorized");
    });
  });

  test("role names are case-insensitive; the login keeps the name as given in its metadata", async () => {
    await withDouble(async (v) => {
      await setUp(v);
      const auth = await v.loginKubernetes("APP", mintJwt(rsa, sa()));
      assert.equal(auth.metadata?.role, "APP");
    });
  });

  test("names and namespaces: `*`, globs, lists; alias_name_source picks the entity", async () => {
    await withDouble(async (v) => {
      await setUp(v);
      await v.writeKubernetesRole("wide", { bound_service_account_names: "*", bound_service_account_namespaces: ["team-*", "ops"], audience: AUD, alias_name_source: "serviceaccount_name" });
      const first = await v.loginKubernetes("wide", mintJwt(rsa, sa({ namespace: "team-a", name: "anything" })));
      const second = await v.loginKubernetes("wide", mintJwt(ec, sa({ namespace: "team-a", name: "anything" })));
      assert.equal(first.entity_id, second.entity_id, "same namespace/name, same entity (uids differ)");
      assert.equal((await login(v, { role: "wide", jwt: mintJwt(rsa, sa({ namespace: "ops" })) })).status, 200);
      await refused(v, { role: "wide", jwt: mintJwt(rsa, sa({ namespace: "dev" })) }, 403, "namespace not authorized");
      await v.writeKubernetesRole("prefixed", { bound_service_account_names: ["web-*"], bound_service_account_namespaces: "*", audience: AUD });
      assert.equal((await login(v, { role: "prefixed", jwt: mintJwt(rsa, sa({ name: "web-frontend", namespace: "x" })) })).status, 200);
      await refused(v, { role: "prefixed", jwt: mintJwt(rsa, sa({ name: "api" })) }, 403, "service account name not authorized");
      // With the default alias source (the uid), two uids are two entities.
      const a = await v.loginKubernetes("app", mintJwt(rsa, sa()));
      const b = await v.loginKubernetes("app", mintJwt(rsa, sa()));
      assert.notEqual(a.entity_id, b.entity_id);
    });
  });

  test("issuer is checked only with disable_iss_validation=false and an issuer set", async () => {
    await withDouble(async (v) => {
      await setUp(v);
      await v.writeKubernetesConfig({ pem_keys: [rsa.publicKeyPem], issuer: "https://k8s.example", disable_iss_validation: false });
      await refused(v, { role: "app", jwt: mintJwt(rsa, sa()) }, 403, "invalid issuer (iss) claim");
      assert.equal((await login(v, { role: "app", jwt: mintJwt(rsa, sa({ issuer: "https://k8s.example" })) })).status, 200);
      await v.writeKubernetesConfig({ pem_keys: [rsa.publicKeyPem], issuer: "https://k8s.example" });
      assert.equal((await login(v, { role: "app", jwt: mintJwt(rsa, sa()) })).status, 200, "disable_iss_validation defaults to true");
    });
  });

  test("without pem_keys nothing vouches for a token: claim checks run, then 403 permission denied", async () => {
    await withDouble(async (v) => {
      await setUp(v);
      await v.writeKubernetesConfig({});
      await refused(v, { role: "app", jwt: mintJwt(rsa, sa({ name: "intruder" })) }, 403, "service account name not authorized");
      await refused(v, { role: "app", jwt: mintJwt(rsa, sa()) }, 403, "permission denied");
    });
  });

  test("an unconfigured mount answers 500 could not load backend configuration", async () => {
    await withDouble(async (v) => {
      await v.enableAuth("kubernetes", "kubernetes");
      await v.writeKubernetesRole("app", { bound_service_account_names: "app", bound_service_account_namespaces: "default" });
      await refused(v, { role: "app", jwt: mintJwt(rsa, sa()) }, 500, "could not load backend configuration");
    });
  });
});

describe("kubernetes auth: config and roles", () => {
  test("config: Vault's checks, and the read-back", async () => {
    await withDouble(async (v) => {
      await v.enableAuth("kubernetes", "kubernetes");
      assert.equal((await v.request("GET", "auth/kubernetes/config")).status, 404);
      const bad = async (body: Record<string, unknown>, message: string) => {
        const res = await v.request("POST", "auth/kubernetes/config", body);
        assert.equal(res.status, 400, res.text);
        assert.deepEqual((res.body as { errors: string[] }).errors, [message]);
      };
      await bad({}, "no host provided");
      await bad({ kubernetes_host: "https://k8s", kubernetes_ca_cert: "not pem" }, "The provided CA PEM data contains no valid certificates");
      await bad({ kubernetes_host: "https://k8s", disable_local_ca_jwt: true, pem_keys: ["nope"] }, "data does not contain any valid RSA or ECDSA public keys");
      await bad({ kubernetes_host: "https://k8s", disable_local_ca_jwt: true, pem_keys: [newSigningKey("EdDSA").publicKeyPem] }, "data does not contain any valid RSA or ECDSA public keys");
      if (!existsSync("/var/run/secrets/kubernetes.io/serviceaccount/ca.crt")) {
        await bad({ kubernetes_host: "https://k8s" }, "open /var/run/secrets/kubernetes.io/serviceaccount/ca.crt: no such file or directory");
      }
      const ca = selfSignedCertificate(rsa, { commonName: "cluster-ca" });
      await v.api("POST", "auth/kubernetes/config", { kubernetes_host: "https://k8s:6443", kubernetes_ca_cert: ca, pem_keys: [ec.publicKeyPem], token_reviewer_jwt: "secret-jwt" });
      assert.deepEqual((await v.api("GET", "auth/kubernetes/config"))!.data, {
        disable_iss_validation: true,
        disable_local_ca_jwt: false,
        issuer: "",
        kubernetes_ca_cert: ca,
        kubernetes_host: "https://k8s:6443",
        pem_keys: [ec.publicKeyPem.trim()],
        token_reviewer_jwt_set: true,
        use_annotations_as_alias_metadata: false,
      });
    });
  });

  test("roles: Vault's checks, the audience warning, the read-back with deprecated names, list and delete", async () => {
    await withDouble(async (v) => {
      await v.enableAuth("kubernetes", "kubernetes");
      const bad = async (body: Record<string, unknown>, message: string) => {
        const res = await v.request("POST", "auth/kubernetes/role/r", body);
        assert.equal(res.status, 400, res.text);
        assert.deepEqual((res.body as { errors: string[] }).errors, [message]);
      };
      await bad({ bound_service_account_namespaces: ["default"] }, '"bound_service_account_names" can not be empty');
      await bad({ bound_service_account_names: ["a", "*"], bound_service_account_namespaces: ["default"] }, 'can not mix "*" with values');
      await bad({ bound_service_account_names: ["a"] }, '"bound_service_account_namespaces" can not be empty if "bound_service_account_namespace_selector" is not set');
      await bad({ bound_service_account_names: ["a"], bound_service_account_namespaces: ["*", "x"] }, 'can not mix "*" with values');
      await bad(
        { bound_service_account_names: ["a"], bound_service_account_namespaces: ["x"], alias_name_source: "pod" },
        "invalid alias_name_source, must be one of: serviceaccount_uid, serviceaccount_name",
      );
      await bad({ bound_service_account_names: ["a"], bound_service_account_namespace_selector: "- not a map" }, 'invalid "bound_service_account_namespace_selector" configured');
      await bad({ bound_service_account_names: ["a"], bound_service_account_namespaces: ["x"], token_ttl: 60, token_max_ttl: 30 }, "'token_ttl' cannot be greater than 'token_max_ttl'");

      const res = await v.request("POST", "auth/kubernetes/role/Web", { bound_service_account_names: "web", bound_service_account_namespaces: "prod", policies: "App", ttl: "1h" });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual((res.body as { warnings: string[] }).warnings, [
        "Role Web does not have an audience configured. While audiences are not required, consider specifying one if your use case would benefit from additional JWT claim verification.",
      ]);
      assert.deepEqual((await v.api("GET", "auth/kubernetes/role/web"))!.data, {
        alias_name_source: "serviceaccount_uid",
        bound_service_account_names: ["web"],
        bound_service_account_namespace_selector: "",
        bound_service_account_namespaces: ["prod"],
        policies: ["app"],
        token_bound_cidrs: [],
        token_explicit_max_ttl: 0,
        token_max_ttl: 0,
        token_no_default_policy: false,
        token_num_uses: 0,
        token_period: 0,
        token_policies: ["app"],
        token_ttl: 3600,
        token_type: "default",
        ttl: 3600,
      });
      assert.deepEqual(await v.writeKubernetesRole("api", { bound_service_account_names: "api", bound_service_account_namespaces: "prod", audience: AUD }), []);
      assert.equal(((await v.api("GET", "auth/kubernetes/role/api"))!.data as { audience: string }).audience, AUD);
      assert.deepEqual((await v.api("GET", "auth/kubernetes/role", undefined, { list: "true" }))!.data, { keys: ["api", "web"] });
      assert.equal((await v.request("DELETE", "auth/kubernetes/role/WEB")).status, 204);
      assert.deepEqual((await v.api("GET", "auth/kubernetes/role", undefined, { list: "true" }))!.data, { keys: ["api"] });
      assert.equal((await v.request("GET", "auth/kubernetes/role/web")).status, 404);
    });
  });

  test("role writes need create or update on the role path (an existence check)", async () => {
    await withDouble(async (v) => {
      await setUp(v);
      await v.writePolicy("updater", { "auth/kubernetes/role/*": ["update"] });
      const updater = v.withToken(await v.createToken({ policies: ["updater"] }));
      const body = { bound_service_account_names: "x", bound_service_account_namespaces: "y", audience: AUD };
      assert.equal((await updater.request("POST", "auth/kubernetes/role/new", body)).status, 403, "creating needs create");
      assert.equal((await updater.request("POST", "auth/kubernetes/role/app", body)).status, 204, "updating needs update");
    });
  });
});
