/**
 * Conformance: Debian's python3-hvac (hvac 0.11.x, the real client) drives the Vault double
 * started in this process; hvac_conformance.py prints one line per check. Skipped with an install
 * hint when /usr/bin/python3 cannot import hvac, failed instead when CI=true.
 */
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { startVaultDouble } from "../../src/dev/vault/index.js";
import { conformanceTest, requireClient } from "../support/conformance.js";

// Plain `python3` on PATH may be another Python without Debian's packages.
const PYTHON = "/usr/bin/python3";
const SCRIPT = fileURLToPath(new URL("./hvac_conformance.py", import.meta.url));
const INSTALL = "sudo apt-get install -y python3-hvac";

const hvac = requireClient(
  "hvac (Debian python3-hvac)",
  () => {
    const probe = spawnSync(PYTHON, ["-c", "import hvac"], { encoding: "utf8" });
    if (probe.error) return `${PYTHON}: ${probe.error.message}`;
    return probe.status === 0 ? true : `${PYTHON} cannot import hvac`;
  },
  INSTALL,
);

const CHECKS = [
  "health",
  "policy_write",
  "approle_login",
  "approle_bad_secret_id",
  "kv2_create_and_update_with_cas",
  "kv2_cas_mismatch",
  "kv2_read_latest",
  "kv2_read_version",
  "kv2_read_metadata",
  "kv2_delete_version_then_read_it",
  "kv2_undelete",
  "kv2_destroy",
  "kv2_delete_latest",
  "kv2_list",
  "kv1_write_read_list",
  "token_lookup_self",
  "token_renew_self_capped",
  "root_token_not_renewable",
  "database_creds_lease",
  "lease_renew_capped",
  "lease_lookup",
  "lease_revoke",
  "forbidden",
  "invalid_path",
  "invalid_request",
  "sealed",
  "namespace_header",
  "token_expiry_revokes_its_leases",
];

/** Runs the script without blocking this process's event loop (the double lives here). */
function runScript(url: string, rootToken: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      PYTHON,
      [SCRIPT, url, rootToken],
      // Loopback only: never let a proxy setting route 127.0.0.1 elsewhere.
      { timeout: 120_000, env: { ...process.env, NO_PROXY: "127.0.0.1,localhost", no_proxy: "127.0.0.1,localhost", PYTHONWARNINGS: "ignore" } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

conformanceTest("hvac (python3-hvac) passes every conformance check against the Vault double", hvac, async () => {
  const double = await startVaultDouble();
  try {
    const { code, stdout, stderr } = await runScript(double.url, double.rootToken);
    const lines = stdout.split("\n").filter((l) => l !== "");
    const failures = lines.filter((l) => l.startsWith("FAIL "));
    assert.deepEqual(failures, [], `failed checks:\n${failures.join("\n")}\nstderr:\n${stderr.slice(-2000)}`);
    for (const name of CHECKS) assert.ok(lines.includes(`ok ${name}`), `missing "ok ${name}" in:\n${stdout}`);
    assert.ok(lines.includes(`summary: ${CHECKS.length} passed, 0 failed`), stdout);
    assert.equal(code, 0, `exit code ${code}\n${stderr.slice(-2000)}`);
  } finally {
    await double.close();
  }
});

describe("requireClient (conformance helper semantics)", () => {
  const withCi = (value: string | undefined, fn: () => void) => {
    const saved = process.env.CI;
    if (value === undefined) delete process.env.CI;
    else process.env.CI = value;
    try {
      fn();
    } finally {
      if (saved === undefined) delete process.env.CI;
      else process.env.CI = saved;
    }
  };

  test("a missing client outside CI is skipped with a message naming what to install", () => {
    withCi(undefined, () => {
      const r = requireClient("fakecli", () => "binary not on PATH", "sudo apt-get install -y fakecli-pkg");
      assert.equal(r.available, false);
      assert.equal(typeof r.skip, "string");
      assert.match(r.skip as string, /fakecli is not available \(binary not on PATH\).*apt-get install -y fakecli-pkg/);
      assert.throws(() => r.assertAvailable(), /fakecli-pkg/);
    });
  });

  test("a missing client under CI=true is not skipped and fails", () => {
    withCi("true", () => {
      const r = requireClient("fakecli", () => false, "sudo apt-get install -y fakecli-pkg");
      assert.equal(r.skip, false);
      assert.throws(() => r.assertAvailable(), /required because CI=true/);
    });
  });

  test("a check that throws counts as missing; an available client runs", () => {
    withCi(undefined, () => {
      const broken = requireClient("fakecli", () => {
        throw new Error("spawn ENOENT");
      }, "apt-get install fakecli-pkg");
      assert.equal(broken.available, false);
      assert.match(broken.problem, /ENOENT/);
      const present = requireClient("realcli", () => true, "n/a");
      assert.equal(present.skip, false);
      assert.doesNotThrow(() => present.assertAvailable());
    });
  });
});
