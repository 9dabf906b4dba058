/**
 * The aws Vault login method (docs/contract/authentication.md#login-methods): the body it sends decodes to the request the Vault
 * CLI sends (POST, the STS URL, GetCallerIdentity, headers as `{Name: [value]}`), the SigV4
 * signature is right (recomputed here with node:crypto, per the SigV4 spec, not with the SDK), the
 * server-ID header and session token are signed in exactly when present, the region and endpoint
 * follow the settings, credentials are read afresh at each login (environment and the SDK's shared
 * files), no credentials is a 77 that names where the chain looked and holds no key, and every
 * secret of the request is in `secrets`.
 *
 * Hermetic: HOME and the AWS shared files point into a temp folder, AWS_EC2_METADATA_DISABLED is
 * set, and no real AWS variable of the machine reaches the SDK's chain.
 */
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Located, VaultAuthField } from "../../../src/config/model.js";
import { AuthError, ConfigError } from "../../../src/errors.js";
import { aws, stsRegion } from "../../../src/providers/vault/login/aws.js";
import { type AwsKeys, buildIamLoginBody, canonicalHeaderName, stsEndpoint } from "../../../src/providers/vault/login/aws-iam-request.js";
import type { LoginInput, LoginRequest } from "../../../src/providers/vault/login/method.js";

const KEYS: AwsKeys = { accessKeyId: "AKIDLOGINTESTKEY0001", secretAccessKey: "login-test-Secret-Key-8f2a1c" };
const TEMP: AwsKeys = { accessKeyId: "ASIALOGINTESTKEY0002", secretAccessKey: "login-test-Temp-Secret-3b9d", sessionToken: "login-test-Session-Token-77e1" };
const CLOCK = new Date("2026-03-04T05:06:07.890Z");

const here = { file: "envject.yaml", line: 4, column: 12 };
const at = (value: string, key: string): Located<string> => ({ value, origin: { ...here, key: `vault.auth.${key}` } });

let dir: string;
const saved = new Map<string, string | undefined>();
/** Every variable the SDK's chain reads that could bring the machine's own AWS setup in. */
const CHAIN_VARIABLES = [
  "HOME",
  "AWS_EC2_METADATA_DISABLED",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_PROFILE",
  "AWS_SHARED_CREDENTIALS_FILE",
  "AWS_CONFIG_FILE",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_ROLE_ARN",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_CREDENTIAL_EXPIRATION",
];

before(() => {
  dir = mkdtempSync(join(tmpdir(), "envject-login-aws-"));
  for (const name of CHAIN_VARIABLES) {
    saved.set(name, process.env[name]);
    delete process.env[name];
  }
  process.env.HOME = dir;
  process.env.AWS_EC2_METADATA_DISABLED = "true";
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, "credentials");
  process.env.AWS_CONFIG_FILE = join(dir, "config");
});

after(() => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  rmSync(dir, { recursive: true, force: true });
});

function input(settings: Partial<Record<VaultAuthField, string>>, environ: NodeJS.ProcessEnv = {}, awsRegion?: string): LoginInput {
  const located = Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, at(v, k)]));
  return { settings: located, environ, ...(awsRegion === undefined ? {} : { awsRegion }) };
}

const envKeys = (keys: AwsKeys): NodeJS.ProcessEnv => ({
  AWS_ACCESS_KEY_ID: keys.accessKeyId,
  AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
  ...(keys.sessionToken ? { AWS_SESSION_TOKEN: keys.sessionToken } : {}),
});

const unbase64 = (value: unknown): string => {
  assert.equal(typeof value, "string");
  return Buffer.from(value as string, "base64").toString("utf8");
};

interface Decoded {
  role: unknown;
  method: unknown;
  url: string;
  body: string;
  headers: Record<string, string[]>;
  /** Header value by case-insensitive name (the one value). */
  header(name: string): string | undefined;
  authorization: { credential: string; signedHeaders: string[]; signature: string };
}

/** The login body as Vault's server reads it. */
function decode(body: Record<string, unknown>): Decoded {
  assert.deepEqual(Object.keys(body).sort(), ["iam_http_request_method", "iam_request_body", "iam_request_headers", "iam_request_url", "role"]);
  const headers = JSON.parse(unbase64(body.iam_request_headers)) as Record<string, string[]>;
  for (const [name, values] of Object.entries(headers)) {
    assert.ok(Array.isArray(values) && values.length === 1 && typeof values[0] === "string", `header ${name} is a list of one string`);
  }
  const header = (name: string) => Object.entries(headers).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1][0];
  const auth = header("authorization") ?? "";
  const m = /^AWS4-HMAC-SHA256 Credential=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
  assert.ok(m, "the Authorization header has the SigV4 shape");
  return {
    role: body.role,
    method: body.iam_http_request_method,
    url: unbase64(body.iam_request_url),
    body: unbase64(body.iam_request_body),
    headers,
    header,
    authorization: { credential: m[1]!, signedHeaders: m[2]!.split(";"), signature: m[3]! },
  };
}

const sha256hex = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");
const hmac = (key: string | Buffer, text: string) => createHmac("sha256", key).update(text, "utf8").digest();

/**
 * The SigV4 signature of the decoded request, computed from scratch (AWS General Reference,
 * "Create a signed AWS API request"): canonical request, string to sign, HMAC key chain.
 */
function expectedSignature(d: Decoded, secretAccessKey: string, region: string): string {
  const url = new URL(d.url);
  const amzDate = d.header("x-amz-date")!;
  const day = amzDate.slice(0, 8);
  const names = [...d.authorization.signedHeaders].sort();
  const canonicalHeaders = names.map((n) => `${n}:${(n === "host" ? (d.header("host") ?? url.host) : d.header(n)!).trim().replace(/\s+/g, " ")}\n`).join("");
  const canonicalRequest = ["POST", url.pathname, "", canonicalHeaders, names.join(";"), sha256hex(d.body)].join("\n");
  const scope = `${day}/${region}/sts/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256hex(canonicalRequest)].join("\n");
  const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, day), region), "sts"), "aws4_request");
  return createHmac("sha256", key).update(stringToSign, "utf8").digest("hex");
}

async function login(settings: Partial<Record<VaultAuthField, string>>, environ: NodeJS.ProcessEnv, awsRegion?: string): Promise<LoginRequest> {
  return aws.create(input(settings, environ, awsRegion)).request({ logger: undefined as never });
}

describe("the aws login body (buildIamLoginBody)", () => {
  it("decodes to POST https://sts.amazonaws.com/ with GetCallerIdentity, form-encoded, for the role", async () => {
    const { body } = await buildIamLoginBody({ role: "my-app", region: "us-east-1", credentials: KEYS, now: CLOCK });
    const d = decode(body as unknown as Record<string, unknown>);
    assert.equal(d.role, "my-app");
    assert.equal(d.method, "POST");
    assert.equal(d.url, "https://sts.amazonaws.com/");
    assert.equal(d.body, "Action=GetCallerIdentity&Version=2011-06-15");
    assert.equal(d.header("content-type"), "application/x-www-form-urlencoded; charset=utf-8");
    assert.equal(d.header("host"), "sts.amazonaws.com");
    assert.equal(d.header("x-amz-date"), "20260304T050607Z");
  });

  it("signs for <key id>/<date>/<region>/sts/aws4_request with a signature that recomputes", async () => {
    const { body } = await buildIamLoginBody({ role: "r", region: "us-east-1", credentials: KEYS, now: CLOCK });
    const d = decode(body as unknown as Record<string, unknown>);
    assert.equal(d.authorization.credential, `${KEYS.accessKeyId}/20260304/us-east-1/sts/aws4_request`);
    assert.deepEqual(d.authorization.signedHeaders, ["content-type", "host", "x-amz-date"]);
    assert.equal(d.authorization.signature, expectedSignature(d, KEYS.secretAccessKey, "us-east-1"));
    // The check can fail: another secret, region or clock gives another signature.
    assert.notEqual(d.authorization.signature, expectedSignature(d, `${KEYS.secretAccessKey}x`, "us-east-1"));
    assert.notEqual(d.authorization.signature, expectedSignature(d, KEYS.secretAccessKey, "us-east-2"));
    const later = decode((await buildIamLoginBody({ role: "r", region: "us-east-1", credentials: KEYS, now: new Date(CLOCK.getTime() + 1000) })).body as never);
    assert.notEqual(later.authorization.signature, d.authorization.signature);
  });

  it("is the same for the same credentials and clock", async () => {
    const a = await buildIamLoginBody({ role: "r", region: "eu-west-1", credentials: TEMP, headerValue: "vault.example.com", now: CLOCK });
    const b = await buildIamLoginBody({ role: "r", region: "eu-west-1", credentials: TEMP, headerValue: "vault.example.com", now: CLOCK });
    assert.deepEqual(a, b);
  });

  it("signs X-Vault-AWS-IAM-Server-ID in when header_value is given, and sends none without", async () => {
    const withId = decode((await buildIamLoginBody({ role: "r", region: "us-east-1", credentials: KEYS, headerValue: "vault.example.com", now: CLOCK })).body as never);
    assert.equal(withId.header("x-vault-aws-iam-server-id"), "vault.example.com");
    assert.ok(withId.authorization.signedHeaders.includes("x-vault-aws-iam-server-id"), withId.authorization.signedHeaders.join(";"));
    assert.ok("X-Vault-Aws-Iam-Server-Id" in withId.headers, "named as Go's http.Header names it");
    assert.equal(withId.authorization.signature, expectedSignature(withId, KEYS.secretAccessKey, "us-east-1"));

    const without = decode((await buildIamLoginBody({ role: "r", region: "us-east-1", credentials: KEYS, now: CLOCK })).body as never);
    assert.equal(without.header("x-vault-aws-iam-server-id"), undefined);
    assert.ok(!without.authorization.signedHeaders.includes("x-vault-aws-iam-server-id"));
  });

  it("sends and signs X-Amz-Security-Token with temporary credentials, and none with long-term keys", async () => {
    const temp = decode((await buildIamLoginBody({ role: "r", region: "eu-west-1", credentials: TEMP, now: CLOCK })).body as never);
    assert.equal(temp.header("x-amz-security-token"), TEMP.sessionToken);
    assert.ok(temp.authorization.signedHeaders.includes("x-amz-security-token"));
    assert.equal(temp.authorization.credential, `${TEMP.accessKeyId}/20260304/eu-west-1/sts/aws4_request`);
    assert.equal(temp.authorization.signature, expectedSignature(temp, TEMP.secretAccessKey, "eu-west-1"));

    const long = decode((await buildIamLoginBody({ role: "r", region: "eu-west-1", credentials: KEYS, now: CLOCK })).body as never);
    assert.equal(long.header("x-amz-security-token"), undefined);
    assert.ok(!long.authorization.signedHeaders.includes("x-amz-security-token"));
  });

  it("sends only headers Vault's server allows by default (no X-Amz-Content-Sha256, like the Vault CLI)", async () => {
    const d = decode((await buildIamLoginBody({ role: "r", region: "us-east-1", credentials: TEMP, headerValue: "v", now: CLOCK })).body as never);
    assert.deepEqual(Object.keys(d.headers).sort(), ["Authorization", "Content-Type", "Host", "X-Amz-Date", "X-Amz-Security-Token", "X-Vault-Aws-Iam-Server-Id"]);
  });

  it("lists the secret key, the session token, the signature and what carries them in secrets, and no secret elsewhere in clear", async () => {
    const { body, secrets } = await buildIamLoginBody({ role: "r", region: "us-east-1", credentials: TEMP, headerValue: "v", now: CLOCK });
    const d = decode(body as unknown as Record<string, unknown>);
    assert.ok(secrets.includes(TEMP.secretAccessKey));
    assert.ok(secrets.includes(TEMP.sessionToken!));
    assert.ok(secrets.includes(d.authorization.signature));
    assert.ok(secrets.includes(d.header("authorization")!));
    assert.ok(secrets.includes(body.iam_request_headers), "the base64 headers (signature and token inside) are redacted too");
    assert.ok(!JSON.stringify(body).includes(TEMP.secretAccessKey), "the secret key is never sent");
  });
});

describe("the STS endpoint and region", () => {
  it("us-east-1 is the global endpoint, any other region its own, China under amazonaws.com.cn", () => {
    assert.equal(stsEndpoint("us-east-1"), "https://sts.amazonaws.com/");
    assert.equal(stsEndpoint("eu-west-1"), "https://sts.eu-west-1.amazonaws.com/");
    assert.equal(stsEndpoint("us-gov-west-1"), "https://sts.us-gov-west-1.amazonaws.com/");
    assert.equal(stsEndpoint("cn-north-1"), "https://sts.cn-north-1.amazonaws.com.cn/");
  });

  it("takes the region setting, else the aws: region, else us-east-1 (never AWS_REGION)", () => {
    const env = { AWS_REGION: "ap-south-1", AWS_DEFAULT_REGION: "ap-south-2" };
    assert.equal(stsRegion(input({ role: "r", region: "eu-central-1" }, env, "eu-west-1")), "eu-central-1");
    assert.equal(stsRegion(input({ role: "r" }, env, "eu-west-1")), "eu-west-1");
    assert.equal(stsRegion(input({ role: "r" }, env)), "us-east-1");
    assert.equal(stsRegion(input({ role: "r", region: "  " }, env, "  ")), "us-east-1");
  });

  it("signs for the chosen region at its endpoint", async () => {
    const cases: Array<[Partial<Record<VaultAuthField, string>>, string | undefined, string, string]> = [
      [{ role: "r", region: "eu-central-1" }, "eu-west-1", "eu-central-1", "https://sts.eu-central-1.amazonaws.com/"],
      [{ role: "r" }, "eu-west-1", "eu-west-1", "https://sts.eu-west-1.amazonaws.com/"],
      [{ role: "r" }, undefined, "us-east-1", "https://sts.amazonaws.com/"],
    ];
    for (const [settings, awsRegion, region, url] of cases) {
      const d = decode((await login(settings, envKeys(KEYS), awsRegion)).body);
      assert.equal(d.url, url);
      assert.equal(d.header("host"), new URL(url).host);
      assert.match(d.authorization.credential, new RegExp(`^${KEYS.accessKeyId}/\\d{8}/${region}/sts/aws4_request$`));
      assert.equal(d.authorization.signature, expectedSignature(d, KEYS.secretAccessKey, region));
    }
  });

  it("refuses a region that is not a region name (65 at the setting)", () => {
    assert.throws(
      () => aws.create(input({ role: "r", region: "evil.example.com/x" })),
      (e: unknown) => e instanceof ConfigError && e.exitCode === 65 && /vault\.auth\.region .* is not an AWS region name/.test(e.message),
    );
    assert.throws(
      () => aws.create(input({ role: "r" }, {}, "Not A Region")),
      (e: unknown) => e instanceof ConfigError && /aws\.region/.test(e.message),
    );
  });
});

describe("the aws login method", () => {
  it("needs role (65), mounts at aws or the path setting, and is titled AWS IAM", () => {
    assert.throws(
      () => aws.create(input({})),
      (e: unknown) => e instanceof ConfigError && e.exitCode === 65 && /vault\.auth\.role is required for method aws/.test(e.message),
    );
    const method = aws.create(input({ role: "r" }));
    assert.equal(method.path, "aws");
    assert.equal(method.title, "AWS IAM");
    assert.equal(aws.create(input({ role: "r", path: "/aws-prod/" })).path, "aws-prod");
    assert.deepEqual([...aws.fields].sort(), ["header_value", "region", "role"]);
  });

  it("sends role, header_value and the signed request from the environment's keys", async () => {
    const request = await login({ role: "my-app", header_value: "vault.example.com" }, envKeys(TEMP));
    const d = decode(request.body);
    assert.equal(d.role, "my-app");
    assert.equal(d.header("x-vault-aws-iam-server-id"), "vault.example.com");
    assert.equal(d.header("x-amz-security-token"), TEMP.sessionToken);
    assert.equal(d.authorization.signature, expectedSignature(d, TEMP.secretAccessKey, "us-east-1"));
    for (const secret of [TEMP.secretAccessKey, TEMP.sessionToken!, d.authorization.signature]) assert.ok(request.secrets.includes(secret));
  });

  it("reads the keys again at every login", async () => {
    const environ: NodeJS.ProcessEnv = envKeys(KEYS);
    const method = aws.create(input({ role: "r" }, environ));
    const first = decode((await method.request({ logger: undefined as never })).body);
    Object.assign(environ, envKeys(TEMP));
    const second = await method.request({ logger: undefined as never });
    const d = decode(second.body);
    assert.match(first.authorization.credential, /^AKIDLOGINTESTKEY0001\//);
    assert.match(d.authorization.credential, /^ASIALOGINTESTKEY0002\//);
    assert.equal(d.header("x-amz-security-token"), TEMP.sessionToken);
    assert.equal(d.authorization.signature, expectedSignature(d, TEMP.secretAccessKey, "us-east-1"));
    assert.ok(second.secrets.includes(TEMP.secretAccessKey));
  });

  it("falls back to the AWS SDK's chain (the shared credentials file, AWS_PROFILE), read again at every login", async () => {
    const file = process.env.AWS_SHARED_CREDENTIALS_FILE!;
    const write = (keys: AwsKeys, profile = "default") =>
      writeFileSync(
        file,
        `[${profile}]\naws_access_key_id = ${keys.accessKeyId}\naws_secret_access_key = ${keys.secretAccessKey}\n${keys.sessionToken ? `aws_session_token = ${keys.sessionToken}\n` : ""}`,
      );
    try {
      write(KEYS);
      const method = aws.create(input({ role: "r" }, {}));
      const first = decode((await method.request({ logger: undefined as never })).body);
      assert.match(first.authorization.credential, /^AKIDLOGINTESTKEY0001\//);
      assert.equal(first.authorization.signature, expectedSignature(first, KEYS.secretAccessKey, "us-east-1"));

      write(TEMP);
      const second = await method.request({ logger: undefined as never });
      const d = decode(second.body);
      assert.match(d.authorization.credential, /^ASIALOGINTESTKEY0002\//, "the rewritten file is read at the next login");
      assert.equal(d.header("x-amz-security-token"), TEMP.sessionToken);
      assert.ok(second.secrets.includes(TEMP.secretAccessKey) && second.secrets.includes(TEMP.sessionToken!));

      write(KEYS, "ci");
      process.env.AWS_PROFILE = "ci";
      const profiled = decode((await method.request({ logger: undefined as never })).body);
      assert.match(profiled.authorization.credential, /^AKIDLOGINTESTKEY0001\//, "AWS_PROFILE chooses the profile");
    } finally {
      delete process.env.AWS_PROFILE;
      rmSync(file, { force: true });
    }
  });

  it("without credentials fails with 77 saying where the chain looked, never with a key", async () => {
    // Half a key pair in the environment: not credentials, and the id must not be echoed.
    const environ = { AWS_ACCESS_KEY_ID: "AKIDHALFPAIRNOTSHOWN" };
    process.env.AWS_ACCESS_KEY_ID = environ.AWS_ACCESS_KEY_ID;
    try {
      await assert.rejects(login({ role: "r" }, environ), (e: unknown) => {
        assert.ok(e instanceof AuthError, String(e));
        assert.equal(e.exitCode, 77);
        assert.match(e.message, /^the aws login method found no AWS credentials: /);
        assert.match(e.message, /AWS_ACCESS_KEY_ID\/AWS_SECRET_ACCESS_KEY/);
        assert.ok(e.message.includes(process.env.AWS_SHARED_CREDENTIALS_FILE!), e.message);
        assert.ok(e.message.includes(process.env.AWS_CONFIG_FILE!), e.message);
        assert.match(e.message, /profile default/);
        assert.match(e.message, /AWS_EC2_METADATA_DISABLED/);
        assert.ok(!e.message.includes("AKIDHALFPAIRNOTSHOWN"), "no key in the message");
        assert.ok(!e.message.includes("\n"), "one line");
        return true;
      });
    } finally {
      delete process.env.AWS_ACCESS_KEY_ID;
    }
  });
});

describe("header names", () => {
  it("are written as Go's CanonicalMIMEHeaderKey writes them", () => {
    assert.equal(canonicalHeaderName("x-amz-date"), "X-Amz-Date");
    assert.equal(canonicalHeaderName("X-Vault-AWS-IAM-Server-ID"), "X-Vault-Aws-Iam-Server-Id");
    assert.equal(canonicalHeaderName("host"), "Host");
  });
});
