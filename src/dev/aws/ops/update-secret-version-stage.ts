/**
 * UpdateSecretVersionStage: moves a staging label to MoveToVersionId and/or removes it from
 * RemoveFromVersionId. A label already on another version can only move when that version is
 * named in RemoveFromVersionId; AWSCURRENT can move but never be removed outright; moving
 * AWSCURRENT re-labels its old holder AWSPREVIOUS.
 */
import { CURRENT } from "../store/secret.js";
import { invalidParameter } from "../wire/errors.js";
import type { Operation } from "./context.js";
import { findSecret } from "./secret-value.js";
import { SECRET_ID, stringMember, VERSION_ID } from "./validate.js";

export const updateSecretVersionStage: Operation = (ctx, input) => {
  const secretId = stringMember(input, "SecretId", SECRET_ID)!;
  const stage = stringMember(input, "VersionStage", { required: true, min: 1, max: 256 })!;
  const removeFrom = stringMember(input, "RemoveFromVersionId", VERSION_ID);
  const moveTo = stringMember(input, "MoveToVersionId", VERSION_ID);
  const secret = findSecret(ctx, secretId);

  if (moveTo !== undefined && !secret.version(moveTo)) throw invalidParameter(`The version ${moveTo} doesn't exist in the secret.`);
  if (removeFrom !== undefined && !secret.version(removeFrom)) throw invalidParameter(`The version ${removeFrom} doesn't exist in the secret.`);
  const holder = secret.withStage(stage);
  if (removeFrom !== undefined && holder?.id !== removeFrom) {
    throw invalidParameter(`The staging label ${stage} isn't attached to the version ${removeFrom}, so you can't remove it.`);
  }
  if (moveTo === undefined) {
    if (removeFrom === undefined) throw invalidParameter("You must specify MoveToVersionId, RemoveFromVersionId, or both.");
    if (stage === CURRENT) throw invalidParameter("You can only move staging label AWSCURRENT to a different secret version. It can’t be completely removed.");
    secret.removeStage(stage, removeFrom);
  } else if (holder && holder.id !== moveTo && removeFrom === undefined) {
    throw invalidParameter(
      `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder.id}, so you must explicitly reference that version in RemoveFromVersionId.`,
    );
  } else {
    secret.moveStage(stage, moveTo);
  }
  secret.lastChangedMs = ctx.nowMs;
  return { ARN: secret.arn, Name: secret.name };
};
