/** Roles and connection configs of a database secrets engine mount (no real database behind it). */

export interface DatabaseRole {
  name: string;
  dbName: string;
  /** Seconds; 0 = the system default / max. */
  defaultTtl: number;
  maxTtl: number;
  creationStatements: string[];
}

/** The state of one database mount. */
export class DatabaseStore {
  readonly roles = new Map<string, DatabaseRole>();
  readonly connections = new Map<string, Record<string, unknown>>();
}
