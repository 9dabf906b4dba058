/**
 * Turns what the AWS SDK throws (service exceptions, credential-chain failures, socket errors)
 * and BatchGetSecretValue's per-item errors into envject's typed errors, and so its exit codes:
 * missing secret/stage/version and "scheduled for deletion" → 78, denial and credential problems
 * → 77, throttling/5xx/network → retryable 69, bad parameters → 65. Messages name the action,
 * the secret id and the region — AWS's own texts never carry a secret value — and say what to check.
 */
import { AuthError, ConfigError, type EnvjectError, NotFoundError, UnavailableError } from "../../errors.js";

/** What envject was doing when the error happened, for messages. */
export interface AwsCall {
  action: "GetSecretValue" | "BatchGetSecretValue" | "DescribeSecret" | "ListSecrets";
  /** One secret id, or several joined (a batch). */
  secretId: string;
  region: string;
  /** The endpoint override in use, if any (named in "cannot reach" messages). */
  endpoint?: string;
}

const THROTTLING = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "LimitExceededException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "SlowDown",
  "ProvisionedThroughputExceededException",
]);

/** OpenSSL's certificate verification codes and Node's TLS/SSL codes (as in the Vault client); EPROTO is TLS to a plain-http server. */
const TLS_FAILURE = /^(EPROTO$|ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED|SELF_SIGNED_|INVALID_CA|INVALID_PURPOSE|HOSTNAME_MISMATCH)/;

/** Socket-level failures worth another attempt. */
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ECONNABORTED", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "ENETDOWN", "UND_ERR_SOCKET"]);

/** The AWS error code of an SDK service exception (`AccessDeniedException`), or undefined for other failures. */
export function awsErrorCode(error: unknown): string | undefined {
  if (!isObject(error) || httpStatus(error) === undefined) return undefined;
  const name = typeof error.name === "string" ? error.name : undefined;
  return name ? cleanCode(name) : undefined;
}

/** The typed error for anything the SDK threw while making `call`. */
export function errorFromSdk(error: unknown, call: AwsCall): EnvjectError {
  if (!isObject(error)) return unexpected(call, typeof error);
  const name = typeof error.name === "string" ? error.name : "";
  const code = typeof error.code === "string" ? error.code : "";
  const message = typeof error.message === "string" ? error.message : "";
  if (name === "CredentialsProviderError" || (name === "ProviderError" && /credential/i.test(message))) {
    return new AuthError(
      `no AWS credentials for ${call.action} on ${call.secretId} in ${call.region}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ` +
        `or AWS_PROFILE (with ~/.aws/config), or run where an IAM role provides them (${oneLine(message) || name})`,
    );
  }
  if (TLS_FAILURE.test(code)) {
    // A retry cannot fix a certificate: fail at once, as Vault's client does, and say what to set.
    const where = call.endpoint ?? `the endpoint of ${call.region}`;
    const problem =
      code === "EPROTO" || code.startsWith("ERR_SSL_")
        ? `TLS handshake with ${where} failed (${code}); is the endpoint https:// while it serves plain http?`
        : `the TLS certificate of ${where} could not be verified (${code}); give its CA with NODE_EXTRA_CA_CERTS`;
    return new UnavailableError(`AWS Secrets Manager: ${problem} (${call.action} ${call.secretId} in ${call.region})`, { retryable: false });
  }
  // The SDK gives every failure `$metadata`; only an answer from the service has an HTTP status.
  if (isNetworkFailure(name, code, message)) {
    const where = call.endpoint ? ` at ${call.endpoint}` : "";
    return new UnavailableError(`cannot reach AWS Secrets Manager${where} in ${call.region} (${call.action} ${call.secretId}: ${code || name || "network error"})`, { retryable: true });
  }
  const status = httpStatus(error);
  if (status !== undefined) {
    const fault = error.$fault === "server" ? "server" : "client";
    return errorFromCode(cleanCode(name), message, call, { status, fault });
  }
  // A plain Error's name says nothing; its code (a Node system or TLS code) does.
  return unexpected(call, (name !== "Error" && name) || code || name || "an unknown error");
}

/**
 * The typed error for an AWS error code and message — from a service exception, or from one item
 * of BatchGetSecretValue's `Errors` (which carry the code and message, no HTTP status).
 */
export function errorFromCode(code: string, message: string | undefined, call: AwsCall, http: { status?: number; fault?: "client" | "server" } = {}): EnvjectError {
  const what = `${call.action} ${call.secretId} in ${call.region}`;
  const detail = `${code}${message ? `: ${oneLine(message)}` : ""}`;
  switch (code) {
    case "ResourceNotFoundException":
      return new NotFoundError(`secret ${call.secretId} in ${call.region} was not found in AWS Secrets Manager, or has no such version (${detail})`);
    case "InvalidRequestException":
      if (/delet/i.test(message ?? "")) {
        return new NotFoundError(`secret ${call.secretId} in ${call.region} is scheduled for deletion (${detail}); restore it (aws secretsmanager restore-secret) or reference another secret`);
      }
      return new ConfigError(`AWS Secrets Manager refused ${what} (${detail})`);
    case "InvalidParameterException":
    case "ValidationException":
    case "InvalidParameterValue":
      return new ConfigError(`AWS Secrets Manager rejected a parameter of ${what} (${detail}); check the reference`);
    case "AccessDeniedException":
    case "AccessDenied":
      return new AuthError(`AWS denied ${what} (${detail}); check that the IAM policy of the credentials in use allows secretsmanager:${call.action} on this secret`);
    case "DecryptionFailure":
      return new AuthError(`AWS Secrets Manager cannot decrypt ${call.secretId} in ${call.region} with its KMS key (${detail}); the credentials need kms:Decrypt on that key`);
    case "UnrecognizedClientException":
    case "InvalidClientTokenId":
      return new AuthError(`AWS does not recognise the access key used for ${what} (${detail}); check AWS_ACCESS_KEY_ID / AWS_PROFILE`);
    case "InvalidSignatureException":
    case "SignatureDoesNotMatch":
      return new AuthError(`AWS rejected the request signature of ${what} (${detail}); check AWS_SECRET_ACCESS_KEY and the system clock`);
    case "IncompleteSignatureException":
    case "MissingAuthenticationTokenException":
    case "MissingAuthenticationToken":
      return new AuthError(`AWS found no valid credentials on ${what} (${detail}); check the AWS credentials envject runs with`);
    case "ExpiredTokenException":
    case "ExpiredToken":
    case "RequestExpired":
      return new AuthError(`the AWS credentials used for ${what} have expired (${detail}); refresh them (AWS_SESSION_TOKEN, aws sso login, the role session)`);
  }
  if (THROTTLING.has(code) || http.status === 429) {
    return new UnavailableError(`AWS Secrets Manager throttled ${what} (${detail})`, { retryable: true });
  }
  if (code === "InternalServiceError" || code === "InternalFailure" || code === "ServiceUnavailable" || http.fault === "server" || (http.status ?? 0) >= 500) {
    return new UnavailableError(`AWS Secrets Manager failed on ${what} (${http.status ?? "server error"} ${detail})`, { retryable: true });
  }
  return new UnavailableError(`AWS Secrets Manager answered ${what} with an unexpected error (${http.status ?? "no status"} ${detail})`, {
    retryable: false,
  });
}

function httpStatus(error: Record<string, unknown>): number | undefined {
  const metadata = error.$metadata;
  return isObject(metadata) && typeof metadata.httpStatusCode === "number" ? metadata.httpStatusCode : undefined;
}

function isNetworkFailure(name: string, code: string, message: string): boolean {
  return name === "AbortError" || name === "TimeoutError" || NETWORK_CODES.has(code) || /socket hang up/i.test(message);
}

function unexpected(call: AwsCall, what: string): EnvjectError {
  return new UnavailableError(`unexpected failure of ${call.action} ${call.secretId} in ${call.region} (${what}); run with --log-level debug for details`, {
    retryable: false,
  });
}

/** `com.amazonaws.secretsmanager#ResourceNotFoundException:http://…` → `ResourceNotFoundException` (as the SDKs clean it). */
function cleanCode(code: string): string {
  let c = code.split(",")[0]!.split(":")[0]!;
  if (c.includes("#")) c = c.slice(c.lastIndexOf("#") + 1);
  return c.trim();
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object";
}
