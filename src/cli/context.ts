/**
 * What every command starts from: the logger, the loaded configuration, and the secret stores,
 * created lazily when a reference needs them.
 */
import { type Configuration, loadConfiguration } from "../config/load.js";
import type { Logger } from "../log/logger.js";
import { type Stores, openStores } from "../resolve/stores.js";
import type { GlobalArgs } from "./argv.js";

export { releaseStores } from "../resolve/stores.js";

export interface CommandContext extends Configuration, Stores {
  logger: Logger;
  environ: NodeJS.ProcessEnv;
}

/** Loads configuration and prepares (but does not contact) the secret stores. */
export async function loadContext(args: GlobalArgs, environ: NodeJS.ProcessEnv, logger: Logger): Promise<CommandContext> {
  const config = await loadConfiguration({ config: args.config, envFiles: args.envFiles, environ });
  if (config.mapping.file) logger.debug("loaded mapping file", { file: config.mapping.file });
  const stores = openStores({ mapping: config.mapping, vaultAddr: args.vaultAddr, environ, logger, startTimeoutMs: args.startTimeoutMs });
  return { ...config, ...stores, logger, environ };
}
