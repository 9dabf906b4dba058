/** The secrets of one region, by name; lookups accept a name, a full ARN or a partial ARN. */
import { idMatches } from "./arn.js";
import type { Secret } from "./secret.js";

export class RegionStore {
  private readonly byName = new Map<string, Secret>();

  constructor(readonly region: string) {}

  /** The secret a SecretId names in this region (deleted-but-recoverable ones included). */
  resolve(secretId: string): Secret | undefined {
    if (!secretId.startsWith("arn:")) return this.byName.get(secretId);
    for (const s of this.byName.values()) if (idMatches(secretId, s.name, s.arn)) return s;
    return undefined;
  }

  byExactName(name: string): Secret | undefined {
    return this.byName.get(name);
  }

  add(secret: Secret): void {
    this.byName.set(secret.name, secret);
  }

  remove(secret: Secret): void {
    this.byName.delete(secret.name);
  }

  /** Every secret, sorted by name (a stable order for listing and pagination). */
  all(): Secret[] {
    return [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
