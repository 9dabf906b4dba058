/**
 * The Vault backend of envject: logs in once, finds each path's mount and engine, reads secrets
 * (retrying what can be retried until the caller's deadline, or once for the watcher), gives each
 * a stamp to poll, renews leases and its own token, and revokes the leases envject took.
 */
import { readFileSync } from "node:fs";
import { type Clock, systemClock } from "../../clock.js";
import { AuthError, ConfigError, type EnvjectError, NotFoundError } from "../../errors.js";
import type { VaultRef, SecretRef } from "../../config/reference.js";
import type { Logger } from "../../log/logger.js";
import { StoreRetries } from "../retry.js";
import type { KeepAliveEvents, Lease, LoginCheck, ReadOptions, SecretDocument, SecretProvider } from "../provider.js";
import { errorForStatus } from "./errors.js";
import { VaultHttpClient } from "./http.js";
import { apiSegmentHint, isKv2Envelope, isVersionedMountAnswer, kv2Document, plainDocument, requestKv2, requestPlain, versionNotSupported, withoutApiSegment } from "./kv.js";
import { TokenKeeper } from "./token-keeper.js";
import { renewLeaseOnce } from "./leases.js";
import { type Location, MountResolver } from "./mounts.js";
import { type VaultLogin, VaultSession } from "./session.js";
import { revokeSelf } from "./token-renewal.js";
import type { VaultSettings } from "./settings.js";
import { folderDocument, requestList } from "./folder.js";
import { metadataStamp, requestKv2Metadata, versionStamp } from "./stamp.js";

/** How long revoking leases may take on the way out. */
const REVOKE_WITHIN_MS = 5000;

export class VaultProvider implements SecretProvider {
  readonly name = "vault" as const;
  readonly client: VaultHttpClient;
  readonly session: VaultSession;
  private readonly mounts: MountResolver;
  private readonly retries: StoreRetries;
  /** KV v2 mounts whose `metadata/` the token may not read: their stamps come from data reads. */
  private readonly metadataDenied = new Set<string>();
  private keeper: TokenKeeper | undefined;
  /** Reads that worked / were denied (403), for loginDenial(). */
  private readsOk = 0;
  private readsDenied = 0;

  constructor(
    readonly settings: VaultSettings,
    private readonly logger: Logger,
    /** Time for the start-up retries, the token keeper and the lease stamps (the system clock in production). */
    private readonly clock: Clock = systemClock,
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
      clientCert: settings.clientCertificate ? readClientCertificate(settings.clientCertificate) : undefined,
    });
    this.retries = new StoreRetries(
      { label: "Vault", subject: `Vault at ${this.client.address}`, defaultAddressHint: settings.defaultAddressHint, fields: { address: this.client.address } },
      logger,
      clock,
    );
    this.session = new VaultSession(this.client, settings.auth, logger, clock);
    this.mounts = new MountResolver(this.client);
  }

  /**
   * Reads the secret `ref` designates, retrying unreachable/sealed/5xx answers until
   * `options.deadline` (one attempt, thrown as it fails, with `options.once`).
   */
  async read(ref: SecretRef, options: ReadOptions): Promise<SecretDocument> {
    const vaultRef = asVaultRef(ref);
    if (vaultRef.folder) return this.attempt((deadline) => this.listOnce(vaultRef, deadline), options);
    return this.attempt((deadline) => this.readOnce(vaultRef, deadline), options);
  }

  /**
   * The secret's current stamp: a pinned ref its pinned `v<N>` (no request); KV v2 the
   * `current_version` of `metadata/` and its `created_time` (one request), or the same two of a
   * data read where metadata is denied (remembered per mount, so later calls make that one request); KV v1 the hash of a
   * data read. Throws like read(); ConfigError for an engine with nothing to poll (leases).
   */
  async stamp(ref: SecretRef, options: ReadOptions): Promise<string> {
    const vaultRef = asVaultRef(ref);
    if (vaultRef.folder) return (await this.read(vaultRef, options)).stamp!;
    if (vaultRef.version !== undefined) return versionStamp(vaultRef.version);
    return this.attempt((deadline) => this.stampOnce(vaultRef, deadline), options);
  }

  /**
   * Extends a dynamic secret's lease by `incrementSeconds` (`sys/leases/renew`) and returns it as
   * granted; a shorter `durationSeconds` than asked means its max TTL is near. NotFoundError or
   * AuthError when it can no longer be renewed (read the secret again), UnavailableError when
   * Vault is down (thrown at once with `options.once`, else retried until `options.deadline`).
   */
  async renewLease(lease: Lease, incrementSeconds: number, options: ReadOptions): Promise<Lease> {
    // No log line here: the watcher logs the renewal, naming the secret it belongs to.
    return this.attempt(async (deadline) => renewLeaseOnce(this.client, await this.session.token(deadline), lease, incrementSeconds, deadline, this.clock), options);
  }

  /**
   * Runs `operation` once (`options.once`: the caller keeps its own backoff and outage log), or
   * retries its retryable failures until `options.deadline`, logging the outage once and the recovery.
   */
  private attempt<T>(operation: (deadline: number) => Promise<T>, options: ReadOptions): Promise<T> {
    return this.retries.run(() => operation(options.deadline), options);
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
    if (this.session.canLogin) {
      const revoked = await revokeSelf(this.client, token, deadline).then(
        () => true,
        () => false,
      );
      if (revoked) {
        // The token is gone on purpose: keeping it alive (or logging in again) would be wrong now.
        this.keeper?.close();
        this.session.reset();
        this.logger.debug("revoked envject's own token (from its login), and with it its leases", { leases: denied.length });
        return;
      }
    }
    this.logger.warn("could not revoke leases: the token may not update sys/leases/revoke; they end with their TTL", {
      lease_ids: denied.map((l) => l.id),
    });
  }

  /**
   * Keeps envject's own token alive until close() (see token-keeper.ts): renew-self at 2/3 of its
   * TTL, AppRole re-login near the max TTL (then `events.onNewLogin()`), and for a given token a
   * warning before it expires and `events.onFatal(AuthError)` after. A second call replaces the first.
   */
  keepAlive(events: KeepAliveEvents): void {
    this.keeper?.close();
    this.keeper = new TokenKeeper(this.client, this.session, this.logger, events, { clock: this.clock });
    this.keeper.start();
  }

  /**
   * After denials: looks the token up (`auth/token/lookup-self`); an invalid AppRole token is
   * replaced by a new login, an invalid given token ends envject (77) through `onFatal`.
   */
  async verifyLogin(): Promise<LoginCheck> {
    return this.keeper ? this.keeper.verify() : "valid";
  }

  /**
   * A token whose lookup-self got a bare 403 and with which no read worked, every one denied: an
   * older Vault says just "permission denied" for a bad token, so say that once, and what to check.
   */
  loginDenial(): EnvjectError | undefined {
    const auth = this.settings.auth;
    if (auth.kind !== "token" || !this.session.lookupDenied || this.readsOk > 0 || this.readsDenied === 0) return undefined;
    return new AuthError(
      `the Vault token from ${auth.source} is invalid or lacks permission: Vault denied auth/token/lookup-self and every secret read (403: permission denied); check that the token is valid (vault token lookup) and that its policies grant read on these paths`,
    );
  }

  async close(): Promise<void> {
    this.keeper?.close();
    this.client.close();
  }

  /**
   * The current login and where `path` lives (what `locate` finds with the login's token), asked
   * together: mount discovery needs the token only as a header, so a token known before its
   * look-up answers (a given token, a token file's) sends the look-up and the discovery of a mount
   * not being looked up yet at once, instead of one after the other. Only that first discovery
   * goes early: a read that would wait for one under way waits for the login instead, so a token
   * Vault rejects costs one discovery per mount, not one per read. The login decides first: when
   * it fails, its error is thrown and whatever the early discovery got is dropped, as though it had
   * never been asked; a login that ended on another token (a re-login meanwhile) locates again.
   * The location comes as a promise, to await where its failure belongs.
   */
  private async loginAndLocation(deadline: number, path: string, locate: (token: string) => Promise<Location>): Promise<{ login: VaultLogin; location: Promise<Location> }> {
    const pending = this.session.current(deadline);
    const early = this.session.tokenInHand(deadline).then(
      (token) => (this.mounts.lookingUp(path) ? undefined : { token, location: locate(token) }),
      () => undefined,
    );
    // What it found counts only once the login has worked (below); until then no failure of it is seen.
    void early.then((asked) => asked?.location.catch(() => {}));
    const login = await pending;
    const asked = await early;
    return { login, location: asked !== undefined && asked.token === login.token ? asked.location : locate(login.token) };
  }

  /** Where `ref` lives; refuses a path that names a mount itself. */
  private async locate(ref: VaultRef, token: string, deadline: number): Promise<Location> {
    const location = await this.mounts.locate(ref.path, token, ref.mount, this.settings.mount, deadline);
    if (location.state !== "legacy" && location.rest === "") {
      const mount = location.state === "known" ? location.mount.path : location.mountPath;
      throw new ConfigError(`${ref.path} names the mount ${mount}/ itself, not a secret in it`);
    }
    return location;
  }

  private async readOnce(ref: VaultRef, deadline: number): Promise<SecretDocument> {
    const { login, location } = await this.loginAndLocation(deadline, ref.path, (token) => this.locate(ref, token, deadline));
    let doc: SecretDocument;
    try {
      doc = await this.readAt(ref, await location, login.token, deadline);
      this.readsOk++;
    } catch (error) {
      if (error instanceof AuthError) this.readsDenied++;
      throw error;
    }
    if (doc.lease) doc.lease.holder = String(login.serial);
    return doc;
  }

  /** Reads `ref`, found at `location`, with `token`. */
  private async readAt(ref: VaultRef, location: Location, token: string, deadline: number): Promise<SecretDocument> {
    if (location.state === "legacy") {
      if (ref.version !== undefined) throw versionNotSupported(ref.path, "a Vault without KV version discovery (read as KV v1)");
      return plainDocument(await requestPlain(this.client, token, ref.path, deadline), this.client, ref.path, "kv-v1", this.clock);
    }
    if (location.state === "known") {
      const { mount, rest } = location;
      if (mount.kind === "kv2") {
        const res = await requestKv2(this.client, token, mount.path, rest, ref.version, deadline);
        return this.hintingApiSegment(() => kv2Document(res, this.client, mount.path, rest, ref.version), token, mount.path, rest, deadline);
      }
      const engine = mount.kind === "kv1" ? "kv-v1" : mount.type;
      if (ref.version !== undefined) throw versionNotSupported(ref.path, mount.kind === "kv1" ? "a KV v1 mount" : `an engine of type ${engine}`);
      return plainDocument(await requestPlain(this.client, token, ref.path, deadline), this.client, ref.path, engine, this.clock);
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
   * One LIST of a folder (see folder.ts): KV v2 `<mount>/metadata/<rest>`, KV v1 `<path>`; where
   * mount discovery is denied, KV v2 at the guessed mount, then a plain LIST of the path.
   */
  private async listOnce(ref: VaultRef, deadline: number): Promise<SecretDocument> {
    const {
      login: { token },
      location: located,
    } = await this.loginAndLocation(deadline, ref.path, (token) => this.mounts.locate(ref.path, token, ref.mount, this.settings.mount, deadline));
    const location = await located;
    const under = (mount: string, rest: string, segment: string) => (rest === "" ? `${mount}/${segment}` : `${mount}/${segment}${rest}`);
    if (location.state === "legacy") return folderDocument(await requestList(this.client, token, ref.path, deadline), this.client, ref.path, "kv-v1");
    if (location.state === "known") {
      const { mount, rest } = location;
      if (mount.kind === "other") throw new ConfigError(`${ref.path}/ is served by an engine of type ${mount.type}; only KV folders can be expanded`);
      const path = mount.kind === "kv2" ? under(mount.path, rest, "metadata/") : ref.path;
      return folderDocument(await requestList(this.client, token, path, deadline), this.client, path, mount.kind === "kv2" ? "kv-v2" : "kv-v1");
    }
    const v2path = under(location.mountPath, location.rest, "metadata/");
    const v2 = await requestList(this.client, token, v2path, deadline);
    if (v2.status === 200) return folderDocument(v2, this.client, v2path, "kv-v2");
    return folderDocument(await requestList(this.client, token, ref.path, deadline), this.client, ref.path, "kv-v1");
  }

  /** One attempt at the stamp of an unpinned ref (see stamp()). */
  private async stampOnce(ref: VaultRef, deadline: number): Promise<string> {
    const {
      login: { token },
      location: located,
    } = await this.loginAndLocation(deadline, ref.path, (token) => this.locate(ref, token, deadline));
    const location = await located;
    if (location.state === "known") {
      const { mount, rest } = location;
      if (mount.kind === "other") {
        // Reading it again would mint new credentials (and a new lease) just to look at them.
        throw new ConfigError(`${ref.path} is served by an engine of type ${mount.type}, which has no version to poll (its lease is renewed instead)`);
      }
      if (mount.kind === "kv2" && !this.metadataDenied.has(mount.path)) {
        const res = await requestKv2Metadata(this.client, token, mount.path, rest, deadline);
        if (res.status !== 403) return metadataStamp(res, this.client, mount.path, rest);
        const doc = await this.readOnce(ref, deadline);
        // Remembered only once the data read worked: a 403 for an expired token is not a policy.
        this.metadataDenied.add(mount.path);
        this.logger.debug("KV v2 metadata is denied; polling by reading the data", { mount: mount.path });
        return stampOf(doc, ref);
      }
    }
    return stampOf(await this.readOnce(ref, deadline), ref);
  }

  /**
   * Runs `interpret` (a KV v2 read's interpretation); when it finds nothing and `rest` starts with
   * the API's `data/` or `metadata/`, checks the logical path with one metadata request (a data
   * read where metadata is denied) and adds "did you mean" or the rule to the message.
   */
  private async hintingApiSegment(interpret: () => SecretDocument, token: string, mount: string, rest: string, deadline: number): Promise<SecretDocument> {
    try {
      return interpret();
    } catch (error) {
      const logicalRest = withoutApiSegment(rest);
      if (!(error instanceof NotFoundError) || logicalRest === undefined) throw error;
      error.message += `; ${apiSegmentHint(mount, logicalRest, await this.kv2Exists(token, mount, logicalRest, deadline))}`;
      throw error;
    }
  }

  /** Whether a KV v2 secret exists at `<mount>/<rest>` (its metadata, or its data where that is denied); undefined when that cannot be told. */
  private async kv2Exists(token: string, mount: string, rest: string, deadline: number): Promise<boolean | undefined> {
    try {
      let res = await requestKv2Metadata(this.client, token, mount, rest, deadline);
      if (res.status === 403) res = await requestKv2(this.client, token, mount, rest, undefined, deadline);
      if (res.status === 200 || (res.status === 404 && isKv2Envelope(res))) return true;
      return res.status === 404 ? false : undefined;
    } catch {
      return undefined;
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
      return this.hintingApiSegment(() => kv2Document(v2, this.client, mountPath, rest, ref.version), token, mountPath, rest, deadline);
    }
    if (v2.status !== 404 && v2.status !== 403) throw errorForStatus(v2, `reading ${mountPath}/data/${rest}`, this.client.address);
    const v1 = await requestPlain(this.client, token, ref.path, deadline);
    if (isVersionedMountAnswer(v1)) {
      // Some KV v2 mount serves the path, but not necessarily the guessed one (`team/kv` guessed as
      // `team`): remembering the guess would send a later, correct `?mount=` to the wrong mount.
      return this.hintingApiSegment(() => kv2Document(v2, this.client, mountPath, rest, ref.version), token, mountPath, rest, deadline);
    }
    if (v1.status === 200 && withoutApiSegment(rest) !== undefined && isKv2Envelope(v1)) {
      // `secret/data/myapp/db` read plainly is the KV v2 API read of `secret/myapp/db`: its answer
      // is that secret's envelope, not a KV v1 secret with keys `data` and `metadata`.
      const logicalRest = withoutApiSegment(rest)!;
      throw new NotFoundError(`no secret at ${ref.path} (KV v2 mount ${mountPath}); ${apiSegmentHint(mountPath, logicalRest, true)}`);
    }
    if (v1.status === 200) {
      const doc = plainDocument(v1, this.client, ref.path, "kv-v1", this.clock);
      if (doc.lease) doc.source = `leased ${ref.path}`;
      this.mounts.remember(mountPath, doc.lease ? "other" : "kv1");
      if (ref.version !== undefined) throw versionNotSupported(ref.path, "a mount that is not KV v2");
      return doc;
    }
    return plainDocument(v1, this.client, ref.path, "kv-v1", this.clock);
  }
}

function asVaultRef(ref: SecretRef): VaultRef {
  if (ref.provider !== "vault") throw new TypeError("VaultProvider got a non-Vault reference");
  return ref;
}

/** The stamp of a document read for stamp(); a secret without one (a lease) cannot be polled. */
function stampOf(doc: SecretDocument, ref: VaultRef): string {
  if (doc.stamp !== undefined) return doc.stamp;
  throw new ConfigError(`${ref.path} has no version to poll (${doc.source}${doc.lease ? ", leased: its lease is renewed instead" : ""})`);
}

function readCa(settings: VaultSettings): Buffer {
  try {
    return readFileSync(settings.caCertPath!);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new ConfigError(`CA certificate ${settings.caCertPath} (from ${settings.caCertSource}) cannot be read (${code})`);
  }
}

/** The TLS client certificate and key (PEM): 77 naming the file that cannot be read. */
function readClientCertificate(files: { cert: string; key: string }): { cert: Buffer; key: Buffer } {
  const read = (path: string, what: string) => {
    try {
      return readFileSync(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
      throw new AuthError(`the TLS client ${what} file ${path} cannot be read (${code})`);
    }
  };
  return { cert: read(files.cert, "certificate"), key: read(files.key, "key") };
}
