/**
 * Secret ARNs: `arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 random>`. A SecretId
 * may be the name, the full ARN, or the partial ARN (the full one without `-XXXXXX`).
 */

/** The full ARN of a new secret. */
export function secretArn(region: string, account: string, name: string, suffix: string): string {
  return `arn:aws:secretsmanager:${region}:${account}:secret:${name}-${suffix}`;
}

/** The ARN without its `-XXXXXX` suffix. */
export function partialArn(arn: string): string {
  return arn.slice(0, -7);
}

/** True when `secretId` names the secret with this name and ARN (name, full ARN or partial ARN). */
export function idMatches(secretId: string, name: string, arn: string): boolean {
  if (secretId.startsWith("arn:")) return secretId === arn || secretId === partialArn(arn);
  return secretId === name;
}
