/**
 * Where the AWS provider sends its requests: the region of each reference (the reference's own,
 * then the mapping's `aws.region`, then AWS_REGION, then AWS_DEFAULT_REGION, then the SDK's
 * profile configuration) and the endpoint override variables. Credentials are not settings here:
 * the SDK's standard chain finds them.
 */
import { ConfigError, type SourceLocation } from "../../errors.js";
import type { AwsFileSettings } from "../../config/model.js";

export interface AwsSettings {
  /** The region for references that name none, and where it came from (for messages); undefined → the SDK's profile config. */
  defaultRegion?: { value: string; source: string };
  /** AWS_ENDPOINT_URL_SECRETS_MANAGER, else AWS_ENDPOINT_URL (the SDK reads the same two, in that order). */
  endpoint?: { value: string; source: string };
  /** Connecting may take this long (ms). */
  connectTimeoutMs: number;
  /** A request may be silent this long (ms) before it fails; a read's deadline may cut it shorter. */
  requestTimeoutMs: number;
  /**
   * Keys from the given environment (AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY [+ AWS_SESSION_TOKEN]):
   * the first link of the SDK's own chain, taken from `environ` so that a library caller's
   * environment is the one used. Undefined: the SDK's standard chain (profiles, SSO, roles…).
   */
  staticCredentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export interface AwsSettingsInput {
  file: AwsFileSettings;
  environ: NodeJS.ProcessEnv;
}

/** Loose on purpose (custom endpoints accept made-up regions); it only keeps the value hostname-safe. */
const REGION = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** Reads the mapping's `aws:` section and the environment; ConfigError for a malformed region or endpoint. */
export function resolveAwsSettings({ file, environ }: AwsSettingsInput): AwsSettings {
  const settings: AwsSettings = { connectTimeoutMs: 5_000, requestTimeoutMs: 15_000 };
  const candidates: Array<{ value: string | undefined; source: string; origin?: SourceLocation }> = [
    { value: file.region?.value, source: "aws.region in the mapping file", origin: file.region?.origin },
    { value: environ.AWS_REGION, source: "AWS_REGION" },
    { value: environ.AWS_DEFAULT_REGION, source: "AWS_DEFAULT_REGION" },
  ];
  const chosen = candidates.find((c) => c.value !== undefined && c.value.trim() !== "");
  if (chosen) {
    const value = chosen.value!.trim();
    if (!REGION.test(value)) throw new ConfigError(`${chosen.source} ${JSON.stringify(value)} is not an AWS region name such as eu-west-1`, chosen.origin);
    settings.defaultRegion = { value, source: chosen.source };
  }
  for (const name of ["AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL"] as const) {
    const value = environ[name]?.trim();
    if (!value) continue;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new ConfigError(`${name} ${JSON.stringify(value)} is not a URL such as https://secretsmanager.eu-west-1.amazonaws.com`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new ConfigError(`${name} must be an http:// or https:// URL`);
    settings.endpoint = { value, source: name };
    break;
  }
  const accessKeyId = environ.AWS_ACCESS_KEY_ID?.trim();
  const secretAccessKey = environ.AWS_SECRET_ACCESS_KEY?.trim();
  if (accessKeyId && secretAccessKey) {
    const sessionToken = environ.AWS_SESSION_TOKEN?.trim();
    settings.staticCredentials = { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  }
  return settings;
}

/** The message when no region can be found for a reference. */
export function missingRegion(secretId: string): ConfigError {
  return new ConfigError(`no AWS region for secret ${secretId}: set aws.region in the mapping file or AWS_REGION, add ?region=NAME to the reference, or use the secret's ARN`);
}
