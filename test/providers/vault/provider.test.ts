/**
 * VaultProvider in-process against the loopback Vault double: KV v1/v2 reads, version pins,
 * deleted/destroyed versions, mount discovery (and what happens when it is denied or missing),
 * dynamic secrets and their leases, AppRole, typed errors, retries, the namespace header and
 * paths with characters that need escaping. The request log of the double is the witness for
 * "how many requests", never the clock.
 */
import { approleAuth } from "../../support/vault-auth.js";
import { after, afterEach, before, describe, it } from "node:test";
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { AuthError, ConfigError, NotFoundError, UnavailableError } from "../../../src/errors.js";
import { type VaultRef, parseReference } from "../../../src/config/reference.js";
import type { SecretDocument } from "../../../src/providers/provider.js";
import { VaultProvider } from "../../../src/providers/vault/provider.js";
import { type VaultAuthSettings, type VaultSettings, resolveVaultSettings } from "../../../src/providers/vault/settings.js";
import type { RequestLogEntry } from "../../../src/dev/vault/client.js";
import { captureLogger } from "../../support/logger.js";
import { SEED, SEEDED_SECRET_VALUES, type SeededVault, startSeededVault } from "../../support/vault-fixture.js";

let sv: SeededVault;
const open: VaultProvider[] = [];

before(async () => {
  sv = await startSeededVault();
  // A KV v2 mount whose path has a slash, and a KV v1 mount next to the seeded one.
  await sv.admin.enableMount("team/kv", "kv", "2");
  await sv.control.putSecret("team/kv/app/x", { token: "team-Kv2-Slash-Mount-31" });
  await sv.admin.writeKv1("kv/other", { api: "kv1-Other-Api-Key-62" });
});

after(async () => {
  for (const p of open) await p.close();
  await sv.close();
});

afterEach(async () => {
  await sv.control.reset();
  await sv.admin.config({ ui_mounts: "enabled" });
});

interface Harness {
  provider: VaultProvider;
  lines: string[];
}

function settingsFor(auth: VaultAuthSettings = { kind: "token", method: "token", token: sv.rootToken, source: "test" }, extra: Partial<VaultSettings> = {}): VaultSettings {
  return { address: sv.url, addressSource: "test", mount: "secret", skipVerify: false, timeoutMs: 5000, auth, ...extra };
}

/** A fresh provider (its own mount cache and login) whose log lines are collected. */
function harness(settings: VaultSettings = settingsFor()): Harness {
  const { logger, lines } = captureLogger();
  const provider = new VaultProvider(settings, logger);
  open.push(provider);
  return { provider, lines };
}

function ref(text: string): VaultRef {
  const r = parseReference(text, { defaultMount: "secret" });
  assert.ok(r && r.provider === "vault", `${text} is a Vault reference`);
  return r;
}

const soon = () => Date.now() + 10_000;
/** Short deadline for the failure cases that retry until they give up. */
const shortly = () => Date.now() + 1_200;

async function read(h: Harness, text: string, deadline = soon()): Promise<SecretDocument> {
  return h.provider.read(ref(text), { deadline });
}

async function logSince(action: () => Promise<unknown>): Promise<RequestLogEntry[]> {
  await sv.control.clearRequests();
  await action();
  return sv.control.requests();
}

const discoveries = (log: RequestLogEntry[]) => log.filter((e) => e.path.startsWith("sys/internal/ui/mounts"));

/** Asserts no seeded value (nor `extra`) occurs in `text`. */
function assertNoValues(text: string, extra: string[] = []): void {
  for (const v of [...SEEDED_SECRET_VALUES, ...extra]) assert.ok(!text.includes(v), `a secret value leaked into: ${text}`);
}

describe("KV reads", () => {
  it("reads a KV v2 secret with its version as a string", async () => {
    const doc = await read(harness(), "vault://secret/myapp/db#password");
    assert.equal(doc.kind, "map");
    assert.deepEqual(doc.data, SEED.db);
    assert.equal(doc.version, "2");
    assert.equal(doc.lease, undefined);
    assert.match(doc.source, /kv-v2 secret\/data\/myapp\/db/);
  });

  it("reads a KV v1 secret without a version and without a lease", async () => {
    const doc = await read(harness(), "vault://kv/legacy");
    assert.deepEqual(doc.data, SEED.legacy);
    assert.equal(doc.version, undefined);
    assert.equal(doc.lease, undefined);
    assert.match(doc.source, /kv-v1 kv\/legacy/);
  });

  it("pins a KV v2 version with ?version=", async () => {
    const h = harness();
    const log = await logSince(async () => {
      const doc = await read(h, "vault://secret/myapp/db?version=1");
      assert.deepEqual(doc.data, SEED.dbV1);
      assert.equal(doc.version, "1");
    });
    const dataReads = log.filter((e) => e.path === "secret/data/myapp/db");
    assert.equal(dataReads.length, 1);
    assert.deepEqual(dataReads[0]!.query, { version: "1" });
  });

  it("reports a deleted version as deleted, naming the version, never the data (78)", async () => {
    const secret = { k: "deleted-Version-Value-4411" };
    await sv.control.putSecret("secret/del/a", secret);
    await sv.control.putSecret("secret/del/a", { k: "current-Value-4412" });
    await sv.admin.deleteVersions("secret/del/a", [1]);
    const err = await read(harness(), "vault://secret/del/a?version=1").then(
      () => assert.fail("a deleted version must not read"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof NotFoundError, String(err));
    assert.equal(err.exitCode, 78);
    assert.match(err.message, /deleted/);
    assert.match(err.message, /version 1/);
    assertNoValues(err.message, [secret.k, "current-Value-4412"]);
  });

  it("reports a deleted current version as deleted with its number (78)", async () => {
    await sv.control.putSecret("secret/del/b", { k: "v1-Value-5521" });
    await sv.control.putSecret("secret/del/b", { k: "v2-Value-5522" });
    await sv.admin.deleteKv2Latest("secret/del/b");
    await assert.rejects(read(harness(), "vault://secret/del/b"), (e: unknown) => {
      assert.ok(e instanceof NotFoundError);
      assert.match(e.message, /deleted/);
      assert.match(e.message, /version 2/);
      assertNoValues(e.message, ["v1-Value-5521", "v2-Value-5522"]);
      return true;
    });
  });

  it("reports a destroyed version as destroyed, naming the version (78)", async () => {
    await sv.control.putSecret("secret/del/c", { k: "destroyed-Value-6631" });
    await sv.control.putSecret("secret/del/c", { k: "v2-Value-6632" });
    await sv.admin.destroyVersions("secret/del/c", [1]);
    await assert.rejects(read(harness(), "vault://secret/del/c?version=1"), (e: unknown) => {
      assert.ok(e instanceof NotFoundError);
      assert.match(e.message, /destroyed/);
      assert.match(e.message, /version 1/);
      assert.doesNotMatch(e.message, /deleted/);
      assertNoValues(e.message, ["destroyed-Value-6631", "v2-Value-6632"]);
      return true;
    });
  });

  it("reports a version that never existed as missing (78)", async () => {
    await assert.rejects(read(harness(), "vault://secret/myapp/db?version=9"), (e: unknown) => {
      assert.ok(e instanceof NotFoundError);
      assert.match(e.message, /version 9/);
      return true;
    });
  });

  it("reports a missing KV v2 or KV v1 path as not found (78), naming the path", async () => {
    const h = harness();
    await assert.rejects(read(h, "vault://secret/nope/x"), (e: unknown) => e instanceof NotFoundError && e.exitCode === 78 && /secret\/nope\/x/.test(e.message));
    await assert.rejects(read(h, "vault://kv/nope"), (e: unknown) => e instanceof NotFoundError && /kv\/nope/.test(e.message));
  });

  it("refuses a version pin on a KV v1 mount (65)", async () => {
    await assert.rejects(read(harness(), "vault://kv/legacy?version=1"), (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.equal(e.exitCode, 65);
      assert.match(e.message, /kv\/legacy/);
      assert.match(e.message, /KV v1/);
      return true;
    });
  });

  it("refuses a path that names only the mount (65)", async () => {
    const h = harness();
    await assert.rejects(read(h, "vault://secret"), (e: unknown) => e instanceof ConfigError && /mount secret\/ itself/.test(e.message));
    await assert.rejects(read(h, "vault://team/kv"), (e: unknown) => e instanceof ConfigError && /mount team\/kv\/ itself/.test(e.message));
  });
});

describe("a KV v2 path written with its API segment (secret/data/…)", () => {
  it("says which reference was meant when the logical path exists, with one extra metadata request (78)", async () => {
    const h = harness();
    await read(h, "vault://secret/myapp/config"); // mount discovered beforehand: the log below holds only the reads
    for (const segment of ["data", "metadata"]) {
      let caught: unknown;
      const log = await logSince(() => read(h, `vault://secret/${segment}/myapp/db#password`).catch((e: unknown) => (caught = e)));
      assert.ok(caught instanceof NotFoundError, String(caught));
      assert.equal(caught.exitCode, 78);
      assert.match(caught.message, /no secret at secret\/(meta)?data\/myapp\/db/);
      assert.match(caught.message, /did you mean vault:\/\/secret\/myapp\/db\? references use the logical path, as `vault kv get` does/);
      assertNoValues(caught.message);
      assert.deepEqual(
        log.map((e) => e.path),
        [`secret/data/${segment}/myapp/db`, "secret/metadata/myapp/db"],
      );
    }
  });

  it("still states the rule when the logical path does not exist either", async () => {
    await assert.rejects(read(harness(), "vault://secret/data/nope/db#password"), (e: unknown) => {
      assert.ok(e instanceof NotFoundError, String(e));
      assert.doesNotMatch(e.message, /did you mean/);
      assert.match(e.message, /references use the logical path, as `vault kv get` does, without `data\/`/);
      assert.match(e.message, /no secret at vault:\/\/secret\/nope\/db either/);
      return true;
    });
  });

  it("checks with a data read where metadata is denied", async () => {
    await sv.control.deny("secret/metadata/");
    await assert.rejects(read(harness(), "vault://secret/data/myapp/db#password"), (e: unknown) => {
      assert.ok(e instanceof NotFoundError, String(e));
      assert.match(e.message, /did you mean vault:\/\/secret\/myapp\/db\?/);
      assertNoValues(e.message);
      return true;
    });
  });

  it("uses the ?mount= it was given (a mount with a slash)", async () => {
    await assert.rejects(read(harness(), "vault://data/app/x?mount=team/kv"), (e: unknown) => {
      assert.ok(e instanceof NotFoundError, String(e));
      assert.match(e.message, /did you mean vault:\/\/team\/kv\/app\/x\?/);
      return true;
    });
  });

  it("when discovery is denied, a plain read of the API path is not taken for a KV v1 secret", async () => {
    await sv.control.deny("sys/internal/ui/mounts/");
    const h = harness();
    await assert.rejects(read(h, "vault://secret/data/myapp/db#password"), (e: unknown) => {
      assert.ok(e instanceof NotFoundError, String(e));
      assert.match(e.message, /did you mean vault:\/\/secret\/myapp\/db\?/);
      assertNoValues(e.message);
      return true;
    });
    // Nothing wrong was remembered: the logical path still reads as KV v2.
    assert.deepEqual((await read(h, "vault://secret/myapp/db")).data, SEED.db);
  });

  it("a logical path that merely starts with data/ gets no hint when it is found", async () => {
    await sv.control.putSecret("secret/data/real", { k: "v" });
    assert.deepEqual((await read(harness(), "vault://secret/data/real")).data, { k: "v" });
  });
});

describe("mount discovery", () => {
  it("asks sys/internal/ui/mounts once per mount across many reads", async () => {
    const h = harness();
    const log = await logSince(async () => {
      for (const p of ["secret/myapp/db", "secret/myapp/config", "secret/myapp/single", "kv/legacy", "kv/other", "secret/myapp/tls"]) {
        await read(h, `vault://${p}`);
      }
    });
    const asked = discoveries(log).map((e) => e.path);
    assert.equal(asked.length, 2, asked.join(" "));
    assert.deepEqual(asked.map((p) => p.split("/")[4]).sort(), ["kv", "secret"]);
    // The token looked up once, every secret read once, nothing else.
    assert.equal(log.filter((e) => e.path === "auth/token/lookup-self").length, 1);
    assert.equal(log.length, 1 + 2 + 6);
  });

  it("asks once per mount when many reads under it start at the same time", async () => {
    const h = harness();
    const paths = ["secret/myapp/db", "secret/myapp/config", "secret/myapp/single", "secret/myapp/tls", "kv/legacy", "kv/other"];
    const log = await logSince(() => Promise.all(paths.map((p) => read(h, `vault://${p}`))));
    assert.deepEqual(
      discoveries(log)
        .map((e) => e.path.split("/")[4])
        .sort(),
      ["kv", "secret"],
    );
  });

  it("finds a mount whose path contains a slash", async () => {
    const doc = await read(harness(), "vault://team/kv/app/x#token");
    assert.deepEqual(doc.data, { token: "team-Kv2-Slash-Mount-31" });
    assert.match(doc.source, /team\/kv\/data\/app\/x/);
  });

  describe("when discovery is denied", () => {
    it("probes KV v2 at the guessed mount, and remembers it (a second read costs one request)", async () => {
      await sv.control.deny("sys/internal/ui/mounts/");
      const h = harness();
      const doc = await read(h, "vault://secret/myapp/db");
      assert.deepEqual(doc.data, SEED.db);
      assert.equal(doc.version, "2");
      const log = await logSince(() => read(h, "vault://secret/myapp/config"));
      assert.deepEqual(
        log.map((e) => e.path),
        ["secret/data/myapp/config"],
      );
    });

    it("falls back to a KV v1 read, and remembers it (a second read costs one request)", async () => {
      await sv.control.deny("sys/internal/ui/mounts/");
      const h = harness();
      const doc = await read(h, "vault://kv/legacy");
      assert.deepEqual(doc.data, SEED.legacy);
      assert.equal(doc.version, undefined);
      const log = await logSince(() => read(h, "vault://kv/other"));
      assert.deepEqual(
        log.map((e) => e.path),
        ["kv/other"],
      );
    });

    it("still reports a missing KV v2 secret as not found (78)", async () => {
      await sv.control.deny("sys/internal/ui/mounts/");
      await assert.rejects(read(harness(), "vault://secret/nope/y"), (e: unknown) => e instanceof NotFoundError && /secret\/nope\/y/.test(e.message));
    });

    it("uses ?mount= as the mount (which may contain a slash)", async () => {
      await sv.control.deny("sys/internal/ui/mounts/");
      const h = harness();
      const doc = await read(h, "vault://app/x?mount=team/kv");
      assert.deepEqual(doc.data, { token: "team-Kv2-Slash-Mount-31" });
      assert.equal(doc.version, "1");
    });

    it("a wrong guess (first segment) does not stick: a later ?mount= still reads the right mount", async () => {
      await sv.control.deny("sys/internal/ui/mounts/");
      const h = harness();
      // Documented: without ?mount= the first segment is the guess, and `team` is not a mount.
      await assert.rejects(read(h, "vault://team/kv/app/x"), (e: unknown) => e instanceof NotFoundError);
      const doc = await read(h, "vault://app/x?mount=team/kv");
      assert.deepEqual(doc.data, { token: "team-Kv2-Slash-Mount-31" });
    });

    it("uses the configured mount when the path starts with it", async () => {
      await sv.control.deny("sys/internal/ui/mounts/");
      const h = harness(settingsFor(undefined, { mount: "team/kv" }));
      const doc = await read(h, "vault://team/kv/app/x");
      assert.deepEqual(doc.data, { token: "team-Kv2-Slash-Mount-31" });
    });

    it("refuses a path naming only the mount (65)", async () => {
      await sv.control.deny("sys/internal/ui/mounts/");
      await assert.rejects(read(harness(), "vault://secret"), (e: unknown) => e instanceof ConfigError && e.exitCode === 65);
    });
  });

  it("when discovery is denied, a secret not found under the guessed mount says so and suggests ?mount=", async () => {
    await sv.control.deny("sys/internal/ui/mounts/");
    await assert.rejects(read(harness(), "vault://team/kv/app/nothing#x"), (e: unknown) => {
      assert.ok(e instanceof NotFoundError, String(e));
      assert.match(e.message, /mount was taken to be team\//);
      assert.match(e.message, /\?mount=NAME/);
      return true;
    });
  });

  describe("when discovery does not exist (an old Vault answers 404)", () => {
    it("reads the path as KV v1", async () => {
      await sv.admin.config({ ui_mounts: "404" });
      const h = harness();
      const log = await logSince(async () => {
        const doc = await read(h, "vault://kv/legacy");
        assert.deepEqual(doc.data, SEED.legacy);
        assert.equal(doc.version, undefined);
      });
      assert.ok(log.some((e) => e.path === "kv/legacy" && e.status === 200));
      assert.ok(!log.some((e) => e.path.startsWith("kv/data/")), "no KV v2 probe on an old Vault");
    });

    it("asks for discovery only once: the 404 holds for every path", async () => {
      await sv.admin.config({ ui_mounts: "404" });
      const h = harness();
      const log = await logSince(async () => {
        await read(h, "vault://kv/legacy");
        await read(h, "vault://kv/other");
      });
      assert.equal(discoveries(log).length, 1);
      assert.equal(log.filter((e) => e.path === "kv/legacy" || e.path === "kv/other").length, 2);
    });

    it("refuses a version pin there (65)", async () => {
      await sv.admin.config({ ui_mounts: "404" });
      await assert.rejects(read(harness(), "vault://kv/legacy?version=2"), (e: unknown) => e instanceof ConfigError && e.exitCode === 65);
    });
  });
});

describe("the token look-up and mount discovery at once", () => {
  it("with a given token, asks for the mount before the token look-up has answered; the count stays one of each plus the reads", async () => {
    const vault = await heldLookupVault();
    try {
      const h = harness(settingsFor({ kind: "token", method: "token", token: "hvs.given", source: "test" }, { address: vault.url }));
      const docs = await Promise.all(["secret/app/a", "secret/app/b", "secret/app/c"].map((p) => read(h, `vault://${p}#k`)));
      assert.deepEqual(
        docs.map((d) => d.data),
        [{ k: "v" }, { k: "v" }, { k: "v" }],
      );
      assert.equal(vault.mountsWhileLookupHeld, true, `the mount look-up came while the token look-up was unanswered: ${vault.arrived.join(", ")}`);
      assert.deepEqual(vault.arrived.slice(0, 2), ["GET /v1/auth/token/lookup-self", "GET /v1/sys/internal/ui/mounts/secret/app/a"]);
      assert.deepEqual(vault.arrived.slice(2).sort(), ["GET /v1/secret/data/app/a", "GET /v1/secret/data/app/b", "GET /v1/secret/data/app/c"]);
      assert.ok(
        vault.tokens.every((t) => t === "hvs.given"),
        "every request carries the given token",
      );
    } finally {
      await vault.close();
    }
  });

  it("with a token file, asks for the mount with the file's token before its look-up has answered", async () => {
    const vault = await heldLookupVault();
    const dir = mkdtempSync(join(tmpdir(), "envject-token-file-"));
    try {
      const file = join(dir, "token");
      writeFileSync(file, "hvs.from-file\n");
      const h = harness(settingsFor({ kind: "token_file", method: "token_file", file, source: "test" }, { address: vault.url }));
      assert.deepEqual((await read(h, "vault://secret/app/a#k")).data, { k: "v" });
      assert.equal(vault.mountsWhileLookupHeld, true, vault.arrived.join(", "));
      assert.equal(vault.arrived.length, 3, vault.arrived.join(", "));
      assert.ok(vault.tokens.every((t) => t === "hvs.from-file"));
    } finally {
      await vault.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a token the look-up rejects fails with the look-up's error, whatever the mount look-up answered; one discovery per mount, no secret read (77)", async () => {
    for (const mounts of [200, 403, 500] as const) {
      const vault = await heldLookupVault({ lookup: 403, mounts });
      try {
        const h = harness(settingsFor({ kind: "token", method: "token", token: "hvs.bad", source: "test" }, { address: vault.url }));
        const outcomes = await Promise.allSettled(["secret/app/a", "secret/app/b", "secret/app/c"].map((p) => read(h, `vault://${p}#k`, shortly())));
        for (const outcome of outcomes) {
          assert.ok(outcome.status === "rejected", "every read fails");
          const e: unknown = outcome.reason;
          assert.ok(e instanceof AuthError, `${mounts}: ${String(e)}`);
          assert.equal(e.message, "the Vault token from test is invalid, expired or revoked (403 on auth/token/lookup-self)");
        }
        assert.equal(vault.mountsWhileLookupHeld, true, vault.arrived.join(", "));
        assert.deepEqual(vault.arrived, ["GET /v1/auth/token/lookup-self", "GET /v1/sys/internal/ui/mounts/secret/app/a"], `${mounts}: no secret is read`);
      } finally {
        await vault.close();
      }
    }
  });

  it("a token look-up that fails for good keeps its error over the mount look-up's (69 from the look-up, not the mounts)", async () => {
    const vault = await heldLookupVault({ lookup: 400, mounts: 500 });
    try {
      const h = harness(settingsFor({ kind: "token", method: "token", token: "hvs.given", source: "test" }, { address: vault.url }));
      await assert.rejects(read(h, "vault://secret/app/a#k", shortly()), (e: unknown) => {
        assert.match(String(e), /looking up the Vault token/);
        assert.doesNotMatch(String(e), /mount/);
        return true;
      });
    } finally {
      await vault.close();
    }
  });

  it("a mount look-up that fails after the token look-up worked fails the read as before", async () => {
    const vault = await heldLookupVault({ lookup: 200, mounts: 400 });
    try {
      const h = harness(settingsFor({ kind: "token", method: "token", token: "hvs.given", source: "test" }, { address: vault.url }));
      await assert.rejects(read(h, "vault://secret/app/a#k", shortly()), (e: unknown) => {
        assert.match(String(e), /looking up the mount of secret\/app\/a/);
        return true;
      });
      assert.deepEqual(vault.arrived, ["GET /v1/auth/token/lookup-self", "GET /v1/sys/internal/ui/mounts/secret/app/a"]);
    } finally {
      await vault.close();
    }
  });

  it("with a login method, asks for the mount only with the token the login gave", async () => {
    await sv.admin.writePolicy("overlap-read", { "secret/data/myapp/*": ["read"] });
    const { roleId, secretId } = await sv.admin.createAppRole("overlap", { policies: ["overlap-read"] });
    const h = harness(settingsFor(approleAuth(roleId, secretId)));
    const log = await logSince(() => read(h, "vault://secret/myapp/db"));
    assert.deepEqual(
      log.map((e) => e.path),
      ["auth/approle/login", "sys/internal/ui/mounts/secret/myapp/db", "secret/data/myapp/db"],
    );
    assert.notEqual(log[1]!.token_accessor, null, "the mount look-up carries the AppRole token");
  });
});

/**
 * A fake Vault that holds its answer to the token look-up (lookup-self) until the mount look-up
 * has arrived, so a provider that asks for both at once gets both answered; one that waits for the
 * look-up first gets it after a while and fails the test (`mountsWhileLookupHeld` stays false)
 * instead of hanging. `lookup` and `mounts` are the statuses of those two answers; reads under
 * `secret/` answer `{k: "v"}`.
 */
async function heldLookupVault(statuses: { lookup?: 200 | 400 | 403; mounts?: 200 | 400 | 403 | 500 } = {}) {
  const lookupStatus = statuses.lookup ?? 200;
  const mountsStatus = statuses.mounts ?? 200;
  const arrived: string[] = [];
  const tokens: string[] = [];
  let lookupHeld = false;
  let releaseLookup: () => void = () => {};
  const state = { mountsWhileLookupHeld: false };
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const server = await rawServer((req, res) => {
    arrived.push(`${req.method} ${req.url}`);
    tokens.push(String(req.headers["x-vault-token"]));
    const path = req.url ?? "";
    if (path === "/v1/auth/token/lookup-self") {
      lookupHeld = true;
      let answered = false;
      const answer = () => {
        if (answered) return;
        answered = true;
        lookupHeld = false;
        if (lookupStatus === 200) json(res, 200, { data: { ttl: 0, creation_ttl: 0, renewable: false } });
        else if (lookupStatus === 403) json(res, 403, { errors: ["permission denied", "invalid token"] });
        else json(res, lookupStatus, { errors: ["bad request"] });
      };
      const fallback = setTimeout(answer, 3000);
      releaseLookup = () => {
        clearTimeout(fallback);
        answer();
      };
      return;
    }
    if (path.startsWith("/v1/sys/internal/ui/mounts/")) {
      if (lookupHeld) state.mountsWhileLookupHeld = true;
      if (mountsStatus === 200) json(res, 200, { data: { path: "secret/", type: "kv", options: { version: "2" } } });
      else json(res, mountsStatus, { errors: mountsStatus === 403 ? ["permission denied"] : ["internal error"] });
      // The look-up is answered only once the mount look-up's answer is on its way.
      setImmediate(() => releaseLookup());
      return;
    }
    if (path.startsWith("/v1/secret/data/")) return json(res, 200, { data: { data: { k: "v" }, metadata: { version: 1, created_time: "2026-01-01T00:00:00Z" } } });
    json(res, 404, { errors: [] });
  });
  return {
    url: server.url,
    arrived,
    tokens,
    get mountsWhileLookupHeld() {
      return state.mountsWhileLookupHeld;
    },
    close: () => {
      releaseLookup();
      return server.close();
    },
  };
}

describe("dynamic secrets and leases", () => {
  it("reads database/creds/readonly as a leased map", async () => {
    const doc = await read(harness(), "vault://database/creds/readonly");
    assert.equal(doc.kind, "map");
    const data = doc.data as Record<string, unknown>;
    assert.equal(typeof data.username, "string");
    assert.equal(typeof data.password, "string");
    assert.ok(doc.lease, "a dynamic secret has a lease");
    assert.match(doc.lease.id, /^database\/creds\/readonly\//);
    assert.equal(doc.lease.durationSeconds, 3600);
    assert.equal(doc.lease.renewable, true);
    assert.equal(doc.version, undefined);
    const view = (await sv.admin.leases()).find((l) => l.lease_id === doc.lease!.id);
    assert.equal(view?.state, "active");
  });

  it("revokeLeases ends every lease it is given", async () => {
    const h = harness();
    const a = await read(h, "vault://database/creds/readonly");
    const b = await read(h, "vault://database/creds/readonly");
    assert.notEqual(a.lease!.id, b.lease!.id);
    await h.provider.revokeLeases([a.lease!, b.lease!]);
    const views = await sv.admin.leases();
    for (const id of [a.lease!.id, b.lease!.id]) {
      const view = views.find((l) => l.lease_id === id);
      assert.equal(view?.state, "revoked", id);
      assert.equal(view?.reason, "revoked");
    }
  });

  it("revokeLeases with an AppRole token lacking sys/leases/revoke revokes the token itself", async () => {
    await sv.admin.writePolicy("creds-only", { "database/creds/readonly": ["read"] });
    const { roleId, secretId } = await sv.admin.createAppRole("creds", { policies: ["creds-only"] });
    const h = harness(settingsFor(approleAuth(roleId, secretId)));
    const doc = await read(h, "vault://database/creds/readonly");
    await h.provider.revokeLeases([doc.lease!]);
    const view = (await sv.admin.leases()).find((l) => l.lease_id === doc.lease!.id);
    assert.notEqual(view?.state, "active");
  });
});

describe("authentication", () => {
  it("logs in with AppRole once for many concurrent reads", async () => {
    await sv.admin.writePolicy("app-read", { "secret/data/myapp/*": ["read"], "kv/*": ["read"] });
    const { roleId, secretId } = await sv.admin.createAppRole("app", { policies: ["app-read"] });
    const h = harness(settingsFor(approleAuth(roleId, secretId)));
    const log = await logSince(async () => {
      const docs = await Promise.all(["secret/myapp/db", "secret/myapp/config", "secret/myapp/single", "kv/legacy"].map((p) => read(h, `vault://${p}`)));
      assert.deepEqual(docs[0]!.data, SEED.db);
      assert.deepEqual(docs[3]!.data, SEED.legacy);
      await read(h, "vault://secret/myapp/tls");
    });
    assert.equal(log.filter((e) => e.path === "auth/approle/login").length, 1);
    // Every later request carries the AppRole token.
    const accessors = new Set(log.filter((e) => e.path !== "auth/approle/login").map((e) => e.token_accessor));
    assert.equal(accessors.size, 1);
    assert.notEqual([...accessors][0], null, "the AppRole token is valid on every read");
  });

  it("retries an AppRole login that failed with a 500, and does not keep the failure", async () => {
    await sv.admin.writePolicy("app-read-2", { "kv/*": ["read"] });
    const { roleId, secretId } = await sv.admin.createAppRole("app2", { policies: ["app-read-2"] });
    const h = harness(settingsFor(approleAuth(roleId, secretId)));
    await sv.control.fault({ path_prefix: "auth/approle/login", status: 500, count: 2 });
    const log = await logSince(async () => assert.deepEqual((await read(h, "vault://kv/legacy")).data, SEED.legacy));
    assert.deepEqual(
      log.filter((e) => e.path === "auth/approle/login").map((e) => e.status),
      [500, 500, 200],
    );
  });

  it("a wrong AppRole secret_id is an AuthError (77)", async () => {
    const { roleId } = await sv.admin.createAppRole("wrong", { policies: ["default"] });
    const h = harness(settingsFor(approleAuth(roleId, "not-the-secret-id")));
    await assert.rejects(read(h, "vault://secret/myapp/db"), (e: unknown) => e instanceof AuthError && e.exitCode === 77 && /AppRole/.test(e.message));
  });

  it("a 403 on the secret is an AuthError (77) naming the path", async () => {
    await sv.admin.writePolicy("db-only", { "secret/data/myapp/db": ["read"] });
    const token = await sv.admin.createToken({ policies: ["db-only"] });
    const h = harness(settingsFor({ kind: "token", method: "token", token, source: "test" }));
    assert.deepEqual((await read(h, "vault://secret/myapp/db")).data, SEED.db);
    await assert.rejects(read(h, "vault://secret/myapp/config"), (e: unknown) => {
      assert.ok(e instanceof AuthError, String(e));
      assert.equal(e.exitCode, 77);
      assert.match(e.message, /secret\/(data\/)?myapp\/config/);
      assert.match(e.message, /permission denied/);
      assertNoValues(e.message, [token]);
      return true;
    });
  });

  it("a revoked token is an AuthError (77) with the invalid-token hint", async () => {
    const token = await sv.admin.createToken({ policies: ["default"] });
    await sv.admin.revokeToken(token);
    const h = harness(settingsFor({ kind: "token", method: "token", token, source: "test" }));
    await assert.rejects(read(h, "vault://secret/myapp/db"), (e: unknown) => {
      assert.ok(e instanceof AuthError, String(e));
      assert.match(e.message, /invalid, expired or revoked/);
      assert.match(e.message, /the Vault token from test/);
      assert.ok(!e.message.includes(token), "the token is never in a message");
      return true;
    });
  });

  it("an unknown token is an AuthError (77) through resolveVaultSettings from VAULT_TOKEN", async () => {
    const settings = resolveVaultSettings({ file: {}, environ: { HOME: "/nonexistent", VAULT_ADDR: sv.url, VAULT_TOKEN: "hvs.not-a-real-token" } });
    const h = harness(settings);
    await assert.rejects(read(h, "vault://kv/legacy"), (e: unknown) => e instanceof AuthError && /invalid, expired or revoked/.test(e.message));
  });
});

describe("timeouts", () => {
  it("a Vault that never answers is given up at the deadline, however long the request timeout (69)", async () => {
    await sv.control.latency(60_000, "auth/token/lookup-self");
    try {
      const h = harness(settingsFor(undefined, { timeoutMs: 120_000 }));
      await assert.rejects(read(h, "vault://secret/myapp/db", Date.now() + 1_000), (e: unknown) => {
        assert.ok(e instanceof UnavailableError, String(e));
        assert.equal(e.exitCode, 69);
        assert.match(e.message, /no answer within/);
        return true;
      });
    } finally {
      await sv.control.clearLatency();
    }
  });
});

/** A loopback HTTP server answering every request with `handler`; closed by the returned function. */
async function rawServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

describe("transport edge cases", () => {
  it("a server that trickles its answer byte by byte is still given up at the deadline (one absolute timer)", { timeout: 20_000 }, async () => {
    const server = await rawServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      const drip = setInterval(() => res.write(" "), 50);
      res.on("close", () => clearInterval(drip));
    });
    try {
      const h = harness(settingsFor(undefined, { address: server.url, timeoutMs: 120_000 }));
      await assert.rejects(read(h, "vault://secret/myapp/db", Date.now() + 800), (e: unknown) => {
        assert.ok(e instanceof UnavailableError, String(e));
        assert.match(e.message, /no answer within/);
        return true;
      });
    } finally {
      await server.close();
    }
  });

  it("an https:// address on a plain-http Vault fails at once (not retried) with a hint", async () => {
    const h = harness(settingsFor(undefined, { address: sv.url.replace("http://", "https://") }));
    const log = await logSince(async () => {
      await assert.rejects(read(h, "vault://secret/myapp/db", Date.now() + 10_000), (e: unknown) => {
        assert.ok(e instanceof UnavailableError && !e.retryable, String(e));
        assert.match(e.message, /TLS handshake failed/);
        assert.match(e.message, /plain http/);
        return true;
      });
    });
    assert.ok(log.length <= 1, `tried ${log.length} times`);
  });

  it("follows a standby's 307 to the active node, but never to another protocol", async () => {
    const toActive = await rawServer((req, res) => {
      res.writeHead(307, { Location: `${sv.url}${req.url}` });
      res.end();
    });
    const toHttps = await rawServer((req, res) => {
      res.writeHead(307, { Location: `https://127.0.0.1:1${req.url}` });
      res.end();
    });
    try {
      const doc = await read(harness(settingsFor(undefined, { address: toActive.url })), "vault://secret/myapp/db");
      assert.deepEqual(doc.data, SEED.db);
      await assert.rejects(read(harness(settingsFor(undefined, { address: toHttps.url })), "vault://secret/myapp/db"), (e: unknown) => {
        assert.ok(e instanceof UnavailableError && !e.retryable, String(e));
        assert.match(e.message, /another protocol; not followed/);
        return true;
      });
    } finally {
      await toActive.close();
      await toHttps.close();
    }
  });
});

describe("retries", () => {
  const giveUp = (pattern: RegExp) => (e: unknown) => {
    assert.ok(e instanceof UnavailableError, String(e));
    assert.equal(e.exitCode, 69);
    assert.match(e.message, /gave up after/);
    assert.match(e.message, pattern);
    return true;
  };

  async function failingUntilDeadline(pattern: RegExp): Promise<RequestLogEntry[]> {
    const h = harness();
    return logSince(() => assert.rejects(read(h, "vault://secret/myapp/db", shortly()), giveUp(pattern)));
  }

  it("retries a sealed Vault until the deadline, then gives up with 69", async () => {
    await sv.admin.seal();
    const log = await failingUntilDeadline(/sealed/);
    assert.ok(log.length >= 2, `retried (${log.length} attempts)`);
    assert.ok(log.every((e) => e.status === 503));
  });

  it("retries 500 answers until the deadline, then gives up with 69", async () => {
    await sv.control.fault({ path_prefix: "", status: 500, count: 10_000 });
    const log = await failingUntilDeadline(/500/);
    assert.ok(log.length >= 2, `retried (${log.length} attempts)`);
  });

  it("retries 429 answers until the deadline, then gives up with 69", async () => {
    await sv.control.fault({ path_prefix: "", status: 429, count: 10_000, body: { errors: ['request path "secret/data/myapp/db": rate limit quota exceeded'] } });
    const log = await failingUntilDeadline(/429/);
    assert.ok(log.length >= 2, `retried (${log.length} attempts)`);
  });

  it("retries dropped connections until the deadline, then gives up with 69", async () => {
    await sv.control.fault({ path_prefix: "", status: 0, count: 10_000 });
    const log = await failingUntilDeadline(/could not be reached/);
    assert.ok(log.length >= 2, `retried (${log.length} attempts)`);
    assert.ok(log.every((e) => e.status === 0));
  });

  it("succeeds when two failures are followed by an answer, and logs the outage once and the recovery", async () => {
    const h = harness();
    await sv.control.fault({ path_prefix: "secret/data/myapp/db", status: 500, count: 2 });
    const log = await logSince(async () => assert.deepEqual((await read(h, "vault://secret/myapp/db")).data, SEED.db));
    assert.deepEqual(
      log.filter((e) => e.path === "secret/data/myapp/db").map((e) => e.status),
      [500, 500, 200],
    );
    assert.equal(h.lines.filter((l) => / WARN .*Vault at \S+ answered 500 while .*; retrying until /.test(l)).length, 1);
    assert.equal(h.lines.filter((l) => /Vault is reachable again/.test(l)).length, 1);
  });

  it("succeeds after dropped connections", async () => {
    const h = harness();
    await sv.control.fault({ path_prefix: "secret/data/myapp/single", status: 0, count: 2 });
    const doc = await read(h, "vault://secret/myapp/single");
    assert.deepEqual(doc.data, SEED.single);
  });

  it("retries the 400 a KV mount answers while it is upgraded to KV v2", async () => {
    const h = harness();
    await sv.control.fault({
      path_prefix: "secret/data/myapp/config",
      status: 400,
      count: 1,
      body: { errors: ["Upgrading from non-versioned to versioned data. This backend will be unavailable for a brief period and will resume service shortly."] },
    });
    const log = await logSince(async () => assert.deepEqual((await read(h, "vault://secret/myapp/config")).data, SEED.config));
    assert.deepEqual(
      log.filter((e) => e.path === "secret/data/myapp/config").map((e) => e.status),
      [400, 200],
    );
  });

  it("does not retry any other 400", async () => {
    const h = harness();
    await sv.control.fault({ path_prefix: "secret/data/myapp/config", status: 400, count: 5, body: { errors: ["something else is wrong"] } });
    const log = await logSince(() =>
      assert.rejects(read(h, "vault://secret/myapp/config"), (e: unknown) => e instanceof UnavailableError && !e.retryable && /something else is wrong/.test(e.message)),
    );
    assert.equal(log.filter((e) => e.path === "secret/data/myapp/config").length, 1);
  });
});

describe("namespaces", () => {
  it("sends X-Vault-Namespace on every request", async () => {
    await sv.admin.createNamespace("admin");
    await sv.admin.withNamespace("admin").writeKv2("secret/app/ns", { key: "ns-Admin-Value-7310" });
    const h = harness(settingsFor(undefined, { namespace: "admin" }));
    const log = await logSince(async () => {
      const doc = await read(h, "vault://secret/app/ns#key");
      assert.deepEqual(doc.data, { key: "ns-Admin-Value-7310" });
    });
    assert.ok(log.length >= 2);
    assert.deepEqual([...new Set(log.map((e) => e.namespace))], ["admin"]);
  });
});

describe("paths that need escaping", () => {
  it("reaches Vault with spaces, %, # and ? in the path intact", async () => {
    const segment = "odd key %41#frag?q=1";
    const data = { v: "escaped-Path-Value-8820" };
    await sv.admin.api("POST", `secret/data/esc/${encodeURIComponent(segment)}`, { data });
    const text = `vault://secret/esc/${encodeURIComponent(segment)}#v`;
    assert.equal(ref(text).path, `secret/esc/${segment}`);
    const h = harness();
    const log = await logSince(async () => assert.deepEqual((await read(h, text)).data, data));
    assert.ok(
      log.some((e) => e.path === `secret/data/esc/${segment}` && e.status === 200),
      JSON.stringify(log.map((e) => e.path)),
    );
    assert.ok(
      log.every((e) => Object.keys(e.query).length === 0),
      "nothing of the path leaked into the query",
    );
  });

  it("reads a KV v1 secret with such a path", async () => {
    const segment = "a b%c#d?e";
    await sv.admin.api("POST", `kv/${encodeURIComponent(segment)}`, { x: "kv1-Escaped-Value-9931" });
    const doc = await read(harness(), `vault://kv/${encodeURIComponent(segment)}`);
    assert.deepEqual(doc.data, { x: "kv1-Escaped-Value-9931" });
  });
});
