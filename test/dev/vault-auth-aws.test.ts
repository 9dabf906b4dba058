/**
 * The Vault double's AWS auth method (IAM type): login with sts:GetCallerIdentity requests signed
 * by two independent signers — @smithy/signature-v4 (the AWS SDK's) and a minimal SigV4 signer
 * written here on node:crypto the way hvac 0.11 signs — for an assumed-role ARN and a user ARN;
 * and each refusal with Vault's status and string: wrong secret, unknown key, expired date,
 * region scope, session tokens, a tampered body, a foreign host, the server-id header (missing,
 * wrong, unsigned), an unbound ARN, a body with another action, missing or partial fields, and
 * an unknown role. The verifier is also held to AWS's published SigV4 examples. No test prints a
 * signature or a secret.
 */
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { SignatureV4 } from "@smithy/signature-v4";
import { verifySigV4 } from "../../src/dev/vault/auth/aws-sigv4.js";
import { VaultDoubleClient } from "../../src/dev/vault/client.js";
import { startVaultDouble, type VaultDouble } from "../../src/dev/vault/index.js";

const ACCOUNT = "123456789012";
const ROLE_KEY = { access_key_id: "ASIADOUBLEROLE000001", secret_access_key: "role-secret-Zq8v", session_token: "session-token-Fw2k", arn: `arn:aws:sts::${ACCOUNT}:assumed-role/app/ci-run-7` };
const USER_KEY = { access_key_id: "AKIADOUBLEUSER000001", secret_access_key: "user-secret-Lp3m", arn: `arn:aws:iam::${ACCOUNT}:user/team/ci` };
const OTHER_KEY = { access_key_id: "AKIADOUBLEOTHER00001", secret_access_key: "other-secret-Xc5n", arn: `arn:aws:sts::${ACCOUNT}:assumed-role/other/s1` };
const SECRETS = [ROLE_KEY.secret_access_key, ROLE_KEY.session_token, USER_KEY.secret_access_key, OTHER_KEY.secret_access_key];
const BODY = "Action=GetCallerIdentity&Version=2011-06-15";

interface Signed {
  url: string;
  headers: Record<string, string>;
  body: string;
}

interface SignOptions {
  accessKeyId: string;
  secret: string;
  sessionToken?: string;
  region?: string;
  host?: string;
  serverId?: string;
  body?: string;
  dateMs?: number;
}

/** Node's crypto behind smithy's Checksum interface (HMAC when given a key). */
type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: SourceData): string | Uint8Array => (typeof d === "string" ? d : d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
class NodeSha256 {
  private readonly h;
  constructor(secret?: SourceData) {
    this.h = secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(secret));
  }
  update(data: SourceData): void {
    this.h.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.h.digest()));
  }
}

/** Signs with the AWS SDK's signer (@smithy/signature-v4). */
async function signSmithy(o: SignOptions): Promise<Signed> {
  const host = o.host ?? "sts.amazonaws.com";
  const body = o.body ?? BODY;
  const signer = new SignatureV4({
    credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secret, ...(o.sessionToken ? { sessionToken: o.sessionToken } : {}) },
    region: o.region ?? "us-east-1",
    service: "sts",
    sha256: NodeSha256,
  });
  const headers: Record<string, string> = { host, "content-type": "application/x-www-form-urlencoded; charset=utf-8" };
  if (o.serverId) headers["x-vault-aws-iam-server-id"] = o.serverId;
  const signed = await signer.sign({ method: "POST", protocol: "https:", hostname: host, path: "/", query: {}, headers, body }, { signingDate: new Date(o.dateMs ?? Date.now()) });
  return { url: `https://${host}/`, headers: signed.headers, body };
}

/** A minimal SigV4 signer on node:crypto, signing every header it sends (as hvac 0.11 does). */
function signPlain(o: SignOptions): Signed {
  const host = o.host ?? "sts.amazonaws.com";
  const region = o.region ?? "us-east-1";
  const body = o.body ?? BODY;
  const date = new Date(o.dateMs ?? Date.now())
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  const headers: Record<string, string> = { "Content-Type": "application/x-www-form-urlencoded; charset=utf-8", Host: host, "X-Amz-Date": date };
  if (o.sessionToken) headers["X-Amz-Security-Token"] = o.sessionToken;
  if (o.serverId) headers["X-Vault-AWS-IAM-Server-ID"] = o.serverId;
  const names = Object.keys(headers).sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
  const canonicalHeaders = names.map((k) => `${k.toLowerCase()}:${headers[k]}\n`).join("");
  const signedHeaders = names.map((k) => k.toLowerCase()).join(";");
  const hex = (s: string) => createHash("sha256").update(s).digest("hex");
  const canonical = ["POST", "/", "", canonicalHeaders, signedHeaders, hex(body)].join("\n");
  const scope = `${date.slice(0, 8)}/${region}/sts/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", date, scope, hex(canonical)].join("\n");
  let key: Buffer = createHmac("sha256", `AWS4${o.secret}`).update(date.slice(0, 8)).digest();
  for (const part of [region, "sts", "aws4_request"]) key = createHmac("sha256", key).update(part).digest();
  const signature = createHmac("sha256", key).update(toSign).digest("hex");
  headers.Authorization = `AWS4-HMAC-SHA256 Credential=${o.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { url: `https://${host}/`, headers, body };
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** The login body Vault's CLI sends: base64 URL, body and JSON headers (values as lists). */
function loginBody(s: Signed, role?: string): Record<string, unknown> {
  const headers = Object.fromEntries(Object.entries(s.headers).map(([k, v]) => [k, [v]]));
  return { ...(role ? { role } : {}), iam_http_request_method: "POST", iam_request_url: b64(s.url), iam_request_body: b64(s.body), iam_request_headers: b64(JSON.stringify(headers)) };
}

const errorsOf = (answer: { body: unknown }) => (answer.body as { errors?: string[] } | undefined)?.errors ?? [];
const authOf = (answer: { body: unknown }) => (answer.body as { auth: { client_token: string; policies: string[]; metadata: Record<string, string>; lease_duration: number } }).auth;

/** Vault's wrapping of an STS error document (`message` is a regular-expression source). */
function stsError(status: number, code: string, message: string): RegExp {
  return new RegExp(
    `^error making upstream request: received error code ${status} from STS: <ErrorResponse xmlns="https://sts\\.amazonaws\\.com/doc/2011-06-15/">\\n  <Error>\\n    <Type>Sender</Type>\\n    <Code>${code}</Code>\\n    <Message>${message}</Message>\\n  </Error>\\n  <RequestId>[0-9a-f-]{36}</RequestId>\\n</ErrorResponse>\\n$`,
  );
}
const MISMATCH =
  "The request signature we calculated does not match the signature you provided\\. Check your AWS Secret Access Key and signing method\\. Consult the service documentation for details\\.";

describe("Vault double: aws auth (iam)", () => {
  let vault: VaultDouble;
  let admin: VaultDoubleClient;
  let anon: VaultDoubleClient;

  const login = (body: Record<string, unknown>, mount = "aws") => anon.request("POST", `auth/${mount}/login`, body);
  /** Asserts a 400 with one error, and that no secret, token or signature leaked into it. */
  async function refused(body: Record<string, unknown>, expected: string | RegExp, mount = "aws"): Promise<void> {
    const answer = await login(body, mount);
    // Only the errors, never the body: an unexpected success would carry a token.
    assert.equal(answer.status, 400, JSON.stringify(errorsOf(answer)).slice(0, 300));
    const errors = errorsOf(answer);
    assert.equal(errors.length, 1);
    if (typeof expected === "string") assert.equal(errors[0], expected);
    else assert.match(errors[0]!, expected);
    for (const secret of SECRETS) assert.ok(!answer.text.includes(secret), "a secret leaked into an error");
    assert.ok(!/Signature=|[0-9a-f]{64}/.test(answer.text), "a signature leaked into an error");
  }

  before(async () => {
    vault = await startVaultDouble();
    admin = new VaultDoubleClient(vault.url, vault.rootToken);
    anon = admin.withToken("");
    await admin.enableAuth("aws", "aws");
    for (const key of [ROLE_KEY, USER_KEY, OTHER_KEY]) {
      const view = await admin.addAwsIdentity(key);
      assert.equal(view.access_key_id, key.access_key_id);
      assert.ok(!JSON.stringify(view).includes(key.secret_access_key));
    }
    await admin.writePolicy("app", { "secret/data/app/*": ["read"] });
    await admin.writeAwsRole("app", { bound_iam_principal_arn: [`arn:aws:iam::${ACCOUNT}:role/app`], policies: ["app"], token_ttl: 900 });
    await admin.writeAwsRole("ci", { bound_iam_principal_arn: [`arn:aws:iam::${ACCOUNT}:user/team/*`], policies: ["app"] });
  });
  after(async () => vault?.close());

  test("an assumed-role ARN signed by the AWS SDK's signer logs in to a role bound to its role ARN", async () => {
    const signed = await signSmithy({ accessKeyId: ROLE_KEY.access_key_id, secret: ROLE_KEY.secret_access_key, sessionToken: ROLE_KEY.session_token });
    const answer = await login(loginBody(signed, "app"));
    assert.equal(answer.status, 200, JSON.stringify(errorsOf(answer)));
    const auth = authOf(answer);
    assert.deepEqual(auth.policies, ["app", "default"]);
    assert.equal(auth.lease_duration, 900);
    const role = await admin.request("GET", "auth/aws/role/app");
    assert.deepEqual(auth.metadata, { account_id: ACCOUNT, auth_type: "iam", role_id: (role.body as { data: { role_id: string } }).data.role_id });
    const self = await admin.withToken(auth.client_token).request("GET", "auth/token/lookup-self");
    assert.equal((self.body as { data: { display_name: string } }).data.display_name, "aws-app/ci-run-7");
    assert.equal((self.body as { data: { path: string } }).data.path, "auth/aws/login");
  });

  test("a user ARN with a path, signed by a plain node:crypto signer, matches a wildcard bind; role defaults to the user's name", async () => {
    const signed = signPlain({ accessKeyId: USER_KEY.access_key_id, secret: USER_KEY.secret_access_key });
    const answer = await login(loginBody(signed, "ci"));
    assert.equal(answer.status, 200, JSON.stringify(errorsOf(answer)));
    assert.equal(authOf(answer).metadata.account_id, ACCOUNT);
    // Without `role`, Vault looks for a role named after the principal ("ci").
    const implicit = await login(loginBody(signPlain({ accessKeyId: USER_KEY.access_key_id, secret: USER_KEY.secret_access_key })));
    assert.equal(implicit.status, 200, JSON.stringify(errorsOf(implicit)));
  });

  test("config/identity iam_metadata adds the ARNs to the token metadata", async () => {
    await admin.api("POST", "auth/aws/config/identity", { iam_metadata: ["client_arn", "canonical_arn", "account_id", "auth_type"] });
    try {
      const answer = await login(loginBody(await signSmithy({ accessKeyId: ROLE_KEY.access_key_id, secret: ROLE_KEY.secret_access_key, sessionToken: ROLE_KEY.session_token }), "app"));
      assert.equal(answer.status, 200);
      const meta = authOf(answer).metadata;
      assert.equal(meta.client_arn, ROLE_KEY.arn);
      assert.equal(meta.canonical_arn, `arn:aws:iam::${ACCOUNT}:role/app`);
    } finally {
      await admin.api("POST", "auth/aws/config/identity", { iam_metadata: "default" });
    }
  });

  test("a wrong secret key: STS's SignatureDoesNotMatch, wrapped as Vault does", async () => {
    await refused(loginBody(signPlain({ accessKeyId: USER_KEY.access_key_id, secret: "not-the-secret" }), "ci"), stsError(403, "SignatureDoesNotMatch", MISMATCH));
    await refused(loginBody(await signSmithy({ accessKeyId: ROLE_KEY.access_key_id, secret: "wrong", sessionToken: ROLE_KEY.session_token }), "app"), stsError(403, "SignatureDoesNotMatch", MISMATCH));
  });

  test("a body changed after signing no longer matches its signature", async () => {
    const signed = signPlain({ accessKeyId: USER_KEY.access_key_id, secret: USER_KEY.secret_access_key });
    await refused(loginBody({ ...signed, body: "Version=2011-06-15&Action=GetCallerIdentity" }, "ci"), stsError(403, "SignatureDoesNotMatch", MISMATCH));
  });

  test("an access key STS does not know: InvalidClientTokenId", async () => {
    await refused(loginBody(signPlain({ accessKeyId: "AKIAUNKNOWN000000000", secret: "x" }), "ci"), stsError(403, "InvalidClientTokenId", "The security token included in the request is invalid\\."));
  });

  test("temporary credentials need their session token", async () => {
    await refused(
      loginBody(signPlain({ accessKeyId: ROLE_KEY.access_key_id, secret: ROLE_KEY.secret_access_key }), "app"),
      stsError(403, "InvalidClientTokenId", "The security token included in the request is invalid\\."),
    );
    const ok = await login(loginBody(signPlain({ accessKeyId: ROLE_KEY.access_key_id, secret: ROLE_KEY.secret_access_key, sessionToken: ROLE_KEY.session_token }), "app"));
    assert.equal(ok.status, 200, JSON.stringify(errorsOf(ok)));
  });

  test("a request signed more than 15 minutes ago: Signature expired", async () => {
    const old = Date.now() - 20 * 60 * 1000;
    await refused(
      loginBody(signPlain({ accessKeyId: USER_KEY.access_key_id, secret: USER_KEY.secret_access_key, dateMs: old }), "ci"),
      stsError(403, "SignatureDoesNotMatch", "Signature expired: \\d{8}T\\d{6}Z is now earlier than \\d{8}T\\d{6}Z \\(\\d{8}T\\d{6}Z - 15 min\\.\\)"),
    );
    await refused(
      loginBody(signPlain({ accessKeyId: USER_KEY.access_key_id, secret: USER_KEY.secret_access_key, dateMs: Date.now() + 20 * 60 * 1000 }), "ci"),
      stsError(403, "SignatureDoesNotMatch", "Signature not yet current: \\d{8}T\\d{6}Z is still later than \\d{8}T\\d{6}Z \\(\\d{8}T\\d{6}Z \\+ 15 min\\.\\)"),
    );
  });

  test("the credential scope must name the endpoint's region; sts_endpoint moves it", async () => {
    const regional = { accessKeyId: USER_KEY.access_key_id, secret: USER_KEY.secret_access_key, region: "eu-west-1", host: "sts.eu-west-1.amazonaws.com" };
    await refused(loginBody(signPlain(regional), "ci"), stsError(403, "SignatureDoesNotMatch", "Credential should be scoped to a valid region\\. "));
    await admin.enableAuth("aws-eu", "aws");
    await admin.writeAwsClientConfig({ sts_endpoint: "https://sts.eu-west-1.amazonaws.com", sts_region: "eu-west-1" }, "aws-eu");
    await admin.writeAwsRole("ci", { bound_iam_principal_arn: [`arn:aws:iam::${ACCOUNT}:user/ci`] }, "aws-eu");
    const answer = await login(loginBody(signPlain(regional), "ci"), "aws-eu");
    assert.equal(answer.status, 200, JSON.stringify(errorsOf(answer)));
  });

  test("a URL that is not an STS endpoint is refused", async () => {
    await refused(loginBody(signPlain({ accessKeyId: USER_KEY.access_key_id, secret: USER_KEY.secret_access_key, host: "evil.example.com" }), "ci"), stsError(403, "SignatureDoesNotMatch", MISMATCH));
  });

  test("the IAM server ID header: required when configured, equal, and signed", async () => {
    await admin.enableAuth("aws-sid", "aws");
    await admin.writeAwsClientConfig({ iam_server_id_header_value: "vault.example.com" }, "aws-sid");
    await admin.writeAwsRole("ci", { bound_iam_principal_arn: [`arn:aws:iam::${ACCOUNT}:user/ci`] }, "aws-sid");
    const key = { accessKeyId: USER_KEY.access_key_id, secret: USER_KEY.secret_access_key };
    await refused(loginBody(signPlain(key), "ci"), 'error validating X-Vault-AWS-IAM-Server-ID header: missing header "X-Vault-AWS-IAM-Server-ID"', "aws-sid");
    await refused(
      loginBody(signPlain({ ...key, serverId: "other.example.com" }), "ci"),
      'error validating X-Vault-AWS-IAM-Server-ID header: expected "vault.example.com" but got "other.example.com"',
      "aws-sid",
    );
    const unsigned = signPlain(key);
    unsigned.headers["X-Vault-AWS-IAM-Server-ID"] = "vault.example.com";
    await refused(loginBody(unsigned, "ci"), "error validating X-Vault-AWS-IAM-Server-ID header: vault header wasn't signed", "aws-sid");
    const good = await login(loginBody(signPlain({ ...key, serverId: "vault.example.com" }), "ci"), "aws-sid");
    assert.equal(good.status, 200, JSON.stringify(errorsOf(good)));
    const viaSdk = await login(loginBody(await signSmithy({ ...key, serverId: "vault.example.com" }), "ci"), "aws-sid");
    assert.equal(viaSdk.status, 200, JSON.stringify(errorsOf(viaSdk)));
    const config = await admin.request("GET", "auth/aws-sid/config/client");
    assert.equal((config.body as { data: { iam_server_id_header_value: string } }).data.iam_server_id_header_value, "vault.example.com");
  });

  test("an ARN the role is not bound to: IAM Principal … does not belong to the role", async () => {
    const signed = signPlain({ accessKeyId: OTHER_KEY.access_key_id, secret: OTHER_KEY.secret_access_key });
    await refused(loginBody(signed, "app"), `IAM Principal "${OTHER_KEY.arn}" does not belong to the role "app"`);
  });

  test("a body asking for another action, or with extra parameters: iam request body is invalid", async () => {
    const key = { accessKeyId: USER_KEY.access_key_id, secret: USER_KEY.secret_access_key };
    await refused(loginBody(signPlain({ ...key, body: "Action=AssumeRole&Version=2011-06-15" }), "ci"), "iam request body is invalid");
    await refused(loginBody(signPlain({ ...key, body: "Action=GetCallerIdentity&Version=2011-06-15&RoleArn=x" }), "ci"), "iam request body is invalid");
  });

  test("missing, partial and malformed fields", async () => {
    const body = loginBody(signPlain({ accessKeyId: USER_KEY.access_key_id, secret: USER_KEY.secret_access_key }), "ci");
    await refused({ role: "ci" }, "didn't supply required authentication values");
    const { iam_request_headers: _h, ...partial } = body;
    await refused(partial, "supplied some of the auth values for the iam auth type but not all");
    await refused({ ...body, iam_http_request_method: "" }, "missing iam_http_request_method");
    await refused({ ...body, iam_http_request_method: "GET" }, "invalid iam_http_request_method; currently only 'POST' is supported");
    await refused({ ...body, iam_request_url: "" }, "missing iam_request_url");
    await refused({ ...body, iam_request_url: "%%%" }, "failed to base64 decode iam_request_url");
    await refused({ ...body, iam_request_url: b64("https://sts.amazonaws.com/?Action=GetCallerIdentity") }, "invalid request");
    await refused({ ...body, iam_request_body: "" }, "missing iam_request_body");
    await refused({ ...body, iam_request_headers: b64("{}") }, "missing iam_request_headers");
    await refused({ ...body, pkcs7: "MIIB" }, "supplied auth values for both ec2 and iam auth types");
  });

  test("headers may also be a JSON object with string values", async () => {
    const signed = signPlain({ accessKeyId: USER_KEY.access_key_id, secret: USER_KEY.secret_access_key });
    const answer = await login({ ...loginBody(signed, "ci"), iam_request_headers: signed.headers });
    assert.equal(answer.status, 200, JSON.stringify(errorsOf(answer)));
  });

  test("an unknown role, after STS said who is calling: entry for role … not found", async () => {
    await refused(loginBody(signPlain({ accessKeyId: USER_KEY.access_key_id, secret: USER_KEY.secret_access_key }), "nope"), "entry for role nope not found");
  });

  test("in a namespace: its own aws mount, the same STS identities, a namespaced token", async () => {
    await admin.createNamespace("team");
    const team = admin.withNamespace("team");
    await team.enableAuth("aws", "aws");
    await team.writeAwsRole("ci", { bound_iam_principal_arn: [`arn:aws:iam::${ACCOUNT}:user/ci`] });
    const answer = await team.withToken("").request("POST", "auth/aws/login", loginBody(signPlain({ accessKeyId: USER_KEY.access_key_id, secret: USER_KEY.secret_access_key }), "ci"));
    assert.equal(answer.status, 200, JSON.stringify(errorsOf(answer)));
    const self = await team.withToken(authOf(answer).client_token).request("GET", "auth/token/lookup-self");
    assert.equal((self.body as { data: { namespace_path: string } }).data.namespace_path, "team/");
  });

  test("roles: a bound parameter is required; reads and lists", async () => {
    const bare = await admin.request("POST", "auth/aws/role/bare", { auth_type: "iam" });
    assert.equal(bare.status, 400);
    assert.deepEqual(errorsOf(bare), ["at least one bound parameter should be specified on the role"]);
    const read = await admin.request("GET", "auth/aws/role/app");
    const data = (read.body as { data: Record<string, unknown> }).data;
    assert.equal(data.auth_type, "iam");
    assert.deepEqual(data.bound_iam_principal_arn, [`arn:aws:iam::${ACCOUNT}:role/app`]);
    assert.equal(data.resolve_aws_unique_ids, true);
    assert.equal(data.token_ttl, 900);
    const list = await admin.request("GET", "auth/aws/role", undefined, { list: "true" });
    assert.deepEqual((list.body as { data: { keys: string[] } }).data.keys, ["app", "ci"]);
  });

  test("control: identities are listed without secrets; a malformed ARN is refused", async () => {
    const list = await admin.awsIdentities();
    assert.deepEqual(list.map((i) => i.arn).sort(), [OTHER_KEY.arn, ROLE_KEY.arn, USER_KEY.arn].sort());
    assert.equal(list.find((i) => i.arn === ROLE_KEY.arn)?.temporary, true);
    assert.match(list.find((i) => i.arn === ROLE_KEY.arn)?.user_id ?? "", /^AROA[A-Z0-9]+:ci-run-7$/);
    const text = JSON.stringify(list);
    for (const secret of SECRETS) assert.ok(!text.includes(secret));
    await assert.rejects(admin.addAwsIdentity({ access_key_id: "AKIAX", secret_access_key: "s", arn: "arn:aws:s3:::bucket" }), /400/);
  });
});

describe("the double's SigV4 verifier against AWS's published examples", () => {
  // AWS's documentation example key pair and time (public example values, not credentials).
  const nowMs = Date.UTC(2015, 7, 30, 12, 36, 0);
  const lookup = (id: string) => (id === "AKIDEXAMPLE" ? { secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" } : undefined);
  const authz = (scope: string, signed: string, signature: string) => [
    `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/${scope}/aws4_request, SignedHeaders=${signed}, Signature=${signature}`,
  ];

  test("IAM ListUsers (GET with a query string and content-type)", () => {
    const request = {
      method: "GET",
      url: new URL("https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08"),
      body: "",
      headers: new Map([
        ["content-type", ["application/x-www-form-urlencoded; charset=utf-8"]],
        ["x-amz-date", ["20150830T123600Z"]],
        ["authorization", authz("iam", "content-type;host;x-amz-date", "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")],
      ]),
    };
    assert.deepEqual(verifySigV4(request, { nowMs, region: "us-east-1", service: "iam", lookup }), { ok: true, accessKeyId: "AKIDEXAMPLE" });
    // One byte of the query changed: the same signature no longer verifies.
    const changed = { ...request, url: new URL("https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-09") };
    const verdict = verifySigV4(changed, { nowMs, region: "us-east-1", service: "iam", lookup });
    assert.equal(verdict.ok, false);
    assert.equal(!verdict.ok && verdict.code, "SignatureDoesNotMatch");
  });

  test("get-vanilla from the SigV4 test suite", () => {
    const request = {
      method: "GET",
      url: new URL("https://example.amazonaws.com/"),
      body: "",
      headers: new Map([
        ["x-amz-date", ["20150830T123600Z"]],
        ["authorization", authz("service", "host;x-amz-date", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")],
      ]),
    };
    assert.deepEqual(verifySigV4(request, { nowMs, region: "us-east-1", service: "service", lookup }), { ok: true, accessKeyId: "AKIDEXAMPLE" });
    const late = verifySigV4(request, { nowMs: nowMs + 16 * 60 * 1000, region: "us-east-1", service: "service", lookup });
    assert.deepEqual(late, {
      ok: false,
      status: 403,
      code: "SignatureDoesNotMatch",
      message: "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z (20150830T125200Z - 15 min.)",
    });
  });
});
