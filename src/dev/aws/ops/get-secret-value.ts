/**
 * GetSecretValue: the version named by VersionId and/or VersionStage (both must agree), else the
 * AWSCURRENT one. Records the read (to the day) as LastAccessedDate.
 */
import { CURRENT } from "../store/secret.js";
import { invalidRequest, stageNotFound, versionNotFound } from "../wire/errors.js";
import type { Operation } from "./context.js";
import { findSecret, valueView } from "./secret-value.js";
import { SECRET_ID, stringMember, VERSION_ID, VERSION_STAGE } from "./validate.js";

export const getSecretValue: Operation = (ctx, input) => {
  const secretId = stringMember(input, "SecretId", SECRET_ID)!;
  const wantedId = stringMember(input, "VersionId", VERSION_ID);
  const wantedStage = stringMember(input, "VersionStage", VERSION_STAGE);
  const secret = findSecret(ctx, secretId);

  let version;
  if (wantedId !== undefined) {
    version = secret.version(wantedId);
    if (!version) throw versionNotFound(wantedId);
    if (wantedStage !== undefined && !version.stages.includes(wantedStage)) {
      throw invalidRequest("You provided a VersionStage that is not associated to the provided VersionId.");
    }
  } else {
    const stage = wantedStage ?? CURRENT;
    version = secret.withStage(stage);
    if (!version) throw stageNotFound(stage);
  }
  secret.touch(version, ctx.nowMs);
  return valueView(secret, version);
};
