// Start-up and resolution benchmarks (npm run bench). Wall-clock numbers belong here, not in
// tests: they are recorded in BENCHMARKS.md with the machine and the date.
//
// First, the wrappers side by side (issue 12): bare `node -e 0`, envject (a mapping with one
// literal, --no-watch), env-cmd and dotenv-cli (each reading a one-line .env), every one running
// `node -e 0`, interleaved A B C D A B C D … so that a neighbour's load hits them alike; each is
// printed as its median, its p10–p90 spread and its ratio to bare node.
//
// Then, one after another:
//   1. `envject -- node -e 0`, no mapping file           (envject's own start-up cost)
//   2. `envject -c <5 Vault refs> -- node -e 0`          (+ login, discovery, reads on loopback)
//   3. 200 distinct secrets, 20 ms Vault latency         (concurrency: 16 reads in flight)
//   4. `envject -c <5 AWS refs>`                         (+ loading the AWS SDK, one batched read)
//   5. 200 distinct AWS secrets, 20 ms latency           (BatchGetSecretValue, 16 in flight)
// and the resolution alone (resolveEnv in this process, no process start): 200 distinct Vault
// secrets at 5 and 25 ms latency against the bound auth + mounts + ⌈secrets/16⌉ round trips,
// with the CPU this process spent per resolution (the machine may be shared: CPU ms is the figure
// a neighbour's load does not move). BENCH_ONLY=resolution runs only these rows.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { resolveEnv } from "../src/index.js";
import { startVaultDouble } from "../src/dev/vault/index.js";
import { VaultDoubleClient } from "../src/dev/vault/client.js";
import { startAwsDouble } from "../src/dev/aws/index.js";
import { AwsDoubleClient } from "../src/dev/aws/client.js";
import { startVaultProcess } from "./vault-process.js";

const root = resolve(import.meta.dirname, "..");
const bin = join(root, "bin/envject.cjs");
const runs = Number(process.env.BENCH_RUNS ?? 20);
const onlyResolution = process.env.BENCH_ONLY === "resolution";

function time(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<number> {
  return new Promise((done, fail) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env, cwd, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => {
      if (code !== 0) fail(new Error(`${args.join(" ")} exited ${code}: ${stderr}`));
      else done(Number(process.hrtime.bigint() - started) / 1e6);
    });
  });
}

/** The bare node median of the table below, which every other row is divided by (its first row). */
let bareMedian: number | undefined;

async function measure(label: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, n = runs): Promise<void> {
  await time(args, env, cwd); // warm the file cache
  const samples: number[] = [];
  for (let i = 0; i < n; i++) samples.push(await time(args, env, cwd));
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  bareMedian ??= at(0.5);
  console.log(`| ${label} | ${n} | ${at(0.5).toFixed(1)} | ${at(0.9).toFixed(1)} | ${samples[0]!.toFixed(1)} | ${(at(0.5) / bareMedian).toFixed(2)}× |`);
}

const vault = await startVaultDouble();
const aws = await startAwsDouble();
const dir = mkdtempSync(join(tmpdir(), "envject-bench-"));
try {
  const admin = new VaultDoubleClient(vault.url, vault.rootToken);
  await admin.writeKv2("secret/app/db", { username: "u", password: "p-bench-1" });
  await admin.writeKv2("secret/app/api", { key: "k-bench-2" });
  await admin.writeKv1("kv/legacy", { token: "t-bench-3" });
  const refs = join(dir, "refs.yaml");
  writeFileSync(
    refs,
    [
      "env:",
      "  DB_USER: vault://secret/app/db#username",
      "  DB_PASSWORD: vault://secret/app/db#password",
      "  URL: \"postgres://{{ vault('secret/app/db#username') }}:{{ vault('secret/app/db#password') }}@db/app\"",
      "  API_KEY: vault://secret/app/api#key",
      "  LEGACY: vault://kv/legacy#token",
      "",
    ].join("\n"),
  );
  const many = join(dir, "many.yaml");
  const lines = ["env:"];
  for (let i = 0; i < 200; i++) {
    await admin.writeKv2(`secret/many/s${i}`, { v: `value-${i}` });
    lines.push(`  V${i}: vault://secret/many/s${i}#v`);
  }
  writeFileSync(many, `${lines.join("\n")}\n`);

  const awsAdmin = new AwsDoubleClient(aws.url);
  await awsAdmin.createSecret("app/db", { SecretString: JSON.stringify({ username: "u", password: "p-bench-4" }) });
  await awsAdmin.createSecret("app/api", { SecretString: "k-bench-5" });
  await awsAdmin.createSecret("app/cert", { SecretBinary: Buffer.from("c-bench-6").toString("base64") });
  const awsRefs = join(dir, "aws-refs.yaml");
  writeFileSync(
    awsRefs,
    [
      "env:",
      "  DB_USER: aws-sm://app/db#username",
      "  DB_PASSWORD: aws-sm://app/db#password",
      "  URL: \"postgres://{{ aws('app/db#username') }}:{{ aws('app/db#password') }}@db/app\"",
      "  API_KEY: aws-sm://app/api",
      "  CERT: aws-sm://app/cert",
      "",
    ].join("\n"),
  );
  const awsMany = join(dir, "aws-many.yaml");
  const awsLines = ["env:"];
  for (let i = 0; i < 200; i++) {
    await awsAdmin.createSecret(`many/s${i}`, { SecretString: `value-${i}` });
    awsLines.push(`  V${i}: aws-sm://many/s${i}`);
  }
  writeFileSync(awsMany, `${awsLines.join("\n")}\n`);
  const awsEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "AKIDENVJECTBENCH",
    AWS_SECRET_ACCESS_KEY: "bench-secret-access-key",
    AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
    AWS_EC2_METADATA_DISABLED: "true",
    ENVJECT_LOG_LEVEL: "warn",
  };

  const env = { PATH: process.env.PATH, HOME: dir, VAULT_ADDR: vault.url, VAULT_TOKEN: vault.rootToken, ENVJECT_LOG_LEVEL: "warn" };
  if (!onlyResolution) await processRows(env, awsEnv);
  await resolutionRows();
  await admin.clearLatency();

  async function processRows(env: NodeJS.ProcessEnv, awsEnv: NodeJS.ProcessEnv): Promise<void> {
    console.log(`envject start-up, ${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "?"}\n`);
    await peers(dir, { PATH: process.env.PATH, HOME: dir });
    console.log("");
    console.log("| case | runs | median ms | p90 ms | min ms | ÷ bare node |");
    console.log("| --- | --- | --- | --- | --- | --- |");
    await measure("bare `node -e 0`", ["-e", "0"], env, dir);
    await measure("`envject -- node -e 0` (no mapping)", [bin, "--", process.execPath, "-e", "0"], env, dir);
    await measure("5 Vault refs (3 secrets, KV v1+v2), loopback", [bin, "-c", refs, "--", process.execPath, "-e", "0"], env, dir);
    await admin.latency({ ms: 20 });
    await measure("200 distinct secrets, 20 ms Vault latency", [bin, "-c", many, "--", process.execPath, "-e", "0"], env, dir, Math.max(3, Math.floor(runs / 4)));
    await admin.clearLatency();
    await measure("5 AWS refs (3 secrets, one batch), loopback", [bin, "-c", awsRefs, "--", process.execPath, "-e", "0"], awsEnv, dir);
    await awsAdmin.latency(20);
    await measure("200 distinct AWS secrets, 20 ms latency", [bin, "-c", awsMany, "--", process.execPath, "-e", "0"], awsEnv, dir, Math.max(3, Math.floor(runs / 4)));
    await awsAdmin.clearLatency();
  }

  async function resolutionRows(): Promise<void> {
    // The resolution alone, against a Vault double in a process of its own (in this one, its work
    // would be counted as envject's): the library's resolveEnv, warmed, 200 distinct secrets.
    const remote = await startVaultProcess();
    try {
      const far = new VaultDoubleClient(remote.url, remote.rootToken);
      for (let i = 0; i < 200; i++) await far.writeKv2(`secret/many/s${i}`, { v: `value-${i}` });
      const environ = { VAULT_ADDR: remote.url, VAULT_TOKEN: remote.rootToken, HOME: dir };
      // Warmed a few times, so that the 5 ms row, measured first, is not the one that pays for the JIT.
      for (let i = 0; i < 3; i++) await resolveEnv({ config: many, environ });
      console.log("\n| resolution alone (resolveEnv), 200 distinct secrets | runs | median ms | bound ms | ratio | CPU ms (this process) | CPU ms (the double) |");
      console.log("| --- | --- | --- | --- | --- | --- | --- |");
      for (const ms of [5, 25]) {
        await far.latency({ ms });
        const samples: number[] = [];
        const cpu: number[] = [];
        const doubleCpu: number[] = [];
        for (let i = 0; i < Math.max(5, Math.floor(runs / 2)); i++) {
          const doubleBefore = processCpuMs(remote.proc.pid);
          const started = process.hrtime.bigint();
          const before = process.cpuUsage();
          await resolveEnv({ config: many, environ });
          const used = process.cpuUsage(before);
          samples.push(Number(process.hrtime.bigint() - started) / 1e6);
          cpu.push((used.user + used.system) / 1000);
          const doubleAfter = processCpuMs(remote.proc.pid);
          if (doubleBefore !== undefined && doubleAfter !== undefined) doubleCpu.push(doubleAfter - doubleBefore);
        }
        samples.sort((a, b) => a - b);
        cpu.sort((a, b) => a - b);
        doubleCpu.sort((a, b) => a - b);
        // Token look-up, one mount look-up (one mount), then ⌈200/16⌉ rounds of 16 reads in flight
        // (the mount look-up now goes out with the token look-up: the bound still counts both).
        const bound = (1 + 1 + Math.ceil(200 / 16)) * ms;
        const median = samples[Math.floor(samples.length / 2)]!;
        const cpuMedian = cpu[Math.floor(cpu.length / 2)]!;
        const doubleMedian = doubleCpu.length > 0 ? String(doubleCpu[Math.floor(doubleCpu.length / 2)]) : "?";
        console.log(`| ${ms} ms latency | ${samples.length} | ${median.toFixed(1)} | ${bound} | ${(median / bound).toFixed(2)}× | ${cpuMedian.toFixed(1)} | ${doubleMedian} |`);
      }
    } finally {
      remote.proc.kill("SIGTERM");
    }
  }
} finally {
  await vault.close();
  await aws.close();
  rmSync(dir, { recursive: true, force: true });
}

/** CPU ms (user + system) a process has used, from /proc (Linux; 10 ms ticks); undefined where there is none. */
function processCpuMs(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** The wrappers side by side, interleaved; each row its median, p10–p90 and ratio to bare node. */
async function peers(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const literal = join(dir, "literal.yaml");
  writeFileSync(literal, "env:\n  GREETING: hello\n");
  const dotenv = join(dir, ".env");
  writeFileSync(dotenv, "GREETING=hello\n");
  const node = [process.execPath, "-e", "0"];
  const cases: Array<{ label: string; args: string[] }> = [
    { label: "bare `node -e 0`", args: ["-e", "0"] },
    { label: "envject (one literal, --no-watch)", args: [bin, "--no-watch", "-c", literal, "--", ...node] },
    { label: `env-cmd ${version("env-cmd")}`, args: [join(root, "node_modules/env-cmd/bin/env-cmd.js"), "-f", dotenv, "--", ...node] },
    { label: `dotenv-cli ${version("dotenv-cli")}`, args: [join(root, "node_modules/dotenv-cli/cli.js"), "-e", dotenv, "--", ...node] },
  ];
  const samples = cases.map(() => [] as number[]);
  for (const c of cases) await time(c.args, env, dir); // warm the file cache
  for (let round = 0; round < runs; round++) {
    for (let i = 0; i < cases.length; i++) samples[i]!.push(await time(cases[i]!.args, env, dir));
  }
  const at = (xs: number[], q: number) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
  for (const xs of samples) xs.sort((a, b) => a - b);
  const bare = at(samples[0]!, 0.5);
  console.log("| wrapper running `node -e 0` (interleaved) | runs | median ms | p10–p90 ms | ÷ bare node |");
  console.log("| --- | --- | --- | --- | --- |");
  cases.forEach((c, i) => {
    const xs = samples[i]!;
    console.log(`| ${c.label} | ${xs.length} | ${at(xs, 0.5).toFixed(1)} | ${at(xs, 0.1).toFixed(1)}–${at(xs, 0.9).toFixed(1)} | ${(at(xs, 0.5) / bare).toFixed(2)}× |`);
  });
}

function version(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(join(root, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    throw new Error(`${pkg} is not installed: run npm ci (it is a devDependency for this bench)`);
  }
}
