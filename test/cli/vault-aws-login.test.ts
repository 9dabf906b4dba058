/**
 * The aws Vault login through the real, bundled CLI (run `npm run build` first): the login body
 * on the wire is a GetCallerIdentity request signed with the run's AWS keys (checked against a
 * loopback stand-in for Vault that records it and answers as Vault does when STS refuses), Vault's
 * refusal is 77 with Vault's message and no key, token or signature in the output; no credentials
 * is 77 saying where the chain looked; and a run that does not log in with aws never loads the
 * signer's chunk (module trace).
 */
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { type IncomingMessage, type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { CliResult } from "../support/cli.js";
import { SEED, type SeededVault, startSeededVault } from "../support/vault-fixture.js";
import { Workspace, assertNoStackTrace, printEnv } from "./e2e.js";
import { moduleTrace } from "../support/module-trace-run.js";

const KEY_ID = "AKIDCLILOGINTEST0003";
const SECRET_KEY = "cli-login-Secret-Key-5e6f7a";
const SESSION_TOKEN = "cli-login-Session-Token-9c8b";
const KEYS = { AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET_KEY, AWS_SESSION_TOKEN: SESSION_TOKEN };
const REFUSAL = "error making upstream request: received error code 403 from STS: SignatureDoesNotMatch";

interface Recorded {
  method: string;
  url: string;
  body: string;
}

/** A stand-in for Vault: records every request and refuses the aws login with 400, as Vault does when STS refuses. */
class FakeVault {
  readonly requests: Recorded[] = [];
  private server!: Server;
  url = "";

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (c: string) => (body += c));
      req.on("end", () => {
        this.requests.push({ method: req.method ?? "", url: req.url ?? "", body });
        const refuse = req.method === "POST" && req.url === "/v1/auth/aws-test/login";
        res.writeHead(refuse ? 400 : 404, { "content-type": "application/json" });
        res.end(JSON.stringify({ errors: refuse ? [REFUSAL] : [] }));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let sv: SeededVault;
let fake: FakeVault;
let ws: Workspace;

before(async () => {
  sv = await startSeededVault();
  fake = new FakeVault();
  await fake.start();
  ws = new Workspace({ url: sv.url, rootToken: sv.rootToken });
  ws.file("token.yaml", "env:\n  X: vault://secret/myapp/db#password\n");
  ws.file(
    "aws-login.yaml",
    "vault:\n  auth:\n    method: aws\n    role: my-app\n    header_value: vault.example.com\n    region: eu-west-1\n    path: aws-test\nenv:\n  X: vault://secret/myapp/db#password\n",
  );
});

after(async () => {
  ws.cleanup();
  await fake.close();
  await sv.close();
});

/** Runs envject with `mapping` under the module-trace preload matching `match`; returns what envject's own process loaded. */
async function traced(mapping: string, match: string, extra: Record<string, string | undefined>): Promise<{ result: CliResult; loaded: string[] }> {
  const trace = moduleTrace(ws.dir, match);
  const result = await ws.run(["run", "-c", mapping, "--", ...printEnv("X")], { ...trace.env, ...extra });
  return { result, loaded: trace.envjectLoaded(result.stderr) };
}

/** No AWS secret of this file in `text`. */
function assertNoAwsSecret(text: string): void {
  for (const secret of [SECRET_KEY, SESSION_TOKEN]) assert.ok(!text.includes(secret), "an AWS secret was printed");
  assert.doesNotMatch(text, /Signature=[0-9a-f]{16}/, "a signature was printed");
}

const sha256hex = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");
const hmac = (key: string | Buffer, text: string) => createHmac("sha256", key).update(text, "utf8").digest();

describe("the aws Vault login, bundled", () => {
  it("a token run never loads the aws login's signer chunk", async () => {
    const { result, loaded } = await traced("token.yaml", "aws-iam-request", {});
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).X, SEED.db.password);
    assert.deepEqual(loaded, []);
  });

  describe("sends Vault the signed GetCallerIdentity and exits 77 with Vault's refusal, printing no key, token or signature", () => {
    // One login run against the fake Vault; each case reads one guarantee off it.
    let result: CliResult;
    let loaded: string[];
    let sent: typeof fake.requests;
    before(async () => {
      fake.requests.length = 0;
      ({ result, loaded } = await traced("aws-login.yaml", "aws-iam-request", { VAULT_ADDR: fake.url, VAULT_TOKEN: undefined, ...KEYS }));
      sent = [...fake.requests];
    });
    /** The login's decoded parts: its JSON body, the STS URL, body and headers it forwards. */
    const login = () => {
      const logins = sent.filter((r) => r.method === "POST" && r.url === "/v1/auth/aws-test/login");
      assert.ok(logins.length >= 1, JSON.stringify(sent.map((r) => `${r.method} ${r.url}`)));
      const body = JSON.parse(logins[0]!.body) as Record<string, string>;
      return {
        body,
        url: Buffer.from(body.iam_request_url!, "base64").toString(),
        requestBody: Buffer.from(body.iam_request_body!, "base64").toString(),
        headers: JSON.parse(Buffer.from(body.iam_request_headers!, "base64").toString()) as Record<string, string[]>,
      };
    };

    it("exits 77 with Vault's refusal, without a stack trace and without running the child", () => {
      assert.equal(result.code, 77, result.stderr);
      assert.match(result.stderr, /Vault rejected the AWS IAM login at auth\/aws-test \(400: error making upstream request/);
      assertNoStackTrace(result.stderr);
      assert.equal(result.stdout, "", "the child did not run");
    });

    it("loads the signer chunk", () => {
      assert.ok(
        loaded.some((name) => name.includes("aws-iam-request")),
        `the signer chunk was loaded (so the trace can see it): ${loaded.join(", ")}`,
      );
    });

    it("prints no key, token or signature", () => {
      assertNoAwsSecret(result.stderr + result.stdout);
    });

    it("sends the role and a POST GetCallerIdentity for the region's STS, with the server id and session token headers", () => {
      const { body, url, requestBody, headers } = login();
      assert.equal(body.role, "my-app");
      assert.equal(body.iam_http_request_method, "POST");
      assert.equal(url, "https://sts.eu-west-1.amazonaws.com/");
      assert.equal(requestBody, "Action=GetCallerIdentity&Version=2011-06-15");
      assert.deepEqual(headers["X-Vault-Aws-Iam-Server-Id"], ["vault.example.com"]);
      assert.deepEqual(headers["X-Amz-Security-Token"], [SESSION_TOKEN]);
    });

    it("signs it with SigV4 over those headers: the signature recomputes from the wire with the run's secret key", () => {
      const { requestBody, headers } = login();
      const auth = headers.Authorization![0]!;
      const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/eu-west-1\/sts\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
      assert.ok(m, "the Authorization header has the SigV4 shape");
      assert.equal(m[1], KEY_ID);
      const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v[0]!]));
      const signed = m[3]!.split(";");
      assert.deepEqual(signed, ["content-type", "host", "x-amz-date", "x-amz-security-token", "x-vault-aws-iam-server-id"]);
      const canonical = ["POST", "/", "", signed.map((n) => `${n}:${lower[n]}\n`).join(""), signed.join(";"), sha256hex(requestBody)].join("\n");
      const amzDate = lower["x-amz-date"]!;
      const toSign = ["AWS4-HMAC-SHA256", amzDate, `${m[2]}/eu-west-1/sts/aws4_request`, sha256hex(canonical)].join("\n");
      const key = hmac(hmac(hmac(hmac(`AWS4${SECRET_KEY}`, m[2]!), "eu-west-1"), "sts"), "aws4_request");
      assert.ok(createHmac("sha256", key).update(toSign).digest("hex") === m[4], "the signature recomputes with the run's keys");
    });
  });

  it("without AWS credentials exits 77 saying where the chain looked, and sends Vault nothing", async () => {
    fake.requests.length = 0;
    const { result, loaded } = await traced("aws-login.yaml", "aws-iam-request", {
      VAULT_ADDR: fake.url,
      VAULT_TOKEN: undefined,
      AWS_ACCESS_KEY_ID: KEY_ID,
      AWS_SECRET_ACCESS_KEY: undefined,
    });
    assert.equal(result.code, 77, result.stderr);
    assert.match(result.stderr, /the aws login method found no AWS credentials: /);
    assert.match(result.stderr, /AWS_EC2_METADATA_DISABLED/);
    assert.ok(!result.stderr.includes(KEY_ID), "no key id in the message");
    assertNoStackTrace(result.stderr);
    assert.deepEqual(loaded, [], "the signer is not loaded without credentials");
    assert.equal(fake.requests.filter((r) => r.url.includes("/auth/")).length, 0);
  });
});
