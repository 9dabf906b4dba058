/** The state of one kubernetes auth mount: its config (with parsed pem_keys) and roles. */
import type { KeyObject } from "node:crypto";
import type { TokenParams } from "./token-params.js";

export interface KubernetesConfig {
  kubernetesHost: string;
  kubernetesCaCert: string;
  /** As written (read back verbatim) and parsed: the keys the double verifies service-account JWTs with. */
  pemKeys: string[];
  publicKeys: KeyObject[];
  issuer: string;
  disableIssValidation: boolean;
  disableLocalCaJwt: boolean;
  tokenReviewerJwtSet: boolean;
  useAnnotationsAsAliasMetadata: boolean;
}

export interface KubernetesRole extends TokenParams {
  boundServiceAccountNames: string[];
  boundServiceAccountNamespaces: string[];
  boundServiceAccountNamespaceSelector: string;
  audience: string;
  /** "serviceaccount_uid" (the default) or "serviceaccount_name". */
  aliasNameSource: string;
}

export class KubernetesStore {
  config: KubernetesConfig | null = null;
  /** Keyed by the lower-cased role name, as the plugin stores them. */
  readonly roles = new Map<string, KubernetesRole>();
  /** One entity per alias name (what Vault's identity store would create on first login). */
  readonly entities = new Map<string, string>();
}
