/**
 * A loopback double of the AWS Secrets Manager API (awsJson1_1) for envject's tests and demo: in
 * memory, single process, listening on 127.0.0.1 with a kernel-chosen port. See README.md beside
 * this file for what is emulated and for the /__double/ control surface.
 */
import { listen } from "./server.js";
import { DoubleState } from "./state.js";

export type { RequestLogEntry } from "./state.js";

export interface AwsDoubleOptions {
  /** The account in ARNs and denial messages; default "123456789012". */
  accountId?: string;
  /** Port to listen on; default 0 (the kernel picks a free one). Tests keep the default. */
  port?: number;
}

export interface AwsDouble {
  /** Base address, e.g. `http://127.0.0.1:41234` (no trailing slash): the endpoint URL for clients. */
  url: string;
  close(): Promise<void>;
}

/** Starts an empty double (no secrets in any region). */
export async function startAwsDouble(options: AwsDoubleOptions = {}): Promise<AwsDouble> {
  const state = new DoubleState(options.accountId ?? "123456789012");
  const server = await listen(state, options.port ?? 0);
  return { url: server.url, close: () => server.close() };
}
