/**
 * An AWS Secrets Manager double seeded with sample secrets the AWS tests share, plus a client to
 * steer it and the environment a child process needs to reach it. Every seeded value is
 * distinctive, so a test can search any output for all of them (`AWS_SEEDED_SECRET_VALUES`) and
 * prove none leaked.
 */
import { AwsDoubleClient } from "../../src/dev/aws/client.js";
import { type AwsDouble, type AwsDoubleOptions, startAwsDouble } from "../../src/dev/aws/index.js";
import { applySeed, type Seed } from "../../src/dev/aws/seed.js";
import { type AwsControl, awsControl } from "./double-control.js";

export const AWS_SEED = {
  /** prod/db (JSON SecretString; two versions: dbV1 is AWSPREVIOUS, db AWSCURRENT). */
  dbV1: { username: "app_user", password: "pw-Aws-Db-OLD-v1-3c2b1a" },
  db: { username: "app_user", password: "pw-Aws-Db-8d7c6b5a" },
  /** prod/api-key (plain SecretString). */
  apiKey: "ak-Aws-Plain-String-4e5f6a",
  /** prod/config (JSON with non-string values). */
  config: { log_level: "debug", max_conn: 25, feature: { on: true } },
  /** prod/cert (SecretBinary; the bytes below, base64 on the wire). */
  certBytes: "binary-Aws-Cert-Bytes-\u0000\u0001-9z8y",
} as const;

/** The default seed: secret names in us-east-1. */
export const DEFAULT_AWS_SEED: Seed = {
  "prod/db": [AWS_SEED.dbV1, AWS_SEED.db],
  "prod/api-key": AWS_SEED.apiKey,
  "prod/config": AWS_SEED.config,
  "prod/cert": { SecretBinary: Buffer.from(AWS_SEED.certBytes, "latin1").toString("base64") },
};

/** Every secret value the default seed writes, for "never printed" assertions. */
export const AWS_SEEDED_SECRET_VALUES: readonly string[] = [AWS_SEED.dbV1.password, AWS_SEED.db.password, AWS_SEED.apiKey, "binary-Aws-Cert-Bytes"];

export interface SeededAws {
  aws: AwsDouble;
  /** A client signing for us-east-1. */
  client: AwsDoubleClient;
  /** The same double through the shape both doubles share (test/support/double-control.ts), with `client` as its client. */
  control: AwsControl;
  url: string;
  close(): Promise<void>;
}

/** Starts a double, writes `seed` (default DEFAULT_AWS_SEED) and clears the request log. */
export async function startSeededAws(seed: Seed = DEFAULT_AWS_SEED, options: AwsDoubleOptions = {}): Promise<SeededAws> {
  const aws = await startAwsDouble(options);
  const client = new AwsDoubleClient(aws.url);
  await applySeed(aws.url, seed);
  await client.clearRequests();
  return { aws, client, control: awsControl(aws.url, client.region, client), url: aws.url, close: () => aws.close() };
}

/**
 * The environment that points the AWS SDK / CLI at the double, hermetically: endpoint, test
 * credentials, region, no instance-metadata lookups, no SDK Node-version warning, no pager.
 */
export function awsEnv(url: string, region = "us-east-1"): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: url,
    AWS_ACCESS_KEY_ID: "AKIDENVJECTTEST",
    AWS_SECRET_ACCESS_KEY: "envject-test-secret-access-key",
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    AWS_PAGER: "",
  };
}

/** The seeded values that occur in `text`. */
export function leakedAwsSecrets(text: string): string[] {
  return AWS_SEEDED_SECRET_VALUES.filter((v) => text.includes(v));
}
