/**
 * `envject export`: print the variables the mapping and --env-file files produce (not envject's
 * whole environment). Leases are left alive — revoking them would make the output dead on arrival
 * — and each is announced with its TTL. `files:` entries are not exported (their files would end
 * with envject).
 */
import { formatDuration } from "../../config/duration.js";
import { assertNoNul } from "../../config/names.js";
import type { Logger } from "../../log/logger.js";
import { finalValues, resolveBindings } from "../../resolve/resolution.js";
import type { ExportFormat, GlobalArgs } from "../argv.js";
import { loadContext, releaseStores } from "../context.js";
import { formatVariables } from "../export-formats.js";
import { explainDenials, reportFailures, warnAboutOverrides } from "../report.js";

export async function exportCommand(
  global: GlobalArgs,
  format: ExportFormat,
  environ: NodeJS.ProcessEnv,
  logger: Logger,
  write: (text: string) => void = (t) => process.stdout.write(t),
): Promise<number> {
  const ctx = await loadContext(global, environ, logger);
  let keepLeases = false;
  try {
    const resolution = await resolveBindings(
      { envFiles: ctx.envFiles, mapping: { ...ctx.mapping, files: [] } },
      { reader: ctx.reader, redactor: logger.redactor, environ, warn: (m, f) => logger.warn(m, f) },
    );
    if (resolution.failures.length > 0) return reportFailures(explainDenials(resolution.failures, await ctx.providers.active()), logger);
    warnAboutOverrides(resolution.variables, logger);
    if (ctx.mapping.files.length > 0) {
      logger.warn("files: entries are not exported (their temporary files exist only while envject runs)", {
        variables: ctx.mapping.files.map((b) => b.name),
      });
    }
    const values = new Map([...finalValues(resolution.variables)].map(([name, v]) => [name, v.value]));
    // As for `run` (docs/contract/environment.md#names-and-values): no variable can hold a NUL, and `eval` would silently drop it.
    for (const [name, value] of values) assertNoNul(value, name);
    const output = formatVariables(values, format);
    keepLeases = true;
    for (const lease of ctx.reader.leases()) {
      logger.warn(`exported a leased secret; it stops working when its lease ends in ${formatDuration(lease.durationSeconds * 1000)}`, {
        lease_id: lease.id,
        ttl: lease.durationSeconds,
      });
    }
    write(output);
    return 0;
  } finally {
    await releaseStores(ctx, { keepLeases });
  }
}
