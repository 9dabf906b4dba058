/** The operations the double serves, by X-Amz-Target name, and which SecretIds a request names. */
import { batchGetSecretValue } from "./batch-get-secret-value.js";
import type { Operation } from "./context.js";
import { createSecret } from "./create-secret.js";
import { deleteSecret } from "./delete-secret.js";
import { describeSecret } from "./describe-secret.js";
import { getSecretValue } from "./get-secret-value.js";
import { listSecretVersionIds } from "./list-secret-version-ids.js";
import { listSecrets } from "./list-secrets.js";
import { putSecretValue } from "./put-secret-value.js";
import { restoreSecret } from "./restore-secret.js";
import { updateSecretVersionStage } from "./update-secret-version-stage.js";

export const OPERATIONS: Readonly<Record<string, Operation>> = {
  BatchGetSecretValue: batchGetSecretValue,
  CreateSecret: createSecret,
  DeleteSecret: deleteSecret,
  DescribeSecret: describeSecret,
  GetSecretValue: getSecretValue,
  ListSecretVersionIds: listSecretVersionIds,
  ListSecrets: listSecrets,
  PutSecretValue: putSecretValue,
  RestoreSecret: restoreSecret,
  UpdateSecretVersionStage: updateSecretVersionStage,
};

/** The secret ids a request names as sent: SecretId, CreateSecret's Name, or SecretIdList (strings only). */
export function secretIdsOf(action: string, input: Record<string, unknown>): string[] {
  if (action === "CreateSecret") return typeof input.Name === "string" ? [input.Name] : [];
  if (Array.isArray(input.SecretIdList)) return input.SecretIdList.filter((x): x is string => typeof x === "string");
  return typeof input.SecretId === "string" ? [input.SecretId] : [];
}
