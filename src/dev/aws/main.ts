/**
 * Runs the AWS Secrets Manager double standalone: `node --import tsx src/dev/aws/main.ts [options]`.
 * Prints one JSON line `{"url":…}` on stdout once listening and seeded, then serves until SIGTERM
 * or SIGINT (exit 0).
 *
 *   --port N          listen on this port (default 0: the kernel picks one)
 *   --account ID      account id in ARNs (default 123456789012)
 *   --seed FILE       JSON {"<name>" | "<region>:<name>": "string" | {…json…} | {"SecretBinary":"b64"} | [v1, v2, …]}
 *                     (see seed.ts; names without a region go to us-east-1)
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startAwsDouble, type AwsDoubleOptions } from "./index.js";
import { applySeed, type Seed } from "./seed.js";
import { stopOnSignals } from "../shared/stop-on-signals.js";

const { values } = parseArgs({
  options: { port: { type: "string" }, account: { type: "string" }, seed: { type: "string" } },
  strict: true,
});

const options: AwsDoubleOptions = {};
if (values.port) options.port = Number.parseInt(values.port, 10);
if (values.account) options.accountId = values.account;

const double = await startAwsDouble(options);
if (values.seed) await applySeed(double.url, JSON.parse(readFileSync(values.seed, "utf8")) as Seed);
process.stdout.write(`${JSON.stringify({ url: double.url })}\n`);

stopOnSignals(() => double.close());
