/** Certificate roles ("certs/<name>") of one cert auth mount. */
import type { TokenParams } from "./token-params.js";

/** A role: its certificate and name constraints plus the token_* fields (tokenutil, as the cert plugin embeds it). */
export interface CertRole extends TokenParams {
  name: string;
  /** The PEM as written: one CA (or a chain), or a single non-CA (leaf) certificate. */
  certificate: string;
  displayName: string;
  allowedNames: string[];
  allowedCommonNames: string[];
  allowedDnsSans: string[];
  allowedEmailSans: string[];
  allowedOrganizationalUnits: string[];
  entityId: string;
}

/** One mount's roles by name. */
export class CertAuthStore {
  readonly roles = new Map<string, CertRole>();
}
