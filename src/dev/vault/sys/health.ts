/**
 * sys/health and sys/seal-status: unauthenticated, served while sealed, bodies not enveloped.
 * Health's status follows the query overrides (activecode, sealedcode, standbyok…).
 */
import type { DoubleState } from "../state.js";
import { goEncode, struct } from "../wire/json.js";
import { errorReply, type Reply } from "../wire/reply.js";

const CODE_PARAMS = ["activecode", "standbycode", "drsecondarycode", "performancestandbycode", "sealedcode", "uninitcode"] as const;

/** GET or HEAD sys/health. */
export function health(state: DoubleState, method: string, query: URLSearchParams, nowMs: number): Reply {
  const codes: Record<string, number> = { activecode: 200, sealedcode: 503 };
  for (const name of CODE_PARAMS) {
    const raw = query.get(name);
    if (raw === null || raw === "") continue;
    if (!/^-?\d+$/.test(raw)) return errorReply(400, `unable to parse ${name} code: strconv.Atoi: parsing "${raw}": invalid syntax`);
    codes[name] = Number.parseInt(raw, 10);
  }
  const status = state.sealed ? codes.sealedcode! : codes.activecode!;
  if (method === "HEAD") return { kind: "empty", status };
  const body = struct({
    initialized: true,
    sealed: state.sealed,
    standby: false,
    performance_standby: false,
    replication_performance_mode: "disabled",
    replication_dr_mode: "disabled",
    server_time_utc: Math.floor(nowMs / 1000),
    version: state.config.version,
    cluster_name: state.sealed ? undefined : state.cluster.name,
    cluster_id: state.sealed ? undefined : state.cluster.id,
  });
  return { kind: "raw", status, text: goEncode(body) };
}

/** GET sys/seal-status. */
export function sealStatus(state: DoubleState): Reply {
  return {
    kind: "json",
    status: 200,
    body: struct({
      type: "shamir",
      initialized: true,
      sealed: state.sealed,
      t: 1,
      n: 1,
      progress: 0,
      nonce: "",
      version: state.config.version,
      build_date: "2025-03-04T12:36:40Z",
      migration: false,
      cluster_name: state.sealed ? undefined : state.cluster.name,
      cluster_id: state.sealed ? undefined : state.cluster.id,
      recovery_seal: false,
      storage_type: "inmem",
    }),
  };
}
