/**
 * The token_* fields every plugin role (kubernetes, jwt, aws, cert) embeds, as Vault's
 * sdk/helper/tokenutil stores them. A type with no imports, so the role stores need not import
 * the auth code that parses these fields (auth/token-params.ts), which itself reads the state.
 */
export interface TokenParams {
  tokenPolicies: string[];
  /** Seconds. */
  tokenTtl: number;
  tokenMaxTtl: number;
  tokenExplicitMaxTtl: number;
  tokenPeriod: number;
  tokenNumUses: number;
  tokenNoDefaultPolicy: boolean;
  /** "default", "service" or "batch" (stored and read back; the double issues service tokens). */
  tokenType: string;
  /** Stored and read back, not enforced (the double does not see the client address). */
  tokenBoundCidrs: string[];
  /** The deprecated fields, kept as Vault keeps them (read shows them only when set through the old name). */
  legacy: { policies: string[]; ttl: number; maxTtl: number; period: number; numUses: number; boundCidrs: string[] };
}
