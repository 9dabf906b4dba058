/**
 * The login examples (examples/kubernetes, examples/docker/kubernetes.yaml, examples/github-actions,
 * examples/ecs, examples/vault-agent) and their guides in docs/auth/, held to the code: each
 * example's envject.yaml is loaded with the real mapping loader and its Vault settings resolved
 * by the real settings code, in the environment the example's platform gives (dummy values), and
 * the method, auth mount, role and credential source are checked against what the manifest,
 * workflow or task definition around it says. Where a login can be made without the platform (a
 * token file, a GitHub OIDC endpoint on 127.0.0.1), the request body is checked too. An example
 * or a guide that drifts from the code, or from its own manifest, fails here.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo } from "node:net";
import { createServer, type IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { basename, dirname, join, posix } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse, parseAllDocuments } from "yaml";
import { loadMapping } from "../../src/config/mapping.js";
import type { Mapping } from "../../src/config/model.js";
import { AuthError, ConfigError } from "../../src/errors.js";
import { Logger } from "../../src/log/logger.js";
import { buildChildEnvironment } from "../../src/resolve/environment.js";
import { SERVICE_ACCOUNT_TOKEN_FILE } from "../../src/providers/vault/login/kubernetes.js";
import { type VaultSettings, resolveVaultSettings } from "../../src/providers/vault/settings.js";
import { ROOT } from "../support/cli.js";

const EXAMPLES = join(ROOT, "examples");
const DOCS = join(ROOT, "docs/auth");
const text = (path: string) => readFileSync(path, "utf8");
const quiet = () => ({ logger: new Logger("silent", "text", { write: () => {} }) });

let work: string;
let home: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), "envject-auth-examples-"));
  home = mkdtempSync(join(tmpdir(), "envject-auth-home-"));
});
after(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

/** A hermetic environment: its own HOME (no ~/.vault-token unless a test writes one), AWS kept off the network. */
function environ(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { HOME: home, AWS_EC2_METADATA_DISABLED: "true", ...extra };
}

async function load(file: string, env: NodeJS.ProcessEnv): Promise<Mapping> {
  return loadMapping(file, { environ: env, explicit: true });
}

function settingsOf(mapping: Mapping, env: NodeJS.ProcessEnv): VaultSettings {
  return resolveVaultSettings({ file: mapping.vault, awsRegion: mapping.aws.region?.value, environ: env });
}

/** A mapping written to the scratch directory (for inline mappings and variants of the examples). */
function scratch(name: string, body: string): string {
  const file = join(work, name);
  writeFileSync(file, body);
  return file;
}

function login(s: VaultSettings) {
  assert.equal(s.auth.kind, "login", `a login method, not ${s.auth.kind}`);
  return s.auth.login;
}

type Doc = Record<string, any>;

/** Every document of a multi-document YAML file, each parsed without errors. */
function yamlDocuments(file: string): Doc[] {
  const docs = parseAllDocuments(text(file));
  for (const d of docs) assert.deepEqual(d.errors, [], `${file} parses`);
  return docs.map((d) => d.toJS() as Doc);
}

function ofKind(docs: Doc[], kind: string): Doc {
  const found = docs.filter((d) => d?.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0]!;
}

/** The value after `flag` in an argument list. */
function after_(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

/** The container's command line as it runs, and where its -c mapping file lives on the pod's volumes. */
function checkMappingMount(pod: Doc, container: Doc, configMapName: string) {
  const argv: string[] = [...(container.command ?? []), ...(container.args ?? [])];
  assert.equal(argv[0], "envject", "envject is the entrypoint");
  const dash = argv.indexOf("--");
  assert.ok(dash > 0 && dash < argv.length - 1, "a command after --");
  assert.deepEqual(argv.slice(dash + 1), ["node", "server.js"], "the image's app is the command");
  const config = after_(argv.slice(0, dash), "-c");
  assert.ok(config, "-c names the mapping file before the --");
  const mount = (container.volumeMounts as Doc[]).find((m) => m.mountPath === posix.dirname(config));
  assert.ok(mount, `a volume is mounted at ${posix.dirname(config)}`);
  const volume = (pod.volumes as Doc[]).find((v) => v.name === mount.name);
  assert.equal(volume?.configMap?.name, configMapName, "the mounted volume is the mapping's ConfigMap");
  assert.equal(posix.basename(config), "envject.yaml");
}

describe("examples/kubernetes: method kubernetes with a projected token", () => {
  const dir = join(EXAMPLES, "kubernetes");
  const docs = () => yamlDocuments(join(dir, "deployment.yaml"));
  const deploymentEnv = () => {
    const container = ofKind(docs(), "Deployment").spec.template.spec.containers[0] as Doc;
    return Object.fromEntries((container.env as Doc[]).map((e) => [e.name, e.value])) as Record<string, string>;
  };

  it("its YAML files parse, and the kustomization lists them and makes the mapping's ConfigMap", () => {
    const k = parse(text(join(dir, "kustomization.yaml"))) as Doc;
    for (const r of k.resources as string[]) assert.ok(existsSync(join(dir, r)), `${r} exists`);
    yamlDocuments(join(dir, "serviceaccount.yaml"));
    const gen = (k.configMapGenerator as Doc[]).find((g) => (g.files as string[]).includes("envject.yaml"));
    assert.ok(gen, "envject.yaml goes into a ConfigMap");
    const pod = ofKind(docs(), "Deployment").spec.template.spec as Doc;
    checkMappingMount(pod, pod.containers[0], gen.name);
  });

  it("resolves to the kubernetes login at auth/kubernetes, role myapp, from the token file the Deployment mounts", async () => {
    const env = environ(deploymentEnv());
    const mapping = await load(join(dir, "envject.yaml"), env);
    const s = settingsOf(mapping, env);
    assert.equal(s.address, "https://vault.example.com:8200");
    assert.equal(s.addressSource, "VAULT_ADDR");
    const method = login(s);
    assert.equal(method.name, "kubernetes");
    assert.equal(method.path, "kubernetes");
    assert.equal(mapping.vault.auth?.settings.role?.value, "myapp");
    const tokenFile = mapping.vault.auth?.settings.token_file?.value;
    assert.equal(tokenFile, "/var/run/secrets/vault/token");

    // The Deployment projects a service-account token exactly there, for audience "vault".
    const sa = ofKind(yamlDocuments(join(dir, "serviceaccount.yaml")), "ServiceAccount");
    const pod = ofKind(docs(), "Deployment").spec.template.spec as Doc;
    assert.equal(pod.serviceAccountName, sa.metadata.name);
    const mount = (pod.containers[0].volumeMounts as Doc[]).find((m) => m.mountPath === dirname(tokenFile));
    assert.ok(mount, `a volume is mounted at ${dirname(tokenFile)}`);
    const source = (pod.volumes as Doc[]).find((v) => v.name === mount.name)?.projected?.sources?.[0]?.serviceAccountToken;
    assert.equal(source?.path, basename(tokenFile));
    assert.equal(source?.audience, "vault");

    // Off Kubernetes the file is absent: the login names it (77), never falls back to another credential.
    await assert.rejects(method.request(quiet()), (e: unknown) => e instanceof AuthError && e.exitCode === 77 && e.message.includes(tokenFile));
  });

  it("sends {role, jwt} with the file's current contents, read again at every login (projected tokens rotate)", async () => {
    const tokenFile = join(work, "k8s-token");
    const variant = scratch("k8s-envject.yaml", text(join(dir, "envject.yaml")).replace("/var/run/secrets/vault/token", tokenFile));
    const env = environ(deploymentEnv());
    const method = login(settingsOf(await load(variant, env), env));
    writeFileSync(tokenFile, "first.service-account.jwt\n");
    assert.deepEqual((await method.request(quiet())).body, { role: "myapp", jwt: "first.service-account.jwt" });
    writeFileSync(tokenFile, "second.service-account.jwt\n");
    assert.deepEqual((await method.request(quiet())).body, { role: "myapp", jwt: "second.service-account.jwt" });
  });

  it("docs/auth/kubernetes.md sets up the role this example logs in with", () => {
    const guide = text(join(DOCS, "kubernetes.md"));
    for (const s of ["vault auth enable kubernetes", "vault write auth/kubernetes/config", "vault write auth/kubernetes/role/myapp", "bound_service_account_names=myapp", "audience=vault"]) {
      assert.ok(guide.includes(s), `the guide has ${s}`);
    }
  });
});

describe("examples/docker/kubernetes.yaml: the Docker example's image with method kubernetes and the automounted token", () => {
  const file = join(EXAMPLES, "docker/kubernetes.yaml");

  it("its mapping is examples/docker/envject.yaml's plus the login, mounted where -c says", async () => {
    const docs = yamlDocuments(file);
    const cm = ofKind(docs, "ConfigMap");
    const inner = parse(cm.data["envject.yaml"]) as Doc;
    const image = parse(text(join(EXAMPLES, "docker/envject.yaml"))) as Doc;
    assert.deepEqual(inner.env, image.env, "the same variables as the image's mapping");
    const pod = ofKind(docs, "Deployment").spec.template.spec as Doc;
    checkMappingMount(pod, pod.containers[0], cm.metadata.name);
    assert.equal(pod.serviceAccountName, ofKind(docs, "ServiceAccount").metadata.name);
    assert.notEqual(pod.automountServiceAccountToken, false, "the default token is mounted");
    const env = (pod.containers[0].env as Doc[]).map((e) => e.name as string);
    for (const name of ["VAULT_TOKEN", "VAULT_ROLE_ID", "VAULT_SECRET_ID"]) assert.ok(!env.includes(name), `no ${name} in the pod spec`);
  });

  it("resolves to the kubernetes login, role myapp, reading the default service-account token path", async () => {
    const cm = ofKind(yamlDocuments(file), "ConfigMap");
    const env = environ({ VAULT_ADDR: "https://vault.example.com:8200", VAULT_TOKEN: "ignored-because-method-is-explicit" });
    const mapping = await load(scratch("docker-k8s-envject.yaml", cm.data["envject.yaml"]), env);
    const method = login(settingsOf(mapping, env));
    assert.equal(method.name, "kubernetes");
    assert.equal(method.path, "kubernetes");
    assert.equal(mapping.vault.auth?.settings.role?.value, "myapp");
    assert.equal(mapping.vault.auth?.settings.token_file, undefined, "the default path");
    if (!existsSync(SERVICE_ACCOUNT_TOKEN_FILE)) {
      await assert.rejects(method.request(quiet()), (e: unknown) => e instanceof AuthError && e.message.includes(SERVICE_ACCOUNT_TOKEN_FILE));
    }
  });
});

describe("examples/github-actions: method jwt with the runner's OIDC token", () => {
  const dir = join(EXAMPLES, "github-actions");
  let server: ReturnType<typeof createServer>;
  let requests: IncomingMessage[];
  let url: string;
  before(async () => {
    requests = [];
    server = createServer((req, res) => {
      requests.push(req);
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ value: `oidc.jwt.${requests.length}` }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    // GitHub's URL already has a query (api-version); envject adds &audience= to it.
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/_apis/distributedtask/idtoken?api-version=2.0`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const workflow = () => parse(text(join(dir, "deploy.yml"))) as Doc;
  const deployStep = () => (workflow().jobs.deploy.steps as Doc[]).find((s) => typeof s.run === "string" && s.run.includes("envject"))!;
  const actionsEnv = (extra: Record<string, string> = {}) =>
    environ({ ...(deployStep().env as Record<string, string>), ACTIONS_ID_TOKEN_REQUEST_URL: url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: "dummy-request-token", ...extra });

  it("the workflow may ask for an OIDC token and runs envject with the mapping", () => {
    const w = workflow();
    const permissions = { ...(w.permissions ?? {}), ...(w.jobs.deploy.permissions ?? {}) };
    assert.equal(permissions["id-token"], "write");
    assert.equal(deployStep().run, "npx envject -c envject.yaml -- npm run deploy");
    assert.ok(deployStep().env.VAULT_ADDR, "VAULT_ADDR is set for the step");
  });

  it("resolves to the jwt login at auth/github, role deploy; each login fetches a token for the audience", async () => {
    const env = actionsEnv();
    const mapping = await load(join(dir, "envject.yaml"), env);
    const s = settingsOf(mapping, env);
    assert.equal(s.address, deployStep().env.VAULT_ADDR);
    const method = login(s);
    assert.equal(method.name, "jwt");
    assert.equal(method.path, "github");
    const audience = mapping.vault.auth?.settings.audience?.value;
    assert.equal(audience, "https://vault.example.com");
    requests.length = 0;
    assert.deepEqual((await method.request(quiet())).body, { role: "deploy", jwt: "oidc.jwt.1" });
    assert.deepEqual((await method.request(quiet())).body, { role: "deploy", jwt: "oidc.jwt.2" }, "fetched again, not cached");
    assert.equal(requests.length, 2);
    for (const req of requests) {
      const asked = new URL(req.url!, "http://127.0.0.1");
      assert.equal(asked.searchParams.get("audience"), audience);
      assert.equal(asked.searchParams.get("api-version"), "2.0", "the runner's own query is kept");
      assert.equal(req.headers.authorization?.toLowerCase(), "bearer dummy-request-token");
    }
  });

  it("without id-token: write (no ACTIONS_ID_TOKEN_REQUEST_* variables) the error says what to add (77)", async () => {
    const env = environ({ VAULT_ADDR: "https://vault.example.com:8200" });
    const mapping = await load(join(dir, "envject.yaml"), env);
    assert.throws(
      () => settingsOf(mapping, env),
      (e: unknown) => e instanceof AuthError && e.exitCode === 77 && /id-token: write/.test(e.message),
    );
  });

  it("the deploy command does not inherit the runner's OIDC request variables (but does inherit VAULT_ADDR)", async () => {
    const env = actionsEnv();
    const mapping = await load(join(dir, "envject.yaml"), env);
    const child = buildChildEnvironment([], { parent: env, pristine: false, passCredentials: false, credentialVariables: mapping.vault.credentialVariables });
    assert.equal(child.ACTIONS_ID_TOKEN_REQUEST_TOKEN, undefined);
    assert.equal(child.ACTIONS_ID_TOKEN_REQUEST_URL, undefined);
    assert.equal(child.VAULT_ADDR, deployStep().env.VAULT_ADDR);
  });

  it("docs/auth/jwt.md sets up the mount and role this example logs in with", () => {
    const guide = text(join(DOCS, "jwt.md"));
    for (const s of [
      "vault auth enable -path=github jwt",
      "vault write auth/github/config",
      "vault write auth/github/role/deploy",
      '"bound_audiences": ["https://vault.example.com"]',
      "id-token: write",
    ]) {
      assert.ok(guide.includes(s), `the guide has ${s}`);
    }
  });
});

describe("examples/ecs: method aws with the task role", () => {
  const dir = join(EXAMPLES, "ecs");
  const task = () => JSON.parse(text(join(dir, "task-definition.json"))) as Doc;
  const container = () => task().containerDefinitions[0] as Doc;
  /** What ECS gives the container: its environment, and the task role through the container credentials endpoint. */
  const ecsEnv = () =>
    environ({
      ...Object.fromEntries((container().environment as Doc[]).map((e) => [e.name, e.value])),
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "/v2/credentials/00000000-0000-0000-0000-000000000000",
      AWS_ACCESS_KEY_ID: "AKIDTESTTESTTESTTEST",
      AWS_SECRET_ACCESS_KEY: "test-secret-access-key",
    });

  it("the task definition has a task role, envject as the entryPoint with the mapping, and no AWS keys", () => {
    const t = task();
    assert.match(t.taskRoleArn, /^arn:aws:iam::\d{12}:role\/[\w+=,.@-]+$/);
    const entry = container().entryPoint as string[];
    assert.equal(entry[0], "envject");
    assert.equal(entry.at(-1), "--");
    assert.equal(after_(entry, "-c"), "/app/envject.yaml");
    assert.deepEqual(container().command, ["node", "server.js"]);
    const names = (container().environment as Doc[]).map((e) => e.name as string);
    assert.ok(names.includes("VAULT_ADDR"));
    for (const n of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "VAULT_TOKEN"]) assert.ok(!names.includes(n), `no ${n}`);
    // envject's kill timeout ends the app before ECS's stopTimeout SIGKILLs the container.
    const kill = (container().environment as Doc[]).find((e) => e.name === "ENVJECT_KILL_TIMEOUT")?.value as string | undefined;
    assert.match(kill ?? "", /^\d+s$/);
    assert.ok(Number.parseInt(kill!, 10) < container().stopTimeout, "ENVJECT_KILL_TIMEOUT under stopTimeout");
  });

  it("resolves to the aws login at auth/aws, role myapp, with the server-ID header value, signed for STS's global endpoint", async () => {
    const env = ecsEnv();
    const mapping = await load(join(dir, "envject.yaml"), env);
    const method = login(settingsOf(mapping, env));
    assert.equal(method.name, "aws");
    assert.equal(method.path, "aws");
    const a = mapping.vault.auth!.settings;
    assert.equal(a.role?.value, "myapp");
    assert.equal(a.header_value?.value, "vault.example.com");
    assert.equal(a.region, undefined);
    assert.equal(mapping.aws.region, undefined, "so the request is signed for STS's global endpoint");

    // The test keys stand in for the task role's (the SDK's chain would fetch those from ECS).
    const body = (await method.request(quiet())).body;
    assert.equal(body.role, "myapp");
    assert.equal(body.iam_http_request_method, "POST");
    assert.equal(Buffer.from(String(body.iam_request_url), "base64").toString(), "https://sts.amazonaws.com/");
    const headers = JSON.parse(Buffer.from(String(body.iam_request_headers), "base64").toString()) as Record<string, string | string[]>;
    const serverId = Object.entries(headers).find(([k]) => k.toLowerCase() === "x-vault-aws-iam-server-id")?.[1];
    assert.deepEqual([serverId].flat(), ["vault.example.com"]);
  });

  it("an aws: region (for Secrets Manager) moves the signature to that region's STS endpoint, as docs/auth/aws.md warns", async () => {
    const env = ecsEnv();
    const variant = scratch("ecs-region.yaml", `${text(join(dir, "envject.yaml"))}aws:\n  region: eu-west-1\n`);
    const body = (await login(settingsOf(await load(variant, env), env)).request(quiet())).body;
    assert.equal(Buffer.from(String(body.iam_request_url), "base64").toString(), "https://sts.eu-west-1.amazonaws.com/");
    assert.match(text(join(DOCS, "aws.md")), /sts_endpoint=https:\/\/sts\.eu-west-1\.amazonaws\.com sts_region=eu-west-1/);
  });

  it("docs/auth/aws.md sets up the role and header this example logs in with", () => {
    const guide = text(join(DOCS, "aws.md"));
    for (const s of [
      "vault auth enable aws",
      "iam_server_id_header_value=vault.example.com",
      "vault write auth/aws/role/myapp",
      "auth_type=iam",
      "bound_iam_principal_arn=arn:aws:iam::123456789012:role/myapp-task",
    ]) {
      assert.ok(guide.includes(s), `the guide has ${s}`);
    }
  });
});

describe("examples/vault-agent: token_file from Agent's sink, and none behind a proxy", () => {
  const dir = join(EXAMPLES, "vault-agent");
  /** An HCL file without its comments. */
  const hcl = (name: string) => text(join(dir, name)).replace(/^\s*#.*$/gm, "");

  it("envject.yaml reads the token from the file agent.hcl's sink writes, as token_file (the Agent keeps it alive)", async () => {
    const sink = /sink\s+"file"\s*\{[^}]*?path\s*=\s*"([^"]+)"/s.exec(hcl("agent.hcl"))?.[1];
    assert.ok(sink, "agent.hcl has a file sink");
    assert.doesNotMatch(hcl("agent.hcl"), /wrap_ttl|dh_type/, "a plain token in the sink");
    // VAULT_TOKEN in the environment does not matter: the method is explicit.
    const env = environ({ VAULT_ADDR: "https://vault.example.com:8200", VAULT_TOKEN: "not-used" });
    const s = settingsOf(await load(join(dir, "envject.yaml"), env), env);
    assert.equal(s.auth.kind, "token_file");
    assert.equal(s.auth.method, "token_file");
    assert.equal(s.auth.file, sink);
    assert.equal(s.address, /address\s*=\s*"([^"]+)"/.exec(hcl("agent.hcl"))?.[1], "the same Vault as the Agent's");
  });

  it("envject.proxy.yaml with VAULT_AGENT_ADDR at proxy.hcl's listener: that address, method none, ahead of ~/.vault-token", async () => {
    const proxy = hcl("proxy.hcl");
    assert.match(proxy, /api_proxy\s*\{[^}]*use_auto_auth_token\s*=\s*true/s);
    const listener = /listener\s+"tcp"\s*\{[^}]*address\s*=\s*"([^"]+)"/s.exec(proxy)?.[1];
    assert.equal(listener, "127.0.0.1:8100");
    const ownHome = mkdtempSync(join(tmpdir(), "envject-auth-home-"));
    try {
      writeFileSync(join(ownHome, ".vault-token"), "a-token-for-another-vault\n");
      const env = { ...environ({ VAULT_AGENT_ADDR: `http://${listener}`, VAULT_ADDR: "https://vault.example.com:8200" }), HOME: ownHome };
      const mapping = await load(join(dir, "envject.proxy.yaml"), env);
      assert.equal(mapping.vault.auth, undefined, "no vault.auth: nothing to configure");
      const s = settingsOf(mapping, env);
      assert.equal(s.address, `http://${listener}`);
      assert.equal(s.addressSource, "VAULT_AGENT_ADDR");
      assert.equal(s.auth.kind, "none");
      // Without VAULT_AGENT_ADDR the same mapping would use ~/.vault-token against VAULT_ADDR.
      const direct = settingsOf(mapping, { ...env, VAULT_AGENT_ADDR: "" });
      assert.equal(direct.auth.kind, "token");
      assert.equal(direct.address, "https://vault.example.com:8200");
    } finally {
      rmSync(ownHome, { recursive: true, force: true });
    }
  });

  it("docs/auth/vault-agent.md shows both set-ups", () => {
    const guide = text(join(DOCS, "vault-agent.md"));
    for (const s of ["method: token_file", "VAULT_AGENT_ADDR", "use_auto_auth_token = true", 'sink "file"']) assert.ok(guide.includes(s), `the guide has ${s}`);
  });
});

describe("docs/auth/README.md's configuration errors (65), as the settings code reports them", () => {
  const env = () => environ({ VAULT_ADDR: "https://vault.example.com:8200" });
  const settingsFor = async (name: string, body: string) => settingsOf(await load(scratch(name, body), env()), env());
  const config = (pattern: RegExp, where?: RegExp) => (e: unknown) => e instanceof ConfigError && e.exitCode === 65 && pattern.test(e.message) && (where === undefined || where.test(e.message));

  it("a key the method does not use: 65 at its line", async () => {
    await assert.rejects(
      settingsFor("unused.yaml", "vault:\n  auth:\n    method: kubernetes\n    role: myapp\n    audience: vault\n"),
      config(/vault\.auth\.audience is not a setting of method kubernetes/, /unused\.yaml:5:/),
    );
  });

  it("a login key without method: 65 at its line (only token and AppRole are inferred)", async () => {
    await assert.rejects(settingsFor("no-method.yaml", "vault:\n  auth:\n    role: myapp\n"), config(/vault\.auth\.role needs vault\.auth\.method/, /no-method\.yaml:3:/));
  });

  it("a missing role: 65 at the method's line, naming vault.auth.role", async () => {
    await assert.rejects(settingsFor("no-role.yaml", "vault:\n  auth:\n    method: jwt\n    jwt: x.y.z\n"), config(/vault\.auth\.role is required for method jwt/, /no-role\.yaml:3:/));
  });

  it("token_file without its file: 65", async () => {
    await assert.rejects(settingsFor("no-file.yaml", "vault:\n  auth:\n    method: token_file\n"), config(/vault\.auth\.token_file is required for method token_file/, /no-file\.yaml:3:/));
  });
});

describe("docs/auth and the example READMEs link to files that exist", () => {
  const pages = [
    ...["README.md", "kubernetes.md", "jwt.md", "aws.md", "cert.md", "vault-agent.md", "approle-and-token.md"].map((f) => join(DOCS, f)),
    ...["kubernetes", "github-actions", "ecs", "vault-agent"].map((d) => join(EXAMPLES, d, "README.md")),
    join(ROOT, "README.md"),
  ];
  for (const page of pages) {
    it(page.slice(ROOT.length + 1), () => {
      const links = [...text(page).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l) && !l.startsWith("#"));
      const missing = links.filter((l) => !existsSync(join(dirname(page), l.split("#")[0]!)));
      assert.deepEqual(missing, [], "every relative link resolves");
    });
  }
});
