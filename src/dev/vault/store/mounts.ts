/**
 * The mount table of one namespace: secrets engines (kv v1/v2, database, the built-in sys/) and
 * auth methods (token/, approle/; aws, cert, kubernetes, jwt/oidc when enabled). Mount paths are
 * relative to the namespace and end in "/"; a request path is served by the longest mount that
 * prefixes it.
 */
import { hex8, uuid } from "../ids.js";
import { AppRoleStore } from "./approle.js";
import { AwsAuthStore } from "./aws.js";
import { CertAuthStore } from "./cert.js";
import { DatabaseStore } from "./database.js";
import { JwtStore } from "./jwt.js";
import { KubernetesStore } from "./kubernetes.js";
import { KvV1Store, KvV2Store } from "./kv.js";

export type Engine =
  | { kind: "kv1"; store: KvV1Store }
  | { kind: "kv2"; store: KvV2Store }
  | { kind: "database"; store: DatabaseStore }
  | { kind: "system" }
  | { kind: "token" }
  | { kind: "approle"; store: AppRoleStore }
  | { kind: "aws"; store: AwsAuthStore }
  | { kind: "cert"; store: CertAuthStore }
  | { kind: "kubernetes"; store: KubernetesStore }
  | { kind: "jwt"; store: JwtStore };

export interface MountEntry {
  /** "secret/", "team/kv/", or for auth methods "auth/approle/". */
  path: string;
  /** Vault's engine type: kv, database, system, token, approle, kubernetes, jwt, oidc. */
  type: string;
  accessor: string;
  uuid: string;
  description: string;
  engine: Engine;
}

const DESCRIPTIONS: Record<string, string> = {
  kv: "key/value secret storage",
  system: "system endpoints used for control, policy and debugging",
  token: "token based credentials",
  database: "",
  approle: "",
  aws: "",
  cert: "",
  kubernetes: "",
  jwt: "",
  oidc: "",
};

export type MountSpec =
  | { type: "kv"; version: "1" | "2" }
  | { type: "database" }
  | { type: "approle" }
  | { type: "aws" }
  | { type: "cert" }
  | { type: "kubernetes" }
  | { type: "jwt" | "oidc" }
  | { type: "token" }
  | { type: "system" };

/** Creates an entry with a fresh engine of the given kind. */
export function newMount(path: string, spec: MountSpec, description?: string): MountEntry {
  let engine: Engine;
  switch (spec.type) {
    case "kv":
      engine = spec.version === "2" ? { kind: "kv2", store: new KvV2Store() } : { kind: "kv1", store: new KvV1Store() };
      break;
    case "database":
      engine = { kind: "database", store: new DatabaseStore() };
      break;
    case "approle":
      engine = { kind: "approle", store: new AppRoleStore() };
      break;
    case "aws":
      engine = { kind: "aws", store: new AwsAuthStore() };
      break;
    case "cert":
      engine = { kind: "cert", store: new CertAuthStore() };
      break;
    case "kubernetes":
      engine = { kind: "kubernetes", store: new KubernetesStore() };
      break;
    case "jwt":
    case "oidc":
      engine = { kind: "jwt", store: new JwtStore() };
      break;
    case "token":
      engine = { kind: "token" };
      break;
    default:
      engine = { kind: "system" };
  }
  const accessorPrefix = path.startsWith("auth/") ? `auth_${spec.type}` : spec.type;
  return {
    path,
    type: spec.type,
    accessor: `${accessorPrefix}_${hex8()}`,
    uuid: uuid(),
    description: description ?? DESCRIPTIONS[spec.type] ?? "",
    engine,
  };
}

/** Normalizes a mount path: no leading slash, exactly one trailing slash. */
export function mountPath(path: string): string {
  return `${path.replace(/^\/+|\/+$/g, "")}/`;
}

/** One namespace's mounts, keyed by path. */
export class MountTable {
  private readonly mounts = new Map<string, MountEntry>();

  add(entry: MountEntry): void {
    this.mounts.set(entry.path, entry);
  }

  remove(path: string): MountEntry | undefined {
    const entry = this.mounts.get(path);
    this.mounts.delete(path);
    return entry;
  }

  get(path: string): MountEntry | undefined {
    return this.mounts.get(path);
  }

  all(): MountEntry[] {
    return [...this.mounts.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  /** The mount serving `path` (the mount path itself, with or without its slash, counts). */
  match(path: string): MountEntry | undefined {
    const probe = path.endsWith("/") ? path : `${path}/`;
    let best: MountEntry | undefined;
    for (const entry of this.mounts.values()) {
      if ((path.startsWith(entry.path) || probe === entry.path) && (!best || entry.path.length > best.path.length)) best = entry;
    }
    return best;
  }

  /** The existing mount that `path` would overlap (same, inside, or containing), if any. */
  conflict(path: string): MountEntry | undefined {
    for (const entry of this.mounts.values()) {
      if (path.startsWith(entry.path) || entry.path.startsWith(path)) return entry;
    }
    return undefined;
  }
}

/** mountInfo(): the data Vault shows for a mount in sys/mounts and sys/internal/ui/mounts. */
export function mountInfo(entry: MountEntry, reportedPath?: string): Record<string, unknown> {
  const info: Record<string, unknown> = {
    accessor: entry.accessor,
    config: { default_lease_ttl: 0, force_no_cache: false, max_lease_ttl: 0 },
    description: entry.description,
    external_entropy_access: false,
    local: false,
    options: entry.engine.kind === "kv1" ? { version: "1" } : entry.engine.kind === "kv2" ? { version: "2" } : null,
    plugin_version: "",
    running_plugin_version: runningVersion(entry),
    running_sha256: "",
    seal_wrap: false,
    type: entry.type,
    uuid: entry.uuid,
  };
  if (reportedPath !== undefined) info.path = reportedPath;
  return info;
}

function runningVersion(entry: MountEntry): string {
  switch (entry.engine.kind) {
    case "kv1":
    case "kv2":
      return "v0.21.0+builtin";
    case "database":
      return "v1.19.0+builtin.vault";
    case "kubernetes":
      return "v0.21.0+builtin";
    case "jwt":
      return "v0.23.0+builtin";
    default:
      return "v1.19.0+builtin.vault";
  }
}
