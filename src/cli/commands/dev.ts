/**
 * `envject dev` (docs/contract/dev.md): the project's Vault and Secrets Manager doubles (src/dev/) on
 * 127.0.0.1, seeded from a YAML file, with the `export …` lines to `eval` in another shell on
 * stdout (nothing else goes there) and serving until SIGINT/SIGTERM (exit 0). State is in memory.
 * Every start says, on stderr, that this is for development only.
 */
import { ConfigError, UnavailableError } from "../../errors.js";
import type { Logger } from "../../log/logger.js";
import type { DevArgs } from "../argv.js";
import { type AwsDouble, startAwsDouble } from "../../dev/aws/index.js";
import { AwsDoubleClient } from "../../dev/aws/client.js";
import { seedValue } from "../../dev/aws/seed.js";
import { type VaultDouble, startVaultDouble } from "../../dev/vault/index.js";
import { VaultDoubleClient } from "../../dev/vault/client.js";
import { type DevSeed, readSeedFile } from "../../dev/seed-file.js";
import { shellQuote } from "../export-formats.js";

export const DEV_WARNING = "envject dev: local stores for development only — in memory, not secure, never for production";

/** The region the exports name, and where seed names without `<region>:` go. */
export const DEV_REGION = "us-east-1";
/** Dummy credentials: the double checks no signature, but the SDK and the AWS CLI want some. */
export const DEV_ACCESS_KEY_ID = "AKIDENVJECTDEV";
export const DEV_SECRET_ACCESS_KEY = "envject-dev-not-a-secret";

export async function devCommand(args: DevArgs, logger: Logger, write: (text: string) => void = (t) => process.stdout.write(t), stopped: Promise<unknown> = untilSignal()): Promise<number> {
  logger.warn(DEV_WARNING);
  const seed = args.seed === undefined ? undefined : await readSeedFile(args.seed);
  const vault = await listening("Vault", "--vault-port", args.vaultPort, (port) => startVaultDouble({ port }));
  let aws: AwsDouble | undefined;
  try {
    aws = await listening("Secrets Manager", "--aws-port", args.awsPort, (port) => startAwsDouble({ port }));
    if (seed) await applySeed(seed, vault, aws);
    const exports: Array<[string, string]> = [
      ["VAULT_ADDR", vault.url],
      ["VAULT_TOKEN", vault.rootToken],
      ["AWS_ENDPOINT_URL_SECRETS_MANAGER", aws.url],
      ["AWS_ACCESS_KEY_ID", DEV_ACCESS_KEY_ID],
      ["AWS_SECRET_ACCESS_KEY", DEV_SECRET_ACCESS_KEY],
      ["AWS_REGION", DEV_REGION],
      // The AWS CLI v1 reads only AWS_DEFAULT_REGION.
      ["AWS_DEFAULT_REGION", DEV_REGION],
    ];
    write(exports.map(([name, value]) => `export ${name}=${shellQuote(value)}\n`).join(""));
    logger.info(
      `Vault at ${vault.url}, Secrets Manager at ${aws.url}` +
        (seed ? `; seeded ${seed.vault.length} Vault and ${seed.aws.length} Secrets Manager secrets from ${seed.file}` : "; nothing seeded (--seed FILE)") +
        `; eval the export lines of stdout in another shell; Ctrl-C to stop`,
      { vault: vault.url, aws: aws.url },
    );
    await stopped;
    logger.info("envject dev: stopping; the stores' contents are gone");
    return 0;
  } finally {
    await Promise.all([vault.close(), aws?.close()]);
  }
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off("SIGINT", on);
      process.off("SIGTERM", on);
      // A second Ctrl-C while closing is not a reason to die with 130.
      process.on("SIGINT", () => {});
      process.on("SIGTERM", () => {});
      resolve(signal);
    };
    process.on("SIGINT", on);
    process.on("SIGTERM", on);
  });
}

/** Starts one double; a port that cannot be had is 69 with the port and the option. */
async function listening<T>(what: string, option: string, port: number, start: (port: number) => Promise<T>): Promise<T> {
  try {
    return await start(port);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE")
      throw new UnavailableError(`${option} ${port}: 127.0.0.1:${port} is already in use; choose another port for the ${what} store or leave ${option} out (a free one is picked)`);
    if (code === "EACCES") throw new UnavailableError(`${option} ${port}: not allowed to listen on 127.0.0.1:${port} (ports below 1024 need privileges); choose a port of 1024 or more`);
    throw error;
  }
}

/** Writes every seed entry through the stores' own APIs; an entry they refuse names its line. */
async function applySeed(seed: DevSeed, vault: VaultDouble, aws: AwsDouble): Promise<void> {
  const v = new VaultDoubleClient(vault.url, vault.rootToken);
  try {
    for (const entry of seed.vault) {
      try {
        await v.writeSecret(entry.key, entry.value);
      } catch (error) {
        throw refused(seed, entry, `vault: ${JSON.stringify(entry.key)} cannot be written: ${storeMessage(error)} (the dev Vault has the KV v2 mount secret/ and the KV v1 mount kv/)`);
      }
    }
  } finally {
    v.close();
  }
  const clients = new Map<string, AwsDoubleClient>();
  for (const entry of seed.aws) {
    const colon = entry.key.indexOf(":");
    const region = colon > 0 ? entry.key.slice(0, colon) : DEV_REGION;
    const name = colon > 0 ? entry.key.slice(colon + 1) : entry.key;
    const client = clients.get(region) ?? new AwsDoubleClient(aws.url, { region });
    clients.set(region, client);
    try {
      await client.createSecret(name, seedValue(entry.value));
    } catch (error) {
      throw refused(seed, entry, `aws: ${JSON.stringify(entry.key)} cannot be created: ${storeMessage(error)}`);
    }
  }
}

function refused(seed: DevSeed, entry: { key: string; line?: number; column?: number }, message: string): ConfigError {
  return new ConfigError(message, { file: seed.file, line: entry.line, column: entry.column });
}

/** The store's refusal, without anything of the value. */
function storeMessage(error: unknown): string {
  return error instanceof Error ? error.message.split("\n")[0]! : String(error);
}
