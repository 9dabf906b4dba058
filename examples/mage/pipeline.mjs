// A stand-in for `mage start`, so the example runs without Mage: it reads io_config.yaml's
// `default:` profile the way Mage fills it in -- each {{ env_var('NAME') }} from the environment --
// and prints, for every setting, where it came from, its length and a SHA-256 prefix, never the
// value. (A flat, line-based reading of the file: enough for this file, not a YAML parser.)
// Exits 1 when a setting's variable is missing, as a pipeline that cannot connect would.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

const lines = readFileSync(new URL("io_config.yaml", import.meta.url), "utf8").split("\n");
const start = lines.indexOf("default:");
const settings = {};
let missing = 0;
for (const line of lines.slice(start + 1)) {
  const m = /^ {2}([A-Z0-9_]+): (.*)$/.exec(line);
  if (!m) break;
  const [, key, raw] = m;
  const ref = /^"\{\{ env_var\('([A-Z0-9_]+)'\) \}\}"$/.exec(raw);
  const value = ref ? process.env[ref[1]] : raw.replace(/^"(.*)"$/, "$1");
  if (value === undefined) missing++;
  settings[key] = {
    from: ref ? `env_var('${ref[1]}')` : "literal",
    ...(value === undefined ? { missing: true } : { length: value.length, sha256: createHash("sha256").update(value).digest("hex").slice(0, 12) }),
  };
}
console.log(JSON.stringify(settings, null, 2));
process.exit(missing ? 1 : 0);
