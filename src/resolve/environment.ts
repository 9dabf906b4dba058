/**
 * The child's environment (docs/contract/environment.md#order): envject's own environment (unless --pristine), then
 * each --env-file, then the mapping file — later wins. envject's credentials never reach the child
 * unless set explicitly by a mapping/.env or allowed with --pass-credentials.
 */
import { assertNoNul } from "../config/names.js";

/** Credentials envject itself uses; removed from what the child inherits. */
export const CREDENTIAL_VARIABLES = ["VAULT_TOKEN", "VAULT_SECRET_ID", "VAULT_ROLE_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID"] as const;

/** What a --pristine child still inherits. */
export const PRISTINE_VARIABLES = ["PATH", "HOME", "USER", "LANG", "TZ", "TERM"] as const;

export interface EnvironmentOptions {
  /** envject's own environment. */
  parent: NodeJS.ProcessEnv;
  pristine: boolean;
  passCredentials: boolean;
  /** More of envject's credentials to withhold (variables the mapping's `${NAME}` auth settings read). */
  credentialVariables?: readonly string[];
}

export interface EnvironmentEntry {
  name: string;
  value: string;
}

/** Builds the complete environment of the child; throws ConfigError for a value containing NUL. */
export function buildChildEnvironment(entries: readonly EnvironmentEntry[], options: EnvironmentOptions): Record<string, string> {
  // No prototype: a variable named __proto__ is a variable like any other, not a prototype.
  const env = Object.create(null) as Record<string, string>;
  const credentials = new Set<string>([...CREDENTIAL_VARIABLES, ...(options.credentialVariables ?? [])]);
  const keep = new Set<string>(PRISTINE_VARIABLES);
  for (const [name, value] of Object.entries(options.parent)) {
    if (value === undefined) continue;
    if (options.pristine && !keep.has(name)) continue;
    if (!options.passCredentials && credentials.has(name)) continue;
    env[name] = value;
  }
  for (const { name, value } of entries) {
    assertNoNul(value, name);
    env[name] = value;
  }
  return env;
}
