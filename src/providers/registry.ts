/**
 * The list of secret stores: how each provider is created from the mapping file's settings.
 * Adding a backend is a folder under src/providers/ plus one entry here.
 */
import type { Mapping } from "../config/model.js";
import type { Logger } from "../log/logger.js";
import type { SecretProvider } from "./provider.js";

export interface ProviderSettings {
  mapping: Mapping;
  /** `--vault-addr`. */
  vaultAddr?: string;
  environ: NodeJS.ProcessEnv;
  logger: Logger;
}

/** A factory per provider name; each runs only when a reference to that store is read. */
export function providerFactories(settings: ProviderSettings): Record<"vault" | "aws", () => Promise<SecretProvider>> {
  return {
    // Each provider is imported on first use: a run without Vault references never evaluates the
    // Vault client (nor loads node:https), one without AWS references never loads the AWS SDK.
    vault: async () => {
      const [{ VaultProvider }, { resolveVaultSettings }] = await Promise.all([import("./vault/provider.js"), import("./vault/settings.js")]);
      return new VaultProvider(
        resolveVaultSettings({ file: settings.mapping.vault, awsRegion: settings.mapping.aws.region?.value, addressFlag: settings.vaultAddr, environ: settings.environ }),
        settings.logger,
      );
    },
    aws: async () => (await import("./aws/provider.js")).createAwsProvider({ file: settings.mapping.aws, environ: settings.environ }, settings.logger),
  };
}
