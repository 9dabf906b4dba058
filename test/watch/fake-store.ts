/**
 * A mutable in-memory Vault-like store for the watch engine's unit tests: KV secrets with a
 * version and a write serial standing in for its created_time (their stamp `v<N>@<serial>`), leased secrets with a renewal rule, a switch to make it
 * unreachable, per-path failures, and counts of every call.
 */
import { type SecretRef, parseReference } from "../../src/config/reference.js";
import { type EnvjectError, UnavailableError } from "../../src/errors.js";
import type { Lease, ReadOptions, SecretDocument, SecretProvider } from "../../src/providers/provider.js";
import { ProviderSet } from "../../src/resolve/provider-set.js";
import { SecretReader } from "../../src/resolve/reader.js";
import type { FakeClock } from "./fake-clock.js";

interface KvEntry {
  kind: "kv";
  data: Record<string, string>;
  version: number;
  /** Which write made this version (the fake's created_time). */
  written: number;
}
interface LeasedEntry {
  kind: "leased";
  serial: number;
  ttl: number;
  maxTtl: number;
}

export class FakeStore implements SecretProvider {
  readonly name = "vault" as const;
  readonly calls: Array<{ op: "read" | "stamp" | "renew"; path: string; once: boolean }> = [];
  down = false;
  readonly failures = new Map<string, EnvjectError>();
  /** Failures of data reads only (stamps still answer): metadata allowed, data denied. */
  readonly readFailures = new Map<string, EnvjectError>();
  /** The `holder` of the leases it hands out (the login they are read under). */
  holder: string | undefined;
  /** Called after each read of a leased secret (e.g. to switch the login under the next one). */
  afterLeasedRead: (() => void) | undefined;
  /** Renewals answer with this error instead, when set. */
  renewFailure: EnvjectError | undefined;
  private readonly entries = new Map<string, KvEntry | LeasedEntry>();
  private readonly leaseIssued = new Map<string, number>();
  private writes = 0;
  /** stamp() leaves the time out (`v<N>`), as a server whose metadata lacks `versions` would. */
  untimedStamps = false;

  constructor(private readonly clock: FakeClock) {}

  kv(path: string, data: Record<string, string>): void {
    const before = this.entries.get(path);
    this.entries.set(path, { kind: "kv", data, version: before?.kind === "kv" ? before.version + 1 : 1, written: ++this.writes });
  }

  /** Deleted with its metadata and written again: back at version 1. */
  recreate(path: string, data: Record<string, string>): void {
    this.entries.delete(path);
    this.kv(path, data);
  }

  leased(path: string, ttl: number, maxTtl: number): void {
    this.entries.set(path, { kind: "leased", serial: 0, ttl, maxTtl });
  }

  count(op: "read" | "stamp" | "renew", path?: string): number {
    return this.calls.filter((c) => c.op === op && (path === undefined || c.path === path)).length;
  }

  async read(ref: SecretRef, options: ReadOptions): Promise<SecretDocument> {
    const path = this.enter("read", ref, options);
    const entry = this.entries.get(path)!;
    if (entry.kind === "kv") return { kind: "map", data: { ...entry.data }, version: String(entry.version), source: `kv-v2 ${path}`, stamp: `v${entry.version}@${entry.written}` };
    entry.serial += 1;
    const id = `${path}/lease-${entry.serial}`;
    this.leaseIssued.set(id, this.clock.now());
    const holder = this.holder;
    this.afterLeasedRead?.();
    return {
      kind: "map",
      data: { username: `user-${entry.serial}`, password: `pw-${entry.serial}-secret` },
      source: `leased ${path}`,
      lease: { id, durationSeconds: entry.ttl, renewable: true, obtainedAt: this.clock.now(), holder },
    };
  }

  async stamp(ref: SecretRef, options: ReadOptions): Promise<string> {
    const path = this.enter("stamp", ref, options);
    const entry = this.entries.get(path)!;
    if (entry.kind !== "kv") throw new TypeError("no stamp for a leased secret");
    return this.untimedStamps ? `v${entry.version}` : `v${entry.version}@${entry.written}`;
  }

  async renewLease(lease: Lease, incrementSeconds: number, options: ReadOptions): Promise<Lease> {
    this.calls.push({ op: "renew", path: lease.id, once: options.once === true });
    await Promise.resolve();
    if (this.down) throw new UnavailableError("the fake store is down");
    if (this.renewFailure) throw this.renewFailure;
    const path = lease.id.replace(/\/lease-\d+$/, "");
    const entry = this.entries.get(path) as LeasedEntry;
    const issued = this.leaseIssued.get(lease.id)!;
    const left = Math.floor((issued + entry.maxTtl * 1000 - this.clock.now()) / 1000);
    return { ...lease, durationSeconds: Math.max(0, Math.min(incrementSeconds, left)), obtainedAt: this.clock.now() };
  }

  async revokeLeases(): Promise<void> {}
  async close(): Promise<void> {}

  private enter(op: "read" | "stamp", ref: SecretRef, options: ReadOptions): string {
    if (ref.provider !== "vault") throw new TypeError("vault only");
    this.calls.push({ op, path: ref.path, once: options.once === true });
    if (this.down) throw new UnavailableError("the fake store is down");
    const failure = this.failures.get(ref.path) ?? (op === "read" ? this.readFailures.get(ref.path) : undefined);
    if (failure) throw failure;
    if (!this.entries.has(ref.path)) throw new TypeError(`no secret ${ref.path}`);
    return ref.path;
  }
}

/** A reference to a Vault path in the fake store. */
export function ref(text: string): SecretRef {
  return parseReference(text, { defaultMount: "secret" })!;
}

/** A reader over the fake store. */
export function readerFor(store: FakeStore): { reader: SecretReader; providers: ProviderSet } {
  const providers = new ProviderSet({ vault: async () => store, aws: async () => Promise.reject(new Error("no AWS here")) });
  return { reader: new SecretReader(providers, { deadline: Date.now() + 60_000 }), providers };
}
