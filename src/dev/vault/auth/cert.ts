/**
 * The TLS certificate auth method (Vault's builtin/credential/cert): roles `certs/<name>` holding
 * a CA (or a single leaf certificate) and name constraints, and login with the client
 * certificate the TLS connection presented. Verification follows Vault's verifyCredentials: the
 * leaf must be within its validity dates (else a 500 from x509), chain to a role's CA (node:crypto
 * checkIssued + verify) or be a registered leaf itself, allow client auth, and match the role's
 * allowed names; failures are Vault's 400 strings.
 */
import { X509Certificate } from "node:crypto";
import type { HandlerContext, Route } from "../context.js";
import { uuid } from "../ids.js";
import type { CertAuthStore, CertRole } from "../store/cert.js";
import { has, stringField, stringListField } from "../wire/fields.js";
import { errorReply, multierror, noContent, notFound, ok, unsupportedOperation, type Reply } from "../wire/reply.js";
import type { LogicalRequest } from "../wire/request.js";
import { roleRoute } from "./role-routes.js";
import { emptyTokenParams, issueLoginToken, parseTokenFields, tokenData, upgradeLegacyFields, type LegacyTokenField } from "./token-params.js";

const MOUNT_TYPE = "cert";
const EKU_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const EKU_ANY = "2.5.29.37.0";
/** The deprecated role fields the cert plugin still upgrades (tokenutil.UpgradeValue). */
const LEGACY_TOKEN_FIELDS: LegacyTokenField[] = ["policies", "ttl", "max_ttl", "period"];

/** Picks the handler for a path under a cert auth mount. */
export function certRoute(store: CertAuthStore, rest: string, req: LogicalRequest): Route {
  const op = req.operation;
  if (rest === "login") return { capability: null, handle: op === "update" ? (ctx) => login(store, ctx) : unsupportedOperation };
  return roleRoute(rest, req, {
    listPaths: ["certs/"],
    rolePath: /^certs\/([^/]+)$/,
    roles: store.roles,
    mountType: MOUNT_TYPE,
    read: (name) => readRole(store, name),
    write: (name, ctx) => writeRole(store, name, ctx),
  });
}

function writeRole(store: CertAuthStore, name: string, ctx: HandlerContext): Reply {
  const d = ctx.req.data;
  const role: CertRole = store.roles.get(name) ?? {
    name,
    certificate: "",
    displayName: name,
    allowedNames: [],
    allowedCommonNames: [],
    allowedDnsSans: [],
    allowedEmailSans: [],
    allowedOrganizationalUnits: [],
    ...emptyTokenParams(),
    entityId: uuid(),
  };
  if (has(d, "certificate")) role.certificate = stringField(d, "certificate");
  const parsed = parsePem(role.certificate);
  if (parsed.length === 0) return errorReply(400, "failed to parse certificate");
  const first = parsed[0]!;
  if (!first.ca && first.keyUsage !== undefined && !first.keyUsage.some((u) => u === EKU_CLIENT_AUTH || u === EKU_ANY)) {
    return errorReply(400, "non-CA certificates should have TLS client authentication set as an extended key usage");
  }
  if (has(d, "display_name")) role.displayName = stringField(d, "display_name") || name;
  for (const [field, key] of [
    ["allowed_names", "allowedNames"],
    ["allowed_common_names", "allowedCommonNames"],
    ["allowed_dns_sans", "allowedDnsSans"],
    ["allowed_email_sans", "allowedEmailSans"],
    ["allowed_organizational_units", "allowedOrganizationalUnits"],
  ] as const) {
    const list = stringListField(d, field);
    if (list) role[key] = list;
  }
  const tokenError = parseTokenFields(role, d);
  if (tokenError) return errorReply(400, tokenError);
  upgradeLegacyFields(role, d, LEGACY_TOKEN_FIELDS);
  if (role.tokenMaxTtl > 0 && role.tokenTtl > role.tokenMaxTtl) return errorReply(400, "ttl should not be greater than max ttl");
  store.roles.set(name, role);
  return noContent();
}

function readRole(store: CertAuthStore, name: string): Reply {
  const role = store.roles.get(name);
  if (!role) return notFound();
  return ok({
    data: {
      allowed_common_names: role.allowedCommonNames,
      allowed_dns_sans: role.allowedDnsSans,
      allowed_email_sans: role.allowedEmailSans,
      allowed_metadata_extensions: [],
      allowed_names: role.allowedNames,
      allowed_organizational_units: role.allowedOrganizationalUnits,
      allowed_uri_sans: [],
      certificate: role.certificate,
      display_name: role.displayName,
      ocsp_enabled: false,
      required_extensions: [],
      ...tokenData(role),
    },
    mountType: MOUNT_TYPE,
  });
}

function login(store: CertAuthStore, ctx: HandlerContext): Reply {
  const conn = ctx.connection;
  if (!conn?.tls) return errorReply(400, "tls connection required");
  const leaf = conn.peerCertificates[0];
  if (!leaf) return errorReply(400, "client certificate must be supplied");
  // Role names are stored lower-cased; the login's `name` is compared as given (as Vault does).
  const certName = stringField(ctx.req.data, "name");

  const roles = [...store.roles.values()].filter((r) => certName === "" || r.name === certName).sort((a, b) => (a.name < b.name ? -1 : 1));
  const trusted: { role: CertRole; certs: X509Certificate[] }[] = [];
  const trustedNonCas: { role: CertRole; cert: X509Certificate }[] = [];
  for (const role of roles) {
    const certs = parsePem(role.certificate);
    if (certs.length === 0) continue;
    if (!certs[0]!.ca) trustedNonCas.push({ role, cert: certs[0]! });
    else trusted.push({ role, certs });
  }

  const validity = validityProblem(leaf, ctx.nowMs);
  if (validity) return internalError(`failed to verify client's certificate: x509: certificate has expired or is not yet valid: ${validity}`);
  const roots = trusted.flatMap((t) => t.certs);
  const chains = buildChains(leaf, conn.peerCertificates.slice(1), roots, ctx.nowMs);
  if (chains.length > 0 && !allowsClientAuth(leaf)) return internalError("failed to verify client's certificate: x509: certificate specifies an incompatible key usage");

  for (const { role, cert } of trustedNonCas) {
    if (cert.serialNumber === leaf.serialNumber && cert.issuer === leaf.issuer && matchesConstraints(leaf, role)) return issue(ctx, role, leaf);
  }
  if (chains.length === 0) return errorReply(400, "invalid certificate or no client certificate supplied");
  for (const { role, certs } of trusted) {
    for (const chain of chains) {
      const intersects = certs.some((t) => chain.some((c) => c.fingerprint256 === t.fingerprint256));
      if (intersects && matchesConstraints(leaf, role)) return issue(ctx, role, leaf);
    }
  }
  return errorReply(400, "no chain matching all constraints could be found for this login certificate");
}

function issue(ctx: HandlerContext, role: CertRole, leaf: X509Certificate): Reply {
  const ids = keyIdentifiers(leaf.raw);
  const meta = {
    authority_key_id: ids.authority,
    cert_name: role.name,
    common_name: commonName(leaf),
    serial_number: BigInt(`0x${leaf.serialNumber}`).toString(10),
    subject_key_id: ids.subject,
  };
  return issueLoginToken(ctx.state, { ns: ctx.ns, mountPath: ctx.mount.path, params: role, displayName: role.displayName, meta, entityId: role.entityId }, ctx.nowMs);
}

/** A plain Go error from the backend: core answers 500 with the multierror text. */
function internalError(message: string): Reply {
  return errorReply(500, multierror(message));
}

/** Go's x509 validity detail ("current time … is after …"), or undefined when valid now. */
function validityProblem(cert: X509Certificate, nowMs: number): string | undefined {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  const go = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.000Z$/, "Z");
  if (nowMs < from) return `current time ${go(nowMs)} is before ${go(from)}`;
  if (nowMs > to) return `current time ${go(nowMs)} is after ${go(to)}`;
  return undefined;
}

/** Every chain from the leaf through presented intermediates to one of the roots (each link checkIssued + signature, CA, in date). */
function buildChains(leaf: X509Certificate, intermediates: X509Certificate[], roots: X509Certificate[], nowMs: number): X509Certificate[][] {
  const chains: X509Certificate[][] = [];
  const walk = (chain: X509Certificate[], depth: number) => {
    const tip = chain[chain.length - 1]!;
    for (const root of roots) {
      if (signedBy(tip, root, nowMs)) chains.push([...chain, root]);
    }
    if (depth >= 8) return;
    for (const mid of intermediates) {
      if (chain.some((c) => c.fingerprint256 === mid.fingerprint256)) continue;
      if (signedBy(tip, mid, nowMs)) walk([...chain, mid], depth + 1);
    }
  };
  if (roots.some((r) => r.fingerprint256 === leaf.fingerprint256)) chains.push([leaf]);
  walk([leaf], 0);
  return chains;
}

function signedBy(child: X509Certificate, parent: X509Certificate, nowMs: number): boolean {
  if (!parent.ca || validityProblem(parent, nowMs)) return false;
  try {
    return child.checkIssued(parent) && child.verify(parent.publicKey);
  } catch {
    return false;
  }
}

function allowsClientAuth(cert: X509Certificate): boolean {
  const eku = cert.keyUsage;
  return eku === undefined || eku.length === 0 || eku.includes(EKU_CLIENT_AUTH) || eku.includes(EKU_ANY);
}

/** matchesNames, matchesCommonName, matchesDNSSANs, matchesEmailSANs, matchesOrganizationalUnits. */
function matchesConstraints(cert: X509Certificate, role: CertRole): boolean {
  const cn = commonName(cert);
  const { dns, email } = sans(cert);
  const ous = subjectValues(cert, "OU");
  const any = (patterns: string[], values: string[]) => patterns.length === 0 || patterns.some((p) => values.some((v) => glob(p, v)));
  return (
    any(role.allowedNames, [cn, ...dns, ...email]) &&
    any(role.allowedCommonNames, [cn]) &&
    any(role.allowedDnsSans, dns) &&
    any(role.allowedEmailSans, email) &&
    any(role.allowedOrganizationalUnits, ous)
  );
}

function commonName(cert: X509Certificate): string {
  return subjectValues(cert, "CN")[0] ?? "";
}

function subjectValues(cert: X509Certificate, key: string): string[] {
  return cert.subject
    .split("\n")
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
}

function sans(cert: X509Certificate): { dns: string[]; email: string[] } {
  const entries = (cert.subjectAltName ?? "").split(", ").filter((e) => e !== "");
  return {
    dns: entries.filter((e) => e.startsWith("DNS:")).map((e) => e.slice(4)),
    email: entries.filter((e) => e.startsWith("email:")).map((e) => e.slice(6)),
  };
}

/** ryanuber/go-glob: `*` matches any run of characters, anywhere. */
function glob(pattern: string, value: string): boolean {
  if (pattern === "*") return true;
  const re = new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
    "s",
  );
  return re.test(value);
}

/** Every CERTIFICATE block of a PEM text that parses. */
function parsePem(text: string): X509Certificate[] {
  const blocks = text.match(/-----BEGIN (?:TRUSTED )?CERTIFICATE-----[\s\S]*?-----END (?:TRUSTED )?CERTIFICATE-----/g) ?? [];
  const certs: X509Certificate[] = [];
  for (const block of blocks) {
    try {
      certs.push(new X509Certificate(block.replace(/TRUSTED CERTIFICATE/g, "CERTIFICATE")));
    } catch {
      // Vault skips blocks that do not parse.
    }
  }
  return certs;
}

/** Subject and authority key identifiers (extensions 2.5.29.14 and 2.5.29.35), hex with colons as certutil.GetHexFormatted. */
function keyIdentifiers(der: Buffer): { subject: string; authority: string } {
  return { subject: hex(extensionValue(der, 0x0e, (v) => readTlv(v, 0)?.value)), authority: hex(extensionValue(der, 0x23, (v) => akiKeyId(v))) };
}

function akiKeyId(value: Buffer): Buffer | undefined {
  const seq = readTlv(value, 0);
  if (!seq || seq.tag !== 0x30) return undefined;
  const inner = readTlv(seq.value, 0);
  return inner && inner.tag === 0x80 ? inner.value : undefined;
}

/** Finds OID 2.5.29.<last> followed by an optional critical flag and the extension's OCTET STRING. */
function extensionValue(der: Buffer, last: number, decode: (octets: Buffer) => Buffer | undefined): Buffer | undefined {
  const oid = Buffer.from([0x06, 0x03, 0x55, 0x1d, last]);
  const at = der.indexOf(oid);
  if (at < 0) return undefined;
  let pos = at + oid.length;
  if (der[pos] === 0x01) pos += 3;
  const octets = readTlv(der, pos);
  return octets && octets.tag === 0x04 ? decode(octets.value) : undefined;
}

function readTlv(buf: Buffer, pos: number): { tag: number; value: Buffer } | undefined {
  if (pos + 2 > buf.length) return undefined;
  const tag = buf[pos]!;
  let len = buf[pos + 1]!;
  let start = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || start + n > buf.length) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | buf[start + i]!;
    start += n;
  }
  if (start + len > buf.length) return undefined;
  return { tag, value: buf.subarray(start, start + len) };
}

function hex(bytes: Buffer | undefined): string {
  return bytes ? [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(":") : "";
}
