// Load: many envject instances watching one Vault (npm run bench:load). Not part of `npm test`:
// it runs for minutes and needs a quiet machine. Figures go to docs/RELIABILITY.md ("Load").
//
// INSTANCES envject processes (default 200), each watching SECRETS distinct KV v2 secrets
// (default 5) at --interval INTERVAL_S seconds (default 1), against one Vault double running in
// its own process, for DURATION_S seconds (default 60) once all of them run. Measured:
//   - failed instances: exited before shutdown, or with a code other than the child's 143;
//   - the request rate against INSTANCES x SECRETS / INTERVAL (target: within 10 %);
//   - the peak-to-mean ratio of requests per 100 ms bucket (target: <= 2, the poll jitter works);
//   - RSS per envject instance (VmRSS, sampled half-way);
//   - after SIGTERM to all: every instance exited, and no process carrying the run's marker
//     (envject or its child, found by walking /proc environ) is left, zombies included.
// Prints a Markdown table and exits 1 when a target is missed.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, freemem, totalmem, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { type ProcInfo, allProcesses, withMarker, zombiesAmong } from "../test/support/processes.js";
import { VaultDoubleClient } from "../src/dev/vault/client.js";
import { startVaultProcess } from "./vault-process.js";

const INSTANCES = Number(process.env.INSTANCES ?? 200);
const SECRETS = Number(process.env.SECRETS ?? 5);
const INTERVAL_S = Number(process.env.INTERVAL_S ?? 1);
const DURATION_S = Number(process.env.DURATION_S ?? 60);
const root = resolve(import.meta.dirname, "..");
const bin = join(root, "bin/envject.cjs");
const marker = `LOADBENCH_MARKER=${randomBytes(8).toString("hex")}`;
const dir = mkdtempSync(join(tmpdir(), "envject-load-"));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The run's processes left: those carrying the marker (found wherever re-parented), and zombies of ours. */
function leftProcesses(): ProcInfo[] {
  const all = allProcesses();
  const zombies = zombiesAmong(all).filter((p) => instancePids.has(p.ppid) || p.ppid === process.pid);
  return [...withMarker(marker, all), ...zombies];
}
const instancePids = new Set<number>();

function rssKiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

interface Instance {
  index: number;
  proc: ChildProcess;
  ready: string;
  exit?: { code: number | null; signal: NodeJS.Signals | null; early: boolean };
  stderr: string;
}

const double = await startVaultProcess();
const admin = new VaultDoubleClient(double.url, double.rootToken);
const instances: Instance[] = [];
let shuttingDown = false;
const failures: string[] = [];
try {
  console.error(`writing ${INSTANCES * SECRETS} secrets…`);
  for (let i = 0; i < INSTANCES; i++) {
    const lines = ["env:"];
    for (let j = 0; j < SECRETS; j++) {
      await admin.writeKv2(`secret/load/${i}/s${j}`, { value: `load-${i}-${j}-${randomBytes(4).toString("hex")}` });
      lines.push(`  S${j}: vault://secret/load/${i}/s${j}#value`);
    }
    writeFileSync(join(dir, `m${i}.yaml`), `${lines.join("\n")}\n`);
  }

  console.error(`starting ${INSTANCES} instances…`);
  const env = {
    PATH: process.env.PATH,
    HOME: dir,
    VAULT_ADDR: double.url,
    VAULT_TOKEN: double.rootToken,
    LOADBENCH_MARKER: marker.split("=")[1],
  };
  const startedAt = Date.now();
  for (let i = 0; i < INSTANCES; i++) {
    const ready = join(dir, `ready-${i}`);
    const args = [bin, "--watch", "--interval", `${INTERVAL_S}s`, "--log-level", "warn", "-c", join(dir, `m${i}.yaml`), "--", "sh", "-c", 'echo "$$" > "$1"; exec sleep 100000', "sh", ready];
    const proc = spawn(process.execPath, args, { cwd: dir, env, stdio: ["ignore", "ignore", "pipe"] });
    instancePids.add(proc.pid!);
    const instance: Instance = { index: i, proc, ready, stderr: "" };
    proc.stderr.setEncoding("utf8").on("data", (d: string) => (instance.stderr += d));
    proc.on("close", (code, signal) => {
      instance.exit = { code, signal, early: !shuttingDown };
      if (!shuttingDown) failures.push(`instance ${i} exited early (code ${code}, signal ${signal}): ${instance.stderr.trim().split("\n").at(-1)}`);
    });
    instances.push(instance);
    if (i % 10 === 9) await sleep(200); // let the machine breathe while 200 Node processes start
  }
  const deadline = Date.now() + 180_000;
  for (;;) {
    const waiting = instances.filter((x) => x.exit === undefined && !existsReady(x.ready)).length;
    if (waiting === 0 || Date.now() > deadline) break;
    await sleep(200);
  }
  const notReady = instances.filter((x) => !existsReady(x.ready));
  for (const x of notReady) failures.push(`instance ${x.index}'s child never started: ${x.stderr.trim().split("\n").at(-1) ?? ""}`);
  const startSeconds = (Date.now() - startedAt) / 1000;
  console.error(`all started in ${startSeconds.toFixed(1)} s; settling for ${2 * INTERVAL_S} s, then measuring ${DURATION_S} s…`);

  await sleep(2000 * INTERVAL_S); // every poller past its first random phase
  await admin.clearRequests();
  const windowStart = Date.now();
  await sleep((DURATION_S * 1000) / 2);
  const rss = instances
    .map((x) => rssKiB(x.proc.pid!))
    .filter((v): v is number => v !== undefined)
    .sort((a, b) => a - b);
  await sleep((DURATION_S * 1000) / 2);
  const windowEnd = Date.now();
  const log = await admin.requests();

  // Polls: the instances' requests under secret/ inside the window (control requests are not logged here).
  const polls = log
    .filter((r) => r.path.startsWith("secret/"))
    .map((r) => Date.parse(r.time))
    .filter((t) => t >= windowStart && t < windowEnd);
  const seconds = (windowEnd - windowStart) / 1000;
  const rate = polls.length / seconds;
  const expected = (INSTANCES * SECRETS) / INTERVAL_S;
  const buckets = new Array<number>(Math.floor((windowEnd - windowStart) / 100)).fill(0);
  for (const t of polls) {
    const b = Math.floor((t - windowStart) / 100);
    if (b < buckets.length) buckets[b]!++;
  }
  const mean = buckets.reduce((a, b) => a + b, 0) / buckets.length;
  const peak = Math.max(...buckets);
  const statuses = new Map<number, number>();
  for (const r of log) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);

  console.error("stopping all instances (SIGTERM)…");
  shuttingDown = true;
  const stopAt = Date.now();
  for (const x of instances) if (x.exit === undefined) x.proc.kill("SIGTERM");
  const stopDeadline = Date.now() + 60_000;
  while (instances.some((x) => x.exit === undefined) && Date.now() < stopDeadline) await sleep(100);
  const stopSeconds = (Date.now() - stopAt) / 1000;
  const stillRunning = instances.filter((x) => x.exit === undefined);
  for (const x of stillRunning) failures.push(`instance ${x.index} did not exit within 60 s of SIGTERM`);
  for (const x of instances)
    if (x.exit && !x.exit.early && x.exit.code !== 143)
      failures.push(`instance ${x.index} exited ${x.exit.code}/${x.exit.signal} on SIGTERM (want 143, the child's SIGTERM): ${x.stderr.trim().split("\n").at(-1)}`);
  await sleep(500);
  const left = leftProcesses();
  const zombies = zombiesAmong(left).length;

  const ratio = peak / mean;
  const within = Math.abs(rate - expected) / expected <= 0.1;
  const ok = failures.length === 0 && within && ratio <= 2 && left.length === 0;
  const mib = (k: number) => (k / 1024).toFixed(1);
  console.log(
    `\nLoad run ${new Date().toISOString()} — ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB (${(freemem() / 2 ** 30).toFixed(0)} GiB free after), Node ${process.version}\n`,
  );
  console.log("| measure | target | measured |");
  console.log("| --- | --- | --- |");
  console.log(`| instances × secrets, interval | ${INSTANCES} × ${SECRETS}, ${INTERVAL_S} s | all ${INSTANCES - notReady.length} started in ${startSeconds.toFixed(1)} s |`);
  console.log(`| failed instances | 0 | ${failures.length === 0 ? 0 : new Set(failures.map((f) => f.split(" ")[1])).size} |`);
  console.log(`| request rate over ${seconds.toFixed(1)} s | ${expected}/s ± 10 % | ${rate.toFixed(1)}/s (${polls.length} requests, ${(((rate - expected) / expected) * 100).toFixed(1)} %) |`);
  const sortedBuckets = [...buckets].sort((a, b) => a - b);
  console.log(`| peak / mean requests per 100 ms | ≤ 2 | ${peak} / ${mean.toFixed(1)} = ${ratio.toFixed(2)} (p99 bucket ${percentile(sortedBuckets, 0.99)}, p1 ${percentile(sortedBuckets, 0.01)}) |`);
  console.log(`| answers by status | — | ${[...statuses].map(([s, n]) => `${s}: ${n}`).join(", ")} |`);
  console.log(`| RSS per envject instance (median / p90 / max) | — | ${mib(percentile(rss, 0.5))} / ${mib(percentile(rss, 0.9))} / ${mib(rss.at(-1)!)} MiB (${rss.length} sampled) |`);
  console.log(`| shutdown: all exited 143 after SIGTERM | ${INSTANCES} | ${instances.filter((x) => x.exit?.code === 143).length}, in ${stopSeconds.toFixed(1)} s |`);
  console.log(`| processes left (marker in /proc environ), zombies | 0, 0 | ${left.length}, ${zombies} |`);
  for (const f of failures.slice(0, 20)) console.log(`\n- ${f}`);
  process.exitCode = ok ? 0 : 1;
} finally {
  shuttingDown = true;
  for (const x of instances) if (x.exit === undefined) x.proc.kill("SIGKILL");
  double.proc.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
}

function existsReady(path: string): boolean {
  try {
    return readFileSync(path, "utf8").trim() !== "";
  } catch {
    return false;
  }
}
