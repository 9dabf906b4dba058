/**
 * envject as a library (docs/contract/library.md#api): resolve a mapping file into variables, or read one secret.
 *
 * ```ts
 * import { resolveEnv, getSecret } from "envject";
 * const env = await resolveEnv({ config: "envject.yaml" });
 * const password = await getSecret("vault://secret/myapp/db#password");
 * ```
 */
import { ConfigError, mostSeriousExitCode } from "./errors.js";
import { type Configuration, loadConfiguration } from "./config/load.js";
import { parseValue } from "./config/reference.js";
import { parseDuration } from "./config/duration.js";
import { type Logger, silentLogger } from "./log/logger.js";
import { type Stores, openStores, releaseStores } from "./resolve/stores.js";
import { evaluateValue } from "./resolve/evaluate.js";
import { finalValues, resolveBindings } from "./resolve/resolution.js";

export { EnvjectError, ConfigError, AuthError, NotFoundError, UnavailableError, UsageError, ExitCode } from "./errors.js";
export type { SecretRef, ValueSpec } from "./config/reference.js";
export { Logger } from "./log/logger.js";

export interface ResolveEnvOptions {
  /** Mapping file; default `envject.yaml` when it exists. */
  config?: string;
  /** dotenv files whose values may be references, in order (later wins). */
  envFiles?: string[];
  /** Vault address; wins over the file and VAULT_ADDR. */
  vaultAddr?: string;
  /** The environment envject reads its own settings and credentials from (default `process.env`).
   *  Typed without Node's types, so the declarations need no `@types/node`. */
  environ?: Record<string, string | undefined>;
  /** How long to retry unreachable stores: milliseconds or a DURATION string (default 60s). */
  startTimeout?: number | string;
  /** Where to log (default: nowhere). */
  logger?: Logger;
}

/**
 * Resolves the mapping file and env files into the variables they define (not the whole
 * environment; `files:` entries are skipped). Leases are left alive for the caller. Throws the
 * typed error of the most serious failure, naming every failed variable.
 */
export async function resolveEnv(options: ResolveEnvOptions = {}): Promise<Record<string, string>> {
  const environ = options.environ ?? process.env;
  const logger = options.logger ?? silentLogger();
  const config = await loadConfiguration({ config: options.config, envFiles: options.envFiles, environ });
  const opened = stores(config, options, environ, logger);
  let keepLeases = true;
  try {
    const resolution = await resolveBindings({ envFiles: config.envFiles, mapping: { ...config.mapping, files: [] } }, { reader: opened.reader, redactor: logger.redactor, environ });
    if (resolution.failures.length > 0) {
      const code = mostSeriousExitCode(resolution.failures.map((f) => f.error.exitCode));
      const worst = resolution.failures.find((f) => f.error.exitCode === code)!.error;
      worst.message = `cannot resolve ${resolution.failures.map((f) => f.name).join(", ")}: ${worst.message}`;
      // The caller gets no values, so no one could ever use (or revoke) the leases taken on the way.
      keepLeases = false;
      throw worst;
    }
    return Object.fromEntries([...finalValues(resolution.variables)].map(([name, v]) => [name, v.value]));
  } finally {
    await releaseStores(opened, { keepLeases });
  }
}

export type GetSecretOptions = Omit<ResolveEnvOptions, "envFiles">;

/** Reads one reference (`vault://…`, an ARN, …) or template string and returns its value. */
export async function getSecret(reference: string, options: GetSecretOptions = {}): Promise<string> {
  const environ = options.environ ?? process.env;
  const logger = options.logger ?? silentLogger();
  const config = await loadConfiguration({ config: options.config, environ });
  const spec = parseValue(reference, config.parseContext);
  if (spec.kind === "literal") throw new ConfigError("not a reference: expected vault://…, aws-sm://…, an ARN or a {{ }} template");
  const opened = stores(config, options, environ, logger);
  let keepLeases = true;
  try {
    return await evaluateValue(spec, { reader: opened.reader, redactor: logger.redactor, environ });
  } catch (error) {
    keepLeases = false; // no value reaches the caller: nothing may keep a lease alive
    throw error;
  } finally {
    await releaseStores(opened, { keepLeases });
  }
}

function stores(config: Configuration, options: ResolveEnvOptions, environ: NodeJS.ProcessEnv, logger: Logger): Stores {
  const timeout = typeof options.startTimeout === "string" ? parseDuration(options.startTimeout) : options.startTimeout;
  if (timeout === undefined && options.startTimeout !== undefined) throw new ConfigError(`startTimeout is not a duration: ${String(options.startTimeout)}`);
  return openStores({ mapping: config.mapping, vaultAddr: options.vaultAddr, environ, logger, startTimeoutMs: timeout ?? 60_000 });
}
