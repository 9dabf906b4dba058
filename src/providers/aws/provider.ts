/**
 * The AWS Secrets Manager backend of envject: reads secrets (AWSCURRENT reads coalesced into
 * BatchGetSecretValue calls, other stages and pinned versions with GetSecretValue), retrying what
 * can be retried until the caller's deadline, and tells the watcher which VersionId holds the
 * wanted stage (DescribeSecret, or GetSecretValue when that is denied). Secrets Manager has no
 * leases, so there is nothing to renew or revoke.
 */
import { NotFoundError, UnavailableError } from "../../errors.js";
import { type AwsRef, type SecretRef, displayRef } from "../../config/reference.js";
import type { Logger } from "../../log/logger.js";
import { StoreRetries } from "../retry.js";
import type { StoreDescription } from "../wait.js";
import { type Lease, type ReadOptions, type SecretDocument, type SecretProvider, folderStamp } from "../provider.js";
import { CurrentValueBatcher } from "./batch.js";
import { AwsFolders, folderDocument } from "./folder.js";
import { SecretsManagerCalls } from "./client.js";
import { type SecretValue, describeSource, secretDocument, wantedStage } from "./document.js";
import { awsErrorCode, errorFromSdk } from "./errors.js";
import { type AwsSettings, type AwsSettingsInput, missingRegion, resolveAwsSettings } from "./settings.js";

/** Creates the provider from the mapping's `aws:` section and the environment (ConfigError for bad settings). */
export function createAwsProvider(input: AwsSettingsInput, logger: Logger): AwsProvider {
  return new AwsProvider(resolveAwsSettings(input), logger);
}

/** SecretProvider for `aws-sm://`, `ref+awssecrets://` and ARN references (see the file comment). */
export class AwsProvider implements SecretProvider {
  readonly name = "aws" as const;
  private readonly calls: SecretsManagerCalls;
  private readonly batcher: CurrentValueBatcher;
  private readonly folders: AwsFolders;
  private describeDenied = false;
  /** Start-up retries per region (one warning per unreachable region, one "reachable again" line). */
  private readonly retries = new Map<string, StoreRetries>();

  constructor(
    readonly settings: AwsSettings,
    private readonly logger: Logger,
    calls?: SecretsManagerCalls,
  ) {
    this.calls = calls ?? new SecretsManagerCalls(settings);
    this.batcher = new CurrentValueBatcher(this.calls, logger, settings.endpoint?.value);
    this.folders = new AwsFolders(this.calls, logger, settings.endpoint?.value);
  }

  /** Reads the secret `ref` designates, retrying throttling, 5xx and network failures until `options.deadline` (once with `once`). */
  async read(ref: SecretRef, options: ReadOptions): Promise<SecretDocument> {
    const aws = asAwsRef(ref);
    const region = await this.regionOf(aws);
    if (aws.folder) {
      return this.attempt(region, options, async () => {
        const listing = await this.folders.read(region, aws.secretId, options.deadline);
        return folderDocument(listing, `secretsmanager ${region} folder ${aws.secretId}`, (name, value) =>
          secretDocument(value, { provider: "aws", secretId: `${aws.secretId}${name}`, raw: "" }, region),
        );
      });
    }
    return this.attempt(region, options, () => this.readOnce(aws, region, options.deadline));
  }

  /**
   * The VersionId holding the reference's stage (AWSCURRENT by default), from DescribeSecret —
   * or GetSecretValue when DescribeSecret is denied (remembered); a pinned `version_id` is its own stamp.
   */
  async stamp(ref: SecretRef, options: ReadOptions): Promise<string> {
    const aws = asAwsRef(ref);
    if (aws.versionId !== undefined) return aws.versionId;
    const region = await this.regionOf(aws);
    if (aws.folder) return this.attempt(region, options, async () => folderStamp(await this.folders.names(region, aws.secretId, options.deadline)));
    return this.attempt(region, options, () => this.stampOnce(aws, region, options.deadline));
  }

  /** Secrets Manager hands out no leases: nothing to revoke. */
  async revokeLeases(_leases: Lease[]): Promise<void> {}

  async close(): Promise<void> {
    this.calls.close();
  }

  private async readOnce(ref: AwsRef, region: string, deadline: number): Promise<SecretDocument> {
    const stage = wantedStage(ref);
    let value: SecretValue;
    if (ref.versionId === undefined && stage === "AWSCURRENT") {
      value = await this.batcher.get(region, ref.secretId, deadline);
    } else {
      value = await this.getSecretValue(ref, region, deadline);
    }
    return secretDocument(value, ref, region);
  }

  private async stampOnce(ref: AwsRef, region: string, deadline: number): Promise<string> {
    const stage = wantedStage(ref)!;
    if (!this.describeDenied) {
      try {
        const described = await this.calls.describeSecret(region, ref.secretId, deadline);
        if (described.DeletedDate !== undefined) {
          throw new NotFoundError(`secret ${ref.secretId} in ${region} is scheduled for deletion; restore it (aws secretsmanager restore-secret) or reference another secret`);
        }
        const holder = Object.entries(described.VersionIdsToStages ?? {}).find(([, stages]) => stages?.includes(stage));
        if (!holder) throw new NotFoundError(`no version of secret ${ref.secretId} in ${region} has the stage ${stage}`);
        return holder[0];
      } catch (error) {
        if (error instanceof NotFoundError) throw error;
        if (awsErrorCode(error) !== "AccessDeniedException") throw errorFromSdk(error, this.call("DescribeSecret", ref, region));
        this.describeDenied = true;
        this.logger.debug("DescribeSecret is denied; watching versions with GetSecretValue instead", { reference: displayRef({ ...ref, field: undefined }), region });
      }
    }
    const doc = secretDocument(await this.getSecretValue(ref, region, deadline), ref, region);
    if (doc.stamp === undefined) throw new UnavailableError(`AWS Secrets Manager returned no VersionId for ${describeSource(ref, region)}`, { retryable: false });
    return doc.stamp;
  }

  private async getSecretValue(ref: AwsRef, region: string, deadline: number): Promise<SecretValue> {
    try {
      return await this.calls.getSecretValue(
        region,
        {
          SecretId: ref.secretId,
          ...(ref.versionStage === undefined ? {} : { VersionStage: ref.versionStage }),
          ...(ref.versionId === undefined ? {} : { VersionId: ref.versionId }),
        },
        deadline,
      );
    } catch (error) {
      throw errorFromSdk(error, this.call("GetSecretValue", ref, region));
    }
  }

  /** Runs one operation, retried until the deadline unless `once`, with one warning per outage of a region. */
  private attempt<T>(region: string, options: ReadOptions, operation: () => Promise<T>): Promise<T> {
    let retries = this.retries.get(region);
    if (!retries) this.retries.set(region, (retries = new StoreRetries(this.describeStore(region), this.logger)));
    return retries.run(operation, options);
  }

  /** The region's endpoint as wait messages name it: the override in use, else the SDK's default for the region. */
  private describeStore(region: string): StoreDescription {
    const endpoint = this.settings.endpoint;
    return {
      label: "AWS Secrets Manager",
      subject: `AWS Secrets Manager in ${region}${endpoint ? ` at ${endpoint.value}` : ""}`,
      defaultAddressHint: endpoint ? undefined : "the region's default endpoint",
      fields: { region, address: endpoint?.value },
    };
  }

  /** The region a reference is read in: its own (`?region=`, the ARN's), else the configured one, else the SDK profile's. */
  private async regionOf(ref: AwsRef): Promise<string> {
    if (ref.region !== undefined) return ref.region;
    if (this.settings.defaultRegion) return this.settings.defaultRegion.value;
    const region = await this.calls.regionFromProfile();
    if (region === undefined) throw missingRegion(ref.secretId);
    return region;
  }

  private call(action: "GetSecretValue" | "DescribeSecret", ref: AwsRef, region: string) {
    return { action, secretId: ref.secretId, region, endpoint: this.settings.endpoint?.value };
  }
}

function asAwsRef(ref: SecretRef): AwsRef {
  if (ref.provider !== "aws") throw new TypeError("AwsProvider got a non-AWS reference");
  return ref;
}
