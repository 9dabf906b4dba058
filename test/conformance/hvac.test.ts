/**
 * Conformance: Debian's python3-hvac (hvac 0.11.x, the real client) drives the Vault double
 * started in this process; hvac_conformance.py prints one line per check. Skipped with an install
 * hint when /usr/bin/python3 cannot import hvac, failed instead when CI=true.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { startVaultDouble } from "../../src/dev/vault/index.js";
import { conformanceTest, hvacClient, requireClient, runHvacScript } from "../support/conformance.js";

const hvac = hvacClient();

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

conformanceTest("hvac (python3-hvac) passes every conformance check against the Vault double", hvac, async () => {
  const double = await startVaultDouble();
  try {
    const { code, stdout, stderr, lines, failures } = await runHvacScript("hvac_conformance.py", [double.url, double.rootToken]);
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
      const broken = requireClient(
        "fakecli",
        () => {
          throw new Error("spawn ENOENT");
        },
        "apt-get install fakecli-pkg",
      );
      assert.equal(broken.available, false);
      assert.match(broken.problem, /ENOENT/);
      const present = requireClient("realcli", () => true, "n/a");
      assert.equal(present.skip, false);
      assert.doesNotThrow(() => present.assertAvailable());
    });
  });
});
