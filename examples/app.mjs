// The demo application: shows what envject put in its environment without printing secret
// values (it prints their length), except with --print-secret, to show what --mask does.
// With --serve it keeps running, to watch envject restart it when a secret rotates.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

const secretNames = new Set(["DB_PASSWORD", "DATABASE_URL", "LEGACY_API_TOKEN", "REPORTING_DB_PASSWORD", "SESSION_SECRET", "STRIPE_API_KEY"]);
const shown = ["DB_USER", "DB_PASSWORD", "DATABASE_URL", "LEGACY_API_TOKEN", "REPORTING_DB_USER", "REPORTING_DB_PASSWORD", "STRIPE_API_KEY", "PORT", "LOG_FORMAT", "FLAGS_URL", "SESSION_SECRET"];

if (process.argv.includes("--print-secret")) {
  console.log(`app: connecting with password ${process.env.DB_PASSWORD} (envject --mask hides it)`);
} else if (process.argv.includes("--serve")) {
  serve();
} else {
  showEnvironment();
}

/** A long-running service: a short fingerprint of each secret changes with its value without revealing it. */
function serve() {
  // The handler first: whoever waits for the "serving" line may send SIGTERM right after it.
  process.on("SIGTERM", () => {
    console.log(`app: SIGTERM, shutting down (pid ${process.pid})`);
    process.exit(0);
  });
  const fingerprint = (name) => createHash("sha256").update(process.env[name] ?? "").digest("hex").slice(0, 8);
  console.log(`app: serving (pid ${process.pid}) with DB_PASSWORD #${fingerprint("DB_PASSWORD")}, STRIPE_API_KEY #${fingerprint("STRIPE_API_KEY")}`);
  setInterval(() => {}, 1 << 30);
}

function showEnvironment() {
  console.log("app: my environment, as envject prepared it:");
  for (const name of shown) {
    const value = process.env[name];
    const display = value === undefined ? "(missing)" : secretNames.has(name) ? `<secret, ${value.length} characters>` : value;
    console.log(`  ${name.padEnd(22)} ${display}`);
  }
  for (const name of Object.keys(process.env).filter((n) => n.startsWith("APP_")).sort()) {
    console.log(`  ${name.padEnd(22)} ${process.env[name]}`);
  }
  const keyFile = process.env.TLS_KEY_FILE;
  if (keyFile) {
    const firstLine = readFileSync(keyFile, "utf8").split("\n")[0];
    console.log(`  ${"TLS_KEY_FILE".padEnd(22)} ${keyFile} (first line: ${firstLine})`);
  }
  const credentials = ["VAULT_ROLE_ID", "VAULT_SECRET_ID", "VAULT_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"];
  const leaked = credentials.filter((n) => n in process.env);
  console.log(`app: envject's own credentials in my environment: ${leaked.length ? leaked.join(", ") : "none"}`);
}
