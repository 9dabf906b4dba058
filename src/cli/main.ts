/**
 * The `envject` executable: parse the command line, run the command, exit with its code. Every
 * expected failure is one log line and a documented exit code; only a bug shows more, and only at
 * debug level.
 */
import { type LogFormat, Logger } from "../log/logger.js";
import { parseArgs } from "./argv.js";
import { reportFatal } from "./report.js";

declare const __ENVJECT_VERSION__: string | undefined;
export const VERSION = typeof __ENVJECT_VERSION__ === "string" ? __ENVJECT_VERSION__ : "0.0.0-dev";

/** Runs envject with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[], environ: NodeJS.ProcessEnv = process.env): Promise<number> {
  // Usage errors are logged before the options are known; honour a requested JSON format anyway.
  let logger = new Logger("info", requestedLogFormat(argv, environ));
  try {
    const parsed = await parseArgs(argv, VERSION, environ);
    if (parsed.kind === "output") {
      if (parsed.text !== "") process.stdout.write(`${parsed.text}\n`);
      return 0;
    }
    logger = new Logger(parsed.global.logLevel, parsed.global.logFormat);
    // Each command is loaded when chosen: --help and check never load what only run needs.
    switch (parsed.command) {
      case "run":
        return await (await import("./commands/run.js")).runCommand(parsed.global, parsed.run, environ, logger);
      case "check":
        return await (await import("./commands/check.js")).checkCommand(parsed.global, parsed.format, environ, logger);
      case "export":
        return await (await import("./commands/export.js")).exportCommand(parsed.global, parsed.format, environ, logger);
      case "dev":
        return await (await import("./commands/dev.js")).devCommand(parsed.dev, logger);
    }
  } catch (error) {
    return reportFatal(error, logger);
  }
}

/** `--log-format json` (or `=json`, or ENVJECT_LOG_FORMAT=json) among envject's own arguments,
 *  read before the command line is known to be valid. */
function requestedLogFormat(argv: readonly string[], environ: NodeJS.ProcessEnv): LogFormat {
  const end = argv.indexOf("--");
  const own = end < 0 ? argv : argv.slice(0, end);
  let value = environ.ENVJECT_LOG_FORMAT;
  own.forEach((a, i) => {
    if (a.startsWith("--log-format=")) value = a.slice("--log-format=".length);
    else if (a === "--log-format") value = own[i + 1];
  });
  return value === "json" ? "json" : "text";
}

// Node opens its inspector on SIGUSR1 unless someone listens: never let a signal do that to a
// process that holds secrets. (`run` forwards SIGUSR1 to the child once it has one.)
process.on("SIGUSR1", () => {});
// Not a top-level await: the CLI is bundled as CommonJS (scripts/build.mjs).
void main(process.argv.slice(2)).then((code) => process.exit(code));
