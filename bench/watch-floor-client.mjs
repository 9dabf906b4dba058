// The floor for bench/watch.bench.ts: the polls of one envject watching SECRETS KV v2 secrets at
// --interval 1s (GET /v1/secret/metadata/watch/s<i>, SECRETS per second, in 20 batches a second
// as envject's poll grid sends them), from a Node process that does nothing else: 8 kept-alive
// raw sockets, each answer framed by its Content-Length and JSON.parse'd. No retries, no
// checks: it is what any Node client pays per poll here, not a client.
import net from "node:net";

const address = new URL(process.env.VAULT_ADDR ?? "");
const token = process.env.VAULT_TOKEN ?? "";
const secrets = Number(process.env.SECRETS ?? 100);
const sockets = [];
for (let i = 0; i < 8; i++) {
  const socket = net.connect({ host: address.hostname, port: Number(address.port) });
  socket.setNoDelay(true);
  let pending = Buffer.alloc(0);
  socket.on("data", (data) => {
    pending = pending.length === 0 ? data : Buffer.concat([pending, data]);
    for (;;) {
      const end = pending.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = Number(/content-length: *(\d+)/i.exec(pending.toString("latin1", 0, end))?.[1] ?? 0);
      if (pending.length < end + 4 + length) return;
      JSON.parse(pending.toString("utf8", end + 4, end + 4 + length));
      pending = pending.subarray(end + 4 + length);
    }
  });
  sockets.push(socket);
}
let next = 0;
const perBatch = Math.max(1, Math.round(secrets / 20));
setInterval(() => {
  for (let k = 0; k < perBatch; k++) {
    const i = next++ % secrets;
    sockets[i % sockets.length].write(`GET /v1/secret/metadata/watch/s${i} HTTP/1.1\r\nHost: ${address.host}\r\nX-Vault-Token: ${token}\r\n\r\n`, "latin1");
  }
}, 50);
