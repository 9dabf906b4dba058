// `npm run demo`: envject against local Vault and AWS Secrets Manager stores with sample secrets,
// no Vault or AWS account of your own. Starts `envject dev --seed examples/dev-seed.yaml` (the
// doubles of src/dev/ on 127.0.0.1), reads its export lines, creates an AppRole with a
// least-privilege policy through the dev Vault's API, then runs `envject check`, `envject run`
// (plain and --mask), one failing run, and a watched run during which one Vault secret and one
// AWS secret rotate — each as a real child process, the way you would from a shell.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { VaultDoubleClient } from "../src/dev/vault/client.js";
import { AwsDoubleClient } from "../src/dev/aws/client.js";

const root = resolve(import.meta.dirname, "..");
const bin = join(root, "bin/envject.cjs");
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

const home = mkdtempSync(join(tmpdir(), "envject-demo-home-"));
console.log(bold("$ envject dev --seed examples/dev-seed.yaml    # local Vault and Secrets Manager with sample secrets"));
const dev = spawn(process.execPath, [bin, "dev", "--seed", "examples/dev-seed.yaml"], {
  cwd: root,
  env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, LANG: process.env.LANG ?? "C.UTF-8" },
  stdio: ["ignore", "pipe", "inherit"],
});
const devExited = new Promise<number | null>((done) => dev.on("close", (status) => done(status)));
try {
  const stores = await devExports();
  const vault = { url: stores.VAULT_ADDR!, rootToken: stores.VAULT_TOKEN! };
  const aws = { url: stores.AWS_ENDPOINT_URL_SECRETS_MANAGER! };
  const admin = new VaultDoubleClient(vault.url, vault.rootToken);
  await admin.createDatabaseRole("reporting", { default_ttl: "1h", max_ttl: "24h" });
  await admin.writePolicy("myapp", {
    "secret/data/myapp/*": ["read"],
    "secret/metadata/myapp/*": ["read"],
    "kv/legacy": ["read"],
    "database/creds/reporting": ["read"],
  });
  const awsAdmin = new AwsDoubleClient(aws.url, { region: "us-east-1" });
  const { roleId, secretId } = await admin.createAppRole("myapp", { policies: ["myapp"], token_ttl: "1h", token_max_ttl: "4h" });

  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    LANG: process.env.LANG ?? "C.UTF-8",
    VAULT_ADDR: vault.url,
    VAULT_ROLE_ID: roleId,
    VAULT_SECRET_ID: secretId,
    DEMO_REGION: "eu-west-1",
    // envject dev's dummy credentials: the AWS SDK's standard chain finds them, and the endpoint
    // keeps it on the local store.
    AWS_ACCESS_KEY_ID: stores.AWS_ACCESS_KEY_ID!,
    AWS_SECRET_ACCESS_KEY: stores.AWS_SECRET_ACCESS_KEY!,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
    AWS_EC2_METADATA_DISABLED: "true",
  };
  const envject = async (title: string, args: string[]): Promise<number | null> => {
    console.log(`\n${bold(`$ envject ${args.join(" ")}`)}    # ${title}`);
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env, stdio: "inherit" });
    const code = await new Promise<number | null>((done) => child.on("close", (status) => done(status)));
    console.log(`(exit code ${code})`);
    return code;
  };

  console.log(bold(`Local Vault at ${vault.url} and Secrets Manager at ${aws.url} (envject dev) with sample secrets;`));
  console.log(bold(`envject logs in to Vault with AppRole "myapp".`));
  const mapping = ["-c", "examples/envject.yaml", "-e", "examples/.env"];
  const results = [
    await envject("resolve every reference, print no value", ["check", ...mapping]),
    await envject("start the app with its secrets", [...mapping, "--", "node", "examples/app.mjs"]),
    await envject("--mask hides secret values in the app's output", ["--mask", ...mapping, "--", "node", "examples/app.mjs", "--print-secret"]),
  ];
  const failing = await envject("a reference to a secret that does not exist: exit 78, the variable and path named", [
    "-c",
    "examples/envject.yaml",
    "-e",
    "examples/missing.env",
    "--",
    "node",
    "-e",
    "0",
  ]);
  const watched = await rotationDemo();
  const ok = results.every((code) => code === 0) && failing === 78 && watched;
  console.log(`\n${bold(ok ? "Demo finished: every step behaved as documented." : "Demo finished with an unexpected exit code (see above).")}`);
  process.exitCode = ok ? 0 : 1;

  /**
   * A watched run: the app serves; the demo rotates the Vault password, then the Stripe key in
   * AWS; envject restarts the app once per rotation with the new value; SIGTERM ends it.
   */
  async function rotationDemo(): Promise<boolean> {
    const args = [...mapping, "--interval", "1s", "--kill-timeout", "5s", "--", "node", "examples/app.mjs", "--serve"];
    console.log(`\n${bold(`$ envject ${args.join(" ")}`)}    # watch: restart the app when a secret rotates`);
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env, stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    const waiters: Array<() => void> = [];
    child.stdout.on("data", (chunk: Buffer) => {
      process.stdout.write(chunk);
      output += chunk.toString();
      for (const wake of waiters.splice(0)) wake();
    });
    const exited = new Promise<number | null>((done) => child.on("close", (status) => done(status)));
    const starts = () => output.match(/app: serving/g)?.length ?? 0;
    const waitForStarts = async (n: number): Promise<boolean> => {
      const deadline = Date.now() + 20_000;
      while (starts() < n) {
        if (Date.now() > deadline || child.exitCode !== null) return false;
        await new Promise<void>((wake) => {
          waiters.push(wake);
          setTimeout(wake, 250);
        });
      }
      return true;
    };
    let ok = await waitForStarts(1);
    if (ok) {
      console.log(bold("# demo: writing a new version of secret/myapp/db in Vault"));
      await admin.writeKv2("secret/myapp/db", { username: "app_user", password: "demo-Db-Passw0rd-rotated" });
      ok = await waitForStarts(2);
    }
    if (ok) {
      console.log(bold("# demo: putting a new value of prod/stripe in Secrets Manager"));
      await awsAdmin.putSecretValue("prod/stripe", { SecretString: JSON.stringify({ api_key: "demo-stripe-key-v2", account: "acct_demo" }) });
      ok = await waitForStarts(3);
    }
    console.log(bold("# demo: sending SIGTERM to envject"));
    child.kill("SIGTERM");
    const code = await exited;
    console.log(`(exit code ${code}; the app started ${starts()} times)`);
    return ok && code === 0 && starts() === 3;
  }
} finally {
  dev.kill("SIGTERM");
  const code = await devExited;
  if (code !== 0) {
    console.log(`envject dev exited with ${code}`);
    process.exitCode = 1;
  }
  rmSync(home, { recursive: true, force: true });
}

/** The `export NAME='value'` lines envject dev prints once its stores listen and are seeded. */
async function devExports(): Promise<Record<string, string>> {
  let out = "";
  const lines = await new Promise<string[]>((done, fail) => {
    dev.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const complete = out.split("\n").slice(0, -1);
      if (complete.length >= 6) done(complete);
    });
    dev.on("close", (code) => fail(new Error(`envject dev exited with ${code} before printing its export lines`)));
  });
  const vars: Record<string, string> = {};
  for (const line of lines) {
    const m = /^export ([A-Z_]+)='(.*)'$/.exec(line);
    if (m) vars[m[1]!] = m[2]!.replaceAll("'\\''", "'");
  }
  return vars;
}
