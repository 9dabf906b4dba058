/** Auth settings for provider-level tests: what resolveVaultSettings would make of them. */
import type { SourceLocation } from "../../src/errors.js";
import { approle } from "../../src/providers/vault/login/approle.js";
import type { VaultAuthSettings } from "../../src/providers/vault/settings.js";

const here: SourceLocation = { file: "test", line: 1, column: 1 };

/** AppRole with these credentials at auth/<path>. */
export function approleAuth(roleId: string, secretId: string, path = "approle"): VaultAuthSettings {
  const at = (value: string) => ({ value, origin: here });
  return { kind: "login", method: "approle", login: approle.create({ settings: { role_id: at(roleId), secret_id: at(secretId), path: at(path) }, environ: {} }) };
}

/** The body a login method would send now, and its mount. */
export async function loginOf(auth: VaultAuthSettings): Promise<{ method: string; path: string; body: Record<string, unknown> }> {
  if (auth.kind !== "login") throw new Error(`not a login method: ${auth.kind}`);
  const { body } = await auth.login.request({ logger: undefined as never });
  return { method: auth.method, path: auth.login.path, body };
}
