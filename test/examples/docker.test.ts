/**
 * examples/docker without Docker (no engine runs here): the layout its Dockerfile builds — envject
 * installed from the packed tarball into its own prefix, the app's files beside the mapping, the
 * image's ENV — with the ENTRYPOINT run as PID 1 of a new PID namespace (`unshare`), as a
 * container runs it. `docker stop` is replayed: SIGTERM to PID 1, then SIGKILL when the grace
 * period is over. Checked: the app gets its secrets, the exit code that comes out, and that no
 * process of the "container" is left (counted in /proc by a marker in the environment).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { get } from "node:http";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { after, before, describe, it } from "node:test";
import { ROOT, hermeticEnv, tempDir } from "../support/cli.js";
import { closedPort } from "../cli/e2e.js";
import { installPackedGlobally } from "../support/packed.js";
import { descendantsOf, describeProcs, withMarker } from "../support/processes.js";
import { UNSHARE_PID1, unshareUnavailable } from "../support/system.js";
import { SEED, type SeededVault, startSeededVault } from "../support/vault-fixture.js";
import { waitFor } from "../support/wait.js";

const EXAMPLE = join(ROOT, "examples/docker");
const DOCKERFILE = readFileSync(join(EXAMPLE, "Dockerfile"), "utf8");
/** The runtime stage's ENV, read from the Dockerfile so the test runs what the image sets. */
const IMAGE_ENV = Object.fromEntries(
  [...DOCKERFILE.slice(DOCKERFILE.lastIndexOf("FROM ")).matchAll(/^\s*(?:ENV\s+)?([A-Z_]+)=(\S+?)\s*\\?$/gm)].map((m) => [m[1]!, m[2]!]).filter(([k]) => k !== "PATH"),
);
/** docker stop's grace period, shortened for the test (Docker's default is 10 s). */
const GRACE_MS = 4000;

const noUnshare = unshareUnavailable();
let dir: { path: string; cleanup: () => void };
let envject: string;
let vault: SeededVault;

before(async () => {
  if (noUnshare) return;
  vault = await startSeededVault();
  dir = tempDir("envject-docker-");
  envject = installPackedGlobally(dir.path);
  for (const f of ["server.js", "envject.yaml", "package.json"]) copyFileSync(join(EXAMPLE, f), join(dir.path, f));
});
after(async () => {
  dir?.cleanup();
  await vault?.close();
});

interface Container {
  proc: ChildProcess;
  marker: string;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `docker run`: the ENTRYPOINT (`envject --`) and CMD as PID 1 of a new PID namespace, with the image's ENV. */
function run(cmd: string[], extra: Record<string, string> = {}): Container {
  const marker = `EXAMPLE_MARKER=${randomBytes(6).toString("hex")}`;
  const env = hermeticEnv(dir.path, { ...IMAGE_ENV, PORT: "0", HOST: "127.0.0.1", VAULT_ADDR: vault.url, VAULT_TOKEN: vault.rootToken, EXAMPLE_MARKER: marker.split("=")[1]!, ...extra });
  const proc = spawn("unshare", [...UNSHARE_PID1, envject, "--", ...cmd], { cwd: dir.path, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  proc.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  proc.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on("close", (code, signal) => resolve({ code, signal })));
  const safety = setTimeout(() => proc.kill("SIGKILL"), 60_000);
  void exit.then(() => clearTimeout(safety));
  return { proc, marker, stdout: () => out, stderr: () => err, exit };
}

/** The container's PID 1 (envject), as seen from outside the namespace. */
function pid1(c: Container): number {
  const inside = descendantsOf(c.proc.pid!);
  const first = inside.find((p) => /\s1$/.test(/^NSpid:\s*(.*)$/m.exec(readFileSync(`/proc/${p.pid}/status`, "utf8"))?.[1] ?? ""));
  assert.ok(first, `no PID 1 under unshare: ${describeProcs(inside)}`);
  return first.pid;
}

/** `docker stop`: SIGTERM to PID 1; SIGKILL once the grace period is over. Says whether the SIGKILL was needed. */
async function dockerStop(c: Container): Promise<{ code: number | null; signal: NodeJS.Signals | null; killedByDocker: boolean }> {
  const init = pid1(c);
  process.kill(init, "SIGTERM");
  const timedOut = Symbol("grace over");
  const first = await Promise.race([c.exit, new Promise<typeof timedOut>((r) => setTimeout(() => r(timedOut), GRACE_MS))]);
  if (first !== timedOut) return { ...first, killedByDocker: false };
  process.kill(init, "SIGKILL"); // the namespace ends with its PID 1: the kernel kills the rest
  return { ...(await c.exit), killedByDocker: true };
}

function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: "127.0.0.1", port, path: "/health" }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d));
      res.on("end", () => resolve(body));
    }).on("error", reject);
  });
}

async function assertNothingLeft(c: Container): Promise<void> {
  await waitFor("the container's processes to be gone", () => withMarker(c.marker).length === 0 || undefined, 10_000).catch(() => undefined);
  assert.deepEqual(withMarker(c.marker), [], describeProcs(withMarker(c.marker)));
}

describe("examples/docker, run as its image would be", { skip: noUnshare }, () => {
  it("the image sets what the README says: envject from its prefix as the ENTRYPOINT, a kill timeout under docker stop's grace", () => {
    assert.match(DOCKERFILE, /^ENTRYPOINT \["envject", "--"\]$/m);
    assert.match(DOCKERFILE, /^CMD \["node", "server\.js"\]$/m);
    assert.match(DOCKERFILE, /npm install --global --prefix \/opt\/envject .*envject-\*\.tgz/);
    assert.equal(IMAGE_ENV.ENVJECT_KILL_TIMEOUT, "8s", "below Docker's default 10 s grace");
  });

  it("the app starts with its secrets; docker stop's SIGTERM reaches it and its exit code comes out", async () => {
    const c = run(["node", "server.js"]);
    const port = Number(await waitFor("the server to listen", () => /listening on (\d+)/.exec(c.stdout())?.[1]));
    const health = JSON.parse(await httpGet(port)) as { ok: boolean; user: string };
    assert.deepEqual(health, { ok: true, user: SEED.db.username, has: ["DB_USER", "DB_PASSWORD", "DATABASE_URL"] });
    const stopped = await dockerStop(c);
    assert.deepEqual(stopped, { code: 0, signal: null, killedByDocker: false }, c.stderr());
    assert.match(c.stdout(), /SIGTERM: closing/);
    assert.ok(!c.stdout().includes(SEED.db.password) && !c.stderr().includes(SEED.db.password), "no secret in the container's output");
    await assertNothingLeft(c);
  });

  it("an app that ignores SIGTERM: envject's kill timeout (under the grace) SIGKILLs it and reports 137 before Docker would", async () => {
    const c = run(["node", "-e", "process.on('SIGTERM', () => console.log('ignored')); console.log('up'); setInterval(() => {}, 1000)"], { ENVJECT_KILL_TIMEOUT: "1s" });
    await waitFor("the app to start", () => c.stdout().includes("up") || undefined);
    await new Promise((r) => setTimeout(r, 1200)); // past envject's start grace for forwarded signals
    const stopped = await dockerStop(c);
    assert.deepEqual(stopped, { code: 137, signal: null, killedByDocker: false }, c.stderr());
    assert.match(c.stderr(), /did not exit in time, sending SIGKILL/);
    await assertNothingLeft(c);
  });

  it("a kill timeout longer than the grace: Docker's SIGKILL of PID 1 ends the whole container, nothing survives", async () => {
    const c = run(["sh", "-c", "trap '' TERM; sleep 300 & node -e \"process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1000)\""], { ENVJECT_KILL_TIMEOUT: "60s" });
    await waitFor("the app to start", () => c.stdout().includes("up") || undefined);
    const stopped = await dockerStop(c);
    assert.equal(stopped.killedByDocker, true, "the grace ran out");
    // Docker reports 137 for a container whose PID 1 it SIGKILLed; the unshare standing in for it
    // only says it failed.
    assert.ok(stopped.code !== 0 || stopped.signal !== null, `the stop is not reported as a success (${JSON.stringify(stopped)})`);
    await assertNothingLeft(c);
  });

  it("compose.yaml's pair: envject dev writes the export lines, the app loads them and starts with the seeded secret", async () => {
    const compose = parse(readFileSync(join(EXAMPLE, "compose.yaml"), "utf8")) as { services: Record<string, { entrypoint: string[]; command?: string[] }> };
    const shared = join(dir.path, "run-envject-dev");
    mkdirSync(shared, { recursive: true });
    const [vaultPort, awsPort] = [await closedPort(), await closedPort()];
    // The container paths and fixed ports, mapped onto this machine.
    const local = (line: string) =>
      line
        .replaceAll("/run/envject-dev", shared)
        .replaceAll("/seed/dev-seed.yaml", join(EXAMPLE, "dev-seed.yaml"))
        .replace("--vault-port 8200", `--vault-port ${vaultPort}`)
        .replace("--aws-port 4566", `--aws-port ${awsPort}`);
    const env = hermeticEnv(dir.path, { ...IMAGE_ENV, PORT: "0", HOST: "127.0.0.1", PATH: `${dirname(envject)}:${process.env.PATH}` });
    const devArgs = compose.services.dev!.entrypoint.map(local);
    const devProc = spawn(devArgs[0]!, devArgs.slice(1), { cwd: dir.path, env, stdio: ["ignore", "ignore", "pipe"] });
    let devErr = "";
    devProc.stderr.setEncoding("utf8").on("data", (d: string) => (devErr += d));
    const devExit = new Promise<number | null>((resolve) => devProc.on("close", (code) => resolve(code)));
    const appArgs = [...compose.services.app!.entrypoint.map(local), ...compose.services.app!.command!];
    const appProc = spawn(appArgs[0]!, appArgs.slice(1), { cwd: dir.path, env, stdio: ["ignore", "pipe", "pipe"] });
    let appOut = "";
    let appErr = "";
    appProc.stdout.setEncoding("utf8").on("data", (d: string) => (appOut += d));
    appProc.stderr.setEncoding("utf8").on("data", (d: string) => (appErr += d));
    const appExit = new Promise<number | null>((resolve) => appProc.on("close", (code) => resolve(code)));
    try {
      const port = Number(await waitFor(`the app to listen (app: ${appErr} dev: ${devErr})`, () => /listening on (\d+)/.exec(appOut)?.[1]));
      const health = JSON.parse(await httpGet(port)) as { ok: boolean; user: string };
      assert.equal(health.user, "app_user", "the seeded username from examples/docker/dev-seed.yaml");
      assert.match(devErr, /development only/, "envject dev labels itself");
      assert.match(readFileSync(join(shared, "exports"), "utf8"), new RegExp(`VAULT_ADDR=.?http://127\\.0\\.0\\.1:${vaultPort}`));
    } finally {
      appProc.kill("SIGTERM");
      assert.equal(await appExit, 0, appErr);
      devProc.kill("SIGTERM");
      assert.equal(await devExit, 0, devErr);
    }
  });
});
