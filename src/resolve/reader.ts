/**
 * Reads each distinct secret once, however many variables use it (PRODUCT.md §6: one request per
 * distinct secret), with at most `concurrency` reads in flight. The result of every read — a
 * document or a typed error — is kept, so later lookups of the same secret cost nothing.
 */
import { EnvjectError } from "../errors.js";
import { type SecretRef, secretIdentity } from "../config/reference.js";
import type { Lease, SecretDocument } from "../providers/provider.js";
import { ConcurrencyLimit } from "./limit.js";
import type { ProviderSet } from "./providers.js";

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
}

export class SecretReader {
  private readonly reads = new Map<string, Promise<SecretDocument>>();
  private readonly records = new Map<string, ReadRecord>();
  /** For each identity, the spelling to read with: one that names its mount explicitly, if any. */
  private readonly preferred = new Map<string, SecretRef>();
  private readonly limit: ConcurrencyLimit;

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
        return provider.read(ref, { deadline: this.options.deadline });
      });
      p.then(
        (doc) => (record.doc = doc),
        (error: unknown) => (record.error = asEnvjectError(error)),
      );
      this.reads.set(id, p);
    }
    return p;
  }

  /** Every read so far, by secret identity. */
  all(): ReadonlyMap<string, ReadRecord> {
    return this.records;
  }

  /** The leases of every dynamic secret read so far (from one provider, when named). */
  leases(provider?: SecretRef["provider"]): Lease[] {
    return [...this.records.values()].flatMap((r) => (r.doc?.lease && (!provider || r.ref.provider === provider) ? [r.doc.lease] : []));
  }
}

/** Unexpected errors (bugs, programming errors) pass through unchanged; typed ones keep their class. */
function asEnvjectError(error: unknown): EnvjectError | undefined {
  return error instanceof EnvjectError ? error : undefined;
}
