/**
 * The secret stores a run needs, created on first use: a mapping with only Vault references never
 * loads the AWS SDK, and one with only AWS references never asks for Vault credentials.
 */
import type { SecretRef } from "../config/reference.js";
import type { SecretProvider } from "../providers/provider.js";

export type ProviderName = SecretRef["provider"];
export type ProviderFactories = Record<ProviderName, () => Promise<SecretProvider>>;

export class ProviderSet {
  private readonly created = new Map<ProviderName, Promise<SecretProvider>>();

  constructor(private readonly factories: ProviderFactories) {}

  /** The provider for `name`, created once; a failed creation (bad settings) fails every caller alike. */
  get(name: ProviderName): Promise<SecretProvider> {
    let p = this.created.get(name);
    if (!p) {
      p = this.factories[name]();
      this.created.set(name, p);
    }
    return p;
  }

  /** Providers that were created successfully. */
  async active(): Promise<SecretProvider[]> {
    const settled = await Promise.allSettled(this.created.values());
    return settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  }

  /** Closes every created provider. */
  async close(): Promise<void> {
    for (const p of await this.active()) await p.close();
  }
}
