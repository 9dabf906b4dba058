/**
 * A small typed client for tests and the demo. It speaks the real protocol to the double (POST /,
 * awsJson1_1, X-Amz-Target, a SigV4-shaped Authorization whose credential scope carries the
 * access key and region; the signature is a placeholder the double does not check) and plain JSON
 * to the /__double/ control surface. Typed helpers throw AwsDoubleError on an error answer;
 * `call` returns any answer as it is.
 */
import http from "node:http";
import type { RequestLogEntry } from "./state.js";

export type { RequestLogEntry } from "./state.js";

export type SecretValueInput = { SecretString: string } | { SecretBinary: string };

export interface AwsDoubleClientOptions {
  /** The region to sign for (default "us-east-1"): secrets live per region. */
  region?: string;
  /** Default "AKIDENVJECTTEST". */
  accessKeyId?: string;
}

export interface FaultSpec {
  /** Only this operation (e.g. "GetSecretValue"); default every operation. */
  action?: string;
  /** Only requests naming this secret (name, ARN or partial ARN). */
  secretId?: string;
  /**
   * "error" (default): answer `status`. "hang": read the request and never answer (until the
   * double closes). "reset_mid_body": send the real answer's head and half its body, then reset.
   */
  mode?: "error" | "hang" | "reset_mid_body";
  /** HTTP status (400-599), or 0 to drop the connection (mode "error" only). */
  status?: number;
  /** The error `__type`; default ThrottlingException for 4xx, InternalServiceError for 5xx. */
  type?: string;
  message?: string;
  /** How many matching requests fail (default 1). */
  count?: number;
}

export type RejectionType = "UnrecognizedClientException" | "ExpiredTokenException" | "InvalidSignatureException";

/** An error answer from the API: the operation, HTTP status, bare error type and message (never a secret value). */
export class AwsDoubleError extends Error {
  constructor(
    readonly action: string,
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(`${action} answered ${status} ${type}: ${message}`);
    this.name = "AwsDoubleError";
  }
}

interface Raw {
  status: number;
  text: string;
  body: any;
}

/** Steers one double as one identity in one region, plus the control surface. */
export class AwsDoubleClient {
  readonly region: string;
  readonly accessKeyId: string;

  constructor(
    readonly url: string,
    options: AwsDoubleClientOptions = {},
  ) {
    this.region = options.region ?? "us-east-1";
    this.accessKeyId = options.accessKeyId ?? "AKIDENVJECTTEST";
  }

  /** The same double, signing for another region. */
  inRegion(region: string): AwsDoubleClient {
    return new AwsDoubleClient(this.url, { region, accessKeyId: this.accessKeyId });
  }

  /** Any operation; the answer as sent (status and parsed JSON body). */
  async call(action: string, body: object): Promise<{ status: number; body: any }> {
    const date = new Date()
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d+Z$/, "Z");
    const { status, body: parsed } = await this.send("/", JSON.stringify(body), {
      "Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": `secretsmanager.${action}`,
      "X-Amz-Date": date,
      Authorization: `AWS4-HMAC-SHA256 Credential=${this.accessKeyId}/${date.slice(0, 8)}/${this.region}/secretsmanager/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=${"0".repeat(64)}`,
    });
    return { status, body: parsed };
  }

  /** An operation that must succeed; its response body. */
  async api(action: string, body: object): Promise<any> {
    const answer = await this.call(action, body);
    if (answer.status !== 200) {
      const type = String(answer.body?.__type ?? "Unknown").replace(/^.*#/, "");
      throw new AwsDoubleError(action, answer.status, type, String(answer.body?.Message ?? answer.body?.message ?? ""));
    }
    return answer.body;
  }

  async createSecret(name: string, value: SecretValueInput, extra: { Description?: string; Tags?: { Key: string; Value: string }[] } = {}): Promise<{ ARN: string; Name: string; VersionId: string }> {
    return this.api("CreateSecret", { Name: name, ...value, ...extra });
  }

  /** A new version; by default it takes AWSCURRENT and the old current becomes AWSPREVIOUS. */
  async putSecretValue(secretId: string, value: SecretValueInput, versionStages?: string[]): Promise<{ ARN: string; VersionId: string; VersionStages: string[] }> {
    return this.api("PutSecretValue", { SecretId: secretId, ...value, ...(versionStages ? { VersionStages: versionStages } : {}) });
  }

  async getSecretValue(secretId: string, opts: { VersionId?: string; VersionStage?: string } = {}): Promise<any> {
    return this.api("GetSecretValue", { SecretId: secretId, ...opts });
  }

  async describeSecret(secretId: string): Promise<any> {
    return this.api("DescribeSecret", { SecretId: secretId });
  }

  /** Schedules deletion (30-day window) or, with ForceDeleteWithoutRecovery, removes at once. */
  async deleteSecret(secretId: string, opts: { ForceDeleteWithoutRecovery?: boolean; RecoveryWindowInDays?: number } = {}): Promise<void> {
    await this.api("DeleteSecret", { SecretId: secretId, ...opts });
  }

  async restoreSecret(secretId: string): Promise<void> {
    await this.api("RestoreSecret", { SecretId: secretId });
  }

  /** Moves `stage` to version `moveTo` (and/or removes it from `removeFrom`). */
  async updateSecretVersionStage(secretId: string, stage: string, moveTo?: string, removeFrom?: string): Promise<void> {
    await this.api("UpdateSecretVersionStage", {
      SecretId: secretId,
      VersionStage: stage,
      ...(moveTo !== undefined ? { MoveToVersionId: moveTo } : {}),
      ...(removeFrom !== undefined ? { RemoveFromVersionId: removeFrom } : {}),
    });
  }

  // ---- control surface -----------------------------------------------------------------------

  /** The request log, oldest first (never a secret value). */
  async requests(): Promise<RequestLogEntry[]> {
    return this.control("GET", "requests");
  }

  async clearRequests(): Promise<void> {
    await this.control("DELETE", "requests");
  }

  /** The next `count` matching requests fail with `status` and `type` (status 0: connection dropped). */
  async fault(f: FaultSpec): Promise<void> {
    await this.control("POST", "faults", f);
  }

  async clearFaults(): Promise<void> {
    await this.control("DELETE", "faults");
  }

  /** Delays every request (or those of `action`) by `ms` until cleared; ms 0 removes that rule. */
  async latency(ms: number, action?: string): Promise<void> {
    await this.control("POST", "latency", { ms, ...(action ? { action } : {}) });
  }

  async clearLatency(): Promise<void> {
    await this.control("DELETE", "latency");
  }

  /** AccessDeniedException for `action` (on `secretId` only, or on everything). */
  async deny(action: string, secretId?: string): Promise<void> {
    await this.control("POST", "deny", { action, ...(secretId ? { secretId } : {}) });
  }

  async clearDenials(): Promise<void> {
    await this.control("DELETE", "deny");
  }

  /** Every request signed with `accessKeyId` fails with `type` (bad, expired or mis-signed credentials). */
  async rejectAccessKey(accessKeyId: string, type: RejectionType): Promise<void> {
    await this.control("POST", "access-keys", { accessKeyId, type });
  }

  async clearRejectedAccessKeys(): Promise<void> {
    await this.control("DELETE", "access-keys");
  }

  private async control(method: string, path: string, body?: object): Promise<any> {
    const answer = await this.send(`/__double/${path}`, body === undefined ? undefined : JSON.stringify(body), { "Content-Type": "application/json" }, method);
    if (answer.status >= 400) throw new Error(`/__double/${path}: ${answer.status} ${answer.text.trim()}`);
    return answer.body;
  }

  private send(path: string, payload: string | undefined, headers: http.OutgoingHttpHeaders, method = "POST"): Promise<Raw> {
    const target = new URL(path, this.url);
    const h: http.OutgoingHttpHeaders = { ...headers };
    if (payload !== undefined) h["Content-Length"] = Buffer.byteLength(payload);
    return new Promise<Raw>((resolve, reject) => {
      const req = http.request(target, { method, headers: h, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown;
          try {
            parsed = text.trim() === "" ? undefined : JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, text, body: parsed });
        });
      });
      req.on("error", reject);
      req.end(payload);
    });
  }
}
