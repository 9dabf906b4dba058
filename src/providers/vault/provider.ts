/**
 * The Vault backend of envject: logs in once, finds each path's mount and engine, reads secrets
 * (retrying what can be retried until the caller's deadline) and revokes the leases envject took.
 */
import { readFileSync } from "node:fs";
import { ConfigError, NotFoundError } from "../../errors.js";
import type { VaultRef, SecretRef } from "../../config/reference.js";
import type { Logger } from "../../log/logger.js";
import { retryUntil } from "../../resolve/retry.js";
import type { Lease, ReadOptions, SecretDocument, SecretProvider } from "../provider.js";
import { errorForStatus } from "./errors.js";
import { VaultHttpClient } from "./http.js";
import {
  isKv2Envelope,
  isVersionedMountAnswer,
  kv2Document,
  plainDocument,
  requestKv2,
  requestPlain,
  versionNotSupported,
} from "./kv.js";
import { MountResolver } from "./mounts.js";
import { VaultSession } from "./session.js";
import type { VaultSettings } from "./settings.js";

/** How long revoking leases may take on the way out. */
const REVOKE_WITHIN_MS = 5000;

export class VaultProvider implements SecretProvider {
  readonly name = "vault" as const;
  readonly client: VaultHttpClient;
  readonly session: VaultSession;
  private readonly mounts: MountResolver;
  private unreachable = false;

  constructor(
    readonly settings: VaultSettings,
    private readonly logger: Logger,
  ) {
    if (settings.skipVerify) {
      logger.warn("TLS certificate verification for Vault is OFF (VAULT_SKIP_VERIFY); anyone on the network path can read your secrets", {
        address: settings.address,
      });
    }
    this.client = new VaultHttpClient({
      address: settings.address,
      namespace: settings.namespace,
      ca: settings.caCertPath ? readCa(settings) : undefined,
      skipVerify: settings.skipVerify,
      timeoutMs: settings.timeoutMs,
    });
    this.session = new VaultSession(this.client, settings.auth, logger);
    this.mounts = new MountResolver(this.client);
  }

  /** Reads the secret `ref` designates, retrying unreachable/sealed/5xx answers until `options.deadline`. */
  async read(ref: SecretRef, options: ReadOptions): Promise<SecretDocument> {
    if (ref.provider !== "vault") throw new TypeError("VaultProvider got a non-Vault reference");
    const doc = await retryUntil(() => this.readOnce(ref, options.deadline), {
      deadline: options.deadline,
      onRetry: (error, attempt, delay) => {
        if (!this.unreachable) {
          this.unreachable = true;
          this.logger.warn("Vault is unavailable; retrying until --start-timeout", { address: this.client.address, reason: error.message });
        }
        this.logger.debug("retrying Vault", { attempt, delay_ms: Math.round(delay), reason: error.message });
      },
    });
    if (this.unreachable) {
      this.unreachable = false;
      this.logger.info("Vault is reachable again", { address: this.client.address });
    }
    return doc;
  }

  /**
   * Revokes each lease with `sys/leases/revoke`. Vault's default policy does not grant that path;
   * when it is denied and the token is one envject logged in for (AppRole), revoking the token
   * itself (`revoke-self`, in the default policy) takes its leases with it. Never throws.
   */
  async revokeLeases(leases: Lease[]): Promise<void> {
    if (leases.length === 0) return;
    // Revocation happens on the way out: it may not hold envject (and a `docker stop`) for long.
    const deadline = Date.now() + REVOKE_WITHIN_MS;
    let token: string;
    try {
      token = await this.session.token(deadline);
    } catch {
      return;
    }
    const denied: Lease[] = [];
    await Promise.all(
      leases.map(async (lease) => {
        try {
          const res = await this.client.request({ method: "PUT", path: "sys/leases/revoke", token, body: { lease_id: lease.id }, deadline });
          if (res.status === 403) denied.push(lease);
          else if (res.status >= 300) throw errorForStatus(res, `revoking lease ${lease.id}`, this.client.address);
          else this.logger.debug("revoked lease", { lease_id: lease.id });
        } catch (error) {
          this.logger.warn("could not revoke lease; it ends with its TTL", { lease_id: lease.id, reason: (error as Error).message });
        }
      }),
    );
    if (denied.length === 0) return;
    if (this.settings.auth.method === "approle") {
      const res = await this.client.request({ method: "PUT", path: "auth/token/revoke-self", token, deadline }).catch((error: Error) => error);
      if (!(res instanceof Error) && res.status < 300) {
        this.session.reset();
        this.logger.debug("revoked envject's own AppRole token, and with it its leases", { leases: denied.length });
        return;
      }
    }
    this.logger.warn("could not revoke leases: the token may not update sys/leases/revoke; they end with their TTL", {
      lease_ids: denied.map((l) => l.id),
    });
  }

  async close(): Promise<void> {
    this.client.close();
  }

  private async readOnce(ref: VaultRef, deadline: number): Promise<SecretDocument> {
    const token = await this.session.token(deadline);
    const location = await this.mounts.locate(ref.path, token, ref.mount, this.settings.mount, deadline);
    if (location.state !== "legacy" && location.rest === "") {
      const mount = location.state === "known" ? location.mount.path : location.mountPath;
      throw new ConfigError(`${ref.path} names the mount ${mount}/ itself, not a secret in it`);
    }
    if (location.state === "legacy") {
      if (ref.version !== undefined) throw versionNotSupported(ref.path, "a Vault without KV version discovery (read as KV v1)");
      return plainDocument(await requestPlain(this.client, token, ref.path, deadline), this.client, ref.path, "kv-v1");
    }
    if (location.state === "known") {
      const { mount, rest } = location;
      if (mount.kind === "kv2") {
        return kv2Document(await requestKv2(this.client, token, mount.path, rest, ref.version, deadline), this.client, mount.path, rest, ref.version);
      }
      const engine = mount.kind === "kv1" ? "kv-v1" : mount.type;
      if (ref.version !== undefined) throw versionNotSupported(ref.path, mount.kind === "kv1" ? "a KV v1 mount" : `an engine of type ${engine}`);
      return plainDocument(await requestPlain(this.client, token, ref.path, deadline), this.client, ref.path, engine);
    }
    try {
      return await this.probe(ref, token, location.mountPath, location.rest, deadline);
    } catch (error) {
      // The mount was a guess: when nothing is found, say so and how to name it.
      if (error instanceof NotFoundError && ref.mount === undefined) {
        error.message += ` (mount discovery was denied, so the mount was taken to be ${location.mountPath}/; if it is another, add ?mount=NAME)`;
      }
      throw error;
    }
  }

  /**
   * Mount discovery was denied: try KV v2 at the guessed mount, then a plain (KV v1) read, and
   * remember what answered.
   */
  private async probe(ref: VaultRef, token: string, mountPath: string, rest: string, deadline: number): Promise<SecretDocument> {
    this.logger.debug("mount discovery denied; probing KV v2 then KV v1", { path: ref.path, mount: mountPath });
    const v2 = await requestKv2(this.client, token, mountPath, rest, ref.version, deadline);
    if (v2.status === 200 || (v2.status === 404 && isKv2Envelope(v2))) {
      this.mounts.remember(mountPath, "kv2");
      return kv2Document(v2, this.client, mountPath, rest, ref.version);
    }
    if (v2.status !== 404 && v2.status !== 403) throw errorForStatus(v2, `reading ${mountPath}/data/${rest}`, this.client.address);
    const v1 = await requestPlain(this.client, token, ref.path, deadline);
    if (isVersionedMountAnswer(v1)) {
      // Some KV v2 mount serves the path, but not necessarily the guessed one (`team/kv` guessed as
      // `team`): remembering the guess would send a later, correct `?mount=` to the wrong mount.
      return kv2Document(v2, this.client, mountPath, rest, ref.version);
    }
    if (v1.status === 200) {
      const doc = plainDocument(v1, this.client, ref.path, "kv-v1");
      if (doc.lease) doc.source = `leased ${ref.path}`;
      this.mounts.remember(mountPath, doc.lease ? "other" : "kv1");
      if (ref.version !== undefined) throw versionNotSupported(ref.path, "a mount that is not KV v2");
      return doc;
    }
    return plainDocument(v1, this.client, ref.path, "kv-v1");
  }
}

function readCa(settings: VaultSettings): Buffer {
  try {
    return readFileSync(settings.caCertPath!);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new ConfigError(`CA certificate ${settings.caCertPath} (from ${settings.caCertSource}) cannot be read (${code})`);
  }
}

