/**
 * When to act on a lease (a dynamic secret's credentials): renew once 2/3 of it has passed (Vault
 * Agent's rule), asking for the duration first granted; once Vault grants less than that, the
 * lease's max TTL is near and renewing again would only shorten it further, so the secret is read
 * again (new credentials) at once. A lease that was never renewable is replaced at 2/3.
 */
import type { Lease } from "../providers/provider.js";
import { renewalInstant } from "../providers/renewal.js";

export interface LeaseStep {
  /** Epoch ms at which to act. */
  at: number;
  action: "renew" | "reread";
}

/**
 * The next step for `lease`, where `requestedSeconds` is the duration first granted (what each
 * renewal asks for). A lease that cannot be renewed, or came back shorter than asked, is replaced
 * by a fresh read; otherwise it is renewed.
 */
export function nextLeaseStep(lease: Lease, requestedSeconds: number): LeaseStep {
  // At this process's renewal fraction (2/3 ± 10 %, drawn once), the one envject's own token uses too.
  const at = renewalInstant(lease.obtainedAt, lease.durationSeconds * 1000);
  // Granted less than asked: waiting could only shrink the time left to read new credentials and
  // restart the command before this lease ends, so the secret is read again at once.
  if (lease.durationSeconds < requestedSeconds) return { at: lease.obtainedAt, action: "reread" };
  return { at, action: lease.renewable ? "renew" : "reread" };
}
