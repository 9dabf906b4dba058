/** RestoreSecret: cancels a scheduled deletion (a secret not scheduled is left as it is). */
import type { Operation } from "./context.js";
import { findSecret } from "./secret-value.js";
import { SECRET_ID, stringMember } from "./validate.js";

export const restoreSecret: Operation = (ctx, input) => {
  const secret = findSecret(ctx, stringMember(input, "SecretId", SECRET_ID)!, true);
  secret.deletion = undefined;
  return { ARN: secret.arn, Name: secret.name };
};
