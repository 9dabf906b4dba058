/**
 * Reads each distinct secret once, however many variables use it (docs/contract/rotation.md#what-is-polled: one request per
 * distinct secret), with at most `concurrency` reads in flight. The result of every read — a
 * document or a typed error — is kept, so later lookups of the same secret cost nothing.
 */
import { type Clock, systemClock } from "../clock.js";
import { EnvjectError } from "../errors.js";
import { type SecretRef, secretIdentity } from "../config/reference.js";
import type { Lease, ReadOptions, SecretDocument } from "../providers/provider.js";
import { ConcurrencyLimit } from "./limit.js";
import type { ProviderSet } from "./provider-set.js";

export interface ReadRecord {
  ref: SecretRef;
  doc?: SecretDocument;
  error?: EnvjectError;
}

export interface SecretReaderOptions {
  /** Reads in flight at once (default 16). */
  concurrency?: number;
  /** Epoch ms: the end of --start-timeout. */
  deadline: number;
  /** The --start-timeout itself, for the messages of a wait (see ReadOptions.startTimeoutMs). */
  startTimeoutMs?: number;
  /** Tells when a replaced lease has expired (default: the system clock, which stamps the leases). */
  clock?: Pick<Clock, "now">;
}

export class SecretReader {
  private readonly reads = new Map<string, Promise<SecretDocument>>();
  private readonly records = new Map<string, ReadRecord>();
  /** For each identity, the spelling to read with: one that names its mount explicitly, if any. */
  private readonly preferred = new Map<string, SecretRef>();
  private readonly limit: ConcurrencyLimit;
  /** Leases of documents replaced by commit(): still valid until they expire. */
  private readonly superseded: Array<{ provider: SecretRef["provider"]; lease: Lease }> = [];

  constructor(
    private readonly providers: ProviderSet,
    private readonly options: SecretReaderOptions,
  ) {
    this.limit = new ConcurrencyLimit(options.concurrency ?? 16);
  }

  /**
   * Announces the references about to be read. `vault://team/kv/app` and
   * `vault://app?mount=team/kv` are one secret, read once; the explicit mount is what a read needs
   * when Vault denies mount discovery, so the spelling that carries one is the one used.
   */
  prefer(refs: readonly SecretRef[]): void {
    for (const ref of refs) {
      if (ref.provider !== "vault" || ref.mount === undefined) continue;
      const id = secretIdentity(ref);
      if (!this.preferred.has(id)) this.preferred.set(id, ref);
    }
  }

  /** The document `ref` designates (its field ignored), read at most once per identity. */
  read(requested: SecretRef): Promise<SecretDocument> {
    const id = secretIdentity(requested);
    let p = this.reads.get(id);
    if (!p) {
      const ref = this.preferred.get(id) ?? requested;
      const record: ReadRecord = { ref };
      this.records.set(id, record);
      p = this.limit.run(async () => {
        const provider = await this.providers.get(ref.provider);
        return provider.read(ref, { deadline: this.options.deadline, startTimeoutMs: this.options.startTimeoutMs });
      });
      p.then(
        (doc) => (record.doc = doc),
        (error: unknown) => (record.error = asEnvjectError(error)),
      );
      this.reads.set(id, p);
    }
    return p;
  }

  /**
   * Records `doc` as the document of `ref` when that secret has not been read yet (a folder read
   * that brought its secrets' values along), so reading it costs nothing. A secret read already
   * keeps its document: the watcher keeps that one current.
   */
  seed(ref: SecretRef, doc: SecretDocument): void {
    const id = secretIdentity(ref);
    if (this.reads.has(id)) return;
    this.records.set(id, { ref, doc });
    this.reads.set(id, Promise.resolve(doc));
  }

  /**
   * Drops what was read of identity `id` (a secret removed from an `expand:` folder), so a later
   * read — the secret added back — reads it afresh instead of answering the old document.
   * A lease it carried stays among leases() until it expires.
   */
  forget(id: string): void {
    const lease = this.records.get(id)?.doc?.lease;
    const record = this.records.get(id);
    if (lease && record) this.superseded.push({ provider: record.ref.provider, lease });
    this.records.delete(id);
    this.reads.delete(id);
  }

  /** Every read so far, by secret identity. */
  all(): ReadonlyMap<string, ReadRecord> {
    return this.records;
  }

  /**
   * Reads the secret with identity `id` again, fresh and once (`options.once`), without changing
   * what read() answers: the caller decides with commit() whether the new document replaces it.
   */
  async reread(id: string, options: ReadOptions): Promise<SecretDocument> {
    const record = this.records.get(id);
    if (!record) throw new Error(`reread of a secret never read: ${id}`);
    const provider = await this.providers.get(record.ref.provider);
    return this.limit.run(() => provider.read(record.ref, options));
  }

  /**
   * Makes `doc` the document of identity `id` from now on (read() answers it). The lease of the
   * document it replaces is kept until it expires, so the leases revoked at exit include it: the
   * child that used it may still be running (`--on-change none` or `signal`).
   */
  commit(id: string, doc: SecretDocument): void {
    const record = this.records.get(id);
    if (!record) throw new Error(`commit of a secret never read: ${id}`);
    const old = record.doc?.lease;
    if (old && old.id !== doc.lease?.id) this.superseded.push({ provider: record.ref.provider, lease: old });
    record.doc = doc;
    record.error = undefined;
    this.reads.set(id, Promise.resolve(doc));
  }

  /** Records a renewal: the lease of identity `id`, as granted now. */
  renewed(id: string, lease: Lease): void {
    const record = this.records.get(id);
    if (record?.doc?.lease?.id === lease.id) record.doc = { ...record.doc, lease };
  }

  /**
   * The leases envject holds now (from one provider, when named): those of the current documents,
   * and those of replaced documents that have not expired yet.
   */
  leases(provider?: SecretRef["provider"]): Lease[] {
    const now = (this.options.clock ?? systemClock).now();
    const current = [...this.records.values()].flatMap((r) => (r.doc?.lease && (!provider || r.ref.provider === provider) ? [r.doc.lease] : []));
    const older = this.superseded.flatMap((s) => ((!provider || s.provider === provider) && s.lease.obtainedAt + s.lease.durationSeconds * 1000 > now ? [s.lease] : []));
    return [...current, ...older];
  }
}

/** Unexpected errors (bugs, programming errors) pass through unchanged; typed ones keep their class. */
function asEnvjectError(error: unknown): EnvjectError | undefined {
  return error instanceof EnvjectError ? error : undefined;
}
