/**
 * JWT checking shared by the jwt and kubernetes auth methods, the way Vault does it: PEM public
 * keys as Go's pem.Decode + x509.ParsePKIXPublicKey/ParseCertificate read them, compact JWS as
 * go-jose v3 parses and verifies it (RS*, PS*, ES*, EdDSA), and the claim checks of
 * hashicorp/cap's jwt.Validator (iss, sub, aud, alg, then nbf/exp/iat with its leeway rules).
 * Error strings are the libraries' own, so the plugins can wrap them the way Vault does.
 */
import { constants, createPublicKey, verify as cryptoVerify, X509Certificate, type KeyObject } from "node:crypto";

type Claims = Record<string, unknown>;

// ---- PEM keys ----------------------------------------------------------------------------------

/** The first PEM block Go's pem.Decode would find: its bytes, and whether anything but space follows it. */
function firstPemBlock(text: string): { der: Buffer; trailing: boolean } | undefined {
  const re = /-----BEGIN ([^\r\n-]*)-----\r?\n([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    // RFC 1421 headers ("Proc-Type: …") come before a blank line; the body is base64.
    const lines = m[2]!.split(/\r?\n/);
    const body = lines.some((l) => l.includes(":")) ? lines.slice(lines.findIndex((l) => l.trim() === "") + 1) : lines;
    const b64 = body.join("").replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) continue;
    return { der: Buffer.from(b64, "base64"), trailing: text.slice(m.index + m[0].length).trim() !== "" };
  }
  return undefined;
}

const EC_CURVES = new Set(["prime256v1", "secp384r1", "secp521r1", "secp224r1"]);

/**
 * A public key from PEM, as the plugins parse it: the first block, PKIX (SPKI) or an X.509
 * certificate, RSA or ECDSA (and Ed25519 for `jwt`). Errors are Vault's strings: the jwt method's
 * certutil.ParsePublicKeyPEM, or the kubernetes method's parsePublicKeyPEM.
 */
export function parsePublicKeyPem(text: string, flavor: "jwt" | "kubernetes"): { key: KeyObject } | { error: string } {
  const noKey = flavor === "jwt" ? "data does not contain any valid public keys" : "data does not contain any valid RSA or ECDSA public keys";
  const block = firstPemBlock(text);
  if (!block) return { error: noKey };
  if (flavor === "jwt" && block.trailing) return { error: "unexpected trailing data after parsed PEM block" };
  let key: KeyObject;
  try {
    key = createPublicKey({ key: block.der, format: "der", type: "spki" });
  } catch {
    try {
      key = new X509Certificate(block.der).publicKey;
    } catch {
      return { error: "x509: malformed certificate" };
    }
  }
  const type = key.asymmetricKeyType;
  if (type === "rsa") return { key };
  if (type === "ec") return EC_CURVES.has(String(key.asymmetricKeyDetails?.namedCurve)) ? { key } : { error: "x509: unsupported elliptic curve" };
  if (type === "ed25519" && flavor === "jwt") return { key };
  return { error: noKey };
}

// ---- compact JWS -------------------------------------------------------------------------------

/** Go's base64.RawURLEncoding.DecodeString: the bytes, or CorruptInputError's message. */
function rawUrlDecode(part: string): Buffer | string {
  const bad = part.search(/[^A-Za-z0-9_-]/);
  if (bad >= 0) return `illegal base64 data at input byte ${bad}`;
  if (part.length % 4 === 1) return `illegal base64 data at input byte ${part.length - 1}`;
  return Buffer.from(part, "base64url");
}

/** encoding/json's complaint about text that is not JSON (the common cases). */
function jsonSyntaxError(text: string): string {
  const trimmed = text.trim();
  if (trimmed === "") return "unexpected end of JSON input";
  const first = trimmed[0]!;
  if (!`{["-0123456789tfn`.includes(first)) return `invalid character '${first}' looking for beginning of value`;
  return "unexpected end of JSON input";
}

/** The Go type name json.Unmarshal reports for a JSON value. */
function goKind(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (value === null) return "null";
  if (typeof value === "object") return "object";
  return typeof value === "boolean" ? "bool" : typeof value;
}

export interface ParsedJws {
  header: Record<string, unknown>;
  payload: Buffer;
  signingInput: Buffer;
  signature: Buffer;
}

/** go-jose's ParseSigned for the compact serialization (whitespace stripped first, as v3 does). */
export function parseCompactJws(token: string): { jws: ParsedJws } | { error: string } {
  const input = token.replace(/[\s]/g, "");
  const parts = input.split(".");
  if (parts.length !== 3) return { error: "go-jose/go-jose: compact JWS format must have three parts" };
  const decoded: Buffer[] = [];
  for (const part of parts) {
    const d = rawUrlDecode(part);
    if (typeof d === "string") return { error: d };
    decoded.push(d);
  }
  const headerText = decoded[0]!.toString("utf8");
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch {
    return { error: jsonSyntaxError(headerText) };
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    return { error: `json: cannot unmarshal ${goKind(header)} into Go value of type jose.rawHeader` };
  }
  return { jws: { header: header as Record<string, unknown>, payload: decoded[1]!, signingInput: Buffer.from(`${parts[0]}.${parts[1]}`, "ascii"), signature: decoded[2]! } };
}

const HASH: Record<string, string> = { "256": "sha256", "384": "sha384", "512": "sha512" };
const EC_FOR_ALG: Record<string, { curve: string; size: number }> = {
  ES256: { curve: "prime256v1", size: 64 },
  ES384: { curve: "secp384r1", size: 96 },
  ES512: { curve: "secp521r1", size: 132 },
};

/** go-jose's Verify with one key: true when `alg` fits the key and the signature checks out. */
function verifyWith(jws: ParsedJws, key: KeyObject): boolean {
  const alg = typeof jws.header.alg === "string" ? jws.header.alg : "";
  if (jws.header.crit !== undefined) return false; // go-jose: unsupported crit header
  try {
    if (/^RS(256|384|512)$/.test(alg)) {
      return key.asymmetricKeyType === "rsa" && cryptoVerify(HASH[alg.slice(2)], jws.signingInput, key, jws.signature);
    }
    if (/^PS(256|384|512)$/.test(alg)) {
      return (
        key.asymmetricKeyType === "rsa" &&
        cryptoVerify(HASH[alg.slice(2)], jws.signingInput, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, jws.signature)
      );
    }
    const ec = EC_FOR_ALG[alg];
    if (ec) {
      if (key.asymmetricKeyType !== "ec" || jws.signature.length !== ec.size) return false;
      return cryptoVerify(HASH[alg.slice(2)], jws.signingInput, { key, dsaEncoding: "ieee-p1363" }, jws.signature);
    }
    if (alg === "EdDSA") return key.asymmetricKeyType === "ed25519" && cryptoVerify(null, jws.signingInput, key, jws.signature);
  } catch {
    return false;
  }
  return false;
}

/** A JSON object payload, or undefined (go-jose's Claims() fails on anything else). */
function payloadClaims(payload: Buffer): Claims | undefined {
  try {
    const value: unknown = JSON.parse(payload.toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Claims) : undefined;
  } catch {
    return undefined;
  }
}

export type SignatureResult = { ok: true; jws: ParsedJws; claims: Claims } | { ok: false; error: string };

/**
 * cap's StaticKeySet.VerifySignature wrapped as its Validator wraps it: the claims of a token one
 * of `keys` signed, or "error verifying token signature: …".
 */
export function verifySignature(token: string, keys: KeyObject[]): SignatureResult {
  const parsed = parseCompactJws(token);
  if ("error" in parsed) return { ok: false, error: `error verifying token signature: ${parsed.error}` };
  for (const key of keys) {
    if (!verifyWith(parsed.jws, key)) continue;
    const claims = payloadClaims(parsed.jws.payload);
    if (claims) return { ok: true, jws: parsed.jws, claims };
  }
  return { ok: false, error: "error verifying token signature: no known key successfully validated the token signature" };
}

/** The kubernetes method without pem_keys: go-jose v4 parses (alg from the allowed list) and the claims are read unverified. */
export function unverifiedClaims(token: string, allowedAlgs: readonly string[]): SignatureResult {
  const parsed = parseCompactJws(token);
  if ("error" in parsed) return { ok: false, error: `error verifying token signature: ${parsed.error}` };
  const alg = String(parsed.jws.header.alg ?? "");
  if (!allowedAlgs.includes(alg)) {
    return { ok: false, error: `error verifying token signature: go-jose/go-jose: unexpected signature algorithm "${alg}"; expected [${allowedAlgs.map((a) => `"${a}"`).join(" ")}]` };
  }
  const claims = payloadClaims(parsed.jws.payload);
  if (!claims) return { ok: false, error: "error verifying token signature: invalid character looking for beginning of value" };
  return { ok: true, jws: parsed.jws, claims };
}

// ---- claims (cap's jwt.Validator) ----------------------------------------------------------------

/** The algorithms cap knows (SupportedSigningAlgorithm). */
export const CAP_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA"] as const;

/** cap's SupportedSigningAlgorithm: null, or its error for the first unknown one. */
export function unsupportedAlgorithm(algs: readonly string[]): string | null {
  for (const a of algs) if (!(CAP_ALGORITHMS as readonly string[]).includes(a)) return `unsupported signing algorithm "${a}"`;
  return null;
}

export interface Expected {
  issuer?: string;
  subject?: string;
  audiences?: string[];
  /** Empty = RS256 only (cap's default). */
  signingAlgorithms: readonly string[];
  /** Seconds; 0 = cap's default (150, 150, 60), negative = none. */
  notBeforeLeeway?: number;
  expirationLeeway?: number;
  clockSkewLeeway?: number;
  /** ValidateAllowMissingIatNbfExp (kubernetes) instead of Validate (jwt). */
  allowMissingTimes?: boolean;
}

const DEFAULT_LEEWAY = 150;
const DEFAULT_SKEW = 60;

function leeway(value: number | undefined, fallback: number): number {
  if (value === undefined || value === 0) return fallback;
  return value < 0 ? 0 : value;
}

/** go-jose's jwt.Claims decoded from the claims: the registered claims, or the decoding error. */
function registeredClaims(claims: Claims): { iss: string; sub: string; jti: string; aud: string[]; exp: number; nbf: number; iat: number } | string {
  const out = { iss: "", sub: "", jti: "", aud: [] as string[], exp: 0, nbf: 0, iat: 0 };
  for (const name of ["aud", "exp", "iat", "iss", "jti", "nbf", "sub"] as const) {
    const value = claims[name];
    if (value === undefined || value === null) continue;
    if (name === "aud") {
      if (typeof value === "string") out.aud = [value];
      else if (Array.isArray(value) && value.every((v) => typeof v === "string")) out.aud = value;
      else return "go-jose/go-jose/jwt: expected string or array value to unmarshal to Audience";
    } else if (name === "exp" || name === "nbf" || name === "iat") {
      if (typeof value !== "number") return "go-jose/go-jose/jwt: expected number value to unmarshal NumericDate";
      out[name] = Math.trunc(value);
    } else {
      if (typeof value !== "string") return `json: cannot unmarshal ${goKind(value)} into Go struct field Claims.${name} of type string`;
      out[name] = value;
    }
  }
  return out;
}

/**
 * cap's Validator after the signature: alg, iss, sub, aud, then the time claims with its leeway
 * rules (a missing exp is the latest of iat/nbf plus the expiration leeway; a missing nbf is iat,
 * else exp minus the not-before leeway; the clock-skew leeway widens every comparison). Returns
 * null when the token passes, else cap's error text.
 */
export function validateClaims(jws: ParsedJws, claims: Claims, expected: Expected, nowMs: number): string | null {
  const algs = expected.signingAlgorithms.length > 0 ? expected.signingAlgorithms : ["RS256"];
  const unknown = unsupportedAlgorithm(algs);
  if (unknown) return `invalid algorithm (alg) header parameter: ${unknown}`;
  if (jws.signature.length === 0) return "invalid algorithm (alg) header parameter: token must be signed";
  if (!algs.includes(String(jws.header.alg ?? ""))) return "invalid algorithm (alg) header parameter: token signed with unexpected algorithm";

  const c = registeredClaims(claims);
  if (typeof c === "string") return c;
  if (expected.issuer && expected.issuer !== c.iss) return "invalid issuer (iss) claim";
  if (expected.subject && expected.subject !== c.sub) return "invalid subject (sub) claim";
  if (expected.audiences && expected.audiences.length > 0 && !expected.audiences.some((a) => c.aud.includes(a))) {
    return "invalid audience (aud) claim: audience claim does not match any expected audience";
  }

  let { exp, nbf } = c;
  const { iat } = c;
  if (iat === 0 && exp === 0 && nbf === 0) {
    return expected.allowMissingTimes ? null : "no issued at (iat), not before (nbf), or expiration time (exp) claims in token";
  }
  if (exp === 0) exp = Math.max(iat, nbf) + leeway(expected.expirationLeeway, DEFAULT_LEEWAY);
  if (nbf === 0) nbf = iat !== 0 ? iat : exp - leeway(expected.notBeforeLeeway, DEFAULT_LEEWAY);
  const skewMs = leeway(expected.clockSkewLeeway, DEFAULT_SKEW) * 1000;
  if (nowMs + skewMs < nbf * 1000) return "invalid not before (nbf) claim: token not yet valid";
  if (nowMs - skewMs > exp * 1000) return "invalid expiration time (exp) claim: token is expired";
  if (iat !== 0 && nowMs + skewMs < iat * 1000) return "invalid issued at (iat) claim: token issued in the future";
  return null;
}

// ---- small Go helpers the plugins use ------------------------------------------------------------

/** ryanuber/go-glob: `*` matches any run of characters, nothing else is special. */
export function glob(pattern: string, subject: string): boolean {
  if (pattern === "*") return true;
  const re = new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
    "s",
  );
  return re.test(subject);
}

/** strutil.StrListContainsGlob. */
export function listContainsGlob(patterns: string[], subject: string): boolean {
  return patterns.some((p) => glob(p, subject));
}

/** mitchellh/pointerstructure.Get for an RFC 6901 pointer ("/a/b"); undefined when any step is missing. */
export function jsonPointer(root: unknown, pointer: string): unknown {
  let node: unknown = root;
  for (const raw of pointer.split("/").slice(1)) {
    const step = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node)) {
      if (!/^\d+$/.test(step)) return undefined;
      node = node[Number(step)];
    } else if (typeof node === "object" && node !== null) {
      node = (node as Record<string, unknown>)[step];
    } else return undefined;
    if (node === undefined) return undefined;
  }
  return node;
}

/** Go's %v for a decoded JSON value (maps print as map[k:v], lists as [a b]). */
export function goValue(value: unknown): string {
  if (value === null || value === undefined) return "<nil>";
  if (Array.isArray(value)) return `[${value.map(goValue).join(" ")}]`;
  if (typeof value === "object" && Object.getPrototypeOf(value) !== Object.prototype) return String(value);
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([k, v]) => `${k}:${goValue(v)}`).join(" ")}]`;
  }
  return String(value);
}
