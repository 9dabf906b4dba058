/** The state of one jwt (or oidc) auth mount: its config (with parsed jwt_validation_pubkeys) and roles. */
import type { KeyObject } from "node:crypto";
import type { TokenParams } from "./token-params.js";

export interface JwtConfig {
  /** Every field as written, for the read (Vault answers them all, empty ones included). */
  fields: {
    oidc_discovery_url: string;
    oidc_discovery_ca_pem: string;
    oidc_client_id: string;
    oidc_response_mode: string;
    oidc_response_types: string[];
    jwks_url: string;
    jwks_ca_pem: string;
    jwks_pairs: unknown[];
    default_role: string;
    jwt_validation_pubkeys: string[];
    jwt_supported_algs: string[];
    bound_issuer: string;
    provider_config: Record<string, unknown>;
    namespace_in_state: boolean;
    unsupported_critical_cert_extensions: string[];
  };
  publicKeys: KeyObject[];
}

export interface JwtRole extends TokenParams {
  roleType: "jwt" | "oidc";
  /** Seconds; 0 = cap's default, negative = no leeway. */
  expirationLeeway: number;
  notBeforeLeeway: number;
  clockSkewLeeway: number;
  /** null until set (reads answer null, as Go's nil slice/map). */
  boundAudiences: string[] | null;
  boundSubject: string;
  boundClaimsType: "string" | "glob";
  boundClaims: Record<string, unknown> | null;
  claimMappings: Record<string, string> | null;
  userClaim: string;
  userClaimJsonPointer: boolean;
  groupsClaim: string;
  oidcScopes: string[] | null;
  allowedRedirectUris: string[] | null;
  verboseOidcLogging: boolean;
  maxAge: number;
}

export class JwtStore {
  config: JwtConfig | null = null;
  /** Keyed by the (lower-case) role name. */
  readonly roles = new Map<string, JwtRole>();
  /** One entity per alias name (the user_claim value). */
  readonly entities = new Map<string, string>();
}
