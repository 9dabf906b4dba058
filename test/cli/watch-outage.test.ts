/**
 * Store outages and shutdown while watching (docs/contract/supervision.md, docs/contract/rotation.md#store-outages): a sealed Vault leaves the child
 * running with one warning and one recovery line, and a change made during the outage is picked
 * up on recovery; SIGTERM in the middle of a restart leaves no child behind.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { watchSuite, alive, pause } from "../watch/e2e-harness.js";

describe("envject run through outages and shutdowns", () => {
  const suite = watchSuite();
  const start = (mapping: string, args: string[], vars: string[], extra: Record<string, string | undefined> = {}) => suite.start(suite.workspace(mapping), args, vars, extra);

  it("a sealed Vault: the child keeps running, one warning, one recovery line, and the change made meanwhile restarts it", async () => {
    await suite.vault.control.putSecret("secret/out/app", { key: "out-One-1111" });
    const run = start("env:\n  K: vault://secret/out/app#key\n", [], ["K"]);
    await run.waitForStarts(1);
    await suite.vault.admin.seal();
    await run.waitFor("the unreachable warning", () => run.lines("WARN", /Vault is unreachable/).length > 0);
    // Still unreachable for reads, but writable: the double answers every GET under secret/ as
    // sealed while it lets the admin write (a sealed double refuses writes too).
    await suite.vault.control.fault({ path_prefix: "secret/", status: 503, body: { errors: ["Vault is sealed"] }, method: "GET", count: 100_000 });
    await suite.vault.admin.unseal();
    await suite.vault.control.putSecret("secret/out/app", { key: "out-Two-2222" });
    await pause(4000);
    assert.equal(run.starts().length, 1, "no restart while Vault is down");
    assert.equal(run.lines("WARN", /Vault is unreachable/).length, 1, `one warning however many attempts:\n${run.stderr}`);
    await suite.vault.control.clearFaults();
    await run.waitForStarts(2, 90_000);
    assert.equal(run.starts()[1]!.env!.K, "out-Two-2222");
    assert.equal(run.lines("INFO", /Vault is reachable again after \d+s/).length, 1, run.stderr);
    assert.equal(run.events().filter((e) => e.event === "exit").length, 1, "the first child ran until the restart");
    await run.stop();
  });

  it("SIGTERM during a restart (a child slow to stop) ends envject and leaves no child behind", async () => {
    await suite.vault.control.putSecret("secret/out/slow", { key: "slow-One-3333" });
    const run = start("env:\n  K: vault://secret/out/slow#key\n", ["--kill-timeout", "2s"], ["K"], { WATCH_SLOW_STOP: "1" });
    await run.waitForStarts(1);
    const pid = run.starts()[0]!.pid;
    await suite.vault.control.putSecret("secret/out/slow", { key: "slow-Two-4444" });
    await run.waitFor("the restart's stop signal to reach the child", () => run.events().some((e) => e.event === "term"));
    const end = await run.stop("SIGTERM");
    assert.notEqual(end.code, null, "envject exited on its own");
    assert.equal(run.starts().length, 1, "no new child was started");
    assert.equal(alive(pid), false, "the old child is gone");
  });
});
