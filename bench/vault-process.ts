// The Vault double in a process of its own, for the benches that measure envject's CPU and
// requests (its work must not be counted with theirs).
import { type ChildProcess, spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";

const root = resolve(import.meta.dirname, "..");

/** Starts the Vault double as its own process; resolves with its address and root token. */
export async function startVaultProcess(): Promise<{ proc: ChildProcess; url: string; rootToken: string }> {
  const proc = spawn(process.execPath, ["--import", "tsx", join(root, "src/dev/vault/main.ts")], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise<string>((done, fail) => {
    createInterface({ input: proc.stdout }).once("line", done);
    proc.once("exit", (code) => fail(new Error(`the Vault double exited ${code}`)));
  });
  const { url, rootToken } = JSON.parse(line) as { url: string; rootToken: string };
  return { proc, url, rootToken };
}
