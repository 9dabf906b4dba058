/**
 * Seeding a double from a plain object, as main.ts --seed and the test fixture do. Keys are secret
 * names (region us-east-1) or `<region>:<name>` (":" cannot occur in a secret name). A string value
 * becomes SecretString; `{"SecretBinary":"<base64>"}` becomes a binary secret; any other object
 * becomes a SecretString holding its JSON; an array of those creates the secret with the first
 * and puts each following one as a new version (the last is AWSCURRENT, the one before it AWSPREVIOUS).
 */
import { AwsDoubleClient, type SecretValueInput } from "./client.js";

export type SeedValue = string | Record<string, unknown>;
export type Seed = Record<string, SeedValue | SeedValue[]>;

/** The API value for one seed entry. */
export function seedValue(value: SeedValue): SecretValueInput {
  if (typeof value === "string") return { SecretString: value };
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === "SecretBinary" && typeof value.SecretBinary === "string") return { SecretBinary: value.SecretBinary };
  return { SecretString: JSON.stringify(value) };
}

/** Writes every entry of `seed` through the API (one client per region). */
export async function applySeed(url: string, seed: Seed, defaultRegion = "us-east-1"): Promise<void> {
  for (const [key, entry] of Object.entries(seed)) {
    const colon = key.indexOf(":");
    const region = colon > 0 ? key.slice(0, colon) : defaultRegion;
    const name = colon > 0 ? key.slice(colon + 1) : key;
    const client = new AwsDoubleClient(url, { region });
    const [first, ...rest] = Array.isArray(entry) ? entry : [entry];
    if (first === undefined) throw new Error(`seed entry "${key}" has no value`);
    await client.createSecret(name, seedValue(first));
    for (const next of rest) await client.putSecretValue(name, seedValue(next));
  }
}
