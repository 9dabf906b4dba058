/**
 * Vault's sdk/helper/tokenutil for plugin roles (kubernetes, jwt, aws, cert): the token_* fields with
 * ParseTokenFields' checks and messages, the deprecated policies/ttl/max_ttl/period/num_uses/
 * bound_cidrs upgraded the way tokenutil.UpgradeValue does, and PopulateTokenData for reads.
 */
import type { DoubleState, Namespace } from "../state.js";
import { goDurationString } from "../time/duration.js";
import { durationField, has, intField, stringField, stringListField, boolField } from "../wire/fields.js";
import { errorReply, ok, type Reply } from "../wire/reply.js";
import { authBlock, issueToken, sanitizePolicies } from "./issue.js";
import type { TokenParams } from "../store/token-params.js";

export function emptyTokenParams(): TokenParams {
  return {
    tokenPolicies: [],
    tokenTtl: 0,
    tokenMaxTtl: 0,
    tokenExplicitMaxTtl: 0,
    tokenPeriod: 0,
    tokenNumUses: 0,
    tokenNoDefaultPolicy: false,
    tokenType: "default",
    tokenBoundCidrs: [],
    legacy: { policies: [], ttl: 0, maxTtl: 0, period: 0, numUses: 0, boundCidrs: [] },
  };
}

type Data = Record<string, unknown>;

/** TokenParams.ParseTokenFields: applies the token_* fields present; returns its error text or null. */
export function parseTokenFields(t: TokenParams, d: Data): string | null {
  if (has(d, "token_bound_cidrs")) t.tokenBoundCidrs = stringListField(d, "token_bound_cidrs") ?? [];
  if (has(d, "token_explicit_max_ttl")) t.tokenExplicitMaxTtl = durationField(d, "token_explicit_max_ttl");
  if (has(d, "token_max_ttl")) t.tokenMaxTtl = durationField(d, "token_max_ttl");
  if (t.tokenMaxTtl < 0) return "'token_max_ttl' cannot be negative";
  if (has(d, "token_no_default_policy")) t.tokenNoDefaultPolicy = boolField(d, "token_no_default_policy", false);
  if (has(d, "token_period")) t.tokenPeriod = durationField(d, "token_period");
  if (t.tokenPeriod < 0) return "'token_period' cannot be negative";
  if (has(d, "token_policies")) t.tokenPolicies = stringListField(d, "token_policies") ?? [];
  if (has(d, "token_type")) {
    const type = stringField(d, "token_type");
    if (type === "" || type === "default") t.tokenType = "default";
    else if (type === "service" || type === "batch") t.tokenType = type;
    else return `invalid 'token_type' value "${type}"`;
  }
  if (t.tokenType === "batch") {
    if (t.tokenPeriod !== 0) return "'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens";
    if (t.tokenNumUses !== 0) return "'token_type' cannot be 'batch' or 'default_batch' when set to generate tokens with limited use count";
  }
  if (has(d, "token_ttl")) t.tokenTtl = durationField(d, "token_ttl");
  if (t.tokenTtl < 0) return "'token_ttl' cannot be negative";
  if (t.tokenTtl > 0 && t.tokenMaxTtl > 0 && t.tokenTtl > t.tokenMaxTtl) return "'token_ttl' cannot be greater than 'token_max_ttl'";
  if (has(d, "token_num_uses")) t.tokenNumUses = intField(d, "token_num_uses");
  if (t.tokenNumUses < 0) return "'token_num_uses' cannot be negative";
  return null;
}

/** The deprecated names tokenutil.UpgradeValue knows; a plugin upgrades the ones it ever accepted. */
export type LegacyTokenField = "policies" | "bound_cidrs" | "num_uses" | "ttl" | "max_ttl" | "period";
const ALL_LEGACY_FIELDS: readonly LegacyTokenField[] = ["policies", "bound_cidrs", "num_uses", "ttl", "max_ttl", "period"];

/**
 * tokenutil.UpgradeValue for every deprecated field (or only `fields`, for a plugin that never had
 * the others): the old name alone sets both; the new name clears the old one (or copies into it
 * when both are given).
 */
export function upgradeLegacyFields(t: TokenParams, d: Data, fields: readonly LegacyTokenField[] = ALL_LEGACY_FIELDS): void {
  const upgrade = <K extends keyof TokenParams["legacy"]>(
    oldKey: LegacyTokenField,
    newKey: string,
    key: K,
    read: () => TokenParams["legacy"][K],
    set: (v: TokenParams["legacy"][K]) => void,
    current: () => TokenParams["legacy"][K],
    zero: TokenParams["legacy"][K],
  ) => {
    if (!fields.includes(oldKey)) return;
    if (!has(d, newKey)) {
      if (has(d, oldKey)) {
        const value = read();
        t.legacy[key] = value;
        set(value);
      }
    } else t.legacy[key] = has(d, oldKey) ? current() : zero;
  };
  upgrade(
    "policies",
    "token_policies",
    "policies",
    () => sanitizePolicies(stringListField(d, "policies") ?? [], false),
    (v) => (t.tokenPolicies = v),
    () => t.tokenPolicies,
    [],
  );
  upgrade(
    "bound_cidrs",
    "token_bound_cidrs",
    "boundCidrs",
    () => stringListField(d, "bound_cidrs") ?? [],
    (v) => (t.tokenBoundCidrs = v),
    () => t.tokenBoundCidrs,
    [],
  );
  upgrade(
    "num_uses",
    "token_num_uses",
    "numUses",
    () => intField(d, "num_uses"),
    (v) => (t.tokenNumUses = v),
    () => t.tokenNumUses,
    0,
  );
  upgrade(
    "ttl",
    "token_ttl",
    "ttl",
    () => durationField(d, "ttl"),
    (v) => (t.tokenTtl = v),
    () => t.tokenTtl,
    0,
  );
  upgrade(
    "max_ttl",
    "token_max_ttl",
    "maxTtl",
    () => durationField(d, "max_ttl"),
    (v) => (t.tokenMaxTtl = v),
    () => t.tokenMaxTtl,
    0,
  );
  upgrade(
    "period",
    "token_period",
    "period",
    () => durationField(d, "period"),
    (v) => (t.tokenPeriod = v),
    () => t.tokenPeriod,
    0,
  );
}

/** PopulateTokenData plus the deprecated names a plugin's role read adds when they were used. */
export function tokenData(t: TokenParams): Record<string, unknown> {
  const m: Record<string, unknown> = {
    token_bound_cidrs: t.tokenBoundCidrs,
    token_explicit_max_ttl: t.tokenExplicitMaxTtl,
    token_max_ttl: t.tokenMaxTtl,
    token_no_default_policy: t.tokenNoDefaultPolicy,
    token_num_uses: t.tokenNumUses,
    token_period: t.tokenPeriod,
    token_policies: t.tokenPolicies,
    token_ttl: t.tokenTtl,
    token_type: t.tokenType,
  };
  if (t.legacy.policies.length > 0) m.policies = t.tokenPolicies;
  if (t.legacy.boundCidrs.length > 0) m.bound_cidrs = t.tokenBoundCidrs;
  if (t.legacy.ttl > 0) m.ttl = t.legacy.ttl;
  if (t.legacy.maxTtl > 0) m.max_ttl = t.legacy.maxTtl;
  if (t.legacy.period > 0) m.period = t.legacy.period;
  if (t.legacy.numUses > 0) m.num_uses = t.legacy.numUses;
  return m;
}

/** Go's %q of a time.Duration's String(), as the plugins' period error prints it. */
export function quotedDuration(seconds: number): string {
  return `"${goDurationString(seconds)}"`;
}

export interface PluginLogin {
  ns: Namespace;
  /** The auth mount's path ("auth/kubernetes/"). */
  mountPath: string;
  params: TokenParams;
  /** logical.Auth.DisplayName before core prefixes the mount ("default-app", "repo:org/x"). */
  displayName: string;
  meta: Record<string, string>;
  entityId: string;
}

/**
 * Core's handling of a plugin's login response: the display name prefixed with the mount
 * ("kubernetes-default-app"), CalculateTTL with the role's TTLs, SanitizePolicies, and the
 * login envelope (mount_type "" — the request was unauthenticated).
 */
export function issueLoginToken(state: DoubleState, login: PluginLogin, nowMs: number): Reply {
  const source = login.mountPath.slice("auth/".length).replace(/\//g, "-");
  const displayName = `${source}${login.displayName}`.replace(/-$/, "");
  const p = login.params;
  const policies = sanitizePolicies(p.tokenPolicies, !p.tokenNoDefaultPolicy);
  if (policies.includes("root")) return errorReply(400, "auth methods cannot create root tokens");
  const reserved = policies.find((name) => name === "response-wrapping" || name === "control-group");
  if (reserved) return errorReply(400, `cannot assign policy "${reserved}"`);
  const result = issueToken(
    state,
    {
      ns: login.ns,
      policies,
      meta: login.meta,
      displayName,
      path: `${login.mountPath}login`,
      parent: null,
      renewable: true,
      ttl: 0,
      explicitMaxTtl: p.tokenExplicitMaxTtl,
      period: p.tokenPeriod,
      numUses: p.tokenNumUses,
      backendTtl: p.tokenTtl,
      backendMaxTtl: p.tokenMaxTtl,
      entityId: login.entityId,
    },
    nowMs,
  );
  if (!result.ok) return result.reply;
  return ok({ auth: authBlock(result.entry, result.entry.creationTtl), warnings: result.warnings, mountType: "" });
}
