/** What the doubles' fault tests share: how far a raw exchange got, and the check that close() does not wait for a hung one. */
import assert from "node:assert/strict";
import { setTimeout as pause } from "node:timers/promises";

/** What a raw call got: the head (when one came), the body bytes received, and how it ended. */
export interface RawExchange {
  status?: number;
  contentLength?: number;
  received: number;
  ended: "complete" | "reset";
}

/**
 * With `pending` hung by a `hang` fault: `close()` of the double ends within 5 s although the
 * connection is open, and the hung exchange then ends in a reset without ever getting a head.
 */
export async function assertCloseResetsHung(close: () => Promise<void>, pending: Promise<RawExchange>): Promise<void> {
  let closed = false;
  const closing = close().then(() => (closed = true));
  await Promise.race([closing, pause(5000)]);
  assert.equal(closed, true, "close() did not wait for the hung connection");
  const ended = await pending;
  assert.equal(ended.status, undefined);
  assert.equal(ended.ended, "reset");
}
