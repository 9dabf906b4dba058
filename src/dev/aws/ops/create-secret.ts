/** CreateSecret: a new secret, with a first version labelled AWSCURRENT when a value is given. */
import { secretArn } from "../store/arn.js";
import { arnSuffix, versionId } from "../store/ids.js";
import { CURRENT, Secret, type Tag } from "../store/secret.js";
import { AwsError, invalidParameter, invalidRequest } from "../wire/errors.js";
import type { Operation } from "./context.js";
import { valueFromInput } from "./secret-value.js";
import { listMember, stringMember, VERSION_ID } from "./validate.js";

const NAME_CHARS = /^[A-Za-z0-9/_+=.@-]+$/;

export const createSecret: Operation = (ctx, input) => {
  const name = stringMember(input, "Name", { required: true, min: 1, max: 512 })!;
  const token = stringMember(input, "ClientRequestToken", VERSION_ID);
  const description = stringMember(input, "Description", { max: 2048 });
  const kmsKeyId = stringMember(input, "KmsKeyId", { max: 2048 });
  const tags = tagsFrom(listMember(input, "Tags", 0, 50));
  const value = valueFromInput(input);
  if (!NAME_CHARS.test(name)) throw invalidParameter("Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!");

  const existing = ctx.store.byExactName(name);
  if (existing?.deletion) throw invalidRequest("You can't create this secret because a secret with this name is already scheduled for deletion.");
  if (existing) throw new AwsError("ResourceExistsException", `The operation failed because the secret ${name} already exists.`);

  const secret = new Secret(name, secretArn(ctx.region, ctx.accountId, name, arnSuffix()), ctx.nowMs);
  secret.description = description;
  secret.kmsKeyId = kmsKeyId;
  secret.tags = tags;
  let id: string | undefined;
  if (value) {
    id = token ?? versionId();
    secret.addVersion({ id, value, createdMs: ctx.nowMs, stages: [] }, [CURRENT], ctx.nowMs);
  }
  ctx.store.add(secret);
  return { ARN: secret.arn, Name: secret.name, ...(id !== undefined ? { VersionId: id } : {}) };
};

function tagsFrom(list: unknown[] | undefined): Tag[] {
  return (list ?? []).map((t) => {
    const tag = t as { Key?: unknown; Value?: unknown } | null;
    if (tag === null || typeof tag !== "object" || typeof tag.Key !== "string") throw invalidParameter("Each tag needs a string Key.");
    return { Key: tag.Key, Value: typeof tag.Value === "string" ? tag.Value : "" };
  });
}
