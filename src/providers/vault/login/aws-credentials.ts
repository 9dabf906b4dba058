/**
 * AWS credentials for the aws login method, read afresh at every login (roles' keys rotate):
 * AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY [+ AWS_SESSION_TOKEN] from the given environment first
 * (as envject's Secrets Manager client takes them, so a library caller's environment is the one
 * used), else the AWS SDK's default chain (`@aws-sdk/credential-provider-node`, imported only
 * here, only then): shared config/credentials files and AWS_PROFILE, SSO, web identity (EKS IRSA),
 * credential_process, ECS container credentials, EC2 instance metadata. That chain reads
 * `process.env` itself.
 *
 * No credentials: AuthError (77) saying what the chain said and where it looked; never a key.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { AuthError } from "../../../errors.js";
import type { AwsKeys } from "./aws-iam-request.js";

/** The credentials to sign with now; AuthError when there are none. */
export async function readAwsCredentials(environ: NodeJS.ProcessEnv): Promise<AwsKeys> {
  const accessKeyId = environ.AWS_ACCESS_KEY_ID?.trim();
  const secretAccessKey = environ.AWS_SECRET_ACCESS_KEY?.trim();
  if (accessKeyId && secretAccessKey) {
    const sessionToken = environ.AWS_SESSION_TOKEN?.trim();
    return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  }
  let found: { accessKeyId?: string; secretAccessKey?: string; sessionToken?: string };
  try {
    const { defaultProvider } = await import("@aws-sdk/credential-provider-node");
    // A new chain per login (a kept one hands back the same keys until they expire), reading the
    // shared files again (the SDK caches them per process otherwise).
    found = await defaultProvider({ ignoreCache: true })();
  } catch (error) {
    throw new AuthError(`the aws login method found no AWS credentials: ${chainMessage(error, environ)} (looked at ${placesLooked()})`);
  }
  if (!found.accessKeyId || !found.secretAccessKey) {
    throw new AuthError(`the aws login method found no AWS credentials: the AWS SDK's chain returned an incomplete key pair (looked at ${placesLooked()})`);
  }
  return { accessKeyId: found.accessKeyId, secretAccessKey: found.secretAccessKey, ...(found.sessionToken ? { sessionToken: found.sessionToken } : {}) };
}

/** The chain's own message, one line, with any credential of the environment taken out. */
function chainMessage(error: unknown, environ: NodeJS.ProcessEnv): string {
  let text = (error instanceof Error ? error.message : String(error)).split("\n")[0]!.trim() || "no message";
  for (const name of ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID"]) {
    for (const value of [environ[name], process.env[name]]) {
      const v = value?.trim();
      if (v && v.length >= 4) text = text.split(v).join("<redacted>");
    }
  }
  return text;
}

/** Where the SDK's chain looks, as it will look there now (it reads process.env). */
function placesLooked(): string {
  const env = process.env;
  const set = (name: string) => Boolean(env[name]?.trim());
  const home = env.HOME?.trim() || homedir();
  const credentialsFile = env.AWS_SHARED_CREDENTIALS_FILE?.trim() || join(home, ".aws", "credentials");
  const configFile = env.AWS_CONFIG_FILE?.trim() || join(home, ".aws", "config");
  const profile = env.AWS_PROFILE?.trim() || "default";
  const places = [
    "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
    `profile ${profile} in ${credentialsFile} and ${configFile} (keys, SSO, role, credential_process)`,
    set("AWS_WEB_IDENTITY_TOKEN_FILE") ? "the web identity token in AWS_WEB_IDENTITY_TOKEN_FILE" : "AWS_WEB_IDENTITY_TOKEN_FILE (not set)",
  ];
  let skipped = "";
  if (set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") || set("AWS_CONTAINER_CREDENTIALS_FULL_URI")) places.push("the ECS container credentials endpoint");
  else if (set("AWS_EC2_METADATA_DISABLED") && env.AWS_EC2_METADATA_DISABLED !== "false") skipped = "; EC2 instance metadata skipped: AWS_EC2_METADATA_DISABLED is set";
  else places.push("the EC2 instance metadata service");
  return places.join(", ") + skipped;
}
