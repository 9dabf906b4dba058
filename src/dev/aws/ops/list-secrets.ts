/**
 * ListSecrets: the metadata of the secrets matching Filters (the same filters as
 * BatchGetSecretValue), never a value, sorted by name (`SortOrder` "desc" reverses), paged by
 * MaxResults (1–100, default 100) and NextToken. Secrets scheduled for deletion are left out
 * unless `IncludePlannedDeletion` is true. Each entry: ARN, Name, Description?, KmsKeyId?,
 * LastChangedDate, LastAccessedDate?, DeletedDate?, Tags?, SecretVersionsToStages, CreatedDate.
 */
import { secretMetadata } from "./describe-secret.js";
import { invalidParameter } from "../wire/errors.js";
import type { Operation } from "./context.js";
import { page } from "./pagination.js";
import { filtersFrom, matchesFilters } from "./secret-filters.js";
import { booleanMember, integerMember, stringMember } from "./validate.js";

export const listSecrets: Operation = (ctx, input) => {
  const filters = filtersFrom(input) ?? [];
  const maxResults = integerMember(input, "MaxResults", 1, 100);
  const token = stringMember(input, "NextToken", { min: 1, max: 4096 });
  const includePlanned = booleanMember(input, "IncludePlannedDeletion") ?? false;
  const order = stringMember(input, "SortOrder");
  if (order !== undefined && order !== "asc" && order !== "desc") throw invalidParameter("Invalid SortOrder. Valid values: asc, desc.");
  const matching = ctx.store
    .all()
    .filter((s) => (includePlanned || s.deletion === undefined) && matchesFilters(s, filters, ctx.region))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (order === "desc") matching.reverse();
  const { items, next } = page(matching, token, maxResults ?? 100);
  const SecretList = items.map((secret) => secretMetadata(secret, "SecretVersionsToStages"));
  return { SecretList, ...(next !== undefined ? { NextToken: next } : {}) };
};
