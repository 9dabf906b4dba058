/**
 * `envject dev` as a user runs it (docs/contract/dev.md, README "`envject dev`"): the real CLI as a child
 * process, its export lines `eval`ed in /bin/sh, then `envject check` and `envject run` against
 * it, a rotation through the dev Vault's API seen by `envject run --watch`, and SIGTERM ending it
 * with 0. Also: the dev-only warning, a bad seed file (65, file:line), a port in use (69), and that
 * nothing listens anywhere but 127.0.0.1.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { VaultDoubleClient } from "../../src/dev/vault/client.js";
import { BIN, ROOT, hermeticEnv, runCli, runProgram, tempDir } from "../support/cli.js";
import { moduleTrace } from "../support/module-trace-run.js";

const SEED = `# a seed file as in the README
vault:
  secret/myapp/db: { username: app, password: "s3cr'et-1" }
  kv/legacy:
    api_token: legacy-1
aws:
  prod/api: '{"key":"k-1"}'
  prod/obj: { token: t-1 }
  eu-west-1:prod/eu: eu-1
`;

const MAPPING = `env:
  DB_USER: vault://secret/myapp/db#username
  DB_PASSWORD: vault://secret/myapp/db#password
  LEGACY: vault://kv/legacy#api_token
  API_KEY: aws-sm://prod/api#key
  OBJ_TOKEN: aws-sm://prod/obj#token
  EU: aws-sm://prod/eu?region=eu-west-1
`;

function hasHvac(): boolean {
  return existsSync("/usr/bin/python3") && spawnSync("/usr/bin/python3", ["-c", "import hvac"]).status === 0;
}

/** The environment a user's other shell starts from: no store settings until the eval. */
function shellEnv(home: string): Record<string, string> {
  return hermeticEnv(home, {
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_REGION: undefined,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: undefined,
  });
}

interface Dev {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startDev(args: string[], cwd: string, home: string): Dev {
  const child = spawn(process.execPath, [BIN, "dev", ...args], { cwd, env: hermeticEnv(home), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `export NAME='value'` lines as a map (the values are single-quoted, `'` as `'\''`). */
function parseExports(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split("\n").filter(Boolean)) {
    const m = /^export ([A-Z_]+)='(.*)'$/.exec(line);
    assert.ok(m, `not an export line: ${line}`);
    map.set(m[1]!, m[2]!.replaceAll(`'\\''`, "'"));
  }
  return map;
}

/** The TCP sockets process `pid` listens on, as "address:port" (IPv4 hex decoded; IPv6 raw). */
function listeningAddresses(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const out: string[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    if (!existsSync(table)) continue;
    for (const row of readFileSync(table, "utf8").split("\n").slice(1)) {
      const cols = row.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== "0A" || !inodes.has(cols[9]!)) continue;
      const [hexAddr, hexPort] = cols[1]!.split(":") as [string, string];
      const addr = hexAddr.length === 8 ? [3, 2, 1, 0].map((i) => Number.parseInt(hexAddr.slice(i * 2, i * 2 + 2), 16)).join(".") : `[${hexAddr}]`;
      out.push(`${addr}:${Number.parseInt(hexPort, 16)}`);
    }
  }
  return out.sort();
}

describe("envject dev", () => {
  const { path: dir, cleanup } = tempDir("envject-dev-");
  const home = join(dir, "home");
  let dev: Dev;
  let exports: Map<string, string>;
  const exportsFile = join(dir, "exports.sh");

  before(async () => {
    writeFileSync(join(dir, "seed.yaml"), SEED);
    writeFileSync(join(dir, "m.yaml"), MAPPING);
    mkdirSync(home);
    dev = startDev(["--seed", "seed.yaml"], dir, home);
    await until("the export lines", () => (dev.stdout().split("\n").length > 6 ? true : undefined));
    writeFileSync(exportsFile, dev.stdout());
    exports = parseExports(dev.stdout());
  });

  after(() => {
    if (dev.child.exitCode === null && dev.child.signalCode === null) dev.child.kill("SIGKILL");
    cleanup();
  });

  it("prints only the shell-quoted export lines on stdout and the dev-only warning on stderr", () => {
    assert.deepEqual([...exports.keys()], ["VAULT_ADDR", "VAULT_TOKEN", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION"]);
    assert.match(exports.get("VAULT_ADDR")!, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(exports.get("AWS_ENDPOINT_URL_SECRETS_MANAGER")!, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(exports.get("VAULT_TOKEN")!, /^hvs\.root-/);
    assert.equal(exports.get("AWS_REGION"), "us-east-1");
    assert.equal(exports.get("AWS_DEFAULT_REGION"), "us-east-1", "the AWS CLI v1 reads only this one");
    assert.match(dev.stderr(), /WARN {1,2}envject dev: local stores for development only — in memory, not secure, never for production/);
    assert.ok(!dev.stderr().includes(exports.get("VAULT_TOKEN")!), "the root token is not logged");
    for (const secret of ["s3cr'et-1", "legacy-1", "k-1", "t-1", "eu-1"]) assert.ok(!dev.stderr().includes(secret), `seed value ${secret} is not logged`);
  });

  it("listens on 127.0.0.1 only, on the two ports it printed", () => {
    const ports = [exports.get("VAULT_ADDR")!, exports.get("AWS_ENDPOINT_URL_SECRETS_MANAGER")!].map((u) => `127.0.0.1:${new URL(u).port}`).sort();
    assert.deepEqual(listeningAddresses(dev.child.pid!), ports);
  });

  it("envject check and envject run work in a shell that evals the lines", async () => {
    const check = await runProgram("/bin/sh", ["-c", `eval "$(cat exports.sh)"; exec "$0" "$1" check -c m.yaml`, process.execPath, BIN], { cwd: dir, env: shellEnv(home) });
    assert.equal(check.code, 0, check.stderr);
    for (const name of ["DB_USER", "DB_PASSWORD", "LEGACY", "API_KEY", "OBJ_TOKEN", "EU"]) assert.match(check.stdout, new RegExp(`^${name}\\s.*ok`, "m"));

    const printer = "process.stdout.write(JSON.stringify(Object.fromEntries(['DB_USER','DB_PASSWORD','LEGACY','API_KEY','OBJ_TOKEN','EU'].map((n) => [n, process.env[n]]))))";
    const run = await runProgram("/bin/sh", ["-c", `eval "$(cat exports.sh)"; exec "$0" "$1" run -c m.yaml -- "$0" -e "$2"`, process.execPath, BIN, printer], {
      cwd: dir,
      env: shellEnv(home),
    });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { DB_USER: "app", DB_PASSWORD: "s3cr'et-1", LEGACY: "legacy-1", API_KEY: "k-1", OBJ_TOKEN: "t-1", EU: "eu-1" });
  });

  it(
    "the AWS CLI and hvac work in that shell too (README)",
    { skip: !existsSync("/usr/bin/aws") || !hasHvac() ? "needs /usr/bin/aws and python3-hvac (sudo apt-get install -y awscli python3-hvac)" : false },
    async () => {
      const aws = await runProgram(
        "/bin/sh",
        [
          "-c",
          `eval "$(cat exports.sh)"; exec /usr/bin/aws --endpoint-url "$AWS_ENDPOINT_URL_SECRETS_MANAGER" secretsmanager get-secret-value --secret-id prod/api --query SecretString --output text`,
        ],
        {
          cwd: dir,
          env: shellEnv(home),
        },
      );
      assert.equal(aws.code, 0, aws.stderr);
      assert.equal(aws.stdout.trim(), '{"key":"k-1"}');
      const script =
        "import hvac, os\nc = hvac.Client(url=os.environ['VAULT_ADDR'], token=os.environ['VAULT_TOKEN'])\nprint(c.secrets.kv.v2.read_secret_version(path='myapp/db', mount_point='secret')['data']['data']['username'])";
      const hvac = await runProgram("/bin/sh", ["-c", `eval "$(cat exports.sh)"; exec /usr/bin/python3 -c "$0"`, script], { cwd: dir, env: shellEnv(home) });
      assert.equal(hvac.code, 0, hvac.stderr);
      assert.equal(hvac.stdout.trim(), "app");
    },
  );

  it("a new version written through the dev Vault's API restarts a watching envject run with the new value", async () => {
    const log = join(dir, "starts.log");
    const app = join(dir, "app.mjs");
    writeFileSync(
      app,
      `import { appendFileSync } from "node:fs";\nappendFileSync(${JSON.stringify(log)}, process.env.DB_PASSWORD + "\\n");\nsetInterval(() => {}, 1000);\nprocess.on("SIGTERM", () => process.exit(0));\n`,
    );
    const watcher = spawn("/bin/sh", ["-c", `eval "$(cat exports.sh)"; exec "$0" "$1" run --watch --interval 1s -c m.yaml -- "$0" "$2"`, process.execPath, BIN, app], {
      cwd: dir,
      env: shellEnv(home),
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    watcher.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => watcher.on("exit", (code) => resolve(code)));
    try {
      const starts = () => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : []);
      await until("the first start", () => (starts().length >= 1 ? true : undefined));
      assert.deepEqual(starts(), ["s3cr'et-1"]);
      const client = new VaultDoubleClient(exports.get("VAULT_ADDR")!, exports.get("VAULT_TOKEN")!);
      await client.writeKv2("secret/myapp/db", { username: "app", password: "s3cr3t-2" });
      client.close();
      await until("the restart with the new value", () => (starts().length >= 2 ? true : undefined), 30_000);
      assert.deepEqual(starts(), ["s3cr'et-1", "s3cr3t-2"], stderr);
    } finally {
      watcher.kill("SIGTERM");
    }
    assert.equal(await exited, 0, stderr);
  });

  it("SIGTERM stops it with exit 0", async () => {
    dev.child.kill("SIGTERM");
    const { code, signal } = await dev.exited;
    assert.equal(signal, null);
    assert.equal(code, 0, dev.stderr());
  });
});

describe("envject dev's code", () => {
  it("is in the CLI bundle only, and runs only for envject dev (V8's coverage of the bundle)", () => {
    const holds = (f: string) => {
      const text = readFileSync(join(ROOT, "dist", f), "utf8");
      return text.includes("local stores for development only") || text.includes("hvs.root-");
    };
    assert.ok(holds("envject.cjs"), "the dev stores are in dist/envject.cjs");
    const library = ["index.js", ...readdirSync(join(ROOT, "dist/chunks")).map((f) => `chunks/${f}`)];
    assert.deepEqual(library.filter(holds), [], 'the library (import "envject") holds no dev store');
    const { path: dir, cleanup } = tempDir("envject-dev-trace-");
    try {
      const ran = (args: string[]) => {
        const trace = moduleTrace(dir, "src/dev/");
        const r = spawnSync(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, HOME: dir, ...trace.env }, encoding: "utf8" });
        return { status: r.status, loaded: trace.envjectLoaded(r.stderr) };
      };
      const version = ran(["--version"]);
      assert.equal(version.status, 0);
      assert.deepEqual(version.loaded, [], "--version runs no dev store code");
      const help = ran(["dev", "--help"]);
      assert.equal(help.status, 0);
      assert.deepEqual(help.loaded, [], "dev --help runs no dev store code");
      // And the trace does see it when it runs: envject dev refusing a bad seed has read it with the dev code.
      writeFileSync(join(dir, "bad.yaml"), "vault:\n  secret/bad: not-an-object-value\n");
      const dev = ran(["dev", "--seed", join(dir, "bad.yaml")]);
      assert.equal(dev.status, 65);
      assert.ok(dev.loaded.includes("src/dev/seed-file.ts"), `envject dev ran its seed reader: ${dev.loaded.join(", ")}`);
    } finally {
      cleanup();
    }
  });
});

describe("envject dev refuses", () => {
  const { path: dir, cleanup } = tempDir("envject-dev-bad-");
  after(cleanup);

  it("a seed entry that is not an object of fields: 65 with file:line, after the warning", async () => {
    const seed = join(dir, "bad.yaml");
    writeFileSync(seed, "vault:\n  secret/ok: { a: b }\n  secret/bad: not-an-object-value\n");
    const result = await runCli(["dev", "--seed", seed], { cwd: dir, env: hermeticEnv(dir) });
    assert.equal(result.code, 65, result.stderr);
    assert.equal(result.stdout, "", "no export lines");
    assert.match(result.stderr, /development only/);
    assert.match(result.stderr, new RegExp(`${seed.replaceAll(".", "\\.")}:3:3\\b.*"secret/bad" must be an object of fields`));
    assert.ok(!result.stderr.includes("not-an-object-value"), "the value is not shown");
    assert.ok(!result.stderr.includes("    at "), "no stack trace");
  });

  it("a YAML syntax error and an unknown mount: 65 with file:line", async () => {
    const syntax = join(dir, "syntax.yaml");
    writeFileSync(syntax, "aws:\n  prod/a: 'x'\n  prod/b: [\n");
    const a = await runCli(["dev", "--seed", syntax], { cwd: dir, env: hermeticEnv(dir) });
    assert.equal(a.code, 65, a.stderr);
    assert.match(a.stderr, /syntax\.yaml:\d+:\d+: YAML syntax error/);

    const mount = join(dir, "mount.yaml");
    writeFileSync(mount, "vault:\n  nowhere/app: { a: b }\n");
    const b = await runCli(["dev", "--seed", mount], { cwd: dir, env: hermeticEnv(dir) });
    assert.equal(b.code, 65, b.stderr);
    assert.match(b.stderr, /mount\.yaml:2:3: vault: "nowhere\/app" cannot be written/);
  });

  it("a port in use: 69 naming the option and the port", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const result = await runCli(["dev", "--aws-port", String(port)], { cwd: dir, env: hermeticEnv(dir) });
      assert.equal(result.code, 69, result.stderr);
      assert.match(result.stderr, new RegExp(`--aws-port ${port}: 127\\.0\\.0\\.1:${port} is already in use`));
      assert.equal(result.stdout, "");
    } finally {
      server.close();
    }
  });

  it("a port that is not a number: 64", async () => {
    const result = await runCli(["dev", "--vault-port", "eighty"], { cwd: dir, env: hermeticEnv(dir) });
    assert.equal(result.code, 64, result.stderr);
    assert.match(result.stderr, /--vault-port must be a port number/);
  });
});
