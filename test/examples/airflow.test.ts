/**
 * examples/airflow/envject.yaml against the Vault double, set up as seed 002 (Astro's Vault
 * backend) describes: a KV v2 mount `airflow`, connections with `conn_uri`, variables with
 * `value`, an AppRole whose policy reads and lists them. The child gets AIRFLOW_CONN_* and
 * AIRFLOW_VAR_* and none of Vault's credentials; a sub-folder is not expanded.
 */
import assert from "node:assert/strict";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ROOT, hermeticEnv, runCli, tempDir } from "../support/cli.js";
import { type SeededVault, startSeededVault } from "../support/vault-fixture.js";

/** A child that prints its whole environment as JSON. */
const PRINT_ENV = [process.execPath, "-e", "process.stdout.write(JSON.stringify(process.env))"];

describe("examples/airflow", () => {
  let vault: SeededVault;
  let ws: { path: string; cleanup: () => void };
  let role: { roleId: string; secretId: string };
  before(async () => {
    vault = await startSeededVault();
    const admin = vault.admin;
    await admin.enableMount("airflow", "kv", "2");
    await admin.writeKv2("airflow/connections/smtp_default", { conn_uri: "smtps://user:pw-Airflow-Smtp-41@host:465" });
    await admin.writeKv2("airflow/connections/my_postgres", { conn_uri: "postgresql://u:pw-Airflow-Pg-42@db:5432/airflow" });
    await admin.writeKv2("airflow/connections/archive/old", { conn_uri: "nope://" });
    await admin.writeKv2("airflow/variables/env_name", { value: "staging" });
    await admin.writeKv2("airflow/variables/batch-size", { value: "500" });
    await admin.writePolicy("astro_policy", {
      "airflow/data/*": ["read"],
      "airflow/metadata/connections/": ["list"],
      "airflow/metadata/variables/": ["list"],
    });
    role = await admin.createAppRole("astro_role", { policies: ["astro_policy"], token_ttl: "24h", token_max_ttl: "24h" });
    ws = tempDir("envject-airflow-");
    copyFileSync(join(ROOT, "examples/airflow/envject.yaml"), join(ws.path, "envject.yaml"));
  });
  after(async () => {
    ws?.cleanup();
    await vault?.close();
  });

  it("gives Airflow its connections and variables as AIRFLOW_CONN_* / AIRFLOW_VAR_*, logged in with the AppRole", async () => {
    await vault.control.clearRequests();
    const env0 = hermeticEnv(ws.path, { VAULT_ADDR: vault.url, VAULT_ROLE_ID: role.roleId, VAULT_SECRET_ID: role.secretId });
    // --no-watch: the folders' first poll comes at a random moment of the interval, and one that
    // fell while the child ran (a loaded machine) would add a LIST to the start-up count below.
    const result = await runCli(["--no-watch", "--", ...PRINT_ENV], { cwd: ws.path, env: env0, timeoutMs: 60_000 });
    assert.equal(result.code, 0, `stderr: ${result.stderr}`);
    const env = JSON.parse(result.stdout) as Record<string, string>;
    const airflow = Object.fromEntries(
      Object.entries(env)
        .filter(([k]) => k.startsWith("AIRFLOW_"))
        .sort(([a], [b]) => a.localeCompare(b)),
    );
    assert.deepEqual(airflow, {
      AIRFLOW_CONN_MY_POSTGRES: "postgresql://u:pw-Airflow-Pg-42@db:5432/airflow",
      AIRFLOW_CONN_SMTP_DEFAULT: "smtps://user:pw-Airflow-Smtp-41@host:465",
      AIRFLOW_VAR_BATCH_SIZE: "500",
      AIRFLOW_VAR_ENV_NAME: "staging",
    });
    for (const name of ["VAULT_ROLE_ID", "VAULT_SECRET_ID", "VAULT_TOKEN"]) assert.equal(env[name], undefined, `${name} is not passed on`);
    assert.ok(!result.stderr.includes("pw-Airflow-"), "no value in envject's log");
    const log = await vault.control.requests();
    const lists = log
      .filter((r) => (r.query as Record<string, string> | undefined)?.list === "true")
      .map((r) => r.path)
      .sort();
    assert.deepEqual(lists, ["airflow/metadata/connections", "airflow/metadata/variables"]);
    assert.equal(log.filter((r) => r.path.includes("archive")).length, 0, "a sub-folder is not expanded");
  });
});
