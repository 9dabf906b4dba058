/**
 * `envject check`: resolve every reference and print one row per variable that uses one — NAME,
 * SOURCE, VERSION (or lease TTL), STATUS — never a value. Leases it creates are revoked at once.
 * `--format json` prints the same rows as one JSON array. Exits 0 when all resolve, else with the
 * most serious failure's code (65, 77, 69, 78).
 */
import { mostSeriousExitCode } from "../../errors.js";
import { formatDuration } from "../../config/duration.js";
import { type SecretRef, displayRef, refsOf, secretIdentity } from "../../config/reference.js";
import type { Logger } from "../../log/logger.js";
import type { SecretReader } from "../../resolve/reader.js";
import { type Section, resolveBindings } from "../../resolve/resolution.js";
import type { CheckFormat, GlobalArgs } from "../argv.js";
import { loadContext, releaseStores } from "../context.js";

/** One variable that uses references, as check reports it. */
export interface CheckRow {
  /** The variable, or `PREFIX*` for an `expand:` entry. */
  name: string;
  section: Section;
  /** Each distinct reference the variable uses, as written (`vault://secret/app#key`). */
  sources: string[];
  /** What each read secret is at, per distinct secret: its version, a lease's TTL, or neither. */
  states: SecretState[];
  /** Why the variable did not resolve (a message that never holds a value); undefined: ok. */
  failure?: { exitCode: number; message: string };
}

export interface SecretState {
  version?: string;
  leaseSeconds?: number;
}

export async function checkCommand(
  global: GlobalArgs,
  format: CheckFormat,
  environ: NodeJS.ProcessEnv,
  logger: Logger,
  write: (text: string) => void = (t) => process.stdout.write(t),
): Promise<number> {
  const ctx = await loadContext(global, environ, logger);
  try {
    const resolution = await resolveBindings({ envFiles: ctx.envFiles, mapping: ctx.mapping }, { reader: ctx.reader, redactor: logger.redactor, environ, warn: (m, f) => logger.warn(m, f) });
    const rows: CheckRow[] = [];
    const failed = new Map(resolution.failures.map((f) => [`${f.section}\u0000${f.name}`, f]));
    const row = (name: string, section: Section, refs: SecretRef[]) => {
      if (refs.length === 0) return;
      const failure = failed.get(`${section}\u0000${name}`);
      const secrets = new Map(refs.map((r) => [secretIdentity(r), r]));
      rows.push({
        name,
        section,
        sources: [...new Set(refs.map(displayRef))],
        states: [...secrets.values()].map((r) => stateOf(r, ctx.reader)),
        failure: failure && { exitCode: failure.error.exitCode, message: oneLine(logger.redactor.redact(failure.error.message)) },
      });
    };
    const { bindings } = resolution;
    for (const { binding, section } of bindings) if (section !== "files") row(binding.name, section, refsOf(binding.spec));
    for (const e of ctx.mapping.expand) row(`${e.prefix}*`, "expand", [e.ref]);
    for (const { binding, section } of bindings) if (section === "files") row(binding.name, section, refsOf(binding.spec));
    write(format === "json" ? formatJson(rows) : formatTable(rows));
    if (rows.length === 0) logger.warn("no variable uses a reference; nothing to check");
    return mostSeriousExitCode(resolution.failures.map((f) => f.error.exitCode));
  } finally {
    await releaseStores(ctx);
  }
}

function stateOf(ref: SecretRef, reader: SecretReader): SecretState {
  const doc = reader.all().get(secretIdentity(ref))?.doc;
  if (!doc) return {};
  if (doc.lease) return { leaseSeconds: doc.lease.durationSeconds };
  return doc.version === undefined ? {} : { version: doc.version };
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ");
}

/** The VERSION cell: each distinct state once, `-` for a secret that has no version. */
function versionCell(states: readonly SecretState[]): string {
  const cells = states.map((s) => (s.leaseSeconds !== undefined ? `lease ${formatDuration(s.leaseSeconds * 1000)}` : (s.version ?? "-")));
  return [...new Set(cells)].join(", ") || "-";
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function formatTable(rows: readonly CheckRow[]): string {
  const header = ["NAME", "SOURCE", "VERSION", "STATUS"];
  const status = (r: CheckRow) => (r.failure ? `error (${r.failure.exitCode}): ${r.failure.message}` : "ok");
  const cells = [header, ...rows.map((r) => [r.name, r.sources.join(", "), versionCell(r.states), status(r)])];
  const widths = header.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
  return cells.map((c) => c.map((cell, i) => (i === c.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")).join("\n") + "\n";
}

/**
 * `--format json`: one array, one object per row, every key always present (README "check and
 * export"): `version` the distinct versions joined by ", " (null if none), `lease_ttl` the
 * shortest lease's seconds (null if none), `exit_code`/`error` null when the status is "ok".
 */
export function formatJson(rows: readonly CheckRow[]): string {
  const records = rows.map((r) => {
    const versions = [...new Set(r.states.flatMap((s) => (s.version === undefined ? [] : [s.version])))];
    const leases = r.states.flatMap((s) => (s.leaseSeconds === undefined ? [] : [s.leaseSeconds]));
    return {
      name: r.name,
      section: r.section,
      source: r.sources.join(", "),
      version: versions.length > 0 ? versions.join(", ") : null,
      lease_ttl: leases.length > 0 ? Math.min(...leases) : null,
      status: r.failure ? "error" : "ok",
      exit_code: r.failure?.exitCode ?? null,
      error: r.failure?.message ?? null,
    };
  });
  return `${JSON.stringify(records, null, 2)}\n`;
}
