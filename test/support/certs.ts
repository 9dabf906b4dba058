/**
 * A throw-away PKI for TLS tests, made with the `openssl` CLI in a temp dir: a CA, a server
 * certificate for 127.0.0.1 (what an HTTPS Vault double serves), and client certificates with a
 * given common name (for Vault's cert auth), optionally already expired or from another CA.
 * Keys are P-256 (fast to make); every certificate has subject/authority key identifiers.
 *
 *   const pki = makePki();                       // CA + server cert, in pki.dir
 *   const vault = await startVaultDouble({ tls: { key: pki.server.key, cert: pki.server.cert } });
 *   const web = pki.client("web.example.com");   // { cert, key, certPath, keyPath }
 *   … VAULT_CACERT=pki.ca.certPath, VAULT_CLIENT_CERT=web.certPath, VAULT_CLIENT_KEY=web.keyPath …
 *   pki.cleanup();
 *
 * `opensslUnavailable()` says why this cannot run here (for a test's `skip`), or undefined.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A certificate and its private key: PEM text and the files holding them. */
export interface CertPair {
  cert: string;
  key: string;
  certPath: string;
  keyPath: string;
}

export interface ClientCertOptions {
  /** Issuing CA (default: the PKI's own CA). */
  ca?: CertPair;
  /** Validity ended yesterday (notAfter one day before notBefore). */
  expired?: boolean;
  /** Days of validity (default 2). */
  days?: number;
  /** Extended key usage (default "clientAuth"; "serverAuth" makes a certificate Vault must refuse for login). */
  extendedKeyUsage?: string;
}

export interface TestPki {
  /** The temp dir holding every file. */
  dir: string;
  /** Self-signed CA ("envject test CA"): trust it as VAULT_CACERT, or register it in a cert auth role. */
  ca: CertPair;
  /** Server certificate for IP 127.0.0.1 (and DNS localhost), signed by `ca`. */
  server: CertPair;
  /** A client certificate with this CN (also a DNS SAN), signed by `ca` unless `opts.ca`. */
  client(commonName: string, opts?: ClientCertOptions): CertPair;
  /** Another self-signed CA, e.g. to prove a role refuses certificates it did not issue. */
  newCa(commonName: string): CertPair;
  /** An intermediate CA signed by `parent` (default: the PKI's CA); pass it as `client(…, { ca })`. */
  newIntermediate(commonName: string, parent?: CertPair): CertPair;
  /** Removes the temp dir. */
  cleanup(): void;
}

/** Why openssl cannot be used here (with the package to install), or undefined when it works. */
export function opensslUnavailable(): string | undefined {
  const probe = spawnSync("openssl", ["version"], { encoding: "utf8" });
  if (probe.error) return `openssl is not installed (${(probe.error as NodeJS.ErrnoException).code}); install it with: sudo apt-get install -y openssl`;
  return probe.status === 0 ? undefined : `openssl does not run: ${probe.stderr.trim()}`;
}

/** Makes a CA and a 127.0.0.1 server certificate in a new temp dir. */
export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "envject-pki-"));
  let n = 0;
  const file = (stem: string, ext: string) => join(dir, `${stem.replace(/[^A-Za-z0-9.-]/g, "_")}-${++n}.${ext}`);

  const newCa = (commonName: string): CertPair => {
    const keyPath = file(commonName, "key");
    const certPath = file(commonName, "pem");
    const ext = extFile(file(commonName, "ext"), CA_LINES);
    openssl([
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      keyPath,
      "-out",
      certPath,
      "-days",
      "3",
      "-subj",
      `/CN=${commonName}`,
      "-extensions",
      "v3",
      "-config",
      ext,
    ]);
    return pair(certPath, keyPath);
  };

  const issue = (commonName: string, ca: CertPair, lines: string[], days: number): CertPair => {
    const keyPath = file(commonName, "key");
    const csrPath = file(commonName, "csr");
    const certPath = file(commonName, "pem");
    const ext = extFile(file(commonName, "ext"), lines);
    openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyPath, "-out", csrPath, "-subj", `/CN=${commonName}`]);
    openssl([
      "x509",
      "-req",
      "-in",
      csrPath,
      "-CA",
      ca.certPath,
      "-CAkey",
      ca.keyPath,
      "-set_serial",
      `0x${randomBytes(8).toString("hex")}`,
      "-days",
      String(days),
      "-out",
      certPath,
      "-extfile",
      ext,
      "-extensions",
      "v3",
    ]);
    return pair(certPath, keyPath);
  };

  const ca = newCa("envject test CA");
  const server = issue(
    "127.0.0.1",
    ca,
    [
      "basicConstraints=CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "subjectKeyIdentifier=hash",
      "authorityKeyIdentifier=keyid",
    ],
    2,
  );
  return {
    dir,
    ca,
    server,
    newCa,
    newIntermediate: (commonName, parent = ca) => issue(commonName, parent, [...CA_LINES, "authorityKeyIdentifier=keyid"], 3),
    client: (commonName, opts = {}) =>
      issue(
        commonName,
        opts.ca ?? ca,
        [
          "basicConstraints=CA:FALSE",
          "keyUsage=critical,digitalSignature,keyEncipherment",
          `extendedKeyUsage=${opts.extendedKeyUsage ?? "clientAuth"}`,
          `subjectAltName=DNS:${commonName}`,
          "subjectKeyIdentifier=hash",
          "authorityKeyIdentifier=keyid",
        ],
        // openssl 3.0 accepts negative days: notAfter lands before notBefore, so the certificate is expired on arrival.
        opts.expired ? -1 : (opts.days ?? 2),
      ),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const CA_LINES = ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign", "subjectKeyIdentifier=hash"];

function extFile(path: string, lines: string[]): string {
  // A minimal config usable both as `req -config` (needs distinguished_name) and as `x509 -extfile`.
  writeFileSync(path, `[req]\ndistinguished_name=dn\n[dn]\n[v3]\n${lines.join("\n")}\n`);
  return path;
}

function openssl(args: string[]): void {
  execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}

function pair(certPath: string, keyPath: string): CertPair {
  return { cert: readFileSync(certPath, "utf8"), key: readFileSync(keyPath, "utf8"), certPath, keyPath };
}
