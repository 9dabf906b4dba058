/**
 * The README's first set-up command ends in `npm run demo`: it must keep working, and it must not
 * print the sample secrets it injects (its app shows lengths; --mask hides the one it prints).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { it } from "node:test";
import { ROOT } from "./support/cli.js";

it("npm run demo's script runs every step as documented and prints no sample secret", { timeout: 120_000 }, async () => {
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "scripts/demo.ts")], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: "C.UTF-8" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const code = await new Promise<number | null>((done) => child.on("close", done));
  assert.equal(code, 0, output);
  assert.match(output, /every step behaved as documented/);
  assert.match(output, /connecting with password \*\*\*\*\* /, "--mask hid the password the app printed");
  assert.match(output, /STRIPE_API_KEY +<secret, 18 characters>/, "the AWS secret reached the app");
  // The watched run: started, restarted after the Vault rotation, restarted after the AWS one.
  const fingerprints = [...output.matchAll(/app: serving \(pid \d+\) with DB_PASSWORD #(\w+), STRIPE_API_KEY #(\w+)/g)].map((m) => [m[1], m[2]]);
  assert.equal(fingerprints.length, 3, output);
  assert.notEqual(fingerprints[1]![0], fingerprints[0]![0], "the Vault rotation changed DB_PASSWORD");
  assert.equal(fingerprints[1]![1], fingerprints[0]![1]);
  assert.notEqual(fingerprints[2]![1], fingerprints[1]![1], "the AWS rotation changed STRIPE_API_KEY");
  for (const secret of ["demo-Db-Passw0rd", "demo-session-signing-key", "demo-legacy-api-token", "demo-stripe-key"]) {
    assert.ok(!output.includes(secret), `the demo printed ${secret}`);
  }
});
