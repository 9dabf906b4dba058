/**
 * Listing an `expand:` folder in Secrets Manager (docs/contract/mapping.md#expand-folders): `aws-sm://PREFIX/` names the
 * secrets whose names start with PREFIX/ and have no further `/` (directly under it, as a Vault
 * folder). Read with its values by BatchGetSecretValue with `Filters: [{Key: "name", Values:
 * [PREFIX/]}]`, every NextToken page; when that is denied, ListSecrets with the same filter gives
 * the names and each secret is read on its own. The watcher polls the names with ListSecrets
 * (metadata only), or the filtered batch when ListSecrets is denied.
 */
import type { Logger } from "../../log/logger.js";
import { type SecretDocument, folderStamp } from "../provider.js";
import type { SecretsManagerCalls } from "./client.js";
import type { SecretValue } from "./document.js";
import { awsErrorCode, errorFromSdk } from "./errors.js";

/** The name relative to the folder, when `name` is directly under `prefix` (the filter is a prefix match, and may match more). */
export function memberName(prefix: string, name: string | undefined): string | undefined {
  if (name === undefined || !name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return rest === "" || rest.includes("/") ? undefined : rest;
}

/** What a folder read found: the names directly under it, and the values that came with them. */
export interface FolderListing {
  names: string[];
  values: Map<string, SecretValue>;
}

export class AwsFolders {
  private batchDenied = false;
  private listDenied = false;

  constructor(
    private readonly calls: Pick<SecretsManagerCalls, "batchGetByNamePrefix" | "listByNamePrefix">,
    private readonly logger: Logger,
    private readonly endpoint?: string,
  ) {}

  /** The folder with its values (BatchGetSecretValue), or its names alone where that is denied (ListSecrets). */
  async read(region: string, prefix: string, deadline: number): Promise<FolderListing> {
    if (!this.batchDenied) {
      try {
        return await this.batch(region, prefix, deadline);
      } catch (error) {
        if (awsErrorCode(error) !== "AccessDeniedException") throw errorFromSdk(error, this.call("BatchGetSecretValue", prefix, region));
        this.batchDenied = true;
        this.logger.debug("BatchGetSecretValue is denied; listing folders with ListSecrets and reading each secret", { region, reference: `aws-sm://${prefix}` });
      }
    }
    return { names: await this.list(region, prefix, deadline), values: new Map() };
  }

  /** The names directly under the folder, for polling: ListSecrets, or the filtered batch where that is denied. */
  async names(region: string, prefix: string, deadline: number): Promise<string[]> {
    if (!this.listDenied) {
      try {
        return await this.listOnly(region, prefix, deadline);
      } catch (error) {
        if (awsErrorCode(error) !== "AccessDeniedException" || this.batchDenied) throw errorFromSdk(error, this.call("ListSecrets", prefix, region));
        this.listDenied = true;
        this.logger.debug("ListSecrets is denied; polling folders with BatchGetSecretValue", { region, reference: `aws-sm://${prefix}` });
      }
    }
    return (await this.read(region, prefix, deadline)).names;
  }

  private async batch(region: string, prefix: string, deadline: number): Promise<FolderListing> {
    const values = new Map<string, SecretValue>();
    const names = new Set<string>();
    let token: string | undefined;
    do {
      const page = await this.calls.batchGetByNamePrefix(region, prefix, token, deadline);
      for (const value of page.SecretValues ?? []) {
        const name = memberName(prefix, value.Name);
        if (name === undefined) continue;
        names.add(name);
        values.set(name, value);
      }
      // A secret that matched but could not be read is still in the folder: read on its own, it fails with its own error.
      for (const item of page.Errors ?? []) {
        const name = memberName(prefix, item.SecretId);
        if (name !== undefined) names.add(name);
      }
      token = page.NextToken;
    } while (token);
    return { names: [...names].sort(), values };
  }

  private async list(region: string, prefix: string, deadline: number): Promise<string[]> {
    try {
      return await this.listOnly(region, prefix, deadline);
    } catch (error) {
      throw errorFromSdk(error, this.call("ListSecrets", prefix, region));
    }
  }

  private async listOnly(region: string, prefix: string, deadline: number): Promise<string[]> {
    const names = new Set<string>();
    let token: string | undefined;
    do {
      const page = await this.calls.listByNamePrefix(region, prefix, token, deadline);
      for (const entry of page.SecretList ?? []) {
        const name = memberName(prefix, entry.Name);
        if (name !== undefined) names.add(name);
      }
      token = page.NextToken;
    } while (token);
    return [...names].sort();
  }

  private call(action: "BatchGetSecretValue" | "ListSecrets", prefix: string, region: string) {
    return { action, secretId: prefix, region, endpoint: this.endpoint };
  }
}

/** The folder document of a listing (members' documents made by `toDoc`). */
export function folderDocument(listing: FolderListing, source: string, toDoc: (name: string, value: SecretValue) => SecretDocument): SecretDocument {
  const members = new Map([...listing.values].map(([name, value]) => [name, toDoc(name, value)]));
  return { kind: "map", data: {}, names: listing.names, members, source, stamp: folderStamp(listing.names) };
}
