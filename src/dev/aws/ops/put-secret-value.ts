/**
 * PutSecretValue: a new version. It takes the labels in VersionStages (default AWSCURRENT, whose
 * old holder becomes AWSPREVIOUS). A retry with the same ClientRequestToken and value is a no-op;
 * the same token with another value is refused, as a version is immutable.
 */
import { versionId } from "../store/ids.js";
import { CURRENT } from "../store/secret.js";
import { AwsError, invalidRequest } from "../wire/errors.js";
import type { Operation } from "./context.js";
import { findSecret, sameValue, valueFromInput } from "./secret-value.js";
import { SECRET_ID, stringListMember, stringMember, VERSION_ID } from "./validate.js";

export const putSecretValue: Operation = (ctx, input) => {
  const secretId = stringMember(input, "SecretId", SECRET_ID)!;
  const token = stringMember(input, "ClientRequestToken", VERSION_ID);
  const stages = stringListMember(input, "VersionStages", 1, 20, 256);
  const value = valueFromInput(input);
  const secret = findSecret(ctx, secretId);
  if (!value) throw invalidRequest("You must provide either SecretString or SecretBinary.");

  const id = token ?? versionId();
  const existing = secret.version(id);
  if (existing) {
    if (!sameValue(existing.value, value)) throw new AwsError("ResourceExistsException", "You can't modify an existing version, you can only create a new version.");
    return { ARN: secret.arn, Name: secret.name, VersionId: existing.id, VersionStages: [...existing.stages] };
  }
  secret.addVersion({ id, value, createdMs: ctx.nowMs, stages: [] }, stages ?? [CURRENT], ctx.nowMs);
  return { ARN: secret.arn, Name: secret.name, VersionId: id, VersionStages: [...secret.version(id)!.stages] };
};
