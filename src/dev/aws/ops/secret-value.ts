/**
 * Shared pieces of the value operations: finding the addressed secret (with the deleted-secret
 * rule), reading SecretString / SecretBinary from an input, and the GetSecretValue-shaped view
 * of a version that GetSecretValue and BatchGetSecretValue both answer.
 */
import { type Secret, type SecretValue, type SecretVersion } from "../store/secret.js";
import { invalidParameter, invalidRequest, markedForDeletion, notFound } from "../wire/errors.js";
import { epochSeconds } from "../wire/time.js";
import type { OpContext } from "./context.js";
import { stringMember } from "./validate.js";

/** The secret `secretId` names in the caller's region; a secret scheduled for deletion fails unless `allowDeleted`. */
export function findSecret(ctx: OpContext, secretId: string, allowDeleted = false): Secret {
  const secret = ctx.store.resolve(secretId);
  if (!secret) throw notFound();
  if (secret.deletion && !allowDeleted) throw markedForDeletion();
  return secret;
}

/** SecretString or SecretBinary (base64) from the input; undefined when neither is present. */
export function valueFromInput(input: Record<string, unknown>): SecretValue | undefined {
  const text = stringMember(input, "SecretString", { min: 1, max: 65536, sensitive: true });
  const binary = stringMember(input, "SecretBinary", { sensitive: true });
  if (text !== undefined && binary !== undefined) {
    throw invalidParameter("You can't specify both a binary secret value and a string secret value in the same secret.");
  }
  if (text !== undefined) return { kind: "string", text };
  if (binary === undefined) return undefined;
  // Blobs travel as base64; a body that is not base64 is a client bug worth failing on.
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(binary) || binary.length % 4 !== 0) throw invalidRequest("SecretBinary is not valid base64.");
  const bytes = Buffer.from(binary, "base64").length;
  if (bytes < 1 || bytes > 65536) throw invalidParameter("SecretBinary must be between 1 and 65536 bytes.");
  return { kind: "binary", base64: binary };
}

/** True when two values are the same (idempotent retries with the same ClientRequestToken). */
export function sameValue(a: SecretValue, b: SecretValue): boolean {
  return a.kind === b.kind && (a.kind === "string" ? a.text === (b as { text: string }).text : a.base64 === (b as { base64: string }).base64);
}

/** The answer of GetSecretValue for one version, in the service's member order. */
export function valueView(secret: Secret, version: SecretVersion): Record<string, unknown> {
  return {
    ARN: secret.arn,
    Name: secret.name,
    VersionId: version.id,
    ...(version.value.kind === "string" ? { SecretString: version.value.text } : { SecretBinary: version.value.base64 }),
    VersionStages: [...version.stages],
    CreatedDate: epochSeconds(version.createdMs),
  };
}
