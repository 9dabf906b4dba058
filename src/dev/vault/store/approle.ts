/** Roles and SecretIDs of an AppRole auth mount. */
import type { TokenParams } from "./token-params.js";

/** The token_* fields AppRole keeps (seconds; 0 = the system default / max): the older subset of tokenutil's. */
type AppRoleTokenFields = Pick<TokenParams, "tokenPolicies" | "tokenTtl" | "tokenMaxTtl" | "tokenExplicitMaxTtl" | "tokenPeriod" | "tokenNumUses" | "tokenNoDefaultPolicy">;

export interface AppRole extends AppRoleTokenFields {
  name: string;
  roleId: string;
  secretIdNumUses: number;
  secretIdTtl: number;
  bindSecretId: boolean;
  /** One entity per role, as Vault's identity store would create on first login. */
  entityId: string;
}

export interface SecretId {
  secretId: string;
  accessor: string;
  role: string;
  /** Uses left when limited; 0 = unlimited. */
  usesLeft: number;
  expireMs: number | null;
  createdMs: number;
}

/** The state of one AppRole mount: roles by name, SecretIDs by value. */
export class AppRoleStore {
  readonly roles = new Map<string, AppRole>();
  readonly secretIds = new Map<string, SecretId>();

  roleById(roleId: string): AppRole | undefined {
    for (const role of this.roles.values()) if (role.roleId === roleId) return role;
    return undefined;
  }
}
