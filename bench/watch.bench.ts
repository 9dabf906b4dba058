// The cost of watching (npm run bench:watch; part of `npm run bench`): one envject watching
// SECRETS distinct KV v2 secrets (default 100) at --interval 1s, for DURATION_S seconds (default
// 60) after a warm-up, against a Vault double running in its own process (so its work is not
// counted). Measured from /proc, as `top` would: envject's CPU time (utime + stime of
// /proc/<pid>/stat) over the window as a share of one core, its RSS (VmRSS) at the end and its
// peak (VmHWM) from /proc/<pid>/status (and how much of the RSS is anonymous memory, the heaps,
// and how much file-backed, the node binary and libraries), the metadata polls the double answered in the window, and
// envject's CPU time per poll. WATCH_NODE_ARGS (space-separated) goes to the node running envject,
// e.g. WATCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" for a profile of the whole run.
// Then the same polls from bench/watch-floor-client.mjs, a Node process that only sends them on raw
// sockets and parses the answers, measured the same way: the floor Node itself sets on this
// machine (WATCH_FLOOR=0 skips it).
// Targets (issue 12): < 2 % of one core, RSS < 50 MB. Prints a Markdown table.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { VaultDoubleClient } from "../src/dev/vault/client.js";
import { startVaultProcess } from "./vault-process.js";

const SECRETS = Number(process.env.SECRETS ?? 100);
const DURATION_S = Number(process.env.DURATION_S ?? 60);
const WARMUP_S = Number(process.env.WARMUP_S ?? 5);
const root = resolve(import.meta.dirname, "..");
const bin = join(root, "bin/envject.cjs");
const dir = mkdtempSync(join(tmpdir(), "envject-watch-bench-"));
const nodeArgs = (process.env.WATCH_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
const ticksPerSecond = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** utime and stime of `pid`, in seconds (fields 14 and 15 of /proc/<pid>/stat, after the command name). */
function cpuSeconds(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(fields[11]) / ticksPerSecond, system: Number(fields[12]) / ticksPerSecond };
}

function statusKiB(pid: number, field: "VmRSS" | "VmHWM" | "RssAnon" | "RssFile"): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : Number.NaN;
}

interface Window {
  seconds: number;
  user: number;
  system: number;
  polls: number;
  rss: number;
  peak: number;
  anon: number;
  file: number;
}

/** After the warm-up, `pid`'s CPU time over DURATION_S, its memory at the end and the polls the double answered meanwhile. */
async function window(pid: number, admin: VaultDoubleClient): Promise<Window> {
  await sleep(WARMUP_S * 1000);
  await admin.clearRequests();
  const cpu0 = cpuSeconds(pid);
  const t0 = process.hrtime.bigint();
  await sleep(DURATION_S * 1000);
  const cpu1 = cpuSeconds(pid);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const polls = (await admin.requests()).filter((r) => r.method === "GET" && r.path.startsWith("secret/metadata/watch/")).length;
  // User time is the process's code and V8's (its worker threads included); system time is the
  // kernel's, most of it the loopback TCP send, which on one machine also does the receiving side's work.
  return {
    seconds,
    user: cpu1.user - cpu0.user,
    system: cpu1.system - cpu0.system,
    polls,
    rss: statusKiB(pid, "VmRSS"),
    peak: statusKiB(pid, "VmHWM"),
    anon: statusKiB(pid, "RssAnon"),
    file: statusKiB(pid, "RssFile"),
  };
}

/** One table row. */
function row(label: string, w: Window): string {
  const share = ((w.user + w.system) / w.seconds) * 100;
  const us = (cpu: number) => (w.polls > 0 ? ((cpu / w.polls) * 1e6).toFixed(0) : "–");
  const mib = (kib: number) => (kib / 1024).toFixed(1);
  return `| ${label}: ${SECRETS} | ${w.seconds.toFixed(0)} s | ${share.toFixed(2)} % (target < 2 %) | ${mib(w.rss)} MiB (target < 50 MB) | ${mib(w.peak)} MiB | ${(w.polls / w.seconds).toFixed(1)} (expected ${SECRETS}) | ${us(w.user + w.system)} µs | ${us(w.user)} / ${us(w.system)} µs | ${mib(w.anon)} / ${mib(w.file)} MiB |`;
}

const vault = await startVaultProcess();
let envject: ChildProcess | undefined;
let floor: ChildProcess | undefined;
try {
  const admin = new VaultDoubleClient(vault.url, vault.rootToken);
  const lines = ["env:"];
  for (let i = 0; i < SECRETS; i++) {
    await admin.writeKv2(`secret/watch/s${i}`, { v: `value-${i}` });
    lines.push(`  V${i}: vault://secret/watch/s${i}#v`);
  }
  const mapping = join(dir, "watch.yaml");
  writeFileSync(mapping, `${lines.join("\n")}\n`);
  envject = spawn(process.execPath, [...nodeArgs, bin, "--watch", "--interval", "1s", "-c", mapping, "--", process.execPath, "-e", "setInterval(() => {}, 1 << 30)"], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: dir, VAULT_ADDR: vault.url, VAULT_TOKEN: vault.rootToken, ENVJECT_LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const watched = await window(envject.pid!, admin);
  console.log(`envject watching, ${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "?"}\n`);
  console.log("| secrets at --interval 1s | window | CPU (one core) | RSS at end | peak RSS | polls/s | CPU per poll | of it user / system | RSS anonymous / file-backed |");
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  console.log(row("envject", watched));
  envject.kill("SIGTERM");
  if (envject.exitCode === null) await new Promise((r) => envject!.once("exit", r));
  if (process.env.WATCH_FLOOR !== "0") {
    // The floor: the same polls from a Node process that does nothing else (raw keep-alive sockets,
    // the request written, the answer framed and JSON.parse'd), to see how much of envject's cost
    // per poll is Node's own on this machine.
    floor = spawn(process.execPath, [join(root, "bench/watch-floor-client.mjs")], {
      env: { PATH: process.env.PATH, VAULT_ADDR: vault.url, VAULT_TOKEN: vault.rootToken, SECRETS: String(SECRETS) },
      stdio: ["ignore", "ignore", "inherit"],
    });
    console.log(row("a bare-socket Node client, the same polls (the floor)", await window(floor.pid!, admin)));
  }
} finally {
  floor?.kill("SIGTERM");
  envject?.kill("SIGTERM");
  if (envject && envject.exitCode === null) await new Promise((r) => envject!.once("exit", r));
  vault.proc.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
}
