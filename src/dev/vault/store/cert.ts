/** Certificate roles ("certs/<name>") of one cert auth mount. */

export interface CertRole {
  name: string;
  /** The PEM as written: one CA (or a chain), or a single non-CA (leaf) certificate. */
  certificate: string;
  displayName: string;
  allowedNames: string[];
  allowedCommonNames: string[];
  allowedDnsSans: string[];
  allowedEmailSans: string[];
  allowedOrganizationalUnits: string[];
  tokenPolicies: string[];
  tokenTtl: number;
  tokenMaxTtl: number;
  tokenExplicitMaxTtl: number;
  tokenPeriod: number;
  tokenNumUses: number;
  tokenNoDefaultPolicy: boolean;
  entityId: string;
}

/** One mount's roles by name. */
export class CertAuthStore {
  readonly roles = new Map<string, CertRole>();
}
