// Where a start goes (npm run bench:profile): CPU profiles (node --cpu-prof) of
// `envject --no-watch -c <one literal> -- node -e 0`, self time per place, averaged over the runs.
// PROFILE_CASE=vault profiles the start-up bench's five Vault references instead (three secrets,
// KV v2 and v1, read from the Vault double in a process of its own, so its work is not counted).
// The bundle's own time is split by the source module it came from (through the source map the
// build keeps in .build/), so a dependency's share shows as itself; Node's internals are grouped
// by their module, V8's own work ((program), GC) by name. Profiler overhead is included: the
// total is larger than an unprofiled start, and the shares are what to read.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { VaultDoubleClient } from "../src/dev/vault/client.js";
import { readBundleMap } from "../test/support/bundle-coverage.js";
import { startVaultProcess } from "./vault-process.js";

const root = resolve(import.meta.dirname, "..");
const bin = join(root, "bin/envject.cjs");
const runs = Number(process.env.BENCH_RUNS ?? 10);
const dir = mkdtempSync(join(tmpdir(), "envject-profile-"));

interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

const { sources, lines } = readBundleMap();
/** The source of the last mapped segment at or before (line, column) of the bundle. */
function sourceAt(line: number, column: number): string {
  for (let l = line; l >= 0; l--) {
    const segments = lines[l] ?? [];
    for (let i = segments.length - 1; i >= 0; i--) if (l < line || segments[i]![0] <= column) return sources[segments[i]![1]]!;
  }
  return "(bundle)";
}
/** A dependency's time under its package, a source file under itself. */
function place(source: string): string {
  if (!source.startsWith("node_modules/")) return source;
  const parts = source.split("/");
  return parts.slice(0, parts[1]!.startsWith("@") ? 3 : 2).join("/");
}

const vaultCase = process.env.PROFILE_CASE === "vault";
const vault = vaultCase ? await startVaultProcess() : undefined;
try {
  const mapping = join(dir, "envject.yaml");
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? "", HOME: dir };
  if (vault) {
    const admin = new VaultDoubleClient(vault.url, vault.rootToken);
    await admin.writeKv2("secret/app/db", { username: "u", password: "p-profile-1" });
    await admin.writeKv2("secret/app/api", { key: "k-profile-2" });
    await admin.writeKv1("kv/legacy", { token: "t-profile-3" });
    const refs = ["API_KEY: vault://secret/app/api#key", "DB_USER: vault://secret/app/db#username", "DB_PASSWORD: vault://secret/app/db#password", "LEGACY: vault://kv/legacy#token"];
    const url = "URL: \"postgres://{{ vault('secret/app/db#username') }}:{{ vault('secret/app/db#password') }}@db/app\"";
    writeFileSync(mapping, `env:\n${[...refs, url].map((l) => `  ${l}\n`).join("")}`);
    Object.assign(env, { VAULT_ADDR: vault.url, VAULT_TOKEN: vault.rootToken, ENVJECT_LOG_LEVEL: "warn" });
  } else {
    writeFileSync(mapping, "env:\n  GREETING: hello\n");
  }
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, ["--cpu-prof", `--cpu-prof-dir=${join(dir, "prof")}`, "--cpu-prof-interval", "100", bin, "--no-watch", "-c", mapping, "--", process.execPath, "-e", "0"], {
      env,
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`envject exited ${r.status}: ${r.stderr}`);
  }
  const totals = new Map<string, number>();
  const files = readdirSync(join(dir, "prof")).filter((f) => f.endsWith(".cpuprofile"));
  // The profiles of envject's own process only: the child `node -e 0` writes one too, without the bundle.
  let profiles = 0;
  for (const f of files) {
    const p = JSON.parse(readFileSync(join(dir, "prof", f), "utf8")) as Profile;
    if (!p.nodes.some((n) => n.callFrame.url.endsWith("dist/envject.cjs"))) continue;
    profiles++;
    const self = new Map<number, number>();
    p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
    for (const node of p.nodes) {
      const us = self.get(node.id) ?? 0;
      if (us === 0) continue;
      const { url, functionName, lineNumber, columnNumber } = node.callFrame;
      let key: string;
      if (url.endsWith("dist/envject.cjs")) key = `bundle: ${lineNumber >= 1 ? place(sourceAt(lineNumber - 1, columnNumber)) : "(the loader's wrapper)"}`;
      else if (url.endsWith("bin/envject.cjs")) key = "bin/envject.cjs (reading the bundle and its cache)";
      else if (url === "") key = `V8: ${functionName}`;
      else key = `node: ${url.replace(/^node:/, "")}`;
      totals.set(key, (totals.get(key) ?? 0) + us / 1000);
    }
  }
  const busy = [...totals].filter(([k]) => k !== "V8: (idle)").reduce((a, [, v]) => a + v, 0) / profiles;
  const bundle = [...totals].filter(([k]) => k.startsWith("bundle: ")).reduce((a, [, v]) => a + v, 0) / profiles;
  console.log(
    `\n${profiles} profiles of envject's own process (${vaultCase ? "five Vault references" : "one literal"}): ${busy.toFixed(1)} ms busy per start (profiler overhead included), ${bundle.toFixed(1)} ms of it in the bundle's code\n`,
  );
  console.log("| where (self time) | ms per start | share |");
  console.log("| --- | --- | --- |");
  for (const [k, v] of [...totals]
    .filter(([k]) => k !== "V8: (idle)")
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(process.env.PROFILE_ROWS ?? 25))) {
    console.log(`| ${k} | ${(v / profiles).toFixed(1)} | ${((100 * v) / profiles / busy).toFixed(1)} % |`);
  }
} finally {
  vault?.proc.kill();
  rmSync(dir, { recursive: true, force: true });
}
