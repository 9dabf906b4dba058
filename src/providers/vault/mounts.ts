/**
 * Which mount a logical path lives in, and what engine serves it (vals' kv_helper, the Vault
 * CLI's kvPreflightVersionRequest): `GET sys/internal/ui/mounts/<path>`, cached per mount so a
 * second secret under a known mount costs no request. When the endpoint is denied the answer is
 * "unknown" and the reader probes KV v2 then KV v1; when it is missing (an old Vault) the path is
 * read as KV v1, as the CLI does.
 */
import { errorForStatus } from "./errors.js";
import type { VaultEnvelope, VaultHttpClient } from "./http.js";

export type EngineKind = "kv1" | "kv2" | "other";

export interface MountInfo {
  /** Mount path without trailing slash: `secret`, `team/kv`. */
  path: string;
  kind: EngineKind;
  /** Vault's engine type (`kv`, `database`, …), or "unknown" when guessed. */
  type: string;
}

export type Location =
  | { state: "known"; mount: MountInfo; rest: string }
  /** Discovery denied: the mount is a guess, the engine must be probed. */
  | { state: "unknown"; mountPath: string; rest: string }
  /** No discovery endpoint (old Vault): read the whole path as KV v1. */
  | { state: "legacy" };

interface UiMountData {
  path?: string;
  type?: string;
  options?: { version?: string } | null;
}

export class MountResolver {
  private readonly mounts = new Map<string, MountInfo>();
  /** The server has no discovery endpoint (an old Vault): every path is read as KV v1. */
  private legacy = false;
  /** Discovery requests under way, by the first segment of the path asked about. */
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(private readonly client: VaultHttpClient) {}

  /**
   * Locates `path` (a logical path, mount included). `explicitMount` (from `?mount=` or the
   * configured mount of vault_secret_var) and `defaultMount` are the fallbacks when discovery is
   * denied.
   */
  async locate(path: string, token: string, explicitMount: string | undefined, defaultMount: string, deadline?: number): Promise<Location> {
    if (this.legacy) return { state: "legacy" };
    // Every read starts at once: a path whose first segment is already being looked up waits for
    // that answer, so secrets under one mount cost one discovery request, not one each.
    const first = path.split("/")[0]!;
    const earlier = this.inFlight.get(first);
    if (earlier) await earlier;
    const cached = this.cached(path);
    if (cached) return { state: "known", mount: cached, rest: restOf(path, cached.path) };
    const lookup = this.discover(path, token, explicitMount, defaultMount, deadline);
    if (!earlier) {
      const settled = lookup.then(
        () => {},
        () => {},
      );
      this.inFlight.set(first, settled);
      void settled.then(() => this.inFlight.delete(first));
    }
    return lookup;
  }

  /** Whether the mount of `path` is being looked up now (locate() would wait for that answer). */
  lookingUp(path: string): boolean {
    if (this.inFlight.size === 0) return false;
    const slash = path.indexOf("/");
    return this.inFlight.has(slash < 0 ? path : path.slice(0, slash));
  }

  private async discover(path: string, token: string, explicitMount: string | undefined, defaultMount: string, deadline?: number): Promise<Location> {
    const res = await this.client.request({ method: "GET", path: `sys/internal/ui/mounts/${path}`, token, deadline });
    if (res.status === 200) {
      const data = (res.body as VaultEnvelope | undefined)?.data as UiMountData | undefined;
      const mountPath = mountPathWithin(path, (data?.path ?? "").replace(/\/+$/, ""));
      if (mountPath !== undefined) {
        const mount = this.remember(mountPath, engineKind(data), data?.type ?? "unknown");
        return { state: "known", mount, rest: restOf(path, mount.path) };
      }
    } else if (res.status === 404) {
      // A Vault without the endpoint answers so for every path: ask once.
      this.legacy = true;
      return { state: "legacy" };
    } else if (res.status !== 403) {
      throw errorForStatus(res, `looking up the mount of ${path}`, this.client.address);
    }
    const mountPath = guessMount(path, explicitMount, defaultMount);
    return { state: "unknown", mountPath, rest: restOf(path, mountPath) };
  }

  /** Records what probing found out about a mount, so later paths under it skip discovery. */
  remember(mountPath: string, kind: EngineKind, type = kind === "other" ? "unknown" : "kv"): MountInfo {
    const info: MountInfo = { path: mountPath, kind, type };
    this.mounts.set(mountPath, info);
    return info;
  }

  private cached(path: string): MountInfo | undefined {
    let best: MountInfo | undefined;
    for (const info of this.mounts.values()) {
      if ((path.startsWith(`${info.path}/`) || path === info.path) && (!best || info.path.length > best.path.length)) best = info;
    }
    return best;
  }
}

/** The Vault CLI's rule: options.version "2" → KV v2; any other kv (or generic/cubbyhole) → KV v1; other engines are read as they are. */
function engineKind(data: UiMountData | undefined): EngineKind {
  const type = data?.type ?? "";
  if (type === "kv") return data?.options?.version === "2" ? "kv2" : "kv1";
  if (type === "generic" || type === "cubbyhole") return "kv1";
  return "other";
}

export function restOf(path: string, mountPath: string): string {
  return path === mountPath ? "" : path.slice(mountPath.length + 1);
}

/**
 * The mount Vault reported, as a prefix of `path`. Under a namespace Vault may report the mount
 * with the namespace in front (`ns1/secret`); keep the longest tail of it that prefixes the path.
 */
function mountPathWithin(path: string, reported: string): string | undefined {
  const segments = reported.split("/").filter(Boolean);
  for (let i = 0; i < segments.length; i++) {
    const candidate = segments.slice(i).join("/");
    if (path === candidate || path.startsWith(`${candidate}/`)) return candidate;
  }
  return undefined;
}

/** When discovery is denied: the explicit mount, else the configured mount when the path starts with it, else the first segment. */
function guessMount(path: string, explicitMount: string | undefined, defaultMount: string): string {
  for (const m of [explicitMount, defaultMount]) {
    if (m && (path === m || path.startsWith(`${m}/`))) return m;
  }
  return path.split("/")[0]!;
}
