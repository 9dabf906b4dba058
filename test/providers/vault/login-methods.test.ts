/**
 * The login methods of docs/contract/authentication.md#login-methods as the settings make them: each mapping written as a user
 * would, loaded by the real loader, resolved by the real settings code; the request each method
 * builds (its credential read afresh at every login), and the 65s and 77s of docs/contract/authentication.md#login-methods with their places.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { AuthError, ConfigError } from "../../../src/errors.js";
import { loadMapping } from "../../../src/config/mapping.js";
import { VAULT_AUTH_FIELDS, VAULT_AUTH_METHODS } from "../../../src/config/vault-auth.js";
import { Logger } from "../../../src/log/logger.js";
import { LOGIN_METHODS } from "../../../src/providers/vault/login/registry.js";
import { SERVICE_ACCOUNT_TOKEN_FILE } from "../../../src/providers/vault/login/kubernetes.js";
import { resolveVaultSettings, type VaultSettings } from "../../../src/providers/vault/settings.js";

const dir = mkdtempSync(join(tmpdir(), "envject-login-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** A mapping file with this `vault.auth` block (YAML lines, indented under auth:). */
async function mapping(auth: string, environ: NodeJS.ProcessEnv = {}) {
  const path = join(dir, `envject-${++files}.yaml`);
  writeFileSync(path, `vault:\n  address: http://127.0.0.1:8200\n  auth:\n${auth.replace(/^/gm, "    ")}\nenv:\n  A: vault://secret/a#b\n`);
  return { path, mapping: await loadMapping(path, { environ, explicit: true }) };
}

async function resolved(auth: string, environ: NodeJS.ProcessEnv = { HOME: dir }): Promise<VaultSettings> {
  const { mapping: m } = await mapping(auth, environ);
  return resolveVaultSettings({ file: m.vault, awsRegion: m.aws.region?.value, environ });
}

async function failure(auth: string, environ: NodeJS.ProcessEnv = { HOME: dir }): Promise<ConfigError | AuthError> {
  try {
    await resolved(auth, environ);
  } catch (error) {
    assert.ok(error instanceof ConfigError || error instanceof AuthError, String(error));
    return error;
  }
  assert.fail("expected the settings to be refused");
}

const logger = new Logger("error", "text", { write: () => {} });

async function loginRequest(s: VaultSettings) {
  assert.equal(s.auth.kind, "login");
  if (s.auth.kind !== "login") throw new Error("unreachable");
  return { path: s.auth.login.path, title: s.auth.login.title, ...(await s.auth.login.request({ logger })) };
}

function tokenFile(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe("vault.auth: the registry and the mapping schema agree", () => {
  it("every login method the registry knows is a method name the schema accepts, and its settings are keys it accepts", () => {
    for (const [name, spec] of LOGIN_METHODS) {
      assert.ok((VAULT_AUTH_METHODS as readonly string[]).includes(name), `${name} is missing from config/vault-auth.ts`);
      for (const field of spec.fields) assert.ok(VAULT_AUTH_FIELDS.includes(field), `${name}.${field} is missing from config/vault-auth.ts`);
    }
    const notLogins = VAULT_AUTH_METHODS.filter((m) => !LOGIN_METHODS.has(m));
    assert.deepEqual(notLogins, ["token", "token_file", "none"]);
  });
});

describe("kubernetes", () => {
  it("POSTs {role, jwt} to auth/kubernetes/login, the JWT read from token_file at every login", async () => {
    const file = tokenFile("sa-token", "eyJhbGciOiJSUzI1NiJ9.first.sig\n");
    const s = await resolved(`method: kubernetes\nrole: my-app\ntoken_file: ${file}`);
    const first = await loginRequest(s);
    assert.deepEqual([first.path, first.title, first.body], ["kubernetes", "Kubernetes", { role: "my-app", jwt: "eyJhbGciOiJSUzI1NiJ9.first.sig" }]);
    assert.deepEqual(first.secrets, ["eyJhbGciOiJSUzI1NiJ9.first.sig"]);
    writeFileSync(file, "eyJhbGciOiJSUzI1NiJ9.rotated.sig");
    assert.equal((await loginRequest(s)).body.jwt, "eyJhbGciOiJSUzI1NiJ9.rotated.sig");
  });

  it("reads the pod's service-account token by default, and takes path for another mount", async () => {
    const s = await resolved("method: kubernetes\nrole: app\npath: /k8s-prod/");
    const e = await (s.auth.kind === "login" ? s.auth.login.request({ logger }) : Promise.reject(new Error("no login"))).catch((x: Error) => x);
    assert.ok(e instanceof AuthError, String(e));
    assert.equal(e.exitCode, 77);
    assert.ok(e.message.includes(SERVICE_ACCOUNT_TOKEN_FILE), e.message);
    assert.equal(s.auth.kind === "login" && s.auth.login.path, "k8s-prod");
  });

  it("a missing, empty or unreadable token file is a 77 naming the file, never its contents", async () => {
    const empty = tokenFile("empty-token", "  \n");
    for (const [file, why] of [
      [join(dir, "nope"), /does not exist/],
      [empty, /is empty/],
      [dir, /is a directory/],
    ] as const) {
      const s = await resolved(`method: kubernetes\nrole: app\ntoken_file: ${file}`);
      const e = await (s.auth.kind === "login" ? s.auth.login.request({ logger }) : Promise.resolve(undefined)).catch((x: unknown) => x);
      assert.ok(e instanceof AuthError, String(e));
      assert.equal(e.exitCode, 77);
      assert.ok(e.message.includes(file), e.message);
      assert.match(e.message, why);
    }
  });

  it("role is required: a 65 at the method line", async () => {
    const e = await failure("method: kubernetes");
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /vault\.auth\.role is required for method kubernetes/);
    assert.equal(e.location?.line, 4);
  });
});

describe("jwt", () => {
  it("takes the JWT from jwt: (after ${NAME} expansion) or from token_file, read again at each login", async () => {
    const given = await resolved("method: jwt\nrole: deploy\njwt: ${CI_JOB_JWT_V2}", { HOME: dir, CI_JOB_JWT_V2: "eyJ.gitlab.sig" });
    const r = await loginRequest(given);
    assert.deepEqual([r.path, r.body], ["jwt", { role: "deploy", jwt: "eyJ.gitlab.sig" }]);
    const file = tokenFile("oidc-token", "eyJ.one.sig");
    const fromFile = await resolved(`method: jwt\nrole: deploy\ntoken_file: ${file}\npath: gitlab`);
    assert.equal((await loginRequest(fromFile)).body.jwt, "eyJ.one.sig");
    writeFileSync(file, "eyJ.two.sig\n");
    const again = await loginRequest(fromFile);
    assert.deepEqual([again.path, again.body.jwt], ["gitlab", "eyJ.two.sig"]);
  });

  it("the variable a jwt: setting reads is withheld from the child", async () => {
    const { mapping: m } = await mapping("method: jwt\nrole: deploy\njwt: ${CI_JOB_JWT_V2}", { CI_JOB_JWT_V2: "eyJ.x.y" });
    assert.deepEqual(m.vault.credentialVariables, ["CI_JOB_JWT_V2"]);
  });

  it("both token_file and jwt is a 65 at the jwt line", async () => {
    const e = await failure("method: jwt\nrole: deploy\ntoken_file: /run/t\njwt: eyJ.x.y");
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /both token_file and jwt/);
    assert.equal(e.location?.line, 7);
  });

  it("neither, outside GitHub Actions: a 77 that says what to set", async () => {
    const e = await failure("method: jwt\nrole: deploy");
    assert.ok(e instanceof AuthError);
    assert.match(e.message, /token_file or vault\.auth\.jwt/);
    assert.match(e.message, /id-token: write/);
  });

  describe("on a GitHub Actions runner", () => {
    const seen: Array<{ url: string; authorization?: string }> = [];
    let answer: { status: number; body: string } = { status: 200, body: "" };
    const server = createServer((req: IncomingMessage, res) => {
      seen.push({ url: req.url ?? "", authorization: req.headers.authorization });
      res.writeHead(answer.status, { "Content-Type": "application/json" });
      res.end(answer.body);
    });
    let base = "";
    const ready = new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    after(() => server.close());

    async function runner(audience = "vault") {
      await ready;
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/_apis/token?api-version=2.0`;
      const environ = { HOME: dir, ACTIONS_ID_TOKEN_REQUEST_URL: base, ACTIONS_ID_TOKEN_REQUEST_TOKEN: "runner-request-token" };
      const { mapping: m } = await mapping(`method: jwt\nrole: deploy\naudience: ${audience}`, environ);
      return { m, s: resolveVaultSettings({ file: m.vault, environ }) };
    }

    it("fetches the runner's OIDC token for the audience at every login (Bearer the request token), and withholds both variables", async () => {
      const { m, s } = await runner("https://github.com/acme");
      answer = { status: 200, body: JSON.stringify({ count: 1, value: "eyJ.actions-1.sig" }) };
      const first = await loginRequest(s);
      assert.deepEqual(first.body, { role: "deploy", jwt: "eyJ.actions-1.sig" });
      answer = { status: 200, body: JSON.stringify({ value: "eyJ.actions-2.sig" }) };
      assert.equal((await loginRequest(s)).body.jwt, "eyJ.actions-2.sig");
      assert.equal(seen.length, 2);
      const url = new URL(seen[0]!.url, "http://x");
      assert.equal(url.pathname, "/_apis/token");
      assert.equal(url.searchParams.get("api-version"), "2.0");
      assert.equal(url.searchParams.get("audience"), "https://github.com/acme");
      assert.equal(seen[0]!.authorization, "Bearer runner-request-token");
      assert.deepEqual(m.vault.credentialVariables, ["ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"]);
    });

    it("a refusal or an answer without a token is a 77 naming the endpoint, without either token", async () => {
      const { s } = await runner();
      for (const [status, body, why] of [
        [403, "{}", /answered 403 \(does the job have `permissions: id-token: write`\?\)/],
        [200, '{"nothing":1}', /without a token/],
        [200, "not json", /without a token/],
      ] as const) {
        answer = { status, body };
        const e = await loginRequest(s).catch((x: unknown) => x);
        assert.ok(e instanceof AuthError, String(e));
        assert.match(e.message, why);
        assert.ok(e.message.includes("127.0.0.1"), e.message);
        assert.ok(!e.message.includes("runner-request-token"), e.message);
      }
    });
  });
});

describe("cert", () => {
  it("POSTs {name} to auth/cert/login and gives the HTTP client the certificate files", async () => {
    const s = await resolved("method: cert\nname: web\nclient_cert: tls/app.pem\nclient_key: tls/app.key");
    const r = await loginRequest(s);
    assert.deepEqual([r.path, r.title, r.body], ["cert", "TLS certificate", { name: "web" }]);
    // Relative to the mapping file, like ca_cert.
    assert.deepEqual(s.clientCertificate, { cert: join(dir, "tls/app.pem"), key: join(dir, "tls/app.key") });
  });

  it("falls back to VAULT_CLIENT_CERT / VAULT_CLIENT_KEY, which any method presents (as with the Vault CLI)", async () => {
    const env = { HOME: dir, VAULT_CLIENT_CERT: "/etc/c.pem", VAULT_CLIENT_KEY: "/etc/c.key" };
    const s = await resolved("method: cert", env);
    assert.deepEqual((await loginRequest(s)).body, {});
    assert.deepEqual(s.clientCertificate, { cert: "/etc/c.pem", key: "/etc/c.key" });
    const token = await resolved("method: token", { ...env, VAULT_TOKEN: "hvs.t" });
    assert.deepEqual(token.clientCertificate, { cert: "/etc/c.pem", key: "/etc/c.key" });
  });

  it("without a certificate: a 77 saying what to set", async () => {
    const e = await failure("method: cert\nname: web");
    assert.ok(e instanceof AuthError);
    assert.match(e.message, /client_cert \(or VAULT_CLIENT_CERT\) and vault\.auth\.client_key \(or VAULT_CLIENT_KEY\)/);
  });
});

describe("token_file, none and VAULT_AGENT_ADDR", () => {
  it("token_file is a token someone else keeps: its file, no login", async () => {
    const s = await resolved("method: token_file\ntoken_file: /vault/.token");
    assert.deepEqual(s.auth, { kind: "token_file", method: "token_file", file: "/vault/.token", source: "/vault/.token" });
  });

  it("token_file needs its file: a 65 at the method line", async () => {
    const e = await failure("method: token_file");
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /vault\.auth\.token_file is required for method token_file/);
    assert.equal(e.location?.line, 4);
  });

  it("none sends no token; with VAULT_AGENT_ADDR set and no credentials it is inferred, before ~/.vault-token", async () => {
    const s = await resolved("method: none");
    assert.equal(s.auth.kind, "none");
    const home = mkdtempSync(join(dir, "home-"));
    writeFileSync(join(home, ".vault-token"), "hvs.stale-laptop-token");
    const { mapping: m } = await mapping("{}");
    const agent = resolveVaultSettings({ file: { ...m.vault, address: undefined }, environ: { HOME: home, VAULT_AGENT_ADDR: "http://127.0.0.1:8100" } });
    assert.deepEqual([agent.auth.kind, agent.address, agent.addressSource], ["none", "http://127.0.0.1:8100", "VAULT_AGENT_ADDR"]);
    // A token still wins, as the inference of docs/contract/authentication.md#choosing-a-method says.
    const token = resolveVaultSettings({ file: { ...m.vault, address: undefined }, environ: { HOME: home, VAULT_AGENT_ADDR: "http://127.0.0.1:8100", VAULT_TOKEN: "hvs.t" } });
    assert.equal(token.auth.kind, "token");
    // Without VAULT_AGENT_ADDR, the file is used.
    assert.equal(resolveVaultSettings({ file: m.vault, environ: { HOME: home } }).auth.kind, "token");
  });
});

describe("settings that do not belong", () => {
  it("a key the chosen method does not read is a 65 at its place, listing the method's settings", async () => {
    const e = await failure("method: kubernetes\nrole: app\nrole_id: abc");
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /vault\.auth\.role_id is not a setting of method kubernetes \(its settings: role, token_file, path\)/);
    assert.equal(e.location?.line, 6);
    const none = await failure("method: none\nrole: app");
    assert.match(none.message, /vault\.auth\.role is not a setting of method none \(it takes no settings\)/);
  });

  it("a method's own key without method: is a 65 saying which methods read it (only token and AppRole are inferred)", async () => {
    const e = await failure("role: my-app\ntoken_file: /t");
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /vault\.auth\.role needs vault\.auth\.method \(kubernetes or jwt or aws\)/);
    assert.equal(e.location?.line, 4);
  });

  it("an unknown method is a 65 at the value with a suggestion", async () => {
    const path = join(dir, "bad-method.yaml");
    writeFileSync(path, "vault:\n  auth:\n    method: kubernets\n");
    const e = await loadMapping(path, { environ: {}, explicit: true }).catch((x: unknown) => x);
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /did you mean 'kubernetes'\?/);
    assert.equal(e.location?.line, 3);
  });
});
