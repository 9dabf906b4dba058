// The app of this example: it needs these variables and prints, for each, whether it has it, its
// length and a SHA-256 prefix -- never the value -- so before.env and after.env runs can be compared.
import { createHash } from "node:crypto";

const names = ["DB_HOST", "DB_PORT", "DB_USER", "DB_PASSWORD", "API_KEY", "THEME_COLOR", "GREETING"];
for (const name of names) {
  const value = process.env[name];
  const shown = value === undefined ? "missing" : `${String(value.length).padStart(2)} characters  sha256 ${createHash("sha256").update(value).digest("hex").slice(0, 12)}`;
  console.log(`${name.padEnd(12)} ${shown}`);
}
