// `npm run demo`: envject against a local Vault double with sample secrets, no Vault of your own.
// Starts the loopback double from test/doubles/vault/, seeds it, creates an AppRole with a
// least-privilege policy, then runs `envject check`, `envject run` (twice: plain and --mask) and
// one failing run, each as a real child process, the way you would from a shell.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startVaultDouble } from "../test/doubles/vault/index.js";
import { VaultDoubleClient } from "../test/doubles/vault/client.js";

const root = resolve(import.meta.dirname, "..");
const bin = join(root, "bin/envject.mjs");
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

const vault = await startVaultDouble();
const home = mkdtempSync(join(tmpdir(), "envject-demo-home-"));
try {
  const admin = new VaultDoubleClient(vault.url, vault.rootToken);
  await admin.writeKv2("secret/myapp/db", { username: "app_user", password: "demo-Db-Passw0rd" });
  await admin.writeKv2("secret/myapp/config", { log_level: "info", "feature.new-checkout": true, max_connections: 20 });
  await admin.writeKv2("secret/myapp/session", { secret: "demo-session-signing-key" });
  await admin.writeKv2("secret/myapp/tls", { key: "-----BEGIN PRIVATE KEY-----\nMIIE...demo...\n-----END PRIVATE KEY-----\n" });
  await admin.writeKv1("kv/legacy", { api_token: "demo-legacy-api-token" });
  await admin.createDatabaseRole("reporting", { default_ttl: "1h", max_ttl: "24h" });
  await admin.writePolicy("myapp", {
    "secret/data/myapp/*": ["read"],
    "secret/metadata/myapp/*": ["read"],
    "kv/legacy": ["read"],
    "database/creds/reporting": ["read"],
  });
  const { roleId, secretId } = await admin.createAppRole("myapp", { policies: ["myapp"], token_ttl: "1h", token_max_ttl: "4h" });

  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    LANG: process.env.LANG ?? "C.UTF-8",
    VAULT_ADDR: vault.url,
    VAULT_ROLE_ID: roleId,
    VAULT_SECRET_ID: secretId,
    DEMO_REGION: "eu-west-1",
  };
  // Asynchronous on purpose: the Vault double lives in this process and must keep answering.
  const envject = async (title: string, args: string[]): Promise<number | null> => {
    console.log(`\n${bold(`$ envject ${args.join(" ")}`)}    # ${title}`);
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env, stdio: "inherit" });
    const code = await new Promise<number | null>((done) => child.on("close", (status) => done(status)));
    console.log(`(exit code ${code})`);
    return code;
  };

  console.log(bold(`Local Vault double at ${vault.url} with sample secrets; envject logs in with AppRole "myapp".`));
  const mapping = ["-c", "examples/envject.yaml", "-e", "examples/.env"];
  const results = [
    await envject("resolve every reference, print no value", ["check", ...mapping]),
    await envject("start the app with its secrets", [...mapping, "--", "node", "examples/app.mjs"]),
    await envject("--mask hides secret values in the app's output", ["--mask", ...mapping, "--", "node", "examples/app.mjs", "--print-secret"]),
  ];
  const failing = await envject("a reference to a secret that does not exist: exit 78, the variable and path named", [
    "-c", "examples/envject.yaml", "-e", "examples/missing.env", "--", "node", "-e", "0",
  ]);
  const ok = results.every((code) => code === 0) && failing === 78;
  console.log(`\n${bold(ok ? "Demo finished: every step behaved as documented." : "Demo finished with an unexpected exit code (see above).")}`);
  process.exitCode = ok ? 0 : 1;
} finally {
  await vault.close();
  rmSync(home, { recursive: true, force: true });
}
