// The example app: an HTTP server configured only through its environment. It never prints a
// secret; /health says which variables it has. On SIGTERM (docker stop, forwarded by envject) it
// stops accepting connections and exits 0.
import { createServer } from "node:http";

const required = ["DB_USER", "DB_PASSWORD", "DATABASE_URL"];
const missing = required.filter((name) => !process.env[name]);
if (missing.length > 0) {
  console.error(`missing ${missing.join(", ")}: run me under envject`);
  process.exit(2);
}

const server = createServer((req, res) => {
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ ok: true, user: process.env.DB_USER, has: required }));
});
server.listen(Number(process.env.PORT ?? 8080), process.env.HOST ?? "0.0.0.0", () => {
  console.log(`listening on ${server.address().port}`);
});
process.on("SIGTERM", () => {
  console.log("SIGTERM: closing");
  server.close(() => process.exit(0));
});
