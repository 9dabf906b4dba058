/**
 * The AWS SDK behind envject's Secrets Manager calls: imported only on the first call (a run
 * without AWS references never loads it), one SDK client per region, one attempt per call (our
 * own retry does the backoff, bounded by the caller's deadline), and bounded connect/request
 * times. It throws what the SDK throws; errors.ts gives those their meaning.
 */
import type {
  BatchGetSecretValueCommandOutput,
  DescribeSecretCommandOutput,
  ListSecretsCommandOutput,
  GetSecretValueCommandInput,
  GetSecretValueCommandOutput,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import type { AwsSettings } from "./settings.js";

type Sdk = typeof import("@aws-sdk/client-secrets-manager");

/** The SDK's Node-version notice is noise for envject's users; this variable is the SDK's own off switch. */
const WARNING_SWITCH = "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED";

/** The smallest time a request is given, even when the deadline has (nearly) passed. */
const MIN_REQUEST_MS = 250;

/** The Secrets Manager calls envject makes, each one attempt through a per-region SDK client. */
export class SecretsManagerCalls {
  private sdk?: Promise<Sdk>;
  private readonly clients = new Map<string, SecretsManagerClient>();
  private profileRegion?: Promise<string | undefined>;

  constructor(private readonly settings: AwsSettings) {}

  /** GetSecretValue with the given selectors, in `region`. */
  async getSecretValue(region: string, input: GetSecretValueCommandInput, deadline: number): Promise<GetSecretValueCommandOutput> {
    const sdk = await this.load();
    return this.send(region, new sdk.GetSecretValueCommand(input), deadline);
  }

  /** BatchGetSecretValue of up to 20 ids (AWSCURRENT of each), in `region`. */
  async batchGetSecretValue(region: string, secretIds: string[], deadline: number): Promise<BatchGetSecretValueCommandOutput> {
    const sdk = await this.load();
    return this.send(region, new sdk.BatchGetSecretValueCommand({ SecretIdList: secretIds }), deadline);
  }

  /** One page of BatchGetSecretValue with `Filters: [{Key: "name", Values: [prefix]}]` (the AWSCURRENT values of the secrets whose names start with it). */
  async batchGetByNamePrefix(region: string, prefix: string, nextToken: string | undefined, deadline: number): Promise<BatchGetSecretValueCommandOutput> {
    const sdk = await this.load();
    const input = { Filters: [{ Key: "name" as const, Values: [prefix] }], ...(nextToken === undefined ? {} : { NextToken: nextToken }) };
    return this.send(region, new sdk.BatchGetSecretValueCommand(input), deadline);
  }

  /** One page of ListSecrets with the same name filter (metadata only, never a value). */
  async listByNamePrefix(region: string, prefix: string, nextToken: string | undefined, deadline: number): Promise<ListSecretsCommandOutput> {
    const sdk = await this.load();
    const input = { Filters: [{ Key: "name" as const, Values: [prefix] }], ...(nextToken === undefined ? {} : { NextToken: nextToken }) };
    return this.send(region, new sdk.ListSecretsCommand(input), deadline);
  }

  /** DescribeSecret (metadata and VersionIdsToStages, never the value), in `region`. */
  async describeSecret(region: string, secretId: string, deadline: number): Promise<DescribeSecretCommandOutput> {
    const sdk = await this.load();
    return this.send(region, new sdk.DescribeSecretCommand({ SecretId: secretId }), deadline);
  }

  /**
   * The region of the SDK's shared configuration (the profile's `region` in ~/.aws/config,
   * AWS_PROFILE honoured), asked once; undefined when it names none.
   */
  regionFromProfile(): Promise<string | undefined> {
    this.profileRegion ??= (async () => {
      const sdk = await this.load();
      const probe = this.create(sdk, undefined);
      try {
        const region = await probe.config.region();
        return typeof region === "string" && region !== "" ? region : undefined;
      } catch {
        return undefined;
      } finally {
        probe.destroy();
      }
    })();
    return this.profileRegion;
  }

  /** Closes every SDK client (and its keep-alive sockets). */
  close(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }

  private load(): Promise<Sdk> {
    this.sdk ??= import("@aws-sdk/client-secrets-manager");
    return this.sdk;
  }

  private async send<Output>(region: string, command: object, deadline: number): Promise<Output> {
    const client = await this.client(region);
    const budget = Math.min(this.settings.requestTimeoutMs, Math.max(MIN_REQUEST_MS, deadline - Date.now()));
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), budget);
    try {
      // The SDK's typed `send` overloads need the concrete command type; the command is built by the caller.
      return await (client.send as (c: object, o: object) => Promise<Output>)(command, { abortSignal: abort.signal });
    } catch (error) {
      if (abort.signal.aborted) throw Object.assign(new Error(`no answer within ${budget} ms`), { name: "TimeoutError", code: "ETIMEDOUT" });
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private async client(region: string): Promise<SecretsManagerClient> {
    const existing = this.clients.get(region);
    if (existing) return existing;
    const sdk = await this.load();
    // Two first calls may both reach this point; keep the first client made.
    const again = this.clients.get(region);
    if (again) return again;
    const client = this.create(sdk, region);
    this.clients.set(region, client);
    return client;
  }

  private create(sdk: Sdk, region: string | undefined): SecretsManagerClient {
    // The SDK reads its off switch from process.env while the client is built. Set it only for
    // that moment: the child's environment is built from envject's, and must not gain it.
    const wasSet = Object.hasOwn(process.env, WARNING_SWITCH);
    if (!wasSet) process.env[WARNING_SWITCH] = "true";
    try {
      return new sdk.SecretsManagerClient({
        ...(region === undefined ? {} : { region }),
        ...(this.settings.endpoint ? { endpoint: this.settings.endpoint.value } : {}),
        ...(this.settings.staticCredentials ? { credentials: this.settings.staticCredentials } : {}),
        maxAttempts: 1,
        requestHandler: { connectionTimeout: this.settings.connectTimeoutMs },
      });
    } finally {
      if (!wasSet) delete process.env[WARNING_SWITCH];
    }
  }
}
