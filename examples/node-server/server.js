// A plain node:http server configured only through its environment, run under envject.
// It never prints or serves a secret: /health reports a short SHA-256 prefix of DB_PASSWORD,
// which changes when the password rotates and reveals nothing about it.
import { createHash } from "node:crypto";
import { createServer } from "node:http";

const required = ["DB_USER", "DB_PASSWORD", "DATABASE_URL"];
const missing = required.filter((name) => !process.env[name]);
if (missing.length > 0) {
  console.error(`server: missing ${missing.join(", ")}: run me under envject (see README.md)`);
  process.exit(2);
}

const fingerprint = (value) => createHash("sha256").update(value).digest("hex").slice(0, 12);
const startedAt = new Date().toISOString();

const server = createServer((req, res) => {
  if (req.url !== "/health") {
    res.writeHead(404).end();
    return;
  }
  res.setHeader("content-type", "application/json");
  res.end(
    JSON.stringify({
      ok: true,
      pid: process.pid,
      started_at: startedAt,
      db_user: process.env.DB_USER, // a user name is not a secret
      db_password_sha256: fingerprint(process.env.DB_PASSWORD),
      database_url_sha256: fingerprint(process.env.DATABASE_URL),
    }),
  );
});

// The handler first: envject forwards SIGTERM (and sends it itself before a restart).
process.on("SIGTERM", () => {
  console.log(`server: SIGTERM, closing (pid ${process.pid})`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
});

server.listen(Number(process.env.PORT ?? 8080), process.env.HOST ?? "127.0.0.1", () => {
  console.log(`server: listening on ${server.address().port} (pid ${process.pid}, DB_PASSWORD #${fingerprint(process.env.DB_PASSWORD)})`);
});
