/**
 * Turns a Vault HTTP status into envject's typed errors (and so its exit codes): 403 → AuthError
 * (77), 404 → NotFoundError (78), sealed/5xx/429/412 → retryable UnavailableError (69). Vault's own
 * error strings are kept (they name paths and reasons, never values), with Go's multierror
 * decoration removed.
 */
import { AuthError, type EnvjectError, NotFoundError, UnavailableError } from "../../errors.js";
import type { VaultResponse } from "./http.js";

/** Vault's `errors` array, flattened: "1 error occurred:\n\t* permission denied\n\n" → ["permission denied"]. */
export function vaultErrorMessages(body: unknown): string[] {
  const errors = (body as { errors?: unknown } | undefined)?.errors;
  if (!Array.isArray(errors)) return [];
  const out: string[] = [];
  for (const e of errors) {
    if (typeof e !== "string") continue;
    const items = [...e.matchAll(/^\t\* (.*)$/gm)].map((m) => m[1]!.trim());
    out.push(...(items.length > 0 ? items : [e.trim()]));
  }
  return out.filter((s) => s !== "");
}

export function isRetryableStatus(status: number, body: unknown): boolean {
  if (status === 429 || status === 412 || status >= 500) return true;
  // KV v2 mount being upgraded from v1: "will resume service shortly".
  return status === 400 && vaultErrorMessages(body).some((m) => m.startsWith("Upgrading from non-versioned"));
}

/** Whether a 403 body says the token itself is bad (expired, revoked, unknown), not just denied. */
export function saysInvalidToken(body: unknown): boolean {
  return vaultErrorMessages(body).some((m) => m.includes("invalid token"));
}

/**
 * The typed error for a non-success answer. `what` says what envject was doing, in words a user
 * recognises: "reading secret/myapp/db", "logging in with AppRole".
 */
export function errorForStatus(res: VaultResponse, what: string, address: string): EnvjectError {
  const messages = vaultErrorMessages(res.body);
  const detail = messages.length > 0 ? `: ${messages.join("; ")}` : "";
  if (res.status === 403) {
    const invalid = saysInvalidToken(res.body);
    const hint = invalid ? " (the Vault token is invalid, expired or revoked)" : "";
    return new AuthError(`Vault denied ${what} (403${detail})${hint}`, { credentialsInvalid: invalid });
  }
  if (res.status === 404) return new NotFoundError(`${what}: nothing found in Vault (404${detail})`);
  if (res.status === 503 && messages.includes("Vault is sealed")) {
    return new UnavailableError(`Vault at ${address} is sealed (${what})`, { retryable: true });
  }
  if (isRetryableStatus(res.status, res.body)) {
    return new UnavailableError(`Vault at ${address} answered ${res.status} while ${what}${detail}`, { retryable: true });
  }
  return new UnavailableError(`Vault at ${address} rejected ${what} (${res.status}${detail})`, { retryable: false });
}
