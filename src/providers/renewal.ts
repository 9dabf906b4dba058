/**
 * When a grant is renewed — envject's own Vault token (vault/token-keeper.ts) and a dynamic
 * secret's lease (watch/leases.ts): once a fraction of it has passed, Vault Agent's 2/3 with ±10 %
 * jitter like polling, so a fleet started together does not renew in lockstep.
 *
 * The jitter is drawn ONCE per process and the same fraction serves the token and every lease:
 * within one envject they still renew together, so a re-login near the token's max TTL coincides
 * with a lease's own replacement (one restart of the command, not two), while the instances of a
 * fleet spread over ±10 %. (A fresh draw per renewal was tried and reverted for that reason: in
 * the soak the jittered re-login missed the lease's replacement and the child restarted twice
 * within a second.)
 */
import { type Clock, systemClock } from "../clock.js";

/** Vault Agent's rule: renew once 2/3 of a grant has passed. */
export const RENEW_FRACTION = 2 / 3;
/** The spread around it, as for polling: ±10 %. */
export const RENEW_JITTER = 0.1;

const LOWEST = RENEW_FRACTION * (1 - RENEW_JITTER);
const HIGHEST = RENEW_FRACTION * (1 + RENEW_JITTER);

/** A renewal fraction drawn from `random` (uniform in [0, 1)): uniform in 2/3 × [0.9, 1.1); 0.5 gives 2/3 exactly. */
export function drawRenewalFraction(random: () => number): number {
  return RENEW_FRACTION * (1 + RENEW_JITTER * (2 * random() - 1));
}

let processFraction: number | undefined;

/**
 * This process's renewal fraction: drawn on the first call from that caller's clock (the system
 * clock in production), and the same value for every later caller, whatever clock it passes.
 */
export function renewalFraction(clock: Pick<Clock, "random"> = systemClock): number {
  processFraction ??= drawRenewalFraction(() => clock.random());
  return processFraction;
}

/**
 * Epoch ms at which to renew a grant of `durationMs` that began at `start`: at `fraction` of it.
 * Hard guard: the fraction is held within 2/3 × [0.9, 1.1], so a positive grant is never renewed
 * at or after its end, whatever fraction a caller passes.
 */
export function renewalInstant(start: number, durationMs: number, fraction: number = renewalFraction()): number {
  const f = Number.isFinite(fraction) ? Math.min(HIGHEST, Math.max(LOWEST, fraction)) : RENEW_FRACTION;
  return start + durationMs * f;
}
