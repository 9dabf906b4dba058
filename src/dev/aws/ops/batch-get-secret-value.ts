/**
 * BatchGetSecretValue: the AWSCURRENT values of up to 20 secrets named in SecretIdList, or of the
 * secrets matching Filters (paged by MaxResults, default 20, and NextToken). A secret that cannot
 * be read — not found, scheduled for deletion, no current value, GetSecretValue denied — is an
 * entry in `Errors` while the call itself answers 200.
 */
import { CURRENT, type Secret } from "../store/secret.js";
import { AwsError, invalidParameter, markedForDeletion, notFound, stageNotFound } from "../wire/errors.js";
import { accessDenied } from "../access.js";
import type { OpContext, Operation } from "./context.js";
import { page } from "./pagination.js";
import { valueView } from "./secret-value.js";
import { filtersFrom, matchesFilters } from "./secret-filters.js";
import { integerMember, stringListMember, stringMember } from "./validate.js";

export const batchGetSecretValue: Operation = (ctx, input) => {
  const ids = stringListMember(input, "SecretIdList", 1, 20, 2048);
  const filters = filtersFrom(input);
  const maxResults = integerMember(input, "MaxResults", 1, 20);
  const token = stringMember(input, "NextToken", { min: 1, max: 4096 });
  if ((ids === undefined) === (filters === undefined)) throw invalidParameter("Either 'SecretIdList' or 'Filters' must be provided, but not both.");
  if (ids !== undefined && maxResults !== undefined) throw invalidParameter("'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided.");

  const values: Record<string, unknown>[] = [];
  const errors: Record<string, unknown>[] = [];
  const read = (rawId: string, secret: Secret | undefined) => {
    const outcome = readOne(ctx, rawId, secret);
    if (outcome instanceof AwsError) errors.push({ SecretId: rawId, ErrorCode: outcome.type, Message: outcome.message });
    else values.push(outcome);
  };

  if (ids !== undefined) {
    for (const id of ids) read(id, ctx.store.resolve(id));
    return { SecretValues: values, Errors: errors };
  }
  const matching = ctx.store.all().filter((s) => s.deletion === undefined && matchesFilters(s, filters!, ctx.region));
  const { items, next } = page(matching, token, maxResults ?? 20);
  for (const secret of items) read(secret.name, secret);
  return { SecretValues: values, Errors: errors, ...(next !== undefined ? { NextToken: next } : {}) };
};

/** One secret's current value, or the error GetSecretValue would have answered for it. */
function readOne(ctx: OpContext, rawId: string, secret: Secret | undefined): Record<string, unknown> | AwsError {
  if (ctx.denied("GetSecretValue", secret, rawId)) return accessDenied(ctx.accountId, "GetSecretValue", secret?.arn ?? rawId);
  if (!secret) return notFound();
  if (secret.deletion) return markedForDeletion();
  const version = secret.withStage(CURRENT);
  if (!version) return stageNotFound(CURRENT);
  secret.touch(version, ctx.nowMs);
  return valueView(secret, version);
}
