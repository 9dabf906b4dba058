/**
 * Regression guards for the work envject does per start and per poll (issue 12): counts, never
 * times. Which source modules a command runs (V8's coverage of the one-file bundle, mapped through
 * its source map: test/support/bundle-coverage.ts) and which external ones it loads, how many
 * requests a resolution makes, and what a watch poll reads when nothing changed.
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import type { RequestLogEntry } from "../../src/dev/vault/client.js";
import { printEnv, seededWorkspace } from "./e2e.js";
import { moduleTrace } from "../support/module-trace-run.js";
import { waitFor } from "../support/wait.js";
import { spawn } from "node:child_process";

const ROOT = join(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/envject.cjs");

const fixture = seededWorkspace();

/** The source modules (repository-relative, node_modules/… for dependencies) a traced envject ran, and the external modules (the AWS SDK) it loaded. */
async function loadedSources(args: string[]): Promise<{ code: number | null; stderr: string; sources: string[] }> {
  const trace = moduleTrace(fixture.ws.dir, "/");
  const result = await fixture.ws.run(args, trace.env);
  return { code: result.code, stderr: result.stderr, sources: [...new Set(trace.envjectLoaded(result.stderr))].sort() };
}

/** The loaded sources that match any of `patterns`. */
function offending(sources: readonly string[], patterns: readonly RegExp[]): string[] {
  return sources.filter((s) => patterns.some((p) => p.test(s)));
}

const AWS = [/@aws-sdk\//, /@smithy\//, /^src\/providers\/aws\//, /login\/aws-iam-request/];
const DEV = [/^src\/dev\//];
const SPAWN = [/node_modules\/execa\//, /node_modules\/cross-spawn\//, /^src\/supervise\/supervisor\.ts$/, /^src\/supervise\/child\.ts$/];
const WATCH = [/^src\/watch\//];
const MAPPING = [/node_modules\/yaml\//, /node_modules\/dotenv\//, /node_modules\/valibot\//, /^src\/config\/(load|mapping|schema|envfile)\.ts$/];
const STORES = [/^src\/providers\//, /^src\/resolve\//];

describe("what each command loads (module-load trace)", () => {
  it("--version loads no mapping reader, store, supervisor, watcher, dev store or AWS SDK", async () => {
    const r = await loadedSources(["--version"]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      r.sources.some((s) => s.startsWith("src/cli/")),
      `the trace mapped the bundle: ${r.sources.join(", ")}`,
    );
    assert.deepEqual(offending(r.sources, [...AWS, ...DEV, ...SPAWN, ...WATCH, ...MAPPING, ...STORES]), []);
  });

  it("check of a Vault mapping loads the Vault provider but no supervisor, execa, watcher, dev store or AWS SDK", async () => {
    fixture.ws.file("check.yaml", "env:\n  X: vault://secret/myapp/db#password\n");
    const r = await loadedSources(["check", "-c", "check.yaml"]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.sources.includes("src/providers/vault/provider.ts"), r.sources.join("\n"));
    assert.deepEqual(offending(r.sources, [...AWS, ...DEV, ...SPAWN, ...WATCH]), []);
  });

  it("a Vault-only run loads the supervisor and the watcher, but no dev store, AWS SDK, check or export code", async () => {
    fixture.ws.file("run.yaml", "env:\n  X: vault://secret/myapp/db#password\n");
    const r = await loadedSources(["run", "-c", "run.yaml", "--", ...printEnv("X")]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.sources.includes("src/supervise/supervisor.ts") && r.sources.includes("src/providers/vault/provider.ts"), r.sources.join("\n"));
    assert.deepEqual(offending(r.sources, [...AWS, ...DEV, /^src\/cli\/commands\/(check|export|dev)\.ts$/]), []);
  });
});

/** The requests of the log that read or look up something (the double's control calls are not logged). */
function apiRequests(log: readonly RequestLogEntry[]): RequestLogEntry[] {
  return log.filter((r) => !r.path.startsWith("sys/health"));
}

describe("requests per resolution", () => {
  const KV2 = Array.from({ length: 24 }, (_, i) => `guard/app-${i}`);
  const KV1 = Array.from({ length: 8 }, (_, i) => `guard/legacy-${i}`);

  before(async () => {
    for (const path of KV2) await fixture.vault.admin.writeKv2(`secret/${path}`, { value: `kv2-${path}` });
    for (const path of KV1) await fixture.vault.admin.writeKv1(`kv/${path}`, { value: `kv1-${path}` });
  });

  it("is distinct secrets + one mount look-up per mount + one token look-up, however many variables use them", async () => {
    // Each secret used by two variables (one with its field, one through a template).
    const lines = [
      ...KV2.flatMap((p, i) => [`  A${i}: vault://secret/${p}#value`, `  B${i}: "x-{{ vault('secret/${p}#value') }}"`]),
      ...KV1.flatMap((p, i) => [`  C${i}: vault://kv/${p}#value`, `  D${i}: vault://kv/${p}#value`]),
    ];
    fixture.ws.file("many.yaml", `env:\n${lines.join("\n")}\n`);
    await fixture.vault.admin.clearRequests();
    const r = await fixture.ws.run(["export", "-c", "many.yaml", "--format", "json"]);
    assert.equal(r.code, 0, r.stderr);
    const exported = JSON.parse(r.stdout) as Record<string, string>;
    assert.equal(exported.B3, `x-kv2-${KV2[3]}`);
    assert.equal(exported.D5, `kv1-${KV1[5]}`);
    const log = apiRequests(await fixture.vault.admin.requests());
    const reads = log.filter((q) => q.method === "GET" && (q.path.startsWith("secret/data/guard/") || q.path.startsWith("kv/guard/")));
    const mounts = log.filter((q) => q.path.startsWith("sys/internal/ui/mounts/"));
    const auth = log.filter((q) => q.path === "auth/token/lookup-self");
    assert.equal(reads.length, KV2.length + KV1.length, `one read per distinct secret: ${reads.map((q) => q.path).join(", ")}`);
    assert.equal(new Set(reads.map((q) => q.path)).size, reads.length, "no secret read twice");
    assert.equal(mounts.length, 2, `one mount look-up per mount: ${mounts.map((q) => q.path).join(", ")}`);
    assert.equal(auth.length, 1, "one token look-up");
    assert.equal(log.length, reads.length + mounts.length + auth.length, `nothing else: ${log.map((q) => `${q.method} ${q.path}`).join(", ")}`);
  });
});

describe("watching: what a poll reads", () => {
  it("polls each secret's version (KV v2 metadata) and reads no data while nothing changes, never more than once per interval", async () => {
    fixture.ws.file("watch.yaml", "env:\n  A: vault://secret/myapp/db#password\n  B: vault://secret/myapp/single\n  C: vault://secret/myapp/config#log_level\n");
    await fixture.vault.admin.clearRequests();
    const started = Date.now();
    const child = spawn(
      process.execPath,
      [BIN, "run", "--watch", "--interval", "1s", "-c", "watch.yaml", "--", process.execPath, "-e", "setInterval(() => {}, 1000); process.on('SIGTERM', () => process.exit(0))"],
      {
        cwd: fixture.ws.dir,
        env: fixture.ws.env(),
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const paths = ["secret/metadata/myapp/db", "secret/metadata/myapp/single", "secret/metadata/myapp/config"];
    try {
      await waitFor(
        "four polls of every secret",
        async () => {
          const log = await fixture.vault.admin.requests();
          return paths.every((p) => log.filter((q) => q.method === "GET" && q.path === p).length >= 4) ? log : undefined;
        },
        45_000,
      );
    } finally {
      child.kill("SIGTERM");
    }
    assert.equal(await exited, 0, stderr);
    const elapsedMs = Date.now() - started;
    const log = await fixture.vault.admin.requests();
    const dataReads = log.filter((q) => q.method === "GET" && q.path.startsWith("secret/data/"));
    assert.equal(dataReads.length, 3, `one data read per secret at start, none while polling: ${dataReads.map((q) => q.path).join(", ")}`);
    // Polls run at the interval ±10 %: over the run, no secret can have been polled more often
    // than once per 0.9 s (plus the first poll). Load only ever makes this count smaller.
    for (const p of paths) {
      const polls = log.filter((q) => q.method === "GET" && q.path === p).length;
      assert.ok(polls <= Math.floor(elapsedMs / 900) + 1, `${p}: ${polls} polls in ${elapsedMs} ms`);
    }
  });
});
