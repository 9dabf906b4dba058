/**
 * What the watcher knows of each store's logins: which login the newest leases must belong to
 * (leases end with the token that took them, so one read under a replaced login must be read
 * again), and the replaced logins waiting to be revoked once nothing the command runs on needs them.
 */
import type { Lease, NewLogin } from "../providers/provider.js";
import type { ProviderName } from "../resolve/provider-set.js";

export class LoginTracker {
  /** Per store, the holder of leases taken under its newest login (only after a re-login). */
  private readonly holders = new Map<ProviderName, string>();
  /** Per store, the replaced logins to revoke once its leased secrets have been read under the newest one. */
  private readonly retirements = new Map<ProviderName, Array<() => Promise<void>>>();

  /** @param retire whether replaced logins are revoked at all (only when applying replaces the command). */
  constructor(private readonly retire: boolean) {}

  /** A new login of `store` is current; the one it replaced is revoked by a later `retireSettled`. */
  adopt(store: ProviderName, login: NewLogin): void {
    this.holders.set(store, login.holder);
    if (this.retire) this.retirements.set(store, [...(this.retirements.get(store) ?? []), login.retireOld]);
  }

  /** The holder of leases taken under the store's newest login, if it logged in again. */
  newest(store: ProviderName): string | undefined {
    return this.holders.get(store);
  }

  /** Whether `lease` was taken under the store's newest login (or no new login happened yet). */
  holds(store: ProviderName, lease: Lease): boolean {
    const holder = this.holders.get(store);
    return holder === undefined || lease.holder === undefined || lease.holder === holder;
  }

  /** Revokes the replaced logins of every store for which `waiting(store)` is false. */
  retireSettled(waiting: (store: ProviderName) => boolean): void {
    for (const [store, pending] of this.retirements) {
      if (waiting(store)) continue;
      this.retirements.delete(store);
      for (const retire of pending) void retire();
    }
  }
}
