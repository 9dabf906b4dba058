/**
 * An in-memory SecretProvider for the resolution tests: secrets by path (Vault) or secret id
 * (AWS), a count of reads per secret identity, a gauge of reads in flight, an optional delay, and
 * typed failures for chosen paths.
 */
import { type SecretRef, secretIdentity } from "../../src/config/reference.js";
import type { EnvjectError } from "../../src/errors.js";
import type { Lease, ReadOptions, SecretDocument, SecretProvider } from "../../src/providers/provider.js";
import type { ProviderFactories } from "../../src/resolve/provider-set.js";
import { sleep } from "../../src/clock.js";

export class FakeProvider implements SecretProvider {
  /** Reads per secret identity. */
  readonly reads = new Map<string, number>();
  /** Every read's options, in order. */
  readonly options: ReadOptions[] = [];
  inFlight = 0;
  peak = 0;
  revoked: Lease[] = [];
  closed = 0;

  constructor(
    readonly name: "vault" | "aws",
    private readonly secrets: Record<string, SecretDocument | EnvjectError | Error>,
    private readonly delayMs = 0,
  ) {}

  /** Total reads of any secret. */
  get total(): number {
    return [...this.reads.values()].reduce((a, b) => a + b, 0);
  }

  /** Reads of the secret at `key` (Vault path or AWS secret id), whatever its version. */
  readsOf(key: string): number {
    let n = 0;
    for (const [id, count] of this.reads) if ((JSON.parse(id) as unknown[]).includes(key)) n += count;
    return n;
  }

  async read(ref: SecretRef, options: ReadOptions): Promise<SecretDocument> {
    const id = secretIdentity(ref);
    this.reads.set(id, (this.reads.get(id) ?? 0) + 1);
    this.options.push(options);
    this.inFlight++;
    this.peak = Math.max(this.peak, this.inFlight);
    try {
      if (this.delayMs > 0) await sleep(this.delayMs);
      else await Promise.resolve();
      const key = ref.provider === "vault" ? ref.path : ref.secretId;
      const entry = this.secrets[key];
      if (entry === undefined) throw new TypeError(`FakeProvider has no secret ${key}`);
      if (entry instanceof Error) throw entry;
      // A copy, so a test can never see another read's object.
      return structuredClone(entry);
    } finally {
      this.inFlight--;
    }
  }

  /** The stamp a read would carry now (or its version), without counting a read. */
  async stamp(ref: SecretRef): Promise<string> {
    const entry = this.secrets[ref.provider === "vault" ? ref.path : ref.secretId];
    if (entry === undefined || entry instanceof Error) throw entry ?? new TypeError("FakeProvider has no such secret");
    return entry.stamp ?? entry.version ?? "";
  }

  async revokeLeases(leases: Lease[]): Promise<void> {
    this.revoked.push(...leases);
  }

  async close(): Promise<void> {
    this.closed++;
  }
}

/** A KV v2-like document. */
export function mapDoc(data: Record<string, unknown>, version?: string, lease?: Lease): SecretDocument {
  return { kind: "map", data, version, source: "fake", lease };
}

/** Factories for a ProviderSet: the given providers, and an error for the other. */
export function factoriesFor(providers: { vault?: SecretProvider; aws?: SecretProvider }): ProviderFactories {
  const missing = (name: string) => async (): Promise<SecretProvider> => {
    throw new Error(`no ${name} provider in this test`);
  };
  return {
    vault: providers.vault ? async () => providers.vault! : missing("vault"),
    aws: providers.aws ? async () => providers.aws! : missing("aws"),
  };
}
