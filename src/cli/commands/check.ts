/**
 * `envject check`: resolve every reference and print one row per variable that uses one — NAME,
 * SOURCE, VERSION (or lease TTL), STATUS — never a value. Leases it creates are revoked at once.
 * Exits 0 when all resolve, else with the most serious failure's code (65, 77, 69, 78).
 */
import { mostSeriousExitCode } from "../../errors.js";
import { formatDuration } from "../../config/duration.js";
import { type SecretRef, displayRef, refsOf, secretIdentity } from "../../config/reference.js";
import type { Logger } from "../../log/logger.js";
import type { SecretReader } from "../../resolve/reader.js";
import { type Section, resolveBindings } from "../../resolve/resolution.js";
import type { GlobalArgs } from "../argv.js";
import { loadContext, releaseStores } from "../context.js";

export interface CheckRow {
  name: string;
  section: Section;
  source: string;
  version: string;
  status: string;
}

export async function checkCommand(
  global: GlobalArgs,
  environ: NodeJS.ProcessEnv,
  logger: Logger,
  write: (text: string) => void = (t) => process.stdout.write(t),
): Promise<number> {
  const ctx = await loadContext(global, environ, logger);
  try {
    const resolution = await resolveBindings({ envFiles: ctx.envFiles, mapping: ctx.mapping }, { reader: ctx.reader, redactor: logger.redactor, environ });
    const rows: CheckRow[] = [];
    const failed = new Map(resolution.failures.map((f) => [`${f.section}\u0000${f.name}`, f]));
    const row = (name: string, section: Section, refs: SecretRef[]) => {
      if (refs.length === 0) return;
      const failure = failed.get(`${section}\u0000${name}`);
      rows.push({
        name,
        section,
        source: [...new Set(refs.map(displayRef))].join(", "),
        version: [...new Set(refs.map((r) => versionOf(r, ctx.reader)))].join(", "),
        status: failure ? `error (${failure.error.exitCode}): ${oneLine(logger.redactor.redact(failure.error.message))}` : "ok",
      });
    };
    const { bindings } = resolution;
    for (const { binding, section } of bindings) if (section !== "files") row(binding.name, section, refsOf(binding.spec));
    for (const e of ctx.mapping.expand) row(`${e.prefix}*`, "expand", [e.ref]);
    for (const { binding, section } of bindings) if (section === "files") row(binding.name, section, refsOf(binding.spec));
    write(formatTable(rows));
    if (rows.length === 0) logger.warn("no variable uses a reference; nothing to check");
    return mostSeriousExitCode(resolution.failures.map((f) => f.error.exitCode));
  } finally {
    await releaseStores(ctx);
  }
}

function versionOf(ref: SecretRef, reader: SecretReader): string {
  const record = reader.all().get(secretIdentity(ref));
  const doc = record?.doc;
  if (!doc) return "-";
  if (doc.lease) return `lease ${formatDuration(doc.lease.durationSeconds * 1000)}`;
  return doc.version ?? "-";
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ");
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function formatTable(rows: readonly CheckRow[]): string {
  const header = ["NAME", "SOURCE", "VERSION", "STATUS"];
  const cells = [header, ...rows.map((r) => [r.name, r.source, r.version, r.status])];
  const widths = header.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
  return cells.map((c) => c.map((cell, i) => (i === c.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")).join("\n") + "\n";
}
