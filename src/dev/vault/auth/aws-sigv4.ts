/**
 * The double's own AWS Signature Version 4 verifier, standing in for STS: it recomputes the
 * signature of a forwarded sts:GetCallerIdentity request (canonical request, string to sign,
 * HMAC-SHA256 key chain) from the seeded secret key, written from the SigV4 specification with
 * node:crypto only. Refusals carry STS's own status, error code and message; no message ever
 * contains a signature, a secret key or a session token.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** The request STS would receive: method, URL, headers (lower-cased names, every value), body. */
export interface ForwardedRequest {
  method: string;
  url: URL;
  headers: Map<string, string[]>;
  body: string;
}

/** A seeded key pair, as the caller looks it up by access key id. */
export interface SigningKey {
  secretAccessKey: string;
  /** Temporary credentials must present exactly this X-Amz-Security-Token. */
  sessionToken?: string;
}

export type SigV4Verdict = { ok: true; accessKeyId: string } | { ok: false; status: number; code: string; message: string };

export interface VerifyOptions {
  nowMs: number;
  /** The region the receiving endpoint serves (us-east-1 for the global sts.amazonaws.com). */
  region: string;
  service: string;
  lookup(accessKeyId: string): SigningKey | undefined;
}

const SKEW_MS = 15 * 60 * 1000;
const SIGNATURE_MISMATCH =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const INVALID_TOKEN = "The security token included in the request is invalid.";

const refuse = (status: number, code: string, message: string): SigV4Verdict => ({ ok: false, status, code, message });

/** Verifies an `Authorization: AWS4-HMAC-SHA256 …` header against the request it signs. */
export function verifySigV4(req: ForwardedRequest, opts: VerifyOptions): SigV4Verdict {
  const authorization = (req.headers.get("authorization") ?? []).join(",");
  if (authorization === "") return refuse(403, "MissingAuthenticationToken", "Request is missing Authentication Token");
  const parsed = parseAuthorization(authorization);
  if ("error" in parsed) return refuse(400, "IncompleteSignature", parsed.error);
  const { accessKeyId, scopeDate, scopeRegion, scopeService, terminator, signedHeaders, signature } = parsed;

  const amzDate = first(req.headers, "x-amz-date") ?? first(req.headers, "date");
  if (amzDate === undefined) return refuse(400, "IncompleteSignature", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  const signedMs = parseAmzDate(amzDate);
  if (signedMs === undefined) return refuse(400, "IncompleteSignature", `Date must be in ISO-8601 'basic format'. Got '${amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  if (signedMs < opts.nowMs - SKEW_MS) {
    return refuse(403, "SignatureDoesNotMatch", `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(opts.nowMs - SKEW_MS)} (${formatAmzDate(opts.nowMs)} - 15 min.)`);
  }
  if (signedMs > opts.nowMs + SKEW_MS) {
    return refuse(403, "SignatureDoesNotMatch", `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(opts.nowMs + SKEW_MS)} (${formatAmzDate(opts.nowMs)} + 15 min.)`);
  }
  if (scopeDate !== amzDate.slice(0, 8)) {
    return refuse(
      403,
      "SignatureDoesNotMatch",
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
    );
  }
  if (terminator !== "aws4_request") return refuse(403, "SignatureDoesNotMatch", `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'. `);
  if (scopeService !== opts.service) return refuse(403, "SignatureDoesNotMatch", `Credential should be scoped to correct service: '${opts.service}'. `);
  if (scopeRegion !== opts.region) return refuse(403, "SignatureDoesNotMatch", "Credential should be scoped to a valid region. ");

  const key = opts.lookup(accessKeyId);
  if (!key) return refuse(403, "InvalidClientTokenId", INVALID_TOKEN);
  const token = first(req.headers, "x-amz-security-token");
  if ((key.sessionToken ?? "") !== (token ?? "")) return refuse(403, "InvalidClientTokenId", INVALID_TOKEN);

  const canonical = canonicalRequest(req, signedHeaders);
  const scope = `${scopeDate}/${scopeRegion}/${scopeService}/${terminator}`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonical)].join("\n");
  const expected = hmac(signingKey(key.secretAccessKey, scopeDate, scopeRegion, scopeService), stringToSign).toString("hex");
  const given = Buffer.from(signature.toLowerCase(), "utf8");
  const want = Buffer.from(expected, "utf8");
  if (given.length !== want.length || !timingSafeEqual(given, want)) return refuse(403, "SignatureDoesNotMatch", SIGNATURE_MISMATCH);
  return { ok: true, accessKeyId };
}

/** The SigV4 canonical request for the headers named in SignedHeaders. */
export function canonicalRequest(req: ForwardedRequest, signedHeaders: string[]): string {
  const lines = signedHeaders.map((name) => `${name}:${headerValue(req, name)}\n`).join("");
  return [req.method.toUpperCase(), canonicalUri(req.url.pathname), canonicalQuery(req.url.searchParams), lines, signedHeaders.join(";"), sha256Hex(req.body)].join("\n");
}

/** HMAC chain: kSecret → date → region → service → "aws4_request". */
export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = hmac(Buffer.from(`AWS4${secret}`, "utf8"), date);
  return hmac(hmac(hmac(kDate, region), service), "aws4_request");
}

/** `20240102T030405Z` for a time. */
export function formatAmzDate(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

function headerValue(req: ForwardedRequest, name: string): string {
  // What STS receives: Go's client sends the URL's host and the body's real length, whatever the headers say.
  if (name === "host") return req.url.host.toLowerCase();
  if (name === "content-length") return String(Buffer.byteLength(req.body, "utf8"));
  const values = req.headers.get(name) ?? [];
  return values.map((v) => v.trim().replace(/ {2,}/g, " ")).join(",");
}

function canonicalUri(path: string): string {
  // Non-S3 services normalize the path (dot segments, repeated slashes), then URI-encode it again.
  const segments: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  const trailing = path.length > 1 && path.endsWith("/") && segments.length > 0 ? "/" : "";
  return `/${segments.map(uriEncode).join("/")}${trailing}`;
}

function canonicalQuery(params: URLSearchParams): string {
  const pairs = [...params.entries()].map(([k, v]) => [uriEncode(k), uriEncode(v)] as const);
  pairs.sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

/** RFC 3986 unreserved characters stay, everything else is %XX (upper case). */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

type ParsedAuthorization = { accessKeyId: string; scopeDate: string; scopeRegion: string; scopeService: string; terminator: string; signedHeaders: string[]; signature: string } | { error: string };

function parseAuthorization(header: string): ParsedAuthorization {
  const space = header.indexOf(" ");
  const algorithm = space < 0 ? header : header.slice(0, space);
  if (algorithm !== "AWS4-HMAC-SHA256") return { error: `Unsupported AWS 'algorithm': '${algorithm}'` };
  const fields = new Map<string, string>();
  for (const part of header.slice(space + 1).split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  // STS quotes the whole header in these messages; the double leaves it out (it holds the signature).
  const missing = ["Credential", "Signature", "SignedHeaders"].filter((f) => !fields.get(f));
  if (missing.length > 0) return { error: missing.map((f) => `Authorization header requires '${f}' parameter.`).join(" ") };
  const credential = fields.get("Credential")!;
  const parts = credential.split("/");
  if (parts.length !== 5) return { error: `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'` };
  const [accessKeyId, scopeDate, scopeRegion, scopeService, terminator] = parts as [string, string, string, string, string];
  return {
    accessKeyId,
    scopeDate,
    scopeRegion,
    scopeService,
    terminator,
    signedHeaders: fields
      .get("SignedHeaders")!
      .split(";")
      .map((h) => h.trim().toLowerCase()),
    signature: fields.get("Signature")!,
  };
}

function parseAmzDate(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

function first(headers: Map<string, string[]>, name: string): string | undefined {
  return headers.get(name)?.[0];
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac("sha256", key).update(data, "utf8").digest();
}
