/** Opaque NextTokens: base64 of the offset into a stable ordering, so a bad one is detectable. */
import { AwsError } from "../wire/errors.js";

const PREFIX = "double-offset:";

/** The token that resumes at `offset`. */
export function nextToken(offset: number): string {
  return Buffer.from(`${PREFIX}${offset}`).toString("base64");
}

/** The offset a token resumes at (0 without one); a token the double did not issue is InvalidNextTokenException. */
export function offsetOf(token: string | undefined): number {
  if (token === undefined) return 0;
  const text = Buffer.from(token, "base64").toString("utf8");
  const offset = text.startsWith(PREFIX) ? Number(text.slice(PREFIX.length)) : Number.NaN;
  if (!Number.isInteger(offset) || offset < 0) throw new AwsError("InvalidNextTokenException", "The NextToken value is invalid.");
  return offset;
}

/** One page of `items` from `token`, with the token of the next page when there is one. */
export function page<T>(items: T[], token: string | undefined, size: number): { items: T[]; next: string | undefined } {
  const start = offsetOf(token);
  const end = start + size;
  return { items: items.slice(start, end), next: end < items.length ? nextToken(end) : undefined };
}
