/**
 * The body of a Vault AWS IAM login (docs/contract/authentication.md#login-methods), built from given credentials and a given
 * clock: a `POST / Action=GetCallerIdentity&Version=2011-06-15` to STS, SigV4-signed by the AWS
 * SDK's own signer (`@smithy/signature-v4`, SHA-256 from `@smithy/core/checksum`), and described to
 * Vault the way the Vault CLI does (builtin/credential/aws/cli.go): method, then URL, body and the
 * signed headers (JSON of `{Name: [value]}`, header names in Go's canonical form) each base64.
 * Deterministic for the same input, so tests (and a Vault double that recomputes signatures with
 * seeded keys) can call it directly.
 *
 * This module loads the signer: import it only when an aws login happens (aws.ts does, lazily).
 * Everything secret in the result (the secret key, the session token, the signature, the
 * Authorization value and the base64 headers that carry them) is listed in `secrets`.
 */
import { Sha256 } from "@smithy/core/checksum";
import { SignatureV4 } from "@smithy/signature-v4";

/** AWS credentials as the SDK's chain gives them. */
export interface AwsKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface IamLoginInput {
  /** The Vault role (`vault.auth.role`). */
  role: string;
  /** The STS region the request is signed for (and whose endpoint it names). */
  region: string;
  /** `X-Vault-AWS-IAM-Server-ID`, signed in when given. */
  headerValue?: string;
  credentials: AwsKeys;
  /** The signing time. */
  now: Date;
}

/** What `POST auth/<path>/login` is sent for the aws method. */
export interface IamLoginBody {
  role: string;
  iam_http_request_method: "POST";
  iam_request_url: string;
  iam_request_body: string;
  iam_request_headers: string;
}

export interface IamLogin {
  body: IamLoginBody;
  secrets: string[];
}

/** The one request Vault accepts: GetCallerIdentity in the form-encoded body. */
export const STS_REQUEST_BODY = "Action=GetCallerIdentity&Version=2011-06-15";
export const STS_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8";
export const SERVER_ID_HEADER = "X-Vault-AWS-IAM-Server-ID";

/**
 * The STS endpoint for a region: us-east-1 is the global endpoint (what Vault's server calls by
 * default), any other region its regional endpoint; the China regions are under amazonaws.com.cn.
 */
export function stsEndpoint(region: string): string {
  if (region === "us-east-1") return "https://sts.amazonaws.com/";
  const suffix = region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  return `https://sts.${region}.${suffix}/`;
}

/** Go's `textproto.CanonicalMIMEHeaderKey`: `x-amz-date` → `X-Amz-Date`, as Vault's CLI sends header names. */
export function canonicalHeaderName(name: string): string {
  return name
    .toLowerCase()
    .split("-")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("-");
}

const base64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");

/** Signs GetCallerIdentity with `credentials` at `now` and returns the login body and its secrets. */
export async function buildIamLoginBody(input: IamLoginInput): Promise<IamLogin> {
  const url = new URL(stsEndpoint(input.region));
  const headers: Record<string, string> = { host: url.host, "content-type": STS_CONTENT_TYPE };
  if (input.headerValue !== undefined && input.headerValue !== "") headers[SERVER_ID_HEADER.toLowerCase()] = input.headerValue;

  const { accessKeyId, secretAccessKey, sessionToken } = input.credentials;
  const signer = new SignatureV4({
    service: "sts",
    region: input.region,
    credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) },
    sha256: Sha256,
    // The Vault CLI's signer sends no X-Amz-Content-Sha256; STS does not need it.
    applyChecksum: false,
  });
  const signed = await signer.sign({ method: "POST", protocol: url.protocol, hostname: url.hostname, path: url.pathname, query: {}, headers, body: STS_REQUEST_BODY }, { signingDate: input.now });

  const described: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(signed.headers)) described[canonicalHeaderName(name)] = [value];
  const authorization = signed.headers.authorization ?? "";
  const signature = /Signature=([0-9a-f]+)/.exec(authorization)?.[1];
  const iamRequestHeaders = base64(JSON.stringify(described));

  const secrets = [secretAccessKey, authorization, iamRequestHeaders];
  if (signature) secrets.push(signature);
  if (sessionToken) secrets.push(sessionToken);
  return {
    body: {
      role: input.role,
      iam_http_request_method: "POST",
      iam_request_url: base64(url.href),
      iam_request_body: base64(STS_REQUEST_BODY),
      iam_request_headers: iamRequestHeaders,
    },
    secrets: secrets.filter((s) => s !== ""),
  };
}
