/**
 * `expand:` folders end to end (docs/contract/mapping.md#expand-folders), the real CLI against the Vault double: KV v2 and
 * KV v1 folders with and without `field`, sub-folders skipped, collisions, an empty folder, and
 * while watching a secret added to or removed from the folder (one restart each), with one LIST
 * per poll. The same for a Secrets Manager folder (a name prefix): BatchGetSecretValue with a
 * name filter, ListSecrets when that is denied, ListSecrets to poll.
 *
 * The one-shot runs that count start-up requests pass --no-watch: a folder's or a secret's first
 * poll comes at a random moment of the interval, and one falling while the child runs (seen on a
 * loaded full run) would add a request to the count. Watching is tested with WatchedRun.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type SeededAws, awsEnv, startSeededAws } from "../support/aws-fixture.js";
import type { SeededVault } from "../support/vault-fixture.js";
import { WatchedRun, pause, watchSuite } from "../watch/e2e-harness.js";
import { Workspace, assertNoStackTrace, childJson, printAllEnv } from "./e2e.js";

type RequestLogEntry = Awaited<ReturnType<SeededVault["admin"]["requests"]>>[number];

function lists(log: readonly RequestLogEntry[], path: string): number {
  return log.filter((r) => r.method === "GET" && r.path === path && (r.query as Record<string, string> | undefined)?.list === "true").length;
}

function withPrefix(env: Record<string, string | null>, prefix: string): Record<string, string | null> {
  return Object.fromEntries(
    Object.entries(env)
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

describe("expand: a Vault folder", () => {
  const suite = watchSuite(async (vault) => {
    await vault.admin.enableMount("airflow", "kv", "2");
    await vault.control.putSecret("airflow/connections/smtp_default", { conn_uri: "smtps://user:pw-Smtp-1a2b@host:465" });
    await vault.control.putSecret("airflow/connections/my-postgres", { conn_uri: "postgres://u:pw-Pg-3c4d@db:5432/x", extra: "e1" });
    await vault.control.putSecret("airflow/connections/nested/deeper", { conn_uri: "nope://skipped" });
    await vault.admin.writeKv1("kv/flags/alpha", { on: "yes", level: "3" });
    await vault.admin.writeKv1("kv/flags/beta", { on: "no" });
  });

  it("KV v2 with field: one variable per secret, PREFIX + upper-cased name; sub-folders skipped; one LIST", async () => {
    const ws = suite.workspace("expand:\n  - from: vault://airflow/connections/\n    prefix: AIRFLOW_CONN_\n    field: conn_uri\n");
    await suite.vault.control.clearRequests();
    const env = childJson(await ws.run(["run", "--no-watch", "--", ...printAllEnv()]));
    assert.deepEqual(withPrefix(env, "AIRFLOW_CONN_"), {
      AIRFLOW_CONN_MY_POSTGRES: "postgres://u:pw-Pg-3c4d@db:5432/x",
      AIRFLOW_CONN_SMTP_DEFAULT: "smtps://user:pw-Smtp-1a2b@host:465",
    });
    const log = await suite.vault.control.requests();
    assert.equal(lists(log, "airflow/metadata/connections"), 1, JSON.stringify(log.map((r) => [r.path, r.query])));
    assert.equal(log.filter((r) => r.path === "airflow/data/connections/nested/deeper").length, 0, "a sub-folder's secret is not read");
  });

  it("KV v2 without field: PREFIX + NAME + _ + KEY for every key", async () => {
    const ws = suite.workspace("expand:\n  - from: vault://airflow/connections/\n    prefix: C_\n");
    const env = childJson(await ws.run(["run", "--no-watch", "--", ...printAllEnv()]));
    assert.deepEqual(withPrefix(env, "C_"), {
      C_MY_POSTGRES_CONN_URI: "postgres://u:pw-Pg-3c4d@db:5432/x",
      C_MY_POSTGRES_EXTRA: "e1",
      C_SMTP_DEFAULT_CONN_URI: "smtps://user:pw-Smtp-1a2b@host:465",
    });
  });

  it("KV v1 folder, with and without field, ?mount= spelling too", async () => {
    const ws = suite.workspace("expand:\n  - from: vault://kv/flags/\n    prefix: F_\n  - from: vault://flags/?mount=kv\n    prefix: ON_\n    field: on\n");
    await suite.vault.control.clearRequests();
    const env = childJson(await ws.run(["run", "--no-watch", "--", ...printAllEnv()]));
    assert.deepEqual(withPrefix(env, "F_"), { F_ALPHA_LEVEL: "3", F_ALPHA_ON: "yes", F_BETA_ON: "no" });
    assert.deepEqual(withPrefix(env, "ON_"), { ON_ALPHA: "yes", ON_BETA: "no" });
    const log = await suite.vault.control.requests();
    assert.equal(lists(log, "kv/flags"), 1, "both spellings are one folder, listed once");
    assert.equal(log.filter((r) => r.path === "kv/flags/alpha").length, 1, "each secret read once");
  });

  it("a mount's root is a folder too (KV v1 kv/: its sub-folder flags/ skipped); a denied LIST is 77 naming the path", async () => {
    const env = childJson(await suite.workspace("expand:\n  - from: vault://kv/\n    prefix: R_\n").run(["run", "--", ...printAllEnv()]));
    assert.deepEqual(withPrefix(env, "R_"), { R_LEGACY_TOKEN: "legacy-Kv1-Token-5a4b3c" });

    await suite.vault.control.deny("airflow/metadata/connections");
    try {
      const denied = await suite.workspace("expand:\n  - from: vault://airflow/connections/\n    prefix: D_\n").run(["run", "--", "true"]);
      assert.equal(denied.code, 77, denied.stderr);
      assert.match(denied.stderr, /D_\* from vault:\/\/airflow\/connections\/: Vault denied listing airflow\/metadata\/connections/);
      assertNoStackTrace(denied.stderr);
    } finally {
      await suite.vault.control.clearDenials();
    }
  });

  it("mount discovery denied: KV v2 folder listed at the guessed mount, KV v1 by a plain LIST", async () => {
    await suite.vault.control.deny("sys/internal/ui/mounts/");
    try {
      const ws = suite.workspace("expand:\n  - from: vault://airflow/connections/\n    prefix: C_\n    field: conn_uri\n  - from: vault://kv/flags/\n    prefix: F_\n");
      const env = childJson(await ws.run(["run", "--no-watch", "--", ...printAllEnv()]));
      assert.deepEqual(Object.keys(withPrefix(env, "C_")), ["C_MY_POSTGRES", "C_SMTP_DEFAULT"]);
      assert.deepEqual(withPrefix(env, "F_"), { F_ALPHA_LEVEL: "3", F_ALPHA_ON: "yes", F_BETA_ON: "no" });
    } finally {
      await suite.vault.control.clearDenials();
    }
  });

  it("a missing key under field names the secret (78); two secrets giving one name are a 65 naming both", async () => {
    const missing = await suite.workspace("expand:\n  - from: vault://airflow/connections/\n    prefix: X_\n    field: extra\n").run(["run", "--", "true"]);
    assert.equal(missing.code, 78, missing.stderr);
    assert.match(missing.stderr, /vault:\/\/airflow\/connections\/smtp_default/);
    assertNoStackTrace(missing.stderr);

    await suite.vault.control.putSecret("airflow/clash/a-b", { v: "1" });
    await suite.vault.control.putSecret("airflow/clash/a_b", { v: "2" });
    const clash = await suite.workspace("expand:\n  - from: vault://airflow/clash/\n    prefix: K_\n    field: v\n").run(["run", "--", "true"]);
    assert.equal(clash.code, 65, clash.stderr);
    assert.match(clash.stderr, /airflow\/clash\/a-b and vault:\/\/airflow\/clash\/a_b both give the variable K_A_B/);
    assert.match(clash.stderr, /envject\.yaml:2/);
  });

  it("an empty or missing folder: a warning, no variables, the command runs", async () => {
    const ws = suite.workspace("expand:\n  - from: vault://airflow/nothing-here/\n    prefix: N_\n    field: x\n");
    const result = await ws.run(["run", "--no-watch", "--", ...printAllEnv()]);
    const env = childJson(result);
    assert.deepEqual(withPrefix(env, "N_"), {});
    assert.match(result.stderr, /WARN .*the folder vault:\/\/airflow\/nothing-here\/ is empty or missing/);
  });

  it("field without a folder, and #field on a folder, are 65 with file:line", async () => {
    const a = await suite.workspace("expand:\n  - from: vault://secret/myapp/db\n    field: password\n").run(["run", "--", "true"]);
    assert.equal(a.code, 65, a.stderr);
    assert.match(a.stderr, /envject\.yaml:3.*field: is only for a folder/);
    const b = await suite.workspace("expand:\n  - from: vault://airflow/connections/#conn_uri\n").run(["run", "--", "true"]);
    assert.equal(b.code, 65, b.stderr);
    assert.match(b.stderr, /envject\.yaml:2.*is a folder: write what each of its secrets gives as field: KEY/);
  });

  it("watching: a secret added, then one removed (then added back), each restarts the child once with the new set; one LIST per poll", async () => {
    await suite.vault.control.putSecret("airflow/watch/one", { conn_uri: "one://pw-W1" });
    const ws = suite.workspace("expand:\n  - from: vault://airflow/watch/\n    prefix: W_\n    field: conn_uri\n");
    const run = suite.start(ws, [], ["W_ONE", "W_TWO"]);
    await run.waitForStarts(1);
    assert.deepEqual(run.starts()[0]!.env, { W_ONE: "one://pw-W1", W_TWO: null });

    await suite.vault.control.clearRequests();
    const t0 = Date.now();
    await pause(4000);
    const seconds = (Date.now() - t0) / 1000;
    const log = await suite.vault.control.requests();
    const n = lists(log, "airflow/metadata/watch");
    assert.ok(n >= Math.floor(seconds / 1.1) - 1 && n <= Math.ceil(seconds / 0.9) + 1, `${n} LISTs in ${seconds.toFixed(1)} s`);
    assert.equal(log.filter((r) => r.path.startsWith("airflow/data/")).length, 0, "nothing read while nothing changes");

    await suite.vault.control.putSecret("airflow/watch/two", { conn_uri: "two://pw-W2" });
    await run.waitForStarts(2);
    assert.deepEqual(run.starts()[1]!.env, { W_ONE: "one://pw-W1", W_TWO: "two://pw-W2" });

    // The added secret is watched for new versions too.
    await suite.vault.control.putSecret("airflow/watch/two", { conn_uri: "two://pw-W2b" });
    await run.waitForStarts(3);
    assert.deepEqual(run.starts()[2]!.env, { W_ONE: "one://pw-W1", W_TWO: "two://pw-W2b" });

    await suite.vault.admin.deleteKv2Metadata("airflow/watch/one");
    await run.waitForStarts(4);
    assert.deepEqual(run.starts()[3]!.env, { W_ONE: null, W_TWO: "two://pw-W2b" });
    await pause(2500);
    assert.equal(run.starts().length, 4, `one restart per change: ${JSON.stringify(run.starts())}`);
    assert.deepEqual(run.lines("WARN", /cannot be read now/), [], "a secret removed from the folder is not warned about");
    // The removed secret is no longer polled.
    await suite.vault.control.clearRequests();
    await pause(2500);
    const after = await suite.vault.control.requests();
    assert.equal(after.filter((r) => r.path === "airflow/metadata/watch/one").length, 0, "the removed secret is not polled");
    assert.ok(after.filter((r) => r.path === "airflow/metadata/watch/two").length >= 1, "the remaining one is");

    // Added back with another value: read afresh, not the document read before it was removed.
    await suite.vault.control.putSecret("airflow/watch/one", { conn_uri: "one://pw-W1-again" });
    await run.waitForStarts(5);
    assert.deepEqual(run.starts()[4]!.env, { W_ONE: "one://pw-W1-again", W_TWO: "two://pw-W2b" });
    const end = await run.stop();
    assert.equal(end.code, 0, run.stderr);
  });
});

describe("expand: a Secrets Manager folder", () => {
  let sa: SeededAws;
  const workspaces: Workspace[] = [];
  let run: WatchedRun | undefined;
  before(async () => {
    sa = await startSeededAws({
      "airflow/connections/smtp_default": { conn_uri: "smtps://u:aws-Smtp-5e6f@h:465" },
      "airflow/connections/my.postgres": { conn_uri: "postgres://u:aws-Pg-7a8b@db/x", extra: "e2" },
      "airflow/connections/deeper/skipped": { conn_uri: "nope://" },
      "airflow/connectionsX": { conn_uri: "not-under-the-folder" },
    });
  });
  after(async () => {
    run?.kill();
    workspaces.forEach((w) => w.cleanup());
    await sa.close();
  });
  const workspace = (mapping: string): Workspace => {
    const ws = new Workspace();
    workspaces.push(ws);
    ws.file("envject.yaml", mapping);
    return ws;
  };

  it("with field: one BatchGetSecretValue with the name filter, no other read; only names directly under the prefix", async () => {
    const ws = workspace("expand:\n  - from: aws-sm://airflow/connections/\n    prefix: AIRFLOW_CONN_\n    field: conn_uri\n");
    await sa.control.clearRequests();
    const env = childJson(await ws.run(["run", "--no-watch", "--", ...printAllEnv()], awsEnv(sa.url)));
    assert.deepEqual(withPrefix(env, "AIRFLOW_CONN_"), {
      AIRFLOW_CONN_MY_POSTGRES: "postgres://u:aws-Pg-7a8b@db/x",
      AIRFLOW_CONN_SMTP_DEFAULT: "smtps://u:aws-Smtp-5e6f@h:465",
    });
    const log = await sa.control.requests();
    assert.deepEqual(
      log.map((r) => r.action),
      ["BatchGetSecretValue"],
      JSON.stringify(log),
    );
  });

  it("without field, and with BatchGetSecretValue denied: ListSecrets, then one GetSecretValue per secret", async () => {
    await sa.control.deny("BatchGetSecretValue");
    try {
      const ws = workspace("expand:\n  - from: aws-sm://airflow/connections/\n    prefix: C_\n");
      await sa.control.clearRequests();
      const env = childJson(await ws.run(["run", "--no-watch", "--", ...printAllEnv()], awsEnv(sa.url)));
      assert.deepEqual(withPrefix(env, "C_"), {
        C_MY_POSTGRES_CONN_URI: "postgres://u:aws-Pg-7a8b@db/x",
        C_MY_POSTGRES_EXTRA: "e2",
        C_SMTP_DEFAULT_CONN_URI: "smtps://u:aws-Smtp-5e6f@h:465",
      });
      const log = await sa.control.requests();
      const count = (action: string) => log.filter((r) => r.action === action && r.status === 200).length;
      assert.equal(count("ListSecrets"), 1, JSON.stringify(log));
      assert.equal(count("GetSecretValue"), 2, JSON.stringify(log));
      assert.equal(log.filter((r) => r.secretIds.includes("airflow/connections/deeper/skipped")).length, 0);
    } finally {
      await sa.control.clearDenials();
    }
  });

  it("more than one page: every NextToken page of the filtered BatchGetSecretValue is read", async () => {
    for (let i = 0; i < 23; i++) await sa.client.createSecret(`paged/s${String(i).padStart(2, "0")}`, { SecretString: JSON.stringify({ v: `p${i}` }) });
    const ws = workspace("expand:\n  - from: aws-sm://paged/\n    prefix: P_\n    field: v\n");
    await sa.control.clearRequests();
    const env = childJson(await ws.run(["run", "--no-watch", "--", ...printAllEnv()], awsEnv(sa.url)));
    const got = withPrefix(env, "P_");
    assert.equal(Object.keys(got).length, 23, JSON.stringify(got));
    assert.equal(got.P_S22, "p22");
    const log = await sa.control.requests();
    assert.deepEqual(
      log.map((r) => r.action),
      ["BatchGetSecretValue", "BatchGetSecretValue"],
      "two pages (20 + 3), nothing else",
    );
  });

  it("watching: a secret added and one removed each restart once; one ListSecrets per poll", async () => {
    await sa.client.createSecret("watchfolder/a", { SecretString: JSON.stringify({ v: "aws-Wa-1" }) });
    const ws = workspace("expand:\n  - from: aws-sm://watchfolder/\n    prefix: W_\n    field: v\n");
    run = WatchedRun.start(ws, ["--interval", "1s"], ["W_A", "W_B"], awsEnv(sa.url));
    await run.waitForStarts(1);
    assert.deepEqual(run.starts()[0]!.env, { W_A: "aws-Wa-1", W_B: null });
    await sa.control.clearRequests();
    const t0 = Date.now();
    await pause(4000);
    const seconds = (Date.now() - t0) / 1000;
    const log = await sa.control.requests();
    const n = log.filter((r) => r.action === "ListSecrets").length;
    assert.ok(n >= Math.floor(seconds / 1.1) - 1 && n <= Math.ceil(seconds / 0.9) + 1, `${n} ListSecrets in ${seconds.toFixed(1)} s`);
    assert.equal(log.filter((r) => r.action === "GetSecretValue" || r.action === "BatchGetSecretValue").length, 0, "no value read while nothing changes");

    await sa.client.createSecret("watchfolder/b", { SecretString: JSON.stringify({ v: "aws-Wb-1" }) });
    await run.waitForStarts(2);
    assert.deepEqual(run.starts()[1]!.env, { W_A: "aws-Wa-1", W_B: "aws-Wb-1" });
    await sa.client.deleteSecret("watchfolder/a", { ForceDeleteWithoutRecovery: true });
    await run.waitForStarts(3);
    assert.deepEqual(run.starts()[2]!.env, { W_A: null, W_B: "aws-Wb-1" });
    await pause(2500);
    assert.equal(run.starts().length, 3, `one restart per change: ${JSON.stringify(run.starts())}`);
    assert.deepEqual(run.lines("WARN", /cannot be read now/), [], "a secret removed from the folder is not warned about");
    const end = await run.stop();
    assert.equal(end.code, 0, run.stderr);
    assert.deepEqual(run.leakedValues(), [], "no value in envject's log");
  });
});
