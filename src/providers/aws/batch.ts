/**
 * Coalescing AWSCURRENT reads: the reads asked for in the same turn of the event loop (the
 * resolver starts them all at once) are sent per region as BatchGetSecretValue calls of at most 20
 * ids; a lone read uses GetSecretValue. Per-secret failures in the batch answer become that
 * secret's typed error. When the batch action is denied, every read falls back to GetSecretValue
 * for the rest of the run (the denial is remembered, and logged once at debug level).
 */
import { AuthError, type EnvjectError, UnavailableError } from "../../errors.js";
import type { Logger } from "../../log/logger.js";
import type { SecretsManagerCalls } from "./client.js";
import type { SecretValue } from "./document.js";
import { awsErrorCode, errorFromCode, errorFromSdk } from "./errors.js";

/** BatchGetSecretValue's SecretIdList limit. */
export const BATCH_LIMIT = 20;

interface Waiter {
  deadline: number;
  promise: Promise<SecretValue>;
  resolve(value: SecretValue): void;
  reject(error: EnvjectError): void;
}

/** Collects the AWSCURRENT reads of one turn and sends them per region as batches (or single calls). */
export class CurrentValueBatcher {
  /** region → secret id → the read waiting for it (one per id: the same id asked twice is one read). */
  private pending = new Map<string, Map<string, Waiter>>();
  private scheduled = false;
  private batchUnusable = false;

  constructor(
    private readonly calls: Pick<SecretsManagerCalls, "getSecretValue" | "batchGetSecretValue">,
    private readonly logger: Logger,
    private readonly endpoint?: string,
  ) {}

  /** The AWSCURRENT value of `secretId` in `region`; rejects with a typed error only. */
  get(region: string, secretId: string, deadline: number): Promise<SecretValue> {
    let byId = this.pending.get(region);
    if (!byId) this.pending.set(region, (byId = new Map<string, Waiter>()));
    const waiting = byId.get(secretId);
    if (waiting) {
      waiting.deadline = Math.max(waiting.deadline, deadline);
      return waiting.promise;
    }
    let resolve!: Waiter["resolve"];
    let reject!: Waiter["reject"];
    const promise = new Promise<SecretValue>((res, rej) => ((resolve = res), (reject = rej)));
    byId.set(secretId, { deadline, promise, resolve, reject });
    if (!this.scheduled) {
      this.scheduled = true;
      // setImmediate runs after every promise continuation of this turn: all reads started together are in.
      setImmediate(() => this.flush());
    }
    return promise;
  }

  private flush(): void {
    const pending = this.pending;
    this.pending = new Map();
    this.scheduled = false;
    for (const [region, byId] of pending) {
      const ids = [...byId.keys()];
      if (ids.length === 1 || this.batchUnusable) {
        for (const id of ids) void this.single(region, id, byId.get(id)!);
        continue;
      }
      for (let i = 0; i < ids.length; i += BATCH_LIMIT) {
        const chunk = ids.slice(i, i + BATCH_LIMIT);
        const waiters = new Map(chunk.map((id) => [id, byId.get(id)!]));
        // An answer of an unexpected shape must fail these reads, not crash envject (settled ones stay settled).
        this.batch(region, waiters).catch((error: unknown) => {
          for (const [id, waiter] of waiters) waiter.reject(errorFromSdk(error, { action: "BatchGetSecretValue", secretId: id, region }));
        });
      }
    }
  }

  private async single(region: string, secretId: string, waiter: Waiter): Promise<void> {
    try {
      waiter.resolve(await this.calls.getSecretValue(region, { SecretId: secretId }, waiter.deadline));
    } catch (error) {
      waiter.reject(errorFromSdk(error, { action: "GetSecretValue", secretId, region, endpoint: this.endpoint }));
    }
  }

  private async batch(region: string, waiters: Map<string, Waiter>): Promise<void> {
    const ids = [...waiters.keys()];
    const deadline = Math.max(...[...waiters.values()].map((w) => w.deadline));
    let answer: Awaited<ReturnType<SecretsManagerCalls["batchGetSecretValue"]>>;
    try {
      this.logger.debug("reading secrets with BatchGetSecretValue", { region, secret_count: ids.length });
      answer = await this.calls.batchGetSecretValue(region, ids, deadline);
    } catch (error) {
      if (this.fallBack(error, region)) {
        for (const [id, waiter] of waiters) void this.single(region, id, waiter);
      } else {
        for (const [id, waiter] of waiters) waiter.reject(errorFromSdk(error, { action: "BatchGetSecretValue", secretId: id, region, endpoint: this.endpoint }));
      }
      return;
    }
    const open = new Map(waiters);
    for (const value of answer.SecretValues ?? []) {
      for (const [id, waiter] of open) {
        if (!designates(id, value)) continue;
        waiter.resolve(value);
        open.delete(id);
      }
    }
    for (const item of answer.Errors ?? []) {
      const id = item.SecretId;
      const waiter = id === undefined ? undefined : open.get(id);
      if (id === undefined || !waiter) continue;
      // Each item failed as GetSecretValue on that secret would have (the batch needs that permission per secret).
      waiter.reject(errorFromCode(item.ErrorCode ?? "UnknownError", item.Message, { action: "GetSecretValue", secretId: id, region }));
      open.delete(id);
    }
    // An answer that left an id out (a NextToken page, an odd service): read those one by one.
    for (const [id, waiter] of open) void this.single(region, id, waiter);
  }

  /**
   * Whether a failed batch call should be retried as single calls: yes when the batch action is
   * denied (remembered: every later read goes single) or unknown/refused as a whole, no when the
   * failure would hit single calls too (unreachable, throttled, credentials).
   */
  private fallBack(error: unknown, region: string): boolean {
    const code = awsErrorCode(error);
    if (code === "AccessDeniedException") {
      if (!this.batchUnusable) {
        this.logger.debug("BatchGetSecretValue is denied; reading each secret with GetSecretValue from now on", { region });
      }
      this.batchUnusable = true;
      return true;
    }
    const mapped = errorFromSdk(error, { action: "BatchGetSecretValue", secretId: "(batch)", region });
    if (mapped instanceof AuthError || (mapped instanceof UnavailableError && mapped.retryable)) return false;
    this.logger.debug("BatchGetSecretValue failed as a whole; reading each secret with GetSecretValue", { region, reason: code ?? mapped.message });
    return true;
  }
}

/** Whether a batch entry answers the id it was asked with: a name, a full ARN, or a partial ARN (no `-XXXXXX` suffix). */
export function designates(id: string, value: SecretValue): boolean {
  if (id === value.Name || id === value.ARN) return true;
  const arn = value.ARN;
  return arn !== undefined && id.startsWith("arn:") && arn.length === id.length + 7 && arn.startsWith(`${id}-`);
}
