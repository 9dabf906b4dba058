/**
 * The key/value data behind KV mounts. Version 1 is a flat map; version 2 keeps per-key metadata
 * and numbered versions with soft-delete, undelete, destroy, check-and-set and the max-versions
 * window, following vault-plugin-secrets-kv (path_data.go, path_metadata.go, path_delete.go).
 * Values are stored as JSON text and parsed on read, as the plugin does, so callers never share
 * objects with the store.
 */
import { listChildren } from "./listing.js";

const DEFAULT_MAX_VERSIONS = 10;

/** KV version 1: one JSON object per key. */
export class KvV1Store {
  private readonly entries = new Map<string, string>();

  get(key: string): Record<string, unknown> | undefined {
    const text = this.entries.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as Record<string, unknown>);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  put(key: string, data: Record<string, unknown>): void {
    this.entries.set(key, JSON.stringify(data));
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  list(prefix: string): string[] {
    return listChildren(this.entries.keys(), prefix);
  }
}

export interface VersionMeta {
  createdMs: number;
  /** Soft-delete time; may lie in the future when delete_version_after is set. */
  deletionMs: number | null;
  destroyed: boolean;
  /** JSON text of the data; null once destroyed. */
  json: string | null;
}

export interface KeyMeta {
  currentVersion: number;
  oldestVersion: number;
  createdMs: number;
  updatedMs: number;
  maxVersions: number;
  casRequired: boolean;
  /** Seconds; 0 = unset. */
  deleteVersionAfter: number;
  customMetadata: Record<string, string> | null;
  versions: Map<number, VersionMeta>;
}

export interface KvV2Config {
  maxVersions: number;
  casRequired: boolean;
  deleteVersionAfter: number;
}

export type WriteResult = { ok: true; version: number; meta: KeyMeta; vm: VersionMeta } | { ok: false; error: string };

/** KV version 2: versioned secrets with metadata. */
export class KvV2Store {
  readonly config: KvV2Config = { maxVersions: 0, casRequired: false, deleteVersionAfter: 0 };
  private readonly keys = new Map<string, KeyMeta>();

  meta(key: string): KeyMeta | undefined {
    return this.keys.get(key);
  }

  /** True when the version exists and is soft-deleted (deletion time passed) or destroyed. */
  static isGone(vm: VersionMeta, nowMs: number): boolean {
    return vm.destroyed || (vm.deletionMs !== null && vm.deletionMs <= nowMs);
  }

  /** Writes a new version; `cas` undefined means no check-and-set option was sent. */
  write(key: string, data: Record<string, unknown>, cas: number | undefined, nowMs: number): WriteResult {
    const existing = this.keys.get(key);
    const meta: KeyMeta = existing ?? emptyMeta(nowMs);
    const casError = this.checkCas(meta, cas);
    if (casError) return { ok: false, error: casError };
    const vm: VersionMeta = { createdMs: nowMs, deletionMs: this.deletionTime(nowMs, meta), destroyed: false, json: JSON.stringify(data) };
    meta.currentVersion += 1;
    meta.versions.set(meta.currentVersion, vm);
    meta.updatedMs = nowMs;
    if (!existing) {
      meta.createdMs = nowMs;
      this.keys.set(key, meta);
    }
    this.trim(meta);
    return { ok: true, version: meta.currentVersion, meta, vm };
  }

  /** validateCheckAndSetOption: the literal errors Vault returns. */
  checkCas(meta: KeyMeta, cas: number | undefined): string | undefined {
    if (cas !== undefined) {
      if (cas !== meta.currentVersion) return "check-and-set parameter did not match the current version";
    } else if (this.config.casRequired || meta.casRequired) {
      return "check-and-set parameter required for this call";
    }
    return undefined;
  }

  /** DELETE data/: soft-deletes the current version unless already gone. */
  deleteLatest(key: string, nowMs: number): void {
    const meta = this.keys.get(key);
    const vm = meta?.versions.get(meta.currentVersion);
    if (!vm || KvV2Store.isGone(vm, nowMs)) return;
    vm.deletionMs = nowMs;
  }

  deleteVersions(key: string, versions: number[], nowMs: number): void {
    const meta = this.keys.get(key);
    if (!meta) return;
    for (const n of versions) {
      const vm = meta.versions.get(n);
      if (!vm || KvV2Store.isGone(vm, nowMs)) continue;
      vm.deletionMs = nowMs;
    }
  }

  undeleteVersions(key: string, versions: number[], nowMs: number): void {
    const meta = this.keys.get(key);
    if (!meta) return;
    for (const n of versions) {
      const vm = meta.versions.get(n);
      if (!vm || vm.destroyed) continue;
      vm.deletionMs = this.deletionTime(nowMs, meta);
    }
  }

  destroyVersions(key: string, versions: number[]): void {
    const meta = this.keys.get(key);
    if (!meta) return;
    for (const n of versions) {
      const vm = meta.versions.get(n);
      if (!vm) continue;
      vm.destroyed = true;
      vm.json = null;
    }
  }

  deleteMetadata(key: string): void {
    this.keys.delete(key);
  }

  /** POST metadata/: creates the metadata entry when missing (no version). */
  writeMetadata(key: string, fields: Partial<Pick<KeyMeta, "maxVersions" | "casRequired" | "deleteVersionAfter" | "customMetadata">>, nowMs: number): void {
    let meta = this.keys.get(key);
    if (!meta) {
      meta = emptyMeta(nowMs);
      this.keys.set(key, meta);
    }
    Object.assign(meta, fields);
  }

  list(prefix: string): string[] {
    return listChildren(this.keys.keys(), prefix);
  }

  private deletionTime(fromMs: number, meta: KeyMeta): number | null {
    const after = meta.deleteVersionAfter > 0 ? meta.deleteVersionAfter : meta.deleteVersionAfter === 0 && this.config.deleteVersionAfter > 0 ? this.config.deleteVersionAfter : 0;
    return after > 0 ? fromMs + after * 1000 : null;
  }

  /** KeyMetadata.AddVersion's sliding window: keep at most max(meta, config) versions (default 10). */
  private trim(meta: KeyMeta): void {
    const max = Math.max(meta.maxVersions, this.config.maxVersions) || DEFAULT_MAX_VERSIONS;
    if (meta.currentVersion - meta.oldestVersion < max) return;
    const last = meta.currentVersion - max;
    for (let i = meta.oldestVersion; i <= last; i++) meta.versions.delete(i);
    meta.oldestVersion = last + 1;
  }
}

function emptyMeta(nowMs: number): KeyMeta {
  return {
    currentVersion: 0,
    oldestVersion: 0,
    createdMs: nowMs,
    updatedMs: nowMs,
    maxVersions: 0,
    casRequired: false,
    deleteVersionAfter: 0,
    customMetadata: null,
    versions: new Map(),
  };
}
