/**
 * ListSecretVersionIds: the versions in creation order; versions without a staging label are
 * left out unless IncludeDeprecated. Pages by MaxResults (default 100) and NextToken.
 */
import { epochSeconds } from "../wire/time.js";
import type { Operation } from "./context.js";
import { page } from "./pagination.js";
import { findSecret } from "./secret-value.js";
import { booleanMember, integerMember, SECRET_ID, stringMember } from "./validate.js";

export const listSecretVersionIds: Operation = (ctx, input) => {
  const secretId = stringMember(input, "SecretId", SECRET_ID)!;
  const maxResults = integerMember(input, "MaxResults", 1, 100) ?? 100;
  const token = stringMember(input, "NextToken", { min: 1, max: 4096 });
  const includeDeprecated = booleanMember(input, "IncludeDeprecated") ?? false;
  const secret = findSecret(ctx, secretId, true);
  const versions = secret.versions.filter((v) => includeDeprecated || v.stages.length > 0);
  const { items, next } = page(versions, token, maxResults);
  return {
    Versions: items.map((v) => ({
      VersionId: v.id,
      ...(v.stages.length > 0 ? { VersionStages: [...v.stages] } : {}),
      ...(v.lastAccessedMs !== undefined ? { LastAccessedDate: epochSeconds(v.lastAccessedMs) } : {}),
      CreatedDate: epochSeconds(v.createdMs),
    })),
    ...(next !== undefined ? { NextToken: next } : {}),
    ARN: secret.arn,
    Name: secret.name,
  };
};
