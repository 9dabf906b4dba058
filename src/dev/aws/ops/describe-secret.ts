/**
 * DescribeSecret: the secret's metadata, never its value. Only members with a value are sent
 * (no RotationEnabled on a secret never configured for rotation, no LastAccessedDate before the
 * first read, DeletedDate only while scheduled for deletion); it works on a scheduled secret too.
 */
import { epochSeconds } from "../wire/time.js";
import type { Operation } from "./context.js";
import { findSecret } from "./secret-value.js";
import { SECRET_ID, stringMember } from "./validate.js";
import type { Secret } from "../store/secret.js";

export const describeSecret: Operation = (ctx, input) => {
  const secret = findSecret(ctx, stringMember(input, "SecretId", SECRET_ID)!, true);
  return secretMetadata(secret, "VersionIdsToStages");
};

/**
 * A secret's metadata as DescribeSecret and ListSecrets send it, in their member order. The
 * version map is `VersionIdsToStages` in DescribeSecret (left out when no version has a stage)
 * and `SecretVersionsToStages` in ListSecrets (always sent).
 */
export function secretMetadata(secret: Secret, versions: "VersionIdsToStages" | "SecretVersionsToStages"): Record<string, unknown> {
  const labelled = secret.versions.filter((v) => v.stages.length > 0);
  const out: Record<string, unknown> = { ARN: secret.arn, Name: secret.name };
  if (secret.description !== undefined) out.Description = secret.description;
  if (secret.kmsKeyId !== undefined) out.KmsKeyId = secret.kmsKeyId;
  out.LastChangedDate = epochSeconds(secret.lastChangedMs);
  if (secret.lastAccessedMs !== undefined) out.LastAccessedDate = epochSeconds(secret.lastAccessedMs);
  if (secret.deletion) out.DeletedDate = epochSeconds(secret.deletion.deletedMs);
  if (secret.tags.length > 0) out.Tags = secret.tags.map((t) => ({ ...t }));
  if (labelled.length > 0 || versions === "SecretVersionsToStages") out[versions] = Object.fromEntries(labelled.map((v) => [v.id, [...v.stages]]));
  out.CreatedDate = epochSeconds(secret.createdMs);
  return out;
}
