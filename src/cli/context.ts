/**
 * What every command starts from: the logger, the loaded configuration, and the secret stores,
 * created lazily when a reference needs them.
 */
import { type Configuration, loadConfiguration } from "../config/load.js";
import type { Logger } from "../log/logger.js";
import { providerFactories } from "../providers/registry.js";
import { ProviderSet } from "../resolve/providers.js";
import { SecretReader } from "../resolve/reader.js";
import type { GlobalArgs } from "./argv.js";

export interface CommandContext extends Configuration {
  logger: Logger;
  environ: NodeJS.ProcessEnv;
  providers: ProviderSet;
  reader: SecretReader;
}

/** Loads configuration and prepares (but does not contact) the secret stores. */
export async function loadContext(args: GlobalArgs, environ: NodeJS.ProcessEnv, logger: Logger): Promise<CommandContext> {
  const config = await loadConfiguration({ config: args.config, envFiles: args.envFiles, environ });
  if (config.mapping.file) logger.debug("loaded mapping file", { file: config.mapping.file });
  const providers = new ProviderSet(providerFactories({ mapping: config.mapping, vaultAddr: args.vaultAddr, environ, logger }));
  const reader = new SecretReader(providers, { deadline: Date.now() + args.startTimeoutMs });
  return { ...config, logger, environ, providers, reader };
}

/** Revokes leases (unless `keepLeases`) and closes every store connection. */
export async function releaseStores(ctx: Pick<CommandContext, "providers" | "reader">, options: { keepLeases?: boolean } = {}): Promise<void> {
  if (!options.keepLeases) {
    for (const provider of await ctx.providers.active()) await provider.revokeLeases(ctx.reader.leases(provider.name));
  }
  await ctx.providers.close();
}
