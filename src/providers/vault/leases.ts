/**
 * Renewing a dynamic secret's lease once (`PUT sys/leases/renew`). Vault answers 400 for a lease
 * that is gone (expired, revoked, never renewable): that is NotFoundError here, the watcher's cue
 * to read the secret again; 403 is AuthError; outages stay retryable UnavailableErrors.
 */
import { type Clock, systemClock } from "../../clock.js";
import { AuthError, type EnvjectError, NotFoundError } from "../../errors.js";
import type { Lease } from "../provider.js";
import { errorForStatus, isRetryableStatus, vaultErrorMessages } from "./errors.js";
import type { VaultEnvelope, VaultHttpClient, VaultResponse } from "./http.js";

/** Extends `lease` by `incrementSeconds` with `token`; returns the lease as granted (obtainedAt now, on `clock`). */
export async function renewLeaseOnce(client: VaultHttpClient, token: string, lease: Lease, incrementSeconds: number, deadline?: number, clock: Pick<Clock, "now"> = systemClock): Promise<Lease> {
  const res = await client.request({
    method: "PUT",
    path: "sys/leases/renew",
    token,
    body: { lease_id: lease.id, increment: Math.max(0, Math.round(incrementSeconds)) },
    deadline,
  });
  if (res.status >= 300) throw renewalError(res, lease, client.address);
  const body = res.body as VaultEnvelope | undefined;
  return {
    id: typeof body?.lease_id === "string" && body.lease_id !== "" ? body.lease_id : lease.id,
    durationSeconds: typeof body?.lease_duration === "number" ? body.lease_duration : 0,
    renewable: body?.renewable ?? false,
    obtainedAt: clock.now(),
  };
}

function renewalError(res: VaultResponse, lease: Lease, address: string): EnvjectError {
  const messages = vaultErrorMessages(res.body);
  const detail = messages.length > 0 ? `: ${messages.join("; ")}` : "";
  if (res.status === 400 && !isRetryableStatus(res.status, res.body)) {
    // lease not found / lease expired / lease is not renewable: only a new read helps.
    return new NotFoundError(`lease ${lease.id} can no longer be renewed (400${detail}); the secret must be read again`);
  }
  if (res.status === 403) {
    return new AuthError(`Vault denied renewing lease ${lease.id} (403${detail}); it can no longer be renewed with this token`);
  }
  return errorForStatus(res, `renewing lease ${lease.id}`, address);
}
