/**
 * A secret value as Secrets Manager returns it (GetSecretValue, or one entry of
 * BatchGetSecretValue) turned into envject's SecretDocument: SecretString as a string document,
 * SecretBinary as base64 text, the VersionId as version and — unless the reference pins a
 * version id — as the stamp the watcher compares.
 */
import { NotFoundError } from "../../errors.js";
import type { AwsRef } from "../../config/reference.js";
import type { SecretDocument } from "../provider.js";

/** The fields envject reads from a GetSecretValue answer or a BatchGetSecretValue entry. */
export interface SecretValue {
  ARN?: string;
  Name?: string;
  VersionId?: string;
  SecretString?: string;
  SecretBinary?: Uint8Array | string;
  VersionStages?: string[];
}

/** The stage a reference reads: its own, AWSCURRENT when it names neither stage nor version id. */
export function wantedStage(ref: AwsRef): string | undefined {
  return ref.versionStage ?? (ref.versionId === undefined ? "AWSCURRENT" : undefined);
}

/** "secretsmanager us-east-1 prod/api (AWSCURRENT)": where a document was read, for logs and `check`. */
export function describeSource(ref: AwsRef, region: string, name?: string): string {
  const selectors = [ref.versionId === undefined ? undefined : `version ${ref.versionId}`, wantedStage(ref)].filter(Boolean);
  return `secretsmanager ${region} ${name ?? ref.secretId} (${selectors.join(", ")})`;
}

/** The document for `value`; NotFoundError when it carries neither SecretString nor SecretBinary. */
export function secretDocument(value: SecretValue, ref: AwsRef, region: string): SecretDocument {
  const source = describeSource(ref, region, value.Name);
  const version = typeof value.VersionId === "string" && value.VersionId !== "" ? value.VersionId : undefined;
  const stamp = ref.versionId === undefined ? version : undefined;
  const common = { source, ...(version === undefined ? {} : { version }), ...(stamp === undefined ? {} : { stamp }) };
  if (typeof value.SecretString === "string") return { kind: "string", data: value.SecretString, ...common };
  if (value.SecretBinary instanceof Uint8Array) return { kind: "binary", data: Buffer.from(value.SecretBinary).toString("base64"), ...common };
  // Already base64 (a raw JSON answer, not one the SDK decoded).
  if (typeof value.SecretBinary === "string") return { kind: "binary", data: value.SecretBinary, ...common };
  throw new NotFoundError(`AWS Secrets Manager returned no value (neither SecretString nor SecretBinary) for ${source}`);
}
