/**
 * DeleteSecret: schedules deletion after a recovery window (7..30 days, default 30), during which
 * reads fail with InvalidRequestException and RestoreSecret undoes it; ForceDeleteWithoutRecovery
 * removes the secret at once (afterwards it is simply not found).
 */
import { invalidParameter, markedForDeletion } from "../wire/errors.js";
import { epochSeconds } from "../wire/time.js";
import type { Operation } from "./context.js";
import { findSecret } from "./secret-value.js";
import { booleanMember, integerMember, SECRET_ID, stringMember } from "./validate.js";

const DAY_MS = 86_400_000;

export const deleteSecret: Operation = (ctx, input) => {
  const secretId = stringMember(input, "SecretId", SECRET_ID)!;
  const windowDays = integerMember(input, "RecoveryWindowInDays", Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const force = booleanMember(input, "ForceDeleteWithoutRecovery") ?? false;
  if (force && windowDays !== undefined) throw invalidParameter("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
  if (windowDays !== undefined && (windowDays < 7 || windowDays > 30)) {
    throw invalidParameter("The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).");
  }
  const secret = findSecret(ctx, secretId, true);
  if (force) {
    ctx.store.remove(secret);
    return { ARN: secret.arn, Name: secret.name, DeletionDate: epochSeconds(ctx.nowMs) };
  }
  if (secret.deletion) throw markedForDeletion();
  secret.deletion = { deletedMs: ctx.nowMs, deletionDateMs: ctx.nowMs + (windowDays ?? 30) * DAY_MS };
  return { ARN: secret.arn, Name: secret.name, DeletionDate: epochSeconds(secret.deletion.deletionDateMs) };
};
