/**
 * What every command starts from: the logger, the loaded configuration, and the secret stores,
 * created lazily when a reference needs them.
 */
import { resolve } from "node:path";
import { type Configuration, DEFAULT_MAPPING_FILE, loadConfiguration } from "../config/load.js";
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
  warnIfNothingMapped(config, logger);
  const stores = openStores({ mapping: config.mapping, vaultAddr: args.vaultAddr, environ, logger, startTimeoutMs: args.startTimeoutMs });
  return { ...config, ...stores, logger, environ };
}

/**
 * A run with no mapping at all is almost always a mistake (the wrong directory, a forgotten -c):
 * say what was looked for instead of starting the command without its secrets in silence.
 */
function warnIfNothingMapped(config: Configuration, logger: Logger): void {
  const { mapping, envFiles } = config;
  const variables = mapping.env.length + mapping.expand.length + mapping.files.length + envFiles.reduce((n, f) => n + f.length, 0);
  if (variables > 0) return;
  if (!mapping.file && envFiles.length === 0) {
    const looked = resolve(DEFAULT_MAPPING_FILE);
    logger.warn(`no mapping file: ${looked} does not exist and neither -c/--config nor -e/--env-file was given (ENVJECT_CONFIG, ENVJECT_ENV_FILE); no secrets will be read`, {
      file: looked,
    });
    return;
  }
  const files = [mapping.file, ...(envFiles.length > 0 ? ["the --env-file files"] : [])].filter(Boolean).join(" and ");
  logger.warn(`${files} ${files.includes(" and ") ? "define" : "defines"} no variables; no secrets will be read`, mapping.file ? { file: mapping.file } : {});
}
