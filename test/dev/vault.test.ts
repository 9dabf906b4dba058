/**
 * Tests of the Vault double itself: wire bytes (envelope order, trailing newlines, raw 404s),
 * status codes and exact error strings, KV v1/v2, tokens and TTL accounting, policies, AppRole,
 * database leases, mounts, namespaces, seal, and the /__double/ control surface.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import http from "node:http";
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { VaultDoubleClient, VaultDoubleError } from "../../src/dev/vault/client.js";
import { startVaultDouble, type VaultDouble } from "../../src/dev/vault/index.js";
import { type RawExchange, assertCloseResetsHung } from "../support/raw-exchange.js";
import { pause as sleep, waitFor } from "../support/wait.js";

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const TIME = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{1,9})?Z";

/** Runs `fn` against a fresh double with a root-token client, closing it afterwards. */
async function withDouble(fn: (v: VaultDoubleClient, d: VaultDouble) => Promise<void>): Promise<void> {
  const d = await startVaultDouble();
  try {
    await fn(new VaultDoubleClient(d.url, d.rootToken), d);
  } finally {
    await d.close();
  }
}

/**
 * A GET on its own connection that records how far the answer got (status, bytes, a reset);
 * `onSent` is called once the request's bytes are handed to the (loopback) socket.
 */
function rawGet(url: string, token: string, onHead?: () => void, onSent?: () => void): Promise<RawExchange> {
  return new Promise((resolve) => {
    const out: RawExchange = { received: 0, ended: "reset" };
    const req = http.get(url, { agent: false, headers: { "X-Vault-Token": token } }, (res) => {
      out.status = res.statusCode;
      out.contentLength = Number(res.headers["content-length"]);
      onHead?.();
      res.on("data", (c: Buffer) => (out.received += c.length));
      res.on("end", () => resolve({ ...out, ended: "complete" }));
      res.on("error", () => resolve(out));
      res.on("aborted", () => resolve(out));
    });
    req.on("finish", () => onSent?.());
    req.on("error", () => resolve(out));
  });
}

const data = (answer: { body: unknown }) => (answer.body as { data: Record<string, unknown> }).data;
const errorsOf = (answer: { body: unknown }) => (answer.body as { errors: string[] }).errors;

describe("wire format", () => {
  test("a KV v2 write answers the envelope in Vault's field order with a trailing newline", async () => {
    await withDouble(async (v) => {
      const res = await v.request("POST", "secret/data/app/db", { data: { password: "p" } });
      assert.equal(res.status, 200);
      assert.equal(res.headers["content-type"], "application/json");
      assert.equal(res.headers["cache-control"], "no-store");
      assert.match(
        res.text,
        new RegExp(
          `^\\{"request_id":"${UUID}","lease_id":"","renewable":false,"lease_duration":0,"data":\\{"created_time":"${TIME}","custom_metadata":null,"deletion_time":"","destroyed":false,"version":1\\},"wrap_info":null,"warnings":null,"auth":null,"mount_type":"kv"\\}\\n$`,
        ),
      );
    });
  });

  test("map keys are sorted bytewise and <, >, & are escaped like Go's encoder", async () => {
    await withDouble(async (v) => {
      await v.writeKv2("secret/enc", { b: "x<y>&z", "10": 1, "9": 2, a: { z: 1, y: [1.5, 1e21] }, line: "\u2028\t" });
      const res = await v.request("GET", "secret/data/enc");
      assert.ok(res.text.includes(`"data":{"10":1,"9":2,"a":{"y":[1.5,1e+21],"z":1},"b":"x\\u003cy\\u003e\\u0026z","line":"\\u2028\\t"}`), res.text);
    });
  });

  test('a missing secret is 404 {"errors":[]} and 204s carry no body', async () => {
    await withDouble(async (v) => {
      const missing = await v.request("GET", "secret/data/nope");
      assert.equal(missing.status, 404);
      assert.equal(missing.text, '{"errors":[]}\n');
      await v.writeKv2("secret/x", { k: "v" });
      const del = await v.request("DELETE", "secret/data/x");
      assert.equal(del.status, 204);
      assert.equal(del.text, "");
      assert.equal(del.headers["content-type"], "application/json");
    });
  });

  test('wrong method is 405 {"errors":[]}, bad bodies and bad list flags are 400', async () => {
    await withDouble(async (v) => {
      const trace = await v.request("TRACE", "secret/data/x");
      assert.equal(trace.status, 405);
      assert.equal(trace.text, '{"errors":[]}\n');
      const badJson = await v.request("POST", "secret/data/x", undefined, undefined, { "Content-Type": "application/json" });
      assert.equal(badJson.status, 400); // empty body: "no data provided"
      assert.deepEqual(errorsOf(badJson), ["no data provided"]);
      const notObject = await v.request("POST", "secret/data/x", [1, 2]);
      assert.equal(notObject.status, 400);
      assert.deepEqual(errorsOf(notObject), ["json: cannot unmarshal array into Go value of type map[string]interface {}"]);
      const badList = await v.request("GET", "secret/metadata/", undefined, { list: "maybe" });
      assert.equal(badList.status, 400);
      assert.equal(badList.text, '{"errors":[]}\n');
      const patchNoType = await v.request("PATCH", "secret/data/x", { data: {} }, undefined, { "Content-Type": "application/json" });
      assert.equal(patchNoType.status, 415);
    });
  });

  test("a path under no mount is 404 'no handler for route' for root and 403 for others", async () => {
    await withDouble(async (v) => {
      const res = await v.request("GET", "nomount/data/x");
      assert.equal(res.status, 404);
      assert.equal(res.text, '{"errors":["no handler for route \\"nomount/data/x\\". route entry not found."]}\n');
      const other = v.withToken(await v.createToken({ policies: ["default"] }));
      const denied = await other.request("GET", "nomount/data/x");
      assert.equal(denied.status, 403);
      assert.deepEqual(errorsOf(denied), ["1 error occurred:\n\t* permission denied\n\n"]);
    });
  });
});

describe("KV v2", () => {
  test("deleted and destroyed versions answer a 404 envelope without trailing newline; future deletion reads 200", async () => {
    await withDouble(async (v) => {
      await v.writeKv2("secret/app", { v: 1 });
      await v.writeKv2("secret/app", { v: 2 });
      await v.deleteVersions("secret/app", [1]);
      const deleted = await v.request("GET", "secret/data/app", undefined, { version: "1" });
      assert.equal(deleted.status, 404);
      assert.ok(!deleted.text.endsWith("\n"), "raw plugin body has no newline");
      assert.match(
        deleted.text,
        new RegExp(
          `^\\{"request_id":"${UUID}","lease_id":"","renewable":false,"lease_duration":0,"data":\\{"data":null,"metadata":\\{"created_time":"${TIME}","custom_metadata":null,"deletion_time":"${TIME}","destroyed":false,"version":1\\}\\},"wrap_info":null,"warnings":null,"auth":null,"mount_type":""\\}$`,
        ),
      );
      await v.destroyVersions("secret/app", [2]);
      const destroyed = await v.request("GET", "secret/data/app");
      assert.equal(destroyed.status, 404);
      assert.equal((data(destroyed).metadata as { destroyed: boolean }).destroyed, true);
      await v.undeleteVersions("secret/app", [1, 2]);
      assert.equal((await v.request("GET", "secret/data/app", undefined, { version: "1" })).status, 200);
      assert.equal((await v.request("GET", "secret/data/app")).status, 404, "destroyed stays destroyed");

      await v.api("POST", "secret/metadata/later", { delete_version_after: "1h" });
      await v.writeKv2("secret/later", { k: "v" });
      const later = await v.request("GET", "secret/data/later");
      assert.equal(later.status, 200);
      assert.match(String((data(later).metadata as { deletion_time: string }).deletion_time), new RegExp(`^${TIME}$`));
    });
  });

  test("check-and-set: mismatch, required, and missing data give Vault's exact 400 strings", async () => {
    await withDouble(async (v) => {
      assert.equal((await v.writeKv2("secret/cas", { a: 1 }, { cas: 0 })).version, 1);
      const mismatch = await v.request("POST", "secret/data/cas", { options: { cas: 0 }, data: { a: 2 } });
      assert.equal(mismatch.text, '{"errors":["check-and-set parameter did not match the current version"]}\n');
      await v.api("POST", "secret/metadata/cas", { cas_required: true });
      const required = await v.request("POST", "secret/data/cas", { data: { a: 2 } });
      assert.equal(required.status, 400);
      assert.deepEqual(errorsOf(required), ["check-and-set parameter required for this call"]);
      const noData = await v.request("POST", "secret/data/cas", { options: { cas: 1 } });
      assert.deepEqual(errorsOf(noData), ["no data provided"]);
      assert.equal((await v.writeKv2("secret/cas", { a: 2 }, { cas: 1 })).version, 2);
    });
  });

  test("metadata carries every field; versions beyond max_versions are dropped", async () => {
    await withDouble(async (v) => {
      await v.api("POST", "secret/metadata/m", { max_versions: 2, custom_metadata: { owner: "team" } });
      for (let i = 1; i <= 3; i++) await v.writeKv2("secret/m", { i });
      const meta = data(await v.request("GET", "secret/metadata/m"));
      assert.deepEqual(Object.keys(meta), ["cas_required", "created_time", "current_version", "custom_metadata", "delete_version_after", "max_versions", "oldest_version", "updated_time", "versions"]);
      assert.equal(meta.current_version, 3);
      assert.equal(meta.oldest_version, 2);
      assert.equal(meta.max_versions, 2);
      assert.equal(meta.delete_version_after, "0s");
      assert.deepEqual(meta.custom_metadata, { owner: "team" });
      assert.deepEqual(Object.keys(meta.versions as object), ["2", "3"]);
      assert.equal((await v.request("GET", "secret/data/m", undefined, { version: "1" })).status, 404);
    });
  });

  test("list shows folders with a trailing slash and is 404 when empty", async () => {
    await withDouble(async (v) => {
      await v.writeKv2("secret/apps/a", { k: 1 });
      await v.writeKv2("secret/apps/b/c", { k: 1 });
      const list = await v.request("GET", "secret/metadata/apps", undefined, { list: "true" });
      assert.deepEqual(data(list).keys, ["a", "b/"]);
      const empty = await v.request("GET", "secret/metadata/apps/a", undefined, { list: "true" });
      assert.equal(empty.status, 404);
      assert.equal(empty.text, '{"errors":[]}\n');
    });
  });

  test("a v1-style path on a v2 mount is a 404 envelope naming the right CLI command", async () => {
    await withDouble(async (v) => {
      const get = await v.request("GET", "secret/app/db");
      assert.equal(get.status, 404);
      assert.ok(!get.text.endsWith("\n"));
      const body = get.body as { data: unknown; warnings: string[] };
      assert.equal(body.data, null);
      assert.deepEqual(body.warnings, [
        "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv get' for this operation.",
      ]);
      const put = await v.request("PUT", "secret/app/db", { k: "v" });
      assert.match((put.body as { warnings: string[] }).warnings[0]!, /use 'vault kv put' for this operation\.$/);
    });
  });

  test("delete/undelete/destroy answer 204 and need versions; PATCH merges into a new version", async () => {
    await withDouble(async (v) => {
      await v.writeKv2("secret/p", { a: 1, b: 2 });
      const noVersions = await v.request("POST", "secret/delete/p", {});
      assert.equal(noVersions.status, 400);
      assert.deepEqual(errorsOf(noVersions), ["No version number provided"]);
      const patched = await v.request("PATCH", "secret/data/p", { data: { b: null, c: 3 } }, undefined, { "Content-Type": "application/merge-patch+json" });
      assert.equal(patched.status, 200);
      assert.equal(data(patched).version, 2);
      assert.deepEqual((await v.readKv2("secret/p")).data, { a: 1, c: 3 });
      const del = await v.request("DELETE", "secret/metadata/p");
      assert.equal(del.status, 204);
      assert.equal((await v.request("GET", "secret/metadata/p")).status, 404);
    });
  });
});

describe("KV v1", () => {
  test("reads carry lease_duration 2764800 (or the secret's ttl) and an empty lease_id; writes are 204", async () => {
    await withDouble(async (v) => {
      const put = await v.request("POST", "kv/app/legacy", { token: "t" });
      assert.equal(put.status, 204);
      const read = await v.request("GET", "kv/app/legacy");
      assert.match(
        read.text,
        /^\{"request_id":"[^"]+","lease_id":"","renewable":false,"lease_duration":2764800,"data":\{"token":"t"\},"wrap_info":null,"warnings":null,"auth":null,"mount_type":"kv"\}\n$/,
      );
      await v.writeKv1("kv/app/short", { ttl: "1h", k: "v" });
      assert.equal(((await v.request("GET", "kv/app/short")).body as { lease_duration: number }).lease_duration, 3600);
      assert.deepEqual(data(await v.request("GET", "kv/app", undefined, { list: "true" })).keys, ["legacy", "short"]);
      assert.deepEqual(errorsOf(await v.request("POST", "kv/empty", {})), ["missing data fields"]);
      assert.equal((await v.request("DELETE", "kv/app/legacy")).status, 204);
      assert.equal((await v.request("GET", "kv/app/legacy")).status, 404);
    });
  });
});

describe("mount discovery (sys/internal/ui/mounts)", () => {
  test("reports kv versions, database options null, and nested mount paths", async () => {
    await withDouble(async (v) => {
      await v.enableMount("team/kv", "kv", "2");
      const cases: [string, string, unknown, string][] = [
        ["secret/app/db", "secret/", { version: "2" }, "kv"],
        ["kv/app", "kv/", { version: "1" }, "kv"],
        ["database/creds/x", "database/", null, "database"],
        ["team/kv/app/db", "team/kv/", { version: "2" }, "kv"],
      ];
      for (const [path, mount, options, type] of cases) {
        const res = await v.request("GET", `sys/internal/ui/mounts/${path}`);
        assert.equal(res.status, 200, path);
        const d = data(res);
        assert.equal(d.path, mount);
        assert.deepEqual(d.options, options);
        assert.equal(d.type, type);
        assert.equal((res.body as { mount_type: string }).mount_type, "system");
      }
    });
  });

  test("no mount and no access look the same: 403 with the preflight message; a policy under the mount grants it", async () => {
    await withDouble(async (v) => {
      const none = await v.request("GET", "sys/internal/ui/mounts/nothing/here");
      assert.equal(none.status, 403);
      assert.equal(none.text, '{"errors":["preflight capability check returned 403, please ensure client\'s policies grant access to path \\"nothing/here/\\""]}\n');
      await v.writePolicy("app", { "secret/data/app/*": ["read"] });
      const app = v.withToken(await v.createToken({ policies: ["app"] }));
      assert.equal((await app.request("GET", "sys/internal/ui/mounts/secret/app/db")).status, 200);
      const kv = await app.request("GET", "sys/internal/ui/mounts/kv/app");
      assert.equal(kv.status, 403);
      assert.match(errorsOf(kv)[0]!, /grant access to path "kv\/app\/"$/);
      const anonymous = new VaultDoubleClient(v.url, "");
      assert.equal((await anonymous.request("GET", "sys/internal/ui/mounts/secret/x")).status, 403);
    });
  });

  test("control ui_mounts=404 emulates an old Vault without the endpoint", async () => {
    await withDouble(async (v) => {
      await v.config({ ui_mounts: "404" });
      assert.equal((await v.request("GET", "sys/internal/ui/mounts/secret/x")).status, 404);
      assert.equal((await v.writeKv2("secret/x", { k: "v" })).version, 1, "the client falls back to the first segment as mount");
      await v.config({ ui_mounts: "enabled" });
      assert.equal((await v.request("GET", "sys/internal/ui/mounts/secret/x")).status, 200);
    });
  });
});

describe("tokens", () => {
  /** A token with policy `app`, TTL 10 m and explicit max TTL 20 m, and a client holding it. */
  async function appToken(v: VaultDoubleClient) {
    const auth = await v.createTokenAuth({ policies: ["app"], ttl: "10m", explicit_max_ttl: "20m" });
    return { auth, app: v.withToken(auth.client_token) };
  }

  test("create answers the TTL and the policies with default added; lookup-self accounts the TTLs", async () => {
    await withDouble(async (v) => {
      const { auth, app } = await appToken(v);
      assert.equal(auth.lease_duration, 600);
      assert.deepEqual(auth.policies, ["app", "default"]);
      const look = data(await app.request("GET", "auth/token/lookup-self"));
      assert.equal(look.creation_ttl, 600);
      assert.ok((look.ttl as number) >= 598 && (look.ttl as number) <= 600, String(look.ttl));
      assert.equal(look.explicit_max_ttl, 1200);
      assert.match(String(look.expire_time), new RegExp(`^${TIME}$`));
      assert.equal(look.renewable, true);
      assert.equal(look.accessor, auth.accessor);
    });
  });

  test("renew-self caps at the max with Vault's warning, in Vault's auth block", async () => {
    await withDouble(async (v) => {
      const { app } = await appToken(v);
      const renewed = await app.request("POST", "auth/token/renew-self", { increment: "1h" });
      assert.equal(renewed.status, 200);
      const body = renewed.body as { auth: { lease_duration: number }; warnings: string[]; mount_type: string };
      assert.ok(body.auth.lease_duration <= 1200 && body.auth.lease_duration >= 1198, String(body.auth.lease_duration));
      assert.match(body.warnings[0]!, /^TTL of "1h0m0s" exceeded the effective max_ttl of "(19m5\ds|20m0s)"; TTL value is capped accordingly$/);
      assert.equal(body.mount_type, "token");
      assert.match(
        renewed.text,
        /"auth":\{"client_token":"[^"]+","accessor":"[^"]+","policies":\["app","default"\],"token_policies":\["app","default"\],"metadata":null,"lease_duration":\d+,"renewable":true,"entity_id":"","token_type":"service","orphan":false,"mfa_requirement":null,"num_uses":0\}/,
      );
    });
  });

  test("renew-self by seconds within the max: that TTL, no warning", async () => {
    await withDouble(async (v) => {
      const { app } = await appToken(v);
      await app.request("POST", "auth/token/renew-self", { increment: "1h" });
      const bySeconds = (await app.request("POST", "auth/token/renew-self", { increment: 60 })).body as { auth: { lease_duration: number }; warnings: unknown };
      assert.equal(bySeconds.auth.lease_duration, 60);
      assert.equal(bySeconds.warnings, null);
    });
  });

  test("root and non-renewable tokens cannot renew", async () => {
    await withDouble(async (v) => {
      const root = await v.request("POST", "auth/token/renew-self", {});
      assert.equal(root.status, 400);
      assert.equal(root.text, '{"errors":["lease is not renewable"]}\n');
      const fixed = v.withToken(await v.createToken({ ttl: 60, renewable: false, policies: ["default"] }));
      assert.deepEqual(errorsOf(await fixed.request("POST", "auth/token/renew-self", {})), ["lease is not renewable"]);
    });
  });

  test("revoked tokens (and their children) get 403 in the configured style", async () => {
    await withDouble(async (v) => {
      const parent = v.withToken(await v.createToken({ policies: ["default"], ttl: "1h" }));
      await v.writePolicy("maker", { "auth/token/create": ["update"] });
      const maker = v.withToken(await v.createToken({ policies: ["maker"], ttl: "1h" }));
      const child = v.withToken(await maker.createToken({ policies: ["default"], ttl: "1h" }));
      assert.equal((await child.request("GET", "auth/token/lookup-self")).status, 200);
      await maker.api("POST", "auth/token/revoke-self", {});
      const styles: [string, string][] = [
        ["invalid-token", "2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n"],
        ["multierror", "1 error occurred:\n\t* permission denied\n\n"],
        ["plain", "permission denied"],
      ];
      for (const [style, message] of styles) {
        await v.config({ forbidden_style: style as "plain" });
        const res = await child.request("GET", "auth/token/lookup-self");
        assert.equal(res.status, 403);
        assert.deepEqual(errorsOf(res), [message], style);
      }
      assert.equal((await parent.request("GET", "auth/token/lookup-self")).status, 200, "unrelated token still works");
    });
  });

  test("num_uses: the last use is allowed, then the token is gone", async () => {
    await withDouble(async (v) => {
      const limited = v.withToken(await v.createToken({ policies: ["default"], num_uses: 2 }));
      const first = data(await limited.request("GET", "auth/token/lookup-self"));
      assert.equal(first.num_uses, 1);
      assert.equal((await limited.request("GET", "auth/token/lookup-self")).status, 200);
      assert.equal((await limited.request("GET", "auth/token/lookup-self")).status, 403);
    });
  });

  test("max_token_ttl caps new tokens", async () => {
    await withDouble(async (v) => {
      await v.config({ max_token_ttl: 120 });
      const auth = await v.createTokenAuth({ policies: ["default"], ttl: "1h" });
      assert.equal(auth.lease_duration, 120);
    });
  });
});

describe("policies", () => {
  test("JSON and HCL policies, globs, + segments, exact paths and deny follow Vault's precedence", async () => {
    await withDouble(async (v) => {
      await v.writePolicy("json", {
        "secret/data/app/*": ["read"],
        "secret/data/app/secret-admin": ["deny"],
        "secret/data/+/shared": ["read"],
        "secret/metadata/app/*": ["list"],
      });
      await v.writePolicy("hcl", 'path "kv/team/*" {\n  capabilities = ["read", "create"]\n}\n');
      for (const p of ["secret/app/db", "secret/app/secret-admin", "secret/other/shared", "secret/other/db"]) await v.writeKv2(p, { k: "v" });
      await v.writeKv1("kv/team/x", { k: "v" });
      const t = v.withToken(await v.createToken({ policies: ["json", "hcl"] }));
      const status = async (method: string, path: string, body?: unknown, query?: Record<string, string>) => (await t.request(method, path, body, query)).status;
      assert.equal(await status("GET", "secret/data/app/db"), 200);
      assert.equal(await status("GET", "secret/data/app/secret-admin"), 403);
      assert.equal(await status("GET", "secret/data/other/shared"), 200);
      assert.equal(await status("GET", "secret/data/other/db"), 403);
      assert.equal(await status("GET", "secret/metadata/app/db"), 403, "data/* does not grant metadata read");
      assert.equal(await status("GET", "secret/metadata/app", undefined, { list: "true" }), 200);
      assert.equal(await status("POST", "secret/data/app/db", { data: {} }), 403, "read-only");
      assert.equal(await status("GET", "kv/team/x"), 200);
      assert.equal(await status("POST", "kv/team/new", { k: "v" }), 204, "create on a new key");
      assert.equal(await status("POST", "kv/team/x", { k: "w" }), 403, "update needs update");
      assert.equal(await status("GET", "auth/token/lookup-self"), 200, "default policy");
      const denied = await t.request("GET", "secret/data/other/db");
      assert.equal(denied.text, '{"errors":["1 error occurred:\\n\\t* permission denied\\n\\n"]}\n');
    });
  });

  test("policies can be read, listed and deleted; bad text is rejected", async () => {
    await withDouble(async (v) => {
      await v.writePolicy("p1", { "secret/*": ["read"] });
      assert.match(String(data(await v.request("GET", "sys/policies/acl/p1")).policy), /"secret\/\*"/);
      assert.deepEqual(data(await v.request("GET", "sys/policies/acl", undefined, { list: "true" })).keys, ["default", "p1", "root"]);
      const legacy = await v.request("GET", "sys/policy/p1");
      assert.equal((legacy.body as { name: string }).name, "p1", "legacy route injects data at the top level");
      assert.equal((await v.request("PUT", "sys/policies/acl/bad", { policy: '{"path": 3}' })).status, 400);
      assert.equal((await v.request("DELETE", "sys/policies/acl/p1")).status, 204);
      assert.equal((await v.request("GET", "sys/policies/acl/p1")).status, 404);
      assert.equal((await v.request("DELETE", "sys/policies/acl/default")).status, 400);
    });
  });
});

describe("AppRole", () => {
  test("login returns Vault's auth block with role_name metadata; wrong pairs get 400", async () => {
    await withDouble(async (v) => {
      const { roleId, secretId } = await v.createAppRole("app", { policies: ["app"], token_ttl: "20m", token_max_ttl: "30m", secret_id_num_uses: 1 });
      const anonymous = new VaultDoubleClient(v.url, "");
      const res = await anonymous.request("POST", "auth/approle/login", { role_id: roleId, secret_id: secretId });
      assert.equal(res.status, 200);
      assert.match(
        res.text,
        /^\{"request_id":"[^"]+","lease_id":"","renewable":false,"lease_duration":0,"data":null,"wrap_info":null,"warnings":null,"auth":\{"client_token":"hvs\.[^"]+","accessor":"[^"]+","policies":\["app","default"\],"token_policies":\["app","default"\],"metadata":\{"role_name":"app"\},"lease_duration":1200,"renewable":true,"entity_id":"[^"]+","token_type":"service","orphan":true,"mfa_requirement":null,"num_uses":0\},"mount_type":""\}\n$/,
      );
      const again = await anonymous.request("POST", "auth/approle/login", { role_id: roleId, secret_id: secretId });
      assert.equal(again.text, '{"errors":["invalid role or secret ID"]}\n', "secret_id_num_uses=1 is spent");
      assert.deepEqual(errorsOf(await anonymous.request("POST", "auth/approle/login", { role_id: "nope", secret_id: "x" })), ["invalid role or secret ID"]);
      assert.deepEqual(errorsOf(await anonymous.request("POST", "auth/approle/login", { secret_id: "x" })), ["missing role_id"]);
      const token = (res.body as { auth: { client_token: string } }).auth.client_token;
      const look = data(await v.withToken(token).request("GET", "auth/token/lookup-self"));
      assert.equal(look.path, "auth/approle/login");
      assert.deepEqual(look.meta, { role_name: "app" });
    });
  });
});

describe("database leases", () => {
  type Creds = { lease_id: string; renewable: boolean; lease_duration: number; data: { username: string; password: string }; mount_type: string };
  /** A `readonly` role (60 s, max 120 s) and one lease on it, owned by a token with a `db` policy. */
  async function issueCreds(v: VaultDoubleClient): Promise<{ owner: VaultDoubleClient; env: Creds }> {
    await v.createDatabaseRole("readonly", { default_ttl: 60, max_ttl: 120 });
    await v.writePolicy("db", { "database/creds/readonly": ["read"] });
    const owner = v.withToken(await v.createToken({ policies: ["db"], ttl: "1h" }));
    const creds = await owner.request("GET", "database/creds/readonly");
    assert.equal(creds.status, 200);
    return { owner, env: creds.body as Creds };
  }

  test("creds come with a renewable lease of the role's default TTL and a generated username", async () => {
    await withDouble(async (v) => {
      const { env } = await issueCreds(v);
      assert.match(env.lease_id, /^database\/creds\/readonly\/[0-9A-Za-z]{24}$/);
      assert.equal(env.renewable, true);
      assert.equal(env.lease_duration, 60);
      assert.equal(env.mount_type, "database");
      assert.match(env.data.username, /^v-token-readonly-[0-9A-Za-z]{20}-\d+$/);
    });
  });

  test("renew caps at max_ttl with Vault's warning; renew by URL; lookup", async () => {
    await withDouble(async (v) => {
      const { owner, env } = await issueCreds(v);
      const renewed = await owner.request("PUT", "sys/leases/renew", { lease_id: env.lease_id, increment: 3600 });
      const r = renewed.body as { lease_id: string; lease_duration: number; warnings: string[]; data: unknown };
      assert.equal(r.lease_id, env.lease_id);
      assert.ok(r.lease_duration <= 120 && r.lease_duration >= 118, String(r.lease_duration));
      assert.match(r.warnings[0]!, /^TTL of "1h0m0s" exceeded the effective max_ttl of "(1m5\ds|2m0s)"; TTL value is capped accordingly$/);
      assert.equal(r.data, null);
      const viaUrl = await v.request("PUT", `sys/leases/renew/${env.lease_id}`, { increment: 30 });
      assert.equal((viaUrl.body as { lease_duration: number }).lease_duration, 30);

      const looked = data(await v.request("PUT", "sys/leases/lookup", { lease_id: env.lease_id }));
      assert.equal(looked.id, env.lease_id);
      assert.equal(looked.renewable, true);
    });
  });

  test("the control view shows each lease's state, username and renewals, never its password", async () => {
    await withDouble(async (v) => {
      const { owner, env } = await issueCreds(v);
      await owner.request("PUT", "sys/leases/renew", { lease_id: env.lease_id, increment: 3600 });
      await v.request("PUT", `sys/leases/renew/${env.lease_id}`, { increment: 30 });
      const [view] = await v.leases();
      assert.equal(view!.state, "active");
      assert.equal(view!.username, env.data.username);
      assert.equal(view!.renewals, 2);
      assert.ok(!JSON.stringify(await v.leases()).includes(env.data.password), "the control view never shows passwords");
    });
  });

  test("revoke is 204 (also for an unknown id, 202 with sync false); a revoked lease cannot be renewed or looked up", async () => {
    await withDouble(async (v) => {
      const { env } = await issueCreds(v);
      assert.equal((await v.request("PUT", "sys/leases/revoke", { lease_id: env.lease_id })).status, 204);
      assert.equal((await v.leases())[0]!.state, "revoked");
      assert.deepEqual(errorsOf(await v.request("PUT", "sys/leases/renew", { lease_id: env.lease_id })), ["lease not found"]);
      assert.deepEqual(errorsOf(await v.request("PUT", "sys/leases/lookup", { lease_id: env.lease_id })), ["invalid lease"]);
      assert.equal((await v.request("PUT", "sys/leases/revoke", { lease_id: "database/creds/readonly/unknown" })).status, 204);
      const async = await v.request("PUT", "sys/leases/revoke", { lease_id: env.lease_id, sync: false });
      assert.deepEqual([async.status, async.text], [202, ""]);
    });
  });

  test("renew without a lease_id and creds of an unknown role answer Vault's 400s", async () => {
    await withDouble(async (v) => {
      await issueCreds(v);
      assert.deepEqual(errorsOf(await v.request("PUT", "sys/leases/renew", {})), ["lease_id must be specified"]);
      assert.deepEqual(errorsOf(await v.request("GET", "database/creds/nope")), ["unknown role: nope"]);
    });
  });

  test("revoking the owning token revokes its leases; the default policy cannot revoke leases", async () => {
    await withDouble(async (v) => {
      await v.createDatabaseRole("ro", { default_ttl: 600 });
      await v.writePolicy("db", { "database/creds/ro": ["read"] });
      const owner = v.withToken(await v.createToken({ policies: ["db"] }));
      const lease = (await owner.api("GET", "database/creds/ro")) as unknown as { lease_id: string };
      assert.equal((await owner.request("PUT", "sys/leases/revoke", { lease_id: lease.lease_id })).status, 403);
      await owner.api("POST", "auth/token/revoke-self", {});
      const [view] = await v.leases();
      assert.equal(view!.state, "revoked");
      assert.equal(view!.reason, "token-revoked");
    });
  });

  test("tokens expire (403), leases expire, and an expired token's leases are revoked (end-to-end, real clock: the double counts TTLs on the wall clock, as Vault does)", async () => {
    await withDouble(async (v) => {
      await v.createDatabaseRole("short", { default_ttl: 1, max_ttl: 1 });
      await v.createDatabaseRole("long", { default_ttl: 600 });
      await v.writePolicy("db", { "database/creds/*": ["read"] });
      const fleeting = v.withToken(await v.createToken({ policies: ["db"], ttl: 1 }));
      const longLease = (await fleeting.api("GET", "database/creds/long")) as unknown as { lease_id: string };
      const shortLease = (await v.api("GET", "database/creds/short")) as unknown as { lease_id: string };
      await sleep(2200);
      assert.equal((await fleeting.request("GET", "auth/token/lookup-self")).status, 403);
      const views = await v.leases();
      const byId = (id: string) => views.find((l) => l.lease_id === id)!;
      assert.deepEqual([byId(longLease.lease_id).state, byId(longLease.lease_id).reason], ["revoked", "token-expired"]);
      assert.deepEqual([byId(shortLease.lease_id).state, byId(shortLease.lease_id).reason], ["expired", "expired"]);
      assert.deepEqual(errorsOf(await v.request("PUT", "sys/leases/renew", { lease_id: shortLease.lease_id })), ["lease expired"]);
      const tokens = await v.tokens();
      assert.ok(tokens.some((t) => t.state === "expired" && t.reason === "expired"));
    });
  });
});

describe("mounts", () => {
  test("enable, use, list (injected), conflict and disable (which revokes leases)", async () => {
    await withDouble(async (v) => {
      await v.enableMount("team/kv", "kv", "2");
      await v.writeKv2("team/kv/app", { k: "v" });
      assert.deepEqual((await v.readKv2("team/kv/app")).data, { k: "v" });
      const conflict = await v.request("POST", "sys/mounts/team/kv", { type: "kv" });
      assert.deepEqual(errorsOf(conflict), ["path is already in use at team/kv/"]);
      assert.equal((await v.request("POST", "sys/mounts/x", { type: "nosuch" })).status, 400);
      const list = await v.request("GET", "sys/mounts");
      const top = list.body as Record<string, { type: string }> & { data: Record<string, { type: string }> };
      assert.equal(top["team/kv/"]!.type, "kv");
      assert.equal(top.data["team/kv/"]!.type, "kv");
      assert.deepEqual(data(await v.request("GET", "sys/mounts/team/kv/tune")).options, { version: "2" });
      await v.enableMount("db2", "database");
      await v.createDatabaseRole("r", {}, "db2");
      await v.api("GET", "db2/creds/r");
      assert.equal((await v.request("DELETE", "sys/mounts/db2")).status, 204);
      assert.equal((await v.leases())[0]!.reason, "mount-disabled");
      assert.equal((await v.request("GET", "db2/creds/r")).status, 404);
    });
  });
});

describe("namespaces", () => {
  test("the header selects an isolated namespace; the path prefix is equivalent; unknown namespaces are 403", async () => {
    await withDouble(async (v) => {
      await v.createNamespace("admin");
      const admin = v.withNamespace("admin");
      await admin.writeKv2("secret/app", { where: "admin" });
      assert.equal((await v.request("GET", "secret/data/app")).status, 404, "root namespace is separate");
      const res = await admin.request("GET", "secret/data/app");
      assert.equal(res.headers["x-vault-namespace"], "admin");
      assert.deepEqual(data(res).data, { where: "admin" });
      assert.deepEqual(data(await v.request("GET", "admin/secret/data/app")).data, { where: "admin" });
      assert.equal(data(await v.request("GET", "sys/internal/ui/mounts/admin/secret/app")).path, "admin/secret/");
      assert.equal(data(await admin.request("GET", "sys/internal/ui/mounts/secret/app")).path, "secret/");
      assert.equal((await v.withNamespace("nowhere").request("GET", "secret/data/app")).status, 403);
      assert.deepEqual(errorsOf(await admin.request("GET", "sys/health")), ["operation unavailable in namespaces"]);
      const log = await v.requests();
      assert.ok(log.some((r) => r.namespace === "admin" && r.path === "secret/data/app" && r.method === "POST"));
      // A token made inside the namespace does not work in the root namespace.
      const inner = await admin.createToken({ policies: ["default"] });
      assert.equal((await v.withToken(inner).withNamespace("admin").request("GET", "auth/token/lookup-self")).status, 200);
      assert.equal((await v.withToken(inner).request("GET", "auth/token/lookup-self")).status, 403);
    });
  });
});

describe("seal and health", () => {
  test("sealed: every /v1/ call is 503 'Vault is sealed' except health (503 body) and seal-status", async () => {
    await withDouble(async (v) => {
      await v.writeKv2("secret/s", { k: "v" });
      await v.seal();
      const read = await v.request("GET", "secret/data/s");
      assert.equal(read.status, 503);
      assert.equal(read.text, '{"errors":["Vault is sealed"]}\n');
      assert.equal((await v.request("POST", "auth/approle/login", {})).status, 503);
      const health = await v.request("GET", "sys/health");
      assert.equal(health.status, 503);
      assert.match(
        health.text,
        /^\{"initialized":true,"sealed":true,"standby":false,"performance_standby":false,"replication_performance_mode":"disabled","replication_dr_mode":"disabled","server_time_utc":\d+,"version":"[^"]+"\}\n$/,
      );
      assert.equal((await v.request("GET", "sys/health", undefined, { sealedcode: "200" })).status, 200);
      assert.equal(((await v.request("GET", "sys/seal-status")).body as { sealed: boolean }).sealed, true);
      await v.unseal();
      assert.equal((await v.request("GET", "secret/data/s")).status, 200, "tokens survive a seal");
      const healthy = await v.request("GET", "sys/health");
      assert.match(healthy.text, /"cluster_name":"vault-cluster-[0-9a-f]{8}","cluster_id":"[^"]+"\}\n$/);
      const head = await v.request("HEAD", "sys/health");
      assert.equal(head.status, 200);
      assert.equal(head.text, "");
      assert.equal((await v.request("GET", "sys/health", undefined, { activecode: "299" })).status, 299);
    });
  });
});

describe("control surface", () => {
  test("faults fail the next N matching requests, then stop; status 0 drops the connection", async () => {
    await withDouble(async (v) => {
      await v.writeKv2("secret/f", { k: "v" });
      await v.fault({ path_prefix: "secret/", status: 500, count: 2 });
      const first = await v.request("GET", "secret/data/f");
      assert.equal(first.status, 500);
      assert.equal(first.text, '{"errors":["internal error"]}\n');
      assert.equal((await v.request("GET", "auth/token/lookup-self")).status, 200, "other paths unaffected");
      assert.equal((await v.request("GET", "secret/data/f")).status, 500);
      assert.equal((await v.request("GET", "secret/data/f")).status, 200);
      await v.fault({ path_prefix: "secret/", status: 429, body: { errors: ['request path "secret/data/f": rate limit quota exceeded'] } });
      assert.deepEqual(errorsOf(await v.request("GET", "secret/data/f")), ['request path "secret/data/f": rate limit quota exceeded']);
      await v.fault({ status: 0 });
      await assert.rejects(v.request("GET", "secret/data/f"));
      assert.equal((await v.request("GET", "secret/data/f")).status, 200);
      const statuses = (await v.requests()).filter((r) => r.path === "secret/data/f" && r.method === "GET").map((r) => r.status);
      assert.deepEqual(statuses, [500, 500, 200, 429, 0, 200]);
    });
  });

  test("a hang fault reads the request and never answers; close() still ends at once and resets it", async () => {
    const d = await startVaultDouble();
    let closed = false;
    try {
      const v = new VaultDoubleClient(d.url, d.rootToken);
      await v.writeKv2("secret/h", { k: "v" });
      await v.fault({ path_prefix: "secret/data/h", mode: "hang" });
      assert.deepEqual((await v.request("GET", "/__double/faults")).body, [{ path_prefix: "secret/data/h", method: null, mode: "hang", status: 0, remaining: 1 }]);
      let headSeen = false;
      const pending = rawGet(`${d.url}/v1/secret/data/h`, d.rootToken, () => (headSeen = true));
      const hung = async () => (await v.requests()).find((r) => r.path === "secret/data/h" && r.method === "GET");
      await waitFor("the hung request in the log", hung);
      assert.equal((await hung())!.status, 0);
      assert.equal((await v.request("GET", "secret/data/h")).status, 200, "the fault was used up; other requests are answered");
      assert.equal(headSeen, false, "no answer to the hung request");
      await assertCloseResetsHung(() => d.close().then(() => void (closed = true)), pending);
    } finally {
      if (!closed) await d.close();
    }
  });

  test("a reset_mid_body fault sends the real head and half the body, then resets the connection", async () => {
    await withDouble(async (v, d) => {
      await v.writeKv2("secret/r", { k: "value-that-makes-the-body-longer" });
      await v.fault({ path_prefix: "secret/data/r", mode: "reset_mid_body", count: 2 });
      for (let i = 0; i < 2; i++) {
        const got = await rawGet(`${d.url}/v1/secret/data/r`, d.rootToken);
        assert.equal(got.status, 200);
        assert.equal(got.ended, "reset");
        assert.ok(got.contentLength! > 0);
        assert.ok(got.received > 0 && got.received < got.contentLength!, `got ${got.received} of ${got.contentLength} bytes`);
      }
      const whole = await rawGet(`${d.url}/v1/secret/data/r`, d.rootToken);
      assert.equal(whole.ended, "complete");
      assert.equal(whole.received, whole.contentLength);
      const statuses = (await v.requests()).filter((r) => r.path === "secret/data/r" && r.method === "GET").map((r) => r.status);
      assert.deepEqual(statuses, [0, 0, 200]);
    });
  });

  test("bad fault modes are a 400", async () => {
    await withDouble(async (v) => {
      assert.equal((await v.request("POST", "/__double/faults", { mode: "slow" })).status, 400);
      assert.equal((await v.request("POST", "/__double/faults", { mode: "hang", status: 500 })).status, 400);
      assert.equal((await v.request("POST", "/__double/faults", {})).status, 400, "mode error needs a status");
    });
  });

  test("latency delays only matching paths (order, not speed)", async () => {
    await withDouble(async (v, d) => {
      await v.writeKv2("secret/slow", { k: "v" });
      await v.latency({ ms: 400, path_prefix: "secret/" });
      const order: string[] = [];
      // The fast request goes out only once the slow one's bytes are on the loopback, so the
      // double has it first: were every path delayed, the slow one would also answer first.
      let sent!: () => void;
      const slowSent = new Promise<void>((resolve) => (sent = resolve));
      const slow = rawGet(`${d.url}/v1/secret/data/slow`, d.rootToken, undefined, sent).then((r) => order.push(`slow ${r.status}`));
      await slowSent;
      await v.request("GET", "auth/token/lookup-self").then((r) => order.push(`fast ${r.status}`));
      await slow;
      assert.deepEqual(order, ["fast 200", "slow 200"]);
      await v.clearLatency();
    });
  });

  test("deny blocks a path prefix for every token including root, or only non-root tokens", async () => {
    await withDouble(async (v) => {
      await v.writeKv2("secret/d", { k: "v" });
      await v.writePolicy("all", { "secret/*": ["read"] });
      const app = v.withToken(await v.createToken({ policies: ["all"] }));
      await v.deny({ path: "secret/metadata/", for: "all" });
      const denied = await v.request("GET", "secret/metadata/d");
      assert.equal(denied.status, 403);
      assert.deepEqual(errorsOf(denied), ["1 error occurred:\n\t* permission denied\n\n"]);
      assert.equal((await v.request("GET", "secret/data/d")).status, 200);
      await v.clearDenials();
      await v.deny({ path: "secret/data/", for: "non-root" });
      assert.equal((await v.request("GET", "secret/data/d")).status, 200);
      assert.equal((await app.request("GET", "secret/data/d")).status, 403);
    });
  });

  test("the request log records method, path without /v1/, query, status, namespace and accessor — never the token", async () => {
    await withDouble(async (v, d) => {
      await v.clearRequests();
      await v.request("GET", "secret/metadata/", undefined, { list: "true" });
      await v.request("GET", "auth/token/lookup-self");
      const log = await v.requests();
      assert.deepEqual(
        log.map((r) => [r.seq, r.method, r.path, r.query, r.status, r.namespace]),
        [
          [log[0]!.seq, "GET", "secret/metadata/", { list: "true" }, 404, ""],
          [log[0]!.seq + 1, "GET", "auth/token/lookup-self", {}, 200, ""],
        ],
      );
      const accessor = (await v.tokens()).find((t) => t.path === "auth/token/root")!.accessor;
      assert.ok(log.every((r) => r.token_accessor === accessor));
      assert.ok(!JSON.stringify(log).includes(d.rootToken));
      await v.clearRequests();
      assert.equal((await v.requests()).length, 0);
    });
  });

  test("bad control input is a 400; unknown endpoints are 404", async () => {
    await withDouble(async (v) => {
      assert.equal((await v.request("POST", "/__double/faults", { status: 42 })).status, 400);
      assert.equal((await v.request("POST", "/__double/config", { forbidden_style: "loud" })).status, 400);
      assert.equal((await v.request("GET", "/__double/nothing")).status, 404);
      await assert.rejects(v.config({ max_token_ttl: -1 }), /400/);
    });
  });

  test("the typed client throws VaultDoubleError with status and errors", async () => {
    await withDouble(async (v) => {
      await assert.rejects(v.readKv2("secret/none"), (e: unknown) => e instanceof VaultDoubleError && e.status === 404);
      await assert.rejects(v.writeKv2("secret/c", { a: 1 }, { cas: 3 }), (e: unknown) => e instanceof VaultDoubleError && e.errors[0] === "check-and-set parameter did not match the current version");
    });
  });
});

describe("TLS and the standalone runner", () => {
  const openssl = spawnSync("openssl", ["version"], { encoding: "utf8" });
  test("serves HTTPS with a given certificate", { skip: openssl.status === 0 ? false : "openssl is not installed" }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "vault-double-tls-"));
    try {
      const made = spawnSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-days",
          "1",
          "-subj",
          "/CN=127.0.0.1",
          "-addext",
          "subjectAltName=IP:127.0.0.1",
          "-keyout",
          join(dir, "key.pem"),
          "-out",
          join(dir, "cert.pem"),
        ],
        { encoding: "utf8" },
      );
      assert.equal(made.status, 0, made.stderr);
      const cert = readFileSync(join(dir, "cert.pem"));
      const d = await startVaultDouble({ tls: { key: readFileSync(join(dir, "key.pem")), cert } });
      try {
        assert.match(d.url, /^https:\/\/127\.0\.0\.1:\d+$/);
        const v = new VaultDoubleClient(d.url, d.rootToken, { ca: cert });
        assert.equal((await v.request("GET", "sys/health")).status, 200);
        await assert.rejects(new VaultDoubleClient(d.url, d.rootToken).request("GET", "sys/health"), /self[- ]signed|certificate/i);
      } finally {
        await d.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("main.ts prints one JSON line, seeds only when asked, and stops on SIGTERM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vault-double-main-"));
    const seed = join(dir, "seed.json");
    writeFileSync(seed, JSON.stringify({ "secret/demo/app": { user: "demo" }, "kv/demo/legacy": { k: "v" } }));
    const main = fileURLToPath(new URL("../../src/dev/vault/main.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", main, "--root-token", "hvs.root-test", "--seed", seed], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (c: Buffer) => {
          out += c.toString();
          if (out.includes("\n")) resolve(out.slice(0, out.indexOf("\n")));
        });
        child.on("exit", (code) => reject(new Error(`main.ts exited early (${code})`)));
      });
      const info = JSON.parse(line) as { url: string; rootToken: string };
      assert.deepEqual(Object.keys(info), ["url", "rootToken"]);
      assert.equal(info.rootToken, "hvs.root-test");
      const v = new VaultDoubleClient(info.url, info.rootToken);
      assert.deepEqual((await v.readKv2("secret/demo/app")).data, { user: "demo" });
      assert.deepEqual(data(await v.request("GET", "kv/demo/legacy")), { k: "v" });
      const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      assert.equal(await exit, 0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
