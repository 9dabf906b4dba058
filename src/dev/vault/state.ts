/**
 * Everything the double knows, in memory: namespaces (each with its mounts and policies), the
 * token and lease stores, the seal flag, and the control-surface settings (faults, latency,
 * denials, configuration, request log). One instance per started double.
 */
import { base62, hex8, uuid } from "./ids.js";
import { LeaseStore } from "./store/leases.js";
import { MountTable, newMount } from "./store/mounts.js";
import { PolicyStore } from "./store/policies.js";
import { TokenStore, newAccessor, type TokenEntry } from "./store/tokens.js";
import type { FaultMode } from "../shared/control-body.js";

export type ForbiddenStyle = "plain" | "multierror" | "invalid-token";

export interface DoubleConfig {
  /** The 403 body for a missing, unknown, expired or revoked token. */
  forbiddenStyle: ForbiddenStyle;
  /** "404" emulates a Vault too old to have sys/internal/ui/mounts. */
  uiMounts: "enabled" | "404";
  /** System max lease TTL, seconds (tokens and leases are capped by it). */
  maxTokenTtl: number;
  /** System default lease TTL, seconds (KV v1 lease_duration, tokens without a TTL). */
  defaultTtl: number;
  /** What sys/health reports as the server version. */
  version: string;
}

export const THIRTY_TWO_DAYS = 2_764_800;

/** A namespace: its own mounts (sys/, auth/token/, plus what is enabled) and policies. */
export class Namespace {
  readonly mounts = new MountTable();
  readonly policies: PolicyStore;

  constructor(
    /** "" for the root namespace, else "admin" or "admin/team" (no trailing slash). */
    readonly path: string,
    /** Vault's short namespace id ("root" for the root namespace). */
    readonly id: string,
  ) {
    this.policies = new PolicyStore(path === "");
    this.mounts.add(newMount("sys/", { type: "system" }));
    this.mounts.add(newMount("auth/token/", { type: "token" }));
  }
}

export interface Fault {
  pathPrefix: string;
  method: string | null;
  /** What the fault does (an error answer, no answer, or a reset in the middle of the body). */
  mode: FaultMode;
  /** HTTP status for mode "error" (0: drop the connection); 0 for the other modes. */
  status: number;
  remaining: number;
  body: unknown;
}

export interface Latency {
  pathPrefix: string;
  ms: number;
}

export interface Denial {
  /** Prefix of the full logical path (namespace included, e.g. "admin/secret/metadata/"). */
  path: string;
  /** "all" (root included), "non-root", or one token accessor. */
  for: string;
}

export interface RequestRecord {
  seq: number;
  time: string;
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  status: number;
  namespace: string;
  token_accessor: string | null;
}

/** The whole double. */
export class DoubleState {
  sealed = false;
  readonly config: DoubleConfig = { forbiddenStyle: "invalid-token", uiMounts: "enabled", maxTokenTtl: THIRTY_TWO_DAYS, defaultTtl: THIRTY_TWO_DAYS, version: "1.19.0" };
  readonly namespaces = new Map<string, Namespace>();
  readonly tokens = new TokenStore();
  readonly leases = new LeaseStore();
  readonly cluster = { name: `vault-cluster-${hex8()}`, id: uuid() };
  faults: Fault[] = [];
  latencies: Latency[] = [];
  denials: Denial[] = [];
  requests: RequestRecord[] = [];
  private seq = 0;

  constructor(
    readonly rootToken: string,
    nowMs: number,
  ) {
    const root = new Namespace("", "root");
    root.mounts.add(newMount("secret/", { type: "kv", version: "2" }));
    root.mounts.add(newMount("kv/", { type: "kv", version: "1" }));
    root.mounts.add(newMount("database/", { type: "database" }));
    root.mounts.add(newMount("auth/approle/", { type: "approle" }));
    this.namespaces.set("", root);
    this.tokens.add(rootTokenEntry(rootToken, nowMs));
  }

  root(): Namespace {
    return this.namespaces.get("")!;
  }

  /** Creates a namespace (and any missing parents), each with a kv v2 `secret/` mount. */
  createNamespace(path: string): Namespace {
    const clean = path.replace(/^\/+|\/+$/g, "");
    let ns = this.namespaces.get(clean);
    if (ns) return ns;
    const parent = clean.includes("/") ? clean.slice(0, clean.lastIndexOf("/")) : "";
    if (parent !== "") this.createNamespace(parent);
    ns = new Namespace(clean, base62(5));
    ns.mounts.add(newMount("secret/", { type: "kv", version: "2" }));
    this.namespaces.set(clean, ns);
    return ns;
  }

  /** Follows namespace names at the start of a path (`admin/secret/…` in the root ≡ `secret/…` in "admin"). */
  descend(start: Namespace, path: string): { ns: Namespace; rel: string; pathNamespace: string } {
    let ns = start;
    let rel = path;
    let pathNamespace = "";
    for (;;) {
      const segment = rel.split("/")[0]!;
      if (segment === "" || !rel.includes("/")) break;
      const child = this.namespaces.get(ns.path === "" ? segment : `${ns.path}/${segment}`);
      if (!child) break;
      ns = child;
      rel = rel.slice(segment.length + 1);
      pathNamespace += `${segment}/`;
    }
    return { ns, rel, pathNamespace };
  }

  /** Takes one use of the first fault matching the raw request path and method. */
  takeFault(path: string, method: string): Fault | undefined {
    const fault = this.faults.find((f) => f.remaining > 0 && path.startsWith(f.pathPrefix) && (f.method === null || f.method === method));
    if (!fault) return undefined;
    fault.remaining -= 1;
    this.faults = this.faults.filter((f) => f.remaining > 0);
    return fault;
  }

  /** The delay for a request path: the most recently added matching latency rule. */
  latencyFor(path: string): number {
    for (let i = this.latencies.length - 1; i >= 0; i--) {
      const rule = this.latencies[i]!;
      if (path.startsWith(rule.pathPrefix)) return rule.ms;
    }
    return 0;
  }

  /** True when a control denial covers this full path for this token. */
  denied(fullPath: string, token: TokenEntry | undefined): boolean {
    return this.denials.some((d) => {
      if (!fullPath.startsWith(d.path)) return false;
      if (d.for === "all") return true;
      if (d.for === "non-root") return !token?.policies.includes("root");
      return token?.accessor === d.for;
    });
  }

  record(entry: Omit<RequestRecord, "seq">): void {
    this.seq += 1;
    this.requests.push({ seq: this.seq, ...entry });
  }
}

function rootTokenEntry(id: string, nowMs: number): TokenEntry {
  return {
    id,
    accessor: newAccessor(null),
    namespace: "",
    policies: ["root"],
    meta: null,
    displayName: "root",
    path: "auth/token/root",
    issueMs: nowMs,
    creationTtl: 0,
    expireMs: null,
    explicitMaxTtl: 0,
    period: 0,
    renewable: false,
    numUses: 0,
    limitedUses: false,
    parentId: null,
    entityId: "",
    backendTtl: 0,
    backendMaxTtl: 0,
    lastRenewalMs: null,
    revokedMs: null,
    revokeReason: null,
  };
}
