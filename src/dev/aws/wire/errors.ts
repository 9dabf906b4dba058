/**
 * The errors the double answers, as AWS shapes them: HTTP 400 (500 for InternalServiceError) and
 * a body `{"__type","Message"}`. Secrets Manager's own (service-model) exceptions carry `Message`
 * as the model spells it; errors raised by the AWS front door (signing, unknown operation,
 * parameter validation, throttling) come as `message` with the `com.amazon.coral.service#` type
 * prefix, so clients are exercised on both spellings (docs/wire/aws-secrets-manager.md#errors asks them to accept both).
 */

/** One error answer; `type` is the bare name (ResourceNotFoundException) as the request log shows it. */
export class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
    /** "front-door": coral-prefixed type and lowercase `message`. */
    readonly layer: "service" | "front-door" = "service",
  ) {
    super(message);
    this.name = "AwsError";
  }

  /** The JSON body, e.g. `{"__type":"ResourceNotFoundException","Message":"…"}`. */
  body(): Record<string, string> {
    return this.layer === "front-door" ? { __type: `com.amazon.coral.service#${this.type}`, message: this.message } : { __type: this.type, Message: this.message };
  }
}

export const SECRET_NOT_FOUND = "Secrets Manager can't find the specified secret.";
export const MARKED_FOR_DELETION = "You can't perform this operation on the secret because it was marked for deletion.";

export const notFound = (): AwsError => new AwsError("ResourceNotFoundException", SECRET_NOT_FOUND);
export const stageNotFound = (stage: string): AwsError => new AwsError("ResourceNotFoundException", `Secrets Manager can't find the specified secret value for staging label: ${stage}`);
export const versionNotFound = (versionId: string): AwsError => new AwsError("ResourceNotFoundException", `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`);
export const markedForDeletion = (): AwsError => new AwsError("InvalidRequestException", MARKED_FOR_DELETION);
export const invalidParameter = (message: string): AwsError => new AwsError("InvalidParameterException", message);
export const invalidRequest = (message: string): AwsError => new AwsError("InvalidRequestException", message);

/** Coral's constraint check ("1 validation error detected: …"), raised before the service sees the call. */
export const validation = (detail: string): AwsError => new AwsError("ValidationException", `1 validation error detected: ${detail}`, 400, "front-door");

/** Front-door errors: signing, unknown operation, body that is not a JSON object. */
export const frontDoor = (type: string, message: string, status = 400): AwsError => new AwsError(type, message, status, "front-door");

/** What a fault of `type` says when the control call gave no message. */
export function defaultMessage(type: string): string {
  switch (type) {
    case "ThrottlingException":
      return "Rate exceeded";
    case "InternalServiceError":
      return "An error occurred on the server side.";
    case "DecryptionFailure":
      return "Secrets Manager can't decrypt the protected secret text using the provided KMS key.";
    case "ServiceUnavailable":
      return "Service Unavailable";
    default:
      return `${type} (injected by the double)`;
  }
}

/** Which types answer in the front-door style when injected as faults. */
export function layerOf(type: string): "service" | "front-door" {
  return [
    "ThrottlingException",
    "UnrecognizedClientException",
    "ExpiredTokenException",
    "InvalidSignatureException",
    "IncompleteSignatureException",
    "MissingAuthenticationTokenException",
    "ValidationException",
    "SerializationException",
    "ServiceUnavailable",
  ].includes(type)
    ? "front-door"
    : "service";
}
