/** The 403 for a missing, unknown, expired or revoked token, in the style chosen by control. */
import type { DoubleState } from "../state.js";
import { errorReply, multierror, type Reply } from "../wire/reply.js";

/** 403 in the configured style (plain, one-item or two-item multierror). */
export function forbiddenForToken(state: DoubleState): Reply {
  switch (state.config.forbiddenStyle) {
    case "plain":
      return errorReply(403, "permission denied");
    case "multierror":
      return errorReply(403, multierror("permission denied"));
    default:
      return errorReply(403, multierror("permission denied", "invalid token"));
  }
}
