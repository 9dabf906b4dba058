/**
 * The IAM-shaped refusals the control surface can switch on: AccessDeniedException for an action
 * (on one secret or all), and the signing-layer errors for a rejected access key.
 */
import type { RejectionType } from "./state.js";
import { AwsError, frontDoor } from "./wire/errors.js";

/** The test identity every denial names. */
export const DENIED_USER = "envject-test";

/** AccessDeniedException as IAM words it, naming the action and the resource (ARN when known). */
export function accessDenied(accountId: string, action: string, resource: string): AwsError {
  return new AwsError(
    "AccessDeniedException",
    `User: arn:aws:iam::${accountId}:user/${DENIED_USER} is not authorized to perform: secretsmanager:${action} on resource: ${resource} because no identity-based policy allows the secretsmanager:${action} action`,
  );
}

const REJECTION_MESSAGES: Record<RejectionType, string> = {
  UnrecognizedClientException: "The security token included in the request is invalid.",
  ExpiredTokenException: "The security token included in the request is expired",
  InvalidSignatureException:
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
};

export const REJECTION_TYPES = Object.keys(REJECTION_MESSAGES) as RejectionType[];

/** The front-door error for a rejected access key. */
export function rejectedKey(type: RejectionType): AwsError {
  return frontDoor(type, REJECTION_MESSAGES[type]);
}
