/**
 * Runs the Vault double standalone: `node --import tsx src/dev/vault/main.ts [options]`.
 * Prints one JSON line `{"url":…,"rootToken":…}` on stdout once listening, then serves until
 * SIGTERM or SIGINT. Writes nothing unless `--seed FILE` is given.
 *
 *   --root-token TOKEN   use this root token (default: random hvs.root-…)
 *   --port N             listen on this port (default 0: the kernel picks one)
 *   --tls-key FILE --tls-cert FILE   serve HTTPS
 *   --seed FILE          JSON {"<mount>/<path>": {…data…}, …}: each entry is written as a secret
 *                        (KV v2 or v1, by the mount's type) with the root token
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { VaultDoubleClient } from "./client.js";
import { startVaultDouble, type VaultDoubleOptions } from "./index.js";
import { stopOnSignals } from "../shared/stop-on-signals.js";

const { values } = parseArgs({
  options: {
    "root-token": { type: "string" },
    port: { type: "string" },
    "tls-key": { type: "string" },
    "tls-cert": { type: "string" },
    seed: { type: "string" },
  },
  strict: true,
});

const options: VaultDoubleOptions = {};
if (values["root-token"]) options.rootToken = values["root-token"];
if (values.port) options.port = Number.parseInt(values.port, 10);
if (values["tls-key"] || values["tls-cert"]) {
  if (!values["tls-key"] || !values["tls-cert"]) throw new Error("--tls-key and --tls-cert go together");
  options.tls = { key: readFileSync(values["tls-key"]), cert: readFileSync(values["tls-cert"]) };
}

const double = await startVaultDouble(options);
if (values.seed) {
  const seed = JSON.parse(readFileSync(values.seed, "utf8")) as Record<string, Record<string, unknown>>;
  const client = new VaultDoubleClient(double.url, double.rootToken, options.tls ? { ca: options.tls.cert } : {});
  for (const [path, data] of Object.entries(seed)) await client.writeSecret(path, data);
  client.close();
}
process.stdout.write(`${JSON.stringify({ url: double.url, rootToken: double.rootToken })}\n`);

stopOnSignals(() => double.close());
