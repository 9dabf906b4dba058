/**
 * The token self-management calls, each made once: `auth/token/renew-self` (and what its answer
 * means for the token's future), `auth/token/lookup-self` (is the token still alive) and
 * `auth/token/revoke-self` (a token envject logged in for and is done with). Outages are thrown as retryable UnavailableErrors; Vault's refusals are results.
 */
import { errorForStatus, isRetryableStatus, saysInvalidToken, vaultErrorMessages } from "./errors.js";
import type { VaultEnvelope, VaultHttpClient } from "./http.js";

export type RenewOutcome =
  /** Renewed for `granted` seconds (fewer than asked: the max TTL is near). */
  | { kind: "renewed"; granted: number }
  /** Vault will not renew it (not renewable, past its max TTL, denied); it lives until it expires. */
  | { kind: "refused"; reason: string }
  /** The token is no longer valid (expired or revoked). */
  | { kind: "invalid"; reason: string };

/** Renews `token` by `incrementSeconds` (once); throws UnavailableError when Vault cannot answer. */
export async function renewSelf(client: VaultHttpClient, token: string, incrementSeconds: number, deadline?: number): Promise<RenewOutcome> {
  const res = await client.request({
    method: "PUT",
    path: "auth/token/renew-self",
    token,
    body: { increment: Math.max(1, Math.round(incrementSeconds)) },
    deadline,
  });
  if (res.status < 300) {
    const auth = (res.body as VaultEnvelope | undefined)?.auth;
    return { kind: "renewed", granted: typeof auth?.lease_duration === "number" ? auth.lease_duration : 0 };
  }
  if (isRetryableStatus(res.status, res.body)) throw errorForStatus(res, "renewing the Vault token", client.address);
  const messages = vaultErrorMessages(res.body);
  const reason = `${res.status}${messages.length > 0 ? `: ${messages.join("; ")}` : ""}`;
  if (res.status === 403 && saysInvalidToken(res.body)) return { kind: "invalid", reason };
  if (res.status === 400 || res.status === 403) return { kind: "refused", reason };
  throw errorForStatus(res, "renewing the Vault token", client.address);
}

/** What `auth/token/lookup-self` says of a token. */
export type LookupOutcome =
  /** Valid, with `ttl` seconds left (0: it never expires). */
  | { kind: "valid"; ttl: number }
  /** Vault says the token itself is bad: "invalid token" (expired, revoked, unknown). */
  | { kind: "invalid"; reason: string }
  /** A bare 403 ("permission denied"): a bad token on an older Vault, or a token that may not look itself up. */
  | { kind: "denied"; reason: string };

/** Looks `token` up once (`auth/token/lookup-self`); throws UnavailableError when Vault cannot answer. */
export async function lookupSelf(client: VaultHttpClient, token: string, deadline?: number): Promise<LookupOutcome> {
  const res = await client.request({ method: "GET", path: "auth/token/lookup-self", token, deadline });
  if (res.status === 200) {
    const ttl = ((res.body as VaultEnvelope | undefined)?.data as { ttl?: unknown } | undefined)?.ttl;
    return { kind: "valid", ttl: typeof ttl === "number" ? ttl : 0 };
  }
  if (res.status === 403) {
    const messages = vaultErrorMessages(res.body);
    const reason = `403${messages.length > 0 ? `: ${messages.join("; ")}` : ""}`;
    return { kind: saysInvalidToken(res.body) ? "invalid" : "denied", reason };
  }
  throw errorForStatus(res, "looking up the Vault token", client.address);
}

/**
 * Seconds `token` has left by `auth/token/lookup-self` (once), or undefined when Vault says it is
 * invalid (403); throws UnavailableError when Vault cannot answer.
 */
export async function remainingTtl(client: VaultHttpClient, token: string, deadline?: number): Promise<number | undefined> {
  const outcome = await lookupSelf(client, token, deadline);
  return outcome.kind === "valid" ? outcome.ttl : undefined;
}

/** Revokes `token` and its leases (`revoke-self`, in Vault's default policy); throws on any failure. */
export async function revokeSelf(client: VaultHttpClient, token: string, deadline: number): Promise<void> {
  const res = await client.request({ method: "PUT", path: "auth/token/revoke-self", token, deadline });
  if (res.status >= 300) throw errorForStatus(res, "revoking the Vault token", client.address);
}
