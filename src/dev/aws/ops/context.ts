/** What an operation handler sees, and the shape of a handler. */
import type { DoubleState } from "../state.js";
import type { RegionStore } from "../store/region.js";
import type { Secret } from "../store/secret.js";

export interface OpContext {
  state: DoubleState;
  /** The caller's region (from the credential scope) and its secrets. */
  store: RegionStore;
  region: string;
  accountId: string;
  nowMs: number;
  /** True when a control denial covers `action` on this secret (for per-item checks inside BatchGetSecretValue). */
  denied(action: string, secret: Secret | undefined, rawId: string): boolean;
}

/** An operation: validated input in, the response object out; failures throw AwsError. */
export type Operation = (ctx: OpContext, input: Record<string, unknown>) => Record<string, unknown>;
