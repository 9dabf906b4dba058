/**
 * A Vault double seeded with the sample secrets the integration tests share, plus an admin
 * client to steer it. Every seeded value is distinctive, so a test can search any output for
 * all of them (`SEEDED_SECRET_VALUES`) and prove none leaked.
 */
import { type VaultDouble, type VaultDoubleOptions, startVaultDouble } from "../../src/dev/vault/index.js";
import { VaultDoubleClient } from "../../src/dev/vault/client.js";
import { type VaultControl, vaultControl } from "./double-control.js";

export const SEED = {
  /** secret/myapp/db (KV v2, two versions: v1 then v2 below). */
  db: { username: "app_user", password: "pw-Kv2-Db-9f8e7d6c" },
  dbV1: { username: "app_user", password: "pw-Kv2-Db-OLD-v1-111" },
  /** secret/myapp/config (KV v2): keys for expand:. */
  config: { log_level: "debug", "feature.flag": true, max_conn: 25, nested: { a: 1, b: ["x", "y"] } },
  /** kv/legacy (KV v1). */
  legacy: { token: "legacy-Kv1-Token-5a4b3c" },
  /** secret/myapp/single (KV v2, one key: no #field needed). */
  single: { value: "only-One-Key-Value-77aa" },
  /** secret/myapp/tls (KV v2): a multi-line value for files:. */
  tls: { key: "-----BEGIN PRIVATE KEY-----\nMIIdemoKeyMaterial-Zx9\n-----END PRIVATE KEY-----\n" },
} as const;

/** Every secret value the fixture writes, for "never printed" assertions. */
export const SEEDED_SECRET_VALUES: readonly string[] = [SEED.db.password, SEED.dbV1.password, SEED.legacy.token, SEED.single.value, "MIIdemoKeyMaterial-Zx9"];

export interface SeededVault {
  vault: VaultDouble;
  /** A client holding the root token. */
  admin: VaultDoubleClient;
  /** The same double through the shape both doubles share (test/support/double-control.ts), with `admin` as its client. */
  control: VaultControl;
  url: string;
  rootToken: string;
  close(): Promise<void>;
}

/** Starts a double and writes the sample secrets; a `readonly` database role (1h, max 2h) exists. `trust`: the CA that issued `options.tls`. */
export async function startSeededVault(options: VaultDoubleOptions = {}, trust?: { ca: string | Buffer }): Promise<SeededVault> {
  const vault = await startVaultDouble(options);
  // A self-signed server certificate is its own CA; one issued by a test CA is trusted through `trust`.
  const admin = new VaultDoubleClient(vault.url, vault.rootToken, trust ? { ca: trust.ca } : options.tls ? { ca: options.tls.cert } : {});
  await admin.writeKv2("secret/myapp/db", SEED.dbV1);
  await admin.writeKv2("secret/myapp/db", SEED.db);
  await admin.writeKv2("secret/myapp/config", SEED.config);
  await admin.writeKv2("secret/myapp/single", SEED.single);
  await admin.writeKv2("secret/myapp/tls", SEED.tls);
  await admin.writeKv1("kv/legacy", SEED.legacy);
  await admin.createDatabaseRole("readonly", { default_ttl: 3600, max_ttl: 7200 });
  await admin.clearRequests();
  return { vault, admin, control: vaultControl(vault.url, vault.rootToken, admin), url: vault.url, rootToken: vault.rootToken, close: () => vault.close() };
}

/** Asserts-friendly: the seeded values that occur in `text`. */
export function leakedSecrets(text: string): string[] {
  return SEEDED_SECRET_VALUES.filter((v) => text.includes(v));
}
