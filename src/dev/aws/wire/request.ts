/**
 * The awsJson1_1 request envelope: `POST /`, `Content-Type: application/x-amz-json-1.1`,
 * `X-Amz-Target: secretsmanager.<Operation>`, a SigV4 `Authorization` header whose credential
 * scope gives the access key and the region (the signature itself is not verified), and a JSON
 * object body. Anything else is refused the way the AWS front door refuses it. X-Amz-Security-Token
 * (session credentials) is accepted and ignored, like the signature.
 */
import type http from "node:http";
import { AwsError, frontDoor } from "./errors.js";

export const JSON_11 = "application/x-amz-json-1.1";
const TARGET_PREFIX = "secretsmanager.";

export interface AwsRequest {
  /** The operation after `secretsmanager.` in X-Amz-Target. */
  action: string;
  region: string;
  accessKeyId: string;
  input: Record<string, unknown>;
}

/** A request the double cannot take, with what it knew before refusing (for the request log). */
export class RefusedRequest {
  constructor(
    readonly error: AwsError,
    readonly action: string,
    readonly region: string,
    readonly accessKeyId: string | undefined,
  ) {}
}

const header = (req: http.IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** Parses and checks the envelope; returns the request or why it was refused. */
export function parseRequest(req: http.IncomingMessage, body: Buffer): AwsRequest | RefusedRequest {
  const contentType = (header(req, "content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (contentType !== JSON_11) {
    // A client that switched protocol (RPCv2 CBOR, awsJson1_0) must fail loudly, not half work.
    return new RefusedRequest(
      frontDoor("UnsupportedMediaTypeException", `This AWS Secrets Manager double speaks only ${JSON_11}; the request has Content-Type: ${contentType || "(none)"}`, 415),
      "",
      "",
      undefined,
    );
  }
  const target = header(req, "x-amz-target") ?? "";
  const action = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : "";
  const refused = (error: AwsError, region = "", akid?: string) => new RefusedRequest(error, action, region, akid);
  if (action === "" || !/^[A-Za-z]+$/.test(action)) return refused(frontDoor("UnknownOperationException", `Unknown operation: X-Amz-Target "${target}"`));

  const authorization = header(req, "authorization");
  if (authorization === undefined || authorization.trim() === "") return refused(frontDoor("MissingAuthenticationTokenException", "Request is missing Authentication Token"));
  const credential = parseCredential(authorization);
  if (typeof credential === "string") return refused(frontDoor("IncompleteSignatureException", credential));

  let input: unknown;
  const text = body.toString("utf8");
  try {
    // The JS SDK sends "{}" for an input-less call; an empty body is taken the same way.
    input = text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    return refused(frontDoor("SerializationException", "The request body is not valid JSON."), credential.region, credential.accessKeyId);
  }
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    return refused(frontDoor("SerializationException", "The request body must be a JSON object."), credential.region, credential.accessKeyId);
  }
  return { action, region: credential.region, accessKeyId: credential.accessKeyId, input: input as Record<string, unknown> };
}

/** `AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/secretsmanager/aws4_request, SignedHeaders=…, Signature=…` → key and region, or what is wrong. */
export function parseCredential(authorization: string): { accessKeyId: string; region: string } | string {
  const m = /^AWS4-HMAC-SHA256\s+(.*)$/s.exec(authorization.trim());
  if (!m) return `Authorization header requires the AWS4-HMAC-SHA256 algorithm. Authorization=${authorization.split(/\s/)[0]}`;
  const parts = new Map<string, string>();
  for (const piece of m[1]!.split(",")) {
    const eq = piece.indexOf("=");
    if (eq > 0) parts.set(piece.slice(0, eq).trim(), piece.slice(eq + 1).trim());
  }
  for (const required of ["Credential", "SignedHeaders", "Signature"]) {
    if (!parts.get(required)) return `Authorization header requires '${required}' parameter. Authorization=AWS4-HMAC-SHA256 ${[...parts.keys()].join(", ")}`;
  }
  const scope = parts.get("Credential")!.split("/");
  if (scope.length !== 5 || scope.some((s) => s === "") || scope[4] !== "aws4_request") {
    return `Credential should be scoped to a valid region, and to the correct service. Credential=${scope[0] ?? ""}/…`;
  }
  if (scope[3] !== "secretsmanager") return `Credential should be scoped to correct service: 'secretsmanager'.`;
  return { accessKeyId: scope[0]!, region: scope[2]! };
}
