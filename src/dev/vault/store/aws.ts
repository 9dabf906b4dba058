/**
 * State of the AWS auth method: per mount, the client configuration and the roles; per double,
 * the AWS identities the double's stand-in STS knows (access key id → secret, session token,
 * ARN), seeded through the control surface and shared by every mount and namespace, as one AWS
 * is behind every Vault mount.
 */
import type { TokenParams } from "./token-params.js";

export interface AwsClientConfig {
  iamServerIdHeaderValue: string;
  stsEndpoint: string;
  stsRegion: string;
  /** Accepted and stored, never used: the double is its own STS. */
  accessKey: string;
}

/** A role: its binds plus the token_* fields (tokenutil, as the aws plugin embeds it). */
export interface AwsRole extends TokenParams {
  name: string;
  roleId: string;
  authType: "iam" | "ec2";
  boundIamPrincipalArns: string[];
  resolveAwsUniqueIds: boolean;
  entityId: string;
}

/** One mount's configuration and roles. */
export class AwsAuthStore {
  config: AwsClientConfig | null = null;
  /** config/identity `iam_metadata`: the fields copied into token metadata (Vault's default set). */
  iamMetadata: string[] = ["account_id", "auth_type"];
  readonly roles = new Map<string, AwsRole>();
}

/** A principal STS answers GetCallerIdentity for. */
export interface AwsIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  arn: string;
  account: string;
  /** GetCallerIdentity's UserId: "AIDA…" for users, "AROA…:<session>" for assumed roles. */
  userId: string;
}

// Keyed by the double's DoubleState; typed `object` so that this store need not import the state
// that holds it (state.ts → store/mounts.ts → here).
const identities = new WeakMap<object, Map<string, AwsIdentity>>();

/** The double's AWS identities by access key id. */
export function awsIdentities(state: object): Map<string, AwsIdentity> {
  let map = identities.get(state);
  if (!map) {
    map = new Map();
    identities.set(state, map);
  }
  return map;
}
