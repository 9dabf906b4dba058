/**
 * The Vault double's jwt auth method (vault-plugin-auth-jwt): config and roles through the API,
 * login with RS256/ES256 tokens signed by test/support/jwt.ts, the plugin's exact 400s in its
 * order, tokens with the role's policies and TTLs that read secrets and renew.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { VaultDoubleClient, VaultDoubleError } from "../../src/dev/vault/client.js";
import { startVaultDouble, type VaultDouble } from "../../src/dev/vault/index.js";
import { mintJwt, newSigningKey, nowSeconds, standardClaims, type Claims, type SigningKey } from "../support/jwt.js";

const ISSUER = "https://token.actions.githubusercontent.com";
const SUBJECT = "repo:org/app:ref:refs/heads/main";
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

const rsa = newSigningKey("RS256");
const ec = newSigningKey("ES256");
const stranger = newSigningKey("RS256");

async function withDouble(fn: (v: VaultDoubleClient, d: VaultDouble) => Promise<void>): Promise<void> {
  const d = await startVaultDouble();
  try {
    await fn(new VaultDoubleClient(d.url, d.rootToken), d);
  } finally {
    await d.close();
  }
}

/** A jwt mount with both keys, a policy reading secret/app/*, and role "ci" (aud "vault", repository bound). */
async function setUp(v: VaultDoubleClient, mount = "jwt", type: "jwt" | "oidc" = "jwt"): Promise<void> {
  await v.enableAuth(mount, type);
  await v.writeJwtConfig({ jwt_validation_pubkeys: [rsa.publicKeyPem, ec.publicKeyPem], bound_issuer: ISSUER }, mount);
  await v.writePolicy("app", { "secret/data/app/*": ["read"] });
  await v.writeKv2("secret/app/db", { password: "p" });
  await v.writeKv2("secret/other/db", { password: "q" });
  await v.writeJwtRole("ci", { user_claim: "sub", bound_audiences: ["vault"], bound_claims: { repository: "org/app" }, policies: ["app"], token_ttl: "20m", token_max_ttl: "30m" }, mount);
}

const claims = (over: { extra?: Claims } & Parameters<typeof standardClaims>[0] = {}): Claims =>
  standardClaims({ issuer: ISSUER, subject: SUBJECT, audience: "vault", ...over, extra: { repository: "org/app", ...over.extra } });

async function login(v: VaultDoubleClient, body: Record<string, unknown>, mount = "jwt") {
  return v.withToken("").request("POST", `auth/${mount}/login`, body);
}

/** Asserts a login answers `status` with exactly `message`. */
async function refused(v: VaultDoubleClient, body: Record<string, unknown>, status: number, message: string, mount = "jwt"): Promise<void> {
  const res = await login(v, body, mount);
  assert.equal(res.status, status, `${message}: ${res.text}`);
  assert.equal(res.text, `${JSON.stringify({ errors: [message] })}\n`);
}

describe("jwt auth: login", () => {
  for (const key of [rsa, ec]) {
    test(`a ${key.alg} token logs in: Vault's auth block, role policies and TTL, metadata {role}`, async () => {
      await withDouble(async (v) => {
        await setUp(v);
        const res = await login(v, { role: "ci", jwt: mintJwt(key, claims()) });
        assert.equal(res.status, 200, res.text);
        assert.match(
          res.text,
          new RegExp(
            `^\\{"request_id":"${UUID}","lease_id":"","renewable":false,"lease_duration":0,"data":null,"wrap_info":null,"warnings":null,"auth":\\{"client_token":"hvs\\.[0-9A-Za-z]{24}","accessor":"[0-9A-Za-z]{24}","policies":\\["app","default"\\],"token_policies":\\["app","default"\\],"metadata":\\{"role":"ci"\\},"lease_duration":1200,"renewable":true,"entity_id":"${UUID}","token_type":"service","orphan":true,"mfa_requirement":null,"num_uses":0\\},"mount_type":""\\}\\n$`,
          ),
        );
        const auth = (res.body as { auth: { client_token: string; entity_id: string } }).auth;
        const app = v.withToken(auth.client_token);
        const look = (await app.api("GET", "auth/token/lookup-self"))!.data!;
        assert.equal(look.path, "auth/jwt/login");
        assert.equal(look.display_name, `jwt-${SUBJECT}`);
        assert.deepEqual(look.meta, { role: "ci" });
        assert.equal(look.entity_id, auth.entity_id);
        // The same user_claim value is the same entity.
        const again = await v.loginJwt("ci", mintJwt(key, claims()));
        assert.equal(again.entity_id, auth.entity_id);
      });
    });
  }

  test("the token reads what its policies allow, nothing else, and renews up to the role's max TTL", async () => {
    await withDouble(async (v) => {
      await setUp(v);
      const auth = await v.loginJwt("ci", mintJwt(rsa, claims()));
      const app = v.withToken(auth.client_token);
      assert.equal((await app.request("GET", "secret/data/app/db")).status, 200);
      assert.equal((await app.request("GET", "secret/data/other/db")).status, 403);
      const renewed = await app.request("POST", "auth/token/renew-self", { increment: "1h" });
      assert.equal(renewed.status, 200, renewed.text);
      const body = renewed.body as { auth: { lease_duration: number; client_token: string }; warnings: string[] };
      assert.equal(body.auth.client_token, auth.client_token);
      assert.ok(body.auth.lease_duration >= 1798 && body.auth.lease_duration <= 1800, String(body.auth.lease_duration));
      assert.match(body.warnings[0]!, /^TTL of "1h0m0s" exceeded the effective max_ttl of "(29m5\ds|30m0s)"; TTL value is capped accordingly$/);
      const plain = (await app.request("POST", "auth/token/renew-self", {})).body as { auth: { lease_duration: number } };
      assert.ok(plain.auth.lease_duration <= 1800 && plain.auth.lease_duration >= 1190, String(plain.auth.lease_duration));
    });
  });

  test("token_period, token_num_uses and token_no_default_policy come from the role", async () => {
    await withDouble(async (v) => {
      await setUp(v);
      await v.writeJwtRole("periodic", { user_claim: "sub", bound_audiences: ["vault"], policies: ["app"], token_period: 600, token_num_uses: 3, token_no_default_policy: true });
      const auth = await v.loginJwt("periodic", mintJwt(rsa, claims()));
      assert.equal(auth.lease_duration, 600);
      assert.deepEqual(auth.policies, ["app"]);
      // No default policy: the token may not even look itself up; root looks it up.
      assert.equal((await v.withToken(auth.client_token).request("GET", "auth/token/lookup-self")).status, 403);
      const look = (await v.api("POST", "auth/token/lookup", { token: auth.client_token }))!.data!;
      assert.equal(look.period, 600);
      assert.equal(look.num_uses, 3, "a refused request spends no use");
    });
  });

  test("the plugin's refusals, with their exact status and message", async () => {
    await withDouble(async (v) => {
      await setUp(v);
      const jwt = (c: Claims, key: SigningKey = rsa) => mintJwt(key, c);
      const now = nowSeconds();
      await refused(v, { jwt: jwt(claims()) }, 400, "missing role");
      await refused(v, { role: "nope", jwt: jwt(claims()) }, 400, 'role "nope" could not be found');
      await refused(v, { role: "ci" }, 400, "missing token");
      await refused(v, { role: "ci", jwt: "not-a-jwt" }, 400, "error validating token: error verifying token signature: go-jose/go-jose: compact JWS format must have three parts");
      await refused(v, { role: "ci", jwt: jwt(claims(), stranger) }, 400, "error validating token: error verifying token signature: no known key successfully validated the token signature");
      const [h, p] = jwt(claims()).split(".");
      await refused(v, { role: "ci", jwt: `${h}.${p}.` }, 400, "error validating token: error verifying token signature: no known key successfully validated the token signature");
      await refused(v, { role: "ci", jwt: jwt(claims({ audience: "other" })) }, 400, "error validating token: invalid audience (aud) claim: audience claim does not match any expected audience");
      await refused(v, { role: "ci", jwt: jwt(claims({ issuer: "https://evil.example" })) }, 400, "error validating token: invalid issuer (iss) claim");
      await refused(v, { role: "ci", jwt: jwt(claims({ now: now - 400, expiresIn: 300 })) }, 400, "error validating token: invalid expiration time (exp) claim: token is expired");
      await refused(v, { role: "ci", jwt: jwt({ ...claims(), nbf: now + 120, iat: now + 120 }) }, 400, "error validating token: invalid not before (nbf) claim: token not yet valid");
      await refused(v, { role: "ci", jwt: jwt({ ...claims(), iat: now + 120 }) }, 400, "error validating token: invalid issued at (iat) claim: token issued in the future");
      const { iat: _i, nbf: _n, exp: _e, ...timeless } = claims();
      await refused(v, { role: "ci", jwt: jwt(timeless) }, 400, "error validating token: no issued at (iat), not before (nbf), or expiration time (exp) claims in token");
      const { sub: _s, ...subless } = claims();
      await refused(v, { role: "ci", jwt: jwt(subless) }, 400, 'claim "sub" not found in token');
      await refused(v, { role: "ci", jwt: jwt({ ...claims(), sub: 42 }) }, 400, "error validating token: json: cannot unmarshal number into Go struct field Claims.sub of type string");
      await refused(v, { role: "ci", jwt: jwt(claims({ extra: { repository: "org/evil" } })) }, 400, 'error validating claims: claim "repository" does not match any associated bound claim values');
      const { repository: _r, ...unbound } = claims();
      await refused(v, { role: "ci", jwt: jwt(unbound) }, 400, 'error validating claims: claim "repository" is missing');
    });
  });

  test("clock skew: 60 s past exp still logs in, 61+ does not; clock_skew_leeway -1 turns it off", async () => {
    await withDouble(async (v) => {
      await setUp(v);
      const now = nowSeconds();
      const late = mintJwt(rsa, { ...claims(), iat: now - 300, nbf: now - 300, exp: now - 30 });
      assert.equal((await login(v, { role: "ci", jwt: late })).status, 200);
      await v.writeJwtRole("strict", { user_claim: "sub", bound_audiences: ["vault"], clock_skew_leeway: -1 });
      await refused(v, { role: "strict", jwt: late }, 400, "error validating token: invalid expiration time (exp) claim: token is expired");
      // Without exp, exp is the later of iat/nbf plus expiration_leeway (150 s by default).
      const withoutExp = (start: number): Claims => ({ ...claims(), iat: start, nbf: start, exp: undefined });
      assert.equal((await login(v, { role: "ci", jwt: mintJwt(rsa, withoutExp(now - 100)) })).status, 200);
      await refused(v, { role: "ci", jwt: mintJwt(rsa, withoutExp(now - 300)) }, 400, "error validating token: invalid expiration time (exp) claim: token is expired");
    });
  });

  test("a token with an audience is refused by a role without bound_audiences", async () => {
    await withDouble(async (v) => {
      await setUp(v);
      await v.writeJwtRole("subject-only", { user_claim: "sub", bound_subject: SUBJECT });
      await refused(v, { role: "subject-only", jwt: mintJwt(rsa, claims()) }, 400, "audience claim found in JWT but no audiences bound to the role");
      const { aud: _a, ...noAud } = claims();
      assert.equal((await login(v, { role: "subject-only", jwt: mintJwt(rsa, noAud) })).status, 200);
      await refused(v, { role: "subject-only", jwt: mintJwt(rsa, { ...noAud, sub: "repo:org/other" }) }, 400, "error validating token: invalid subject (sub) claim");
    });
  });

  test("bound_claims: lists, globs, numbers, bools and JSON pointers; claim_mappings fill the metadata", async () => {
    await withDouble(async (v) => {
      await setUp(v);
      await v.writeJwtRole("globbed", {
        user_claim: "/actor/login",
        user_claim_json_pointer: true,
        bound_audiences: ["vault"],
        bound_claims_type: "glob",
        bound_claims: { ref: ["refs/heads/main", "refs/tags/v*"], "/repo/owner": "org*" },
        claim_mappings: { repository: "repo", "/actor/login": "actor" },
      });
      const base = claims({ extra: { actor: { login: "octo" }, repo: { owner: "org-team" } } });
      const tag = await v.loginJwt("globbed", mintJwt(rsa, { ...base, ref: "refs/tags/v1.2" }));
      assert.deepEqual(tag.metadata, { actor: "octo", repo: "org/app", role: "globbed" });
      await refused(v, { role: "globbed", jwt: mintJwt(rsa, { ...base, ref: "refs/heads/dev" }) }, 400, 'error validating claims: claim "ref" does not match any associated bound claim values');
      await v.writeJwtRole("typed", { user_claim: "sub", bound_audiences: ["vault"], bound_claims: { run: 7, admin: true } });
      assert.equal((await login(v, { role: "typed", jwt: mintJwt(rsa, claims({ extra: { run: 7, admin: true } })) })).status, 200);
      await refused(
        v,
        { role: "typed", jwt: mintJwt(rsa, claims({ extra: { run: "7", admin: true } })) },
        400,
        'error validating claims: claim "run" does not match any associated bound claim values',
      );
      await refused(
        v,
        { role: "typed", jwt: mintJwt(rsa, claims({ extra: { run: 7, admin: { x: 1 } } })) },
        400,
        "error validating claims: received claim is not a string, bool, int or list: map[x:1]",
      );
    });
  });

  test("default_role is used when the login names none; an oidc role cannot log in with a JWT", async () => {
    await withDouble(async (v) => {
      await v.enableAuth("jwt", "jwt");
      await v.writeJwtConfig({ jwt_validation_pubkeys: [rsa.publicKeyPem], default_role: "CI" });
      await v.writeJwtRole("ci", { user_claim: "sub", bound_audiences: ["vault"] });
      assert.equal((await login(v, { jwt: mintJwt(rsa, claims()) })).status, 200);
      assert.equal((await login(v, { role: "CI", jwt: mintJwt(rsa, claims()) })).status, 200, "role names are lower-cased");
      await v.writeJwtRole("browser", { role_type: "oidc", user_claim: "sub", allowed_redirect_uris: ["http://localhost:8250/oidc/callback"] });
      await refused(v, { role: "browser", jwt: mintJwt(rsa, claims()) }, 400, "role with oidc role_type is not allowed");
    });
  });

  test("jwt_supported_algs narrows the accepted algorithms", async () => {
    await withDouble(async (v) => {
      await v.enableAuth("jwt", "jwt");
      await v.writeJwtConfig({ jwt_validation_pubkeys: [rsa.publicKeyPem, ec.publicKeyPem], jwt_supported_algs: ["RS256"] });
      await v.writeJwtRole("ci", { user_claim: "sub", bound_audiences: ["vault"] });
      assert.equal((await login(v, { role: "ci", jwt: mintJwt(rsa, claims()) })).status, 200);
      await refused(v, { role: "ci", jwt: mintJwt(ec, claims()) }, 400, "error validating token: invalid algorithm (alg) header parameter: token signed with unexpected algorithm");
    });
  });

  test("an unconfigured mount refuses logins; an oidc-type mount serves the same API", async () => {
    await withDouble(async (v) => {
      await v.enableAuth("jwt", "jwt");
      await refused(v, { role: "ci", jwt: mintJwt(rsa, claims()) }, 400, "could not load configuration");
      await setUp(v, "oidc", "oidc");
      const auth = await v.loginJwt("ci", mintJwt(ec, claims()), "oidc");
      const look = (await v.withToken(auth.client_token).api("GET", "auth/token/lookup-self"))!.data!;
      assert.equal(look.path, "auth/oidc/login");
      assert.equal(look.display_name, `oidc-${SUBJECT}`);
      const mounts = (await v.api("GET", "sys/auth"))!.data as Record<string, { type: string; running_plugin_version: string }>;
      assert.equal(mounts["jwt/"]!.type, "jwt");
      assert.equal(mounts["oidc/"]!.type, "oidc");
      assert.match(mounts["oidc/"]!.running_plugin_version, /\+builtin$/);
    });
  });
});

describe("jwt auth: config and roles", () => {
  test("config reads back every field; exactly one key source; bad keys and algorithms are 400", async () => {
    await withDouble(async (v) => {
      await v.enableAuth("jwt", "jwt");
      assert.equal((await v.request("GET", "auth/jwt/config")).status, 404);
      await v.writeJwtConfig({ jwt_validation_pubkeys: [rsa.publicKeyPem], bound_issuer: ISSUER });
      const config = (await v.api("GET", "auth/jwt/config"))!.data!;
      assert.deepEqual(config, {
        bound_issuer: ISSUER,
        default_role: "",
        jwks_ca_pem: "",
        jwks_pairs: [],
        jwks_url: "",
        jwt_supported_algs: [],
        jwt_validation_pubkeys: [rsa.publicKeyPem.trim()],
        namespace_in_state: true,
        oidc_client_id: "",
        oidc_discovery_ca_pem: "",
        oidc_discovery_url: "",
        oidc_response_mode: "",
        oidc_response_types: [],
        provider_config: {},
        unsupported_critical_cert_extensions: [],
      });
      const bad = async (body: Record<string, unknown>, message: string) => {
        const res = await v.request("POST", "auth/jwt/config", body);
        assert.equal(res.status, 400, res.text);
        assert.deepEqual((res.body as { errors: string[] }).errors, [message]);
      };
      const one = "exactly one of 'jwt_validation_pubkeys', 'jwks_url', 'jwks_pairs' or 'oidc_discovery_url' must be set";
      await bad({}, one);
      await bad({ jwt_validation_pubkeys: [rsa.publicKeyPem], jwks_url: "https://x.example/jwks" }, one);
      await bad({ jwt_validation_pubkeys: ["not a key"] }, "error parsing public key: data does not contain any valid public keys");
      await bad({ jwt_validation_pubkeys: [rsa.publicKeyPem + ec.publicKeyPem] }, "error parsing public key: unexpected trailing data after parsed PEM block");
      await bad({ jwt_validation_pubkeys: [rsa.publicKeyPem], jwt_supported_algs: ["HS256"] }, 'invalid jwt_supported_algs: unsupported signing algorithm "HS256"');
      await bad({ jwks_url: "https://x.example/jwks" }, "error checking jwks URL https://x.example/jwks");
      await bad({ oidc_discovery_url: "https://x.example" }, "error checking oidc discovery URL");
    });
  });

  test("role writes: Vault's checks and messages; reads, lists and deletes", async () => {
    await withDouble(async (v) => {
      await v.enableAuth("jwt", "jwt");
      const bad = async (body: Record<string, unknown>, message: string) => {
        const res = await v.request("POST", "auth/jwt/role/r", body);
        assert.equal(res.status, 400, res.text);
        assert.deepEqual((res.body as { errors: string[] }).errors, [message]);
      };
      await bad({ user_claim: "sub" }, "'allowed_redirect_uris' must be set if 'role_type' is 'oidc' or unspecified.");
      await bad({ role_type: "saml", user_claim: "sub" }, "invalid 'role_type': saml");
      await bad({ role_type: "jwt", bound_audiences: ["vault"] }, "a user claim must be defined on the role");
      await bad({ role_type: "jwt", user_claim: "sub" }, "must have at least one bound constraint when creating/updating a role");
      await bad({ role_type: "jwt", user_claim: "sub", bound_audiences: ["v"], token_ttl: "2h", token_max_ttl: "1h" }, "'token_ttl' cannot be greater than 'token_max_ttl'");
      await bad({ role_type: "jwt", user_claim: "sub", bound_audiences: ["v"], claim_mappings: { a: "role" } }, 'metadata key "role" is reserved and may not be a mapping destination');
      await bad({ role_type: "jwt", user_claim: "sub", bound_audiences: ["v"], bound_claims_type: "regex" }, "invalid 'bound_claims_type': regex");
      await bad({ role_type: "jwt", user_claim: "sub", bound_audiences: ["v"], bound_claims_type: "glob", bound_claims: { n: 5 } }, "claim is not a string: 5");
      assert.equal((await v.request("GET", "auth/jwt/role/r")).status, 404);

      const warnings = await v.writeJwtRole("CI", { user_claim: "sub", bound_audiences: ["vault"], bound_claims: { repository: "org/app" }, policies: ["app"], token_ttl: "20m" });
      assert.deepEqual(warnings, []);
      const role = (await v.api("GET", "auth/jwt/role/ci"))!.data!;
      assert.deepEqual(role, {
        allowed_redirect_uris: null,
        bound_audiences: ["vault"],
        bound_claims: { repository: "org/app" },
        bound_claims_type: "string",
        bound_subject: "",
        claim_mappings: null,
        clock_skew_leeway: 0,
        expiration_leeway: 0,
        groups_claim: "",
        max_age: 0,
        not_before_leeway: 0,
        oidc_scopes: null,
        role_type: "jwt",
        token_bound_cidrs: [],
        token_explicit_max_ttl: 0,
        token_max_ttl: 0,
        token_no_default_policy: false,
        token_num_uses: 0,
        token_period: 0,
        token_policies: ["app"],
        token_ttl: 1200,
        token_type: "default",
        user_claim: "sub",
        user_claim_json_pointer: false,
        verbose_oidc_logging: false,
      });
      // The deprecated names still work (and show in the read), as hvac 0.11 sends some of them.
      await v.api("POST", "auth/jwt/role/legacy", { role_type: "jwt", user_claim: "sub", bound_subject: "s", policies: "B,a", ttl: "5m" });
      const legacy = (await v.api("GET", "auth/jwt/role/legacy"))!.data!;
      assert.deepEqual([legacy.policies, legacy.token_policies, legacy.ttl, legacy.token_ttl], [["a", "b"], ["a", "b"], 300, 300]);
      assert.deepEqual((await v.api("GET", "auth/jwt/role", undefined, { list: "true" }))!.data, { keys: ["ci", "legacy"] });
      assert.equal((await v.request("DELETE", "auth/jwt/role/ci")).status, 204);
      assert.deepEqual((await v.api("GET", "auth/jwt/role", undefined, { list: "true" }))!.data, { keys: ["legacy"] });
      await assert.rejects(v.loginJwt("ci", mintJwt(rsa, claims())), (e: unknown) => e instanceof VaultDoubleError && e.status === 400);
    });
  });
});
