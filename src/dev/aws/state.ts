/**
 * Everything one double knows, in memory: the secrets of each region, and the control-surface
 * settings (faults, latency, denials, rejected access keys, request log).
 */
import { RegionStore } from "./store/region.js";
import type { FaultMode } from "../shared/control-body.js";

export interface Fault {
  /** Only this operation ("GetSecretValue"); undefined = every operation. */
  action: string | undefined;
  /** Only requests naming this secret (name or ARN as sent, or the same secret resolved); undefined = any. */
  secretId: string | undefined;
  /** What the fault does (an error answer, no answer, or a reset in the middle of the body). */
  mode: FaultMode;
  /** HTTP status for mode "error", or 0 to drop the connection; 0 for the other modes. */
  status: number;
  type: string;
  message: string | undefined;
  remaining: number;
}

export interface Latency {
  action: string | undefined;
  ms: number;
}

export interface Denial {
  action: string;
  secretId: string | undefined;
}

export type RejectionType = "UnrecognizedClientException" | "ExpiredTokenException" | "InvalidSignatureException";

/** One line of the request log. Never a secret value. */
export interface RequestLogEntry {
  /** The operation from X-Amz-Target ("" when there was none). */
  action: string;
  /** From the credential scope ("" when the request had no usable Authorization). */
  region: string;
  accessKeyId?: string;
  /** The SecretIds (or CreateSecret's Name, or BatchGetSecretValue's SecretIdList) as sent. */
  secretIds: string[];
  /** HTTP status answered; 0 when a fault dropped the connection, left the request unanswered or reset it mid-body. */
  status: number;
  /** The error's bare type (no namespace prefix) when the answer was an error. */
  errorType?: string;
  /** Epoch milliseconds when the request arrived. */
  at: number;
}

export class DoubleState {
  private readonly regions = new Map<string, RegionStore>();
  faults: Fault[] = [];
  latencies: Latency[] = [];
  denials: Denial[] = [];
  readonly rejectedKeys = new Map<string, RejectionType>();
  requests: RequestLogEntry[] = [];

  constructor(readonly accountId: string) {}

  /** The store of `region`, created empty on first use. */
  region(name: string): RegionStore {
    let store = this.regions.get(name);
    if (!store) {
      store = new RegionStore(name);
      this.regions.set(name, store);
    }
    return store;
  }

  /** Delay for `action`: the rule for that action, else the catch-all one, else 0. */
  latencyFor(action: string): number {
    return (this.latencies.find((l) => l.action === action) ?? this.latencies.find((l) => l.action === undefined))?.ms ?? 0;
  }

  /** Consumes one use of the first pending fault matching the request, if any. */
  takeFault(action: string, refersTo: (secretId: string) => boolean): Fault | undefined {
    const fault = this.faults.find((f) => (f.action === undefined || f.action === action) && (f.secretId === undefined || refersTo(f.secretId)));
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults = this.faults.filter((f) => f !== fault);
    return fault;
  }

  /** True when a denial covers `action` on a secret `refersTo` recognises (or on anything, for a denial without secret). */
  isDenied(action: string, refersTo: (secretId: string) => boolean): boolean {
    return this.denials.some((d) => d.action === action && (d.secretId === undefined || refersTo(d.secretId)));
  }

  record(entry: RequestLogEntry): void {
    this.requests.push(entry);
  }
}
