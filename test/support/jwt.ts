/**
 * Signed JWTs for tests of Vault's jwt and kubernetes logins (against the Vault double, or a real
 * Vault configured with the same public key). Node's crypto only, no dependencies:
 *
 *   const key = newSigningKey("RS256");                       // or "ES256"
 *   await vault.writeJwtConfig({ jwt_validation_pubkeys: [key.publicKeyPem], bound_issuer: ISS });
 *   const jwt = mintJwt(key, standardClaims({ issuer: ISS, subject: "repo:org/app", audience: "vault" }));
 *
 *   await vault.writeKubernetesConfig({ pem_keys: [key.publicKeyPem] });
 *   const sa = mintJwt(key, serviceAccountClaims({ namespace: "default", name: "app", audience: "vault" }));
 *
 * Times are whole seconds since the epoch (JWT NumericDate); a negative `expiresIn` mints a token
 * that expired that many seconds ago (Vault allows 60 s of clock skew, so use < -60 for "expired").
 */
import { constants, generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from "node:crypto";

export type JwtAlgorithm = "RS256" | "RS384" | "RS512" | "PS256" | "ES256" | "ES384" | "EdDSA";

export interface SigningKey {
  alg: JwtAlgorithm;
  /** Key id put in the header (Vault's static keys ignore it; JWKS would use it). */
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SPKI "-----BEGIN PUBLIC KEY-----" PEM: for jwt_validation_pubkeys or pem_keys. */
  publicKeyPem: string;
}

export type Claims = Record<string, unknown>;

/** A fresh key pair for `alg` (RSA 2048, P-256/P-384, Ed25519). */
export function newSigningKey(alg: JwtAlgorithm = "RS256", opts: { kid?: string } = {}): SigningKey {
  const pair =
    alg === "ES256" || alg === "ES384"
      ? generateKeyPairSync("ec", { namedCurve: alg === "ES256" ? "P-256" : "P-384" })
      : alg === "EdDSA"
        ? generateKeyPairSync("ed25519")
        : generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    alg,
    kid: opts.kid ?? randomBytes(8).toString("hex"),
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    publicKeyPem: pair.publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString("base64url");

/**
 * A compact JWS (header.payload.signature, base64url). The header is `{alg, typ: "JWT", kid}`
 * merged with `header` — pass `{ alg: "RS512" }` or `{ kid: undefined }` to test odd headers
 * (the signature is still made with the key's own algorithm).
 */
export function mintJwt(key: SigningKey, claims: Claims, header: Record<string, unknown> = {}): string {
  const head = b64url(JSON.stringify({ alg: key.alg, typ: "JWT", kid: key.kid, ...header }));
  const body = b64url(JSON.stringify(claims));
  const input = Buffer.from(`${head}.${body}`);
  let signature: Buffer;
  if (key.alg.startsWith("RS")) signature = sign(`sha${key.alg.slice(2)}`, input, key.privateKey);
  else if (key.alg === "PS256") signature = sign("sha256", input, { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  else if (key.alg === "EdDSA") signature = sign(null, input, key.privateKey);
  else signature = sign(`sha${key.alg.slice(2)}`, input, { key: key.privateKey, dsaEncoding: "ieee-p1363" });
  return `${head}.${body}.${b64url(signature)}`;
}

/** Seconds since the epoch, now. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The header and claims of a JWT (no verification). */
export function decodeJwt(token: string): { header: Record<string, unknown>; claims: Claims } {
  const [head, body] = token.split(".");
  return { header: JSON.parse(Buffer.from(head!, "base64url").toString()), claims: JSON.parse(Buffer.from(body ?? "", "base64url").toString()) };
}

/** Registered claims of an OIDC-style token: iss, sub, aud, iat, nbf, exp (+ `extra`). */
export function standardClaims(opts: { issuer?: string; subject?: string; audience?: string | string[]; expiresIn?: number; now?: number; extra?: Claims } = {}): Claims {
  const now = opts.now ?? nowSeconds();
  const claims: Claims = { iat: now, nbf: now, exp: now + (opts.expiresIn ?? 300) };
  if (opts.issuer !== undefined) claims.iss = opts.issuer;
  if (opts.subject !== undefined) claims.sub = opts.subject;
  if (opts.audience !== undefined) claims.aud = opts.audience;
  return { ...claims, ...opts.extra };
}

export interface ServiceAccountOptions {
  namespace: string;
  name: string;
  /** Default ["https://kubernetes.default.svc.cluster.local"], as a cluster's default token has. */
  audience?: string | string[];
  /** Seconds from now; default 3600. */
  expiresIn?: number;
  /** Default "https://kubernetes.default.svc.cluster.local". */
  issuer?: string;
  /** Service account uid; default a random UUID. */
  uid?: string;
  /** Bound pod name (a uid is made up for it); omitted by default. */
  pod?: string;
  now?: number;
}

/**
 * The claims of a projected (bound) service-account token as the kubelet mounts it:
 * `kubernetes.io: {namespace, serviceaccount: {name, uid}, pod?}`, `sub`
 * "system:serviceaccount:<ns>:<name>", `aud` as a list (the kubernetes method refuses a string).
 */
export function serviceAccountClaims(opts: ServiceAccountOptions): Claims {
  const now = opts.now ?? nowSeconds();
  const audience = opts.audience ?? ["https://kubernetes.default.svc.cluster.local"];
  const k8s: Claims = { namespace: opts.namespace, serviceaccount: { name: opts.name, uid: opts.uid ?? randomUUID() } };
  if (opts.pod !== undefined) k8s.pod = { name: opts.pod, uid: randomUUID() };
  return {
    aud: Array.isArray(audience) ? audience : [audience],
    exp: now + (opts.expiresIn ?? 3600),
    iat: now,
    iss: opts.issuer ?? "https://kubernetes.default.svc.cluster.local",
    jti: randomUUID(),
    "kubernetes.io": k8s,
    nbf: now,
    sub: `system:serviceaccount:${opts.namespace}:${opts.name}`,
  };
}

/** The claims of a legacy (Secret-based, non-expiring) service-account token. */
export function legacyServiceAccountClaims(opts: { namespace: string; name: string; uid?: string; secretName?: string }): Claims {
  return {
    iss: "kubernetes/serviceaccount",
    "kubernetes.io/serviceaccount/namespace": opts.namespace,
    "kubernetes.io/serviceaccount/secret.name": opts.secretName ?? `${opts.name}-token-${randomBytes(3).toString("hex").slice(0, 5)}`,
    "kubernetes.io/serviceaccount/service-account.name": opts.name,
    "kubernetes.io/serviceaccount/service-account.uid": opts.uid ?? randomUUID(),
    sub: `system:serviceaccount:${opts.namespace}:${opts.name}`,
  };
}

// ---- a self-signed certificate for the key (hvac's kubernetes.configure takes only certificates) ----

function derItem(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.from([n]);
  else {
    const hex = n.toString(16);
    const bytes = Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex");
    len = Buffer.concat([Buffer.from([0x80 | bytes.length]), bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), len, content]);
}
const seq = (...parts: Buffer[]) => derItem(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => derItem(0x31, Buffer.concat(parts));

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const out = [40 * a! + b!];
  for (const v of rest) {
    const chunk = [v & 0x7f];
    for (let x = v >>> 7; x > 0; x >>>= 7) chunk.unshift((x & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return derItem(0x06, Buffer.from(out));
}

function utcTime(d: Date): Buffer {
  const p = (n: number) => String(n).padStart(2, "0");
  const text = `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return derItem(0x17, Buffer.from(text, "ascii"));
}

/**
 * A self-signed X.509 v3 certificate (PEM) carrying the key's public key; Vault (and the double)
 * accept it wherever they take a public key. No extensions; valid from an hour ago for `days`.
 */
export function selfSignedCertificate(key: SigningKey, opts: { commonName?: string; days?: number } = {}): string {
  const type = key.publicKey.asymmetricKeyType;
  const curve = key.publicKey.asymmetricKeyDetails?.namedCurve;
  const [algOid, hash, params] =
    type === "rsa"
      ? ["1.2.840.113549.1.1.11", "sha256", derItem(0x05, Buffer.alloc(0))]
      : type === "ed25519"
        ? ["1.3.101.112", null, undefined]
        : curve === "secp384r1"
          ? ["1.2.840.10045.4.3.3", "sha384", undefined]
          : ["1.2.840.10045.4.3.2", "sha256", undefined];
  const algorithm = params ? seq(oid(algOid), params) : seq(oid(algOid));
  const name = seq(set(seq(oid("2.5.4.3"), derItem(0x0c, Buffer.from(opts.commonName ?? "envject-test-signer")))));
  const serial = randomBytes(16);
  // A positive INTEGER in minimal DER: the top bit clear (else negative) and the next one set
  // (else a leading 0x00 byte would be padding, which OpenSSL and Go refuse as malformed: the
  // 1-in-256 flake of the hvac kubernetes check).
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  const start = new Date(Date.now() - 3600_000);
  const end = new Date(start.getTime() + (opts.days ?? 30) * 86400_000);
  const spki = key.publicKey.export({ type: "spki", format: "der" });
  const tbs = seq(derItem(0xa0, derItem(0x02, Buffer.from([2]))), derItem(0x02, serial), algorithm, name, seq(utcTime(start), utcTime(end)), name, spki);
  const signature = sign(hash, tbs, key.privateKey);
  const der = seq(tbs, algorithm, derItem(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const body = der
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .replace(/\n$/, "");
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}
