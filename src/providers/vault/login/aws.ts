/**
 * AWS IAM (docs/contract/authentication.md#login-methods): `POST auth/<path>/login {role, iam_http_request_method,
 * iam_request_url, iam_request_body, iam_request_headers}`, the last three base64, describing an
 * `sts:GetCallerIdentity` request signed (SigV4) with the AWS credentials envject has at that
 * moment. Vault sends it to STS and logs in as whoever STS says signed it.
 *
 *   method: aws
 *   role: my-app                       # required: the Vault role of the AWS auth method
 *   header_value: vault.example.com    # X-Vault-AWS-IAM-Server-ID, signed in, when the Vault
 *                                      # config requires it (iam_server_id_header_value)
 *   region: eu-west-1                  # STS region; else the mapping's aws.region, else us-east-1
 *   path: aws                          # the auth mount (default aws)
 *
 * - Credentials are read afresh at every login (aws-credentials.ts): AWS_ACCESS_KEY_ID +
 *   AWS_SECRET_ACCESS_KEY [+ AWS_SESSION_TOKEN], else the AWS SDK's default chain (profiles, SSO,
 *   web identity/IRSA, ECS, EC2 instance metadata). None: 77 saying where the chain looked.
 * - The endpoint: us-east-1 signs for the global https://sts.amazonaws.com/ (Vault's default
 *   sts_endpoint); any other region signs for https://sts.<region>.amazonaws.com/, which Vault's
 *   auth/<path>/config/client must then name as sts_endpoint/sts_region. Compared with the Vault
 *   CLI (`vault login -method=aws region=…`, default us-east-1, AWS_REGION not read, like here):
 *   with aws-sdk-go v1's default legacy STS endpoints it sends the 15 older regions (eu-west-1,
 *   us-west-2, …) to the global host while signing for the region, and AWS_STS_REGIONAL_ENDPOINTS
 *   can change that; envject always names the region's own endpoint and reads no such variable.
 * - The request is the Vault CLI's: body `Action=GetCallerIdentity&Version=2011-06-15`,
 *   Content-Type `application/x-www-form-urlencoded; charset=utf-8`, headers as JSON of Go's
 *   http.Header `{Name: [value]}`: Content-Type, X-Amz-Date, X-Amz-Security-Token with temporary
 *   keys, X-Vault-Aws-Iam-Server-Id when set, Authorization (no X-Amz-Content-Sha256). Unlike the
 *   CLI, Host is listed too (Vault's server takes an explicit Host, else infers it from the URL)
 *   and there is no User-Agent.
 * - Nothing of AWS is loaded until a login: the signer (aws-iam-request.ts, whose @smithy
 *   packages stay outside the CLI bundle) and the SDK's credential chain are imported inside request(). The secret key, the session
 *   token and the signature go into `secrets`, so no log line carries them.
 */
import { ConfigError } from "../../../errors.js";
import { readAwsCredentials } from "./aws-credentials.js";
import { authPath, type LoginInput, type LoginMethodSpec, requireSetting, settingLocation, settingValue } from "./method.js";

/** The region when neither `region` nor the mapping's `aws.region` names one (the Vault CLI's default too). */
export const DEFAULT_STS_REGION = "us-east-1";

/** Hostname-safe region names (loose on purpose, like the aws: section's check). */
const REGION = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** The STS region: the `region` setting, else the aws: region, else us-east-1. */
export function stsRegion(input: LoginInput): string {
  const own = settingValue(input, "region");
  const region = own ?? (input.awsRegion?.trim() || DEFAULT_STS_REGION);
  if (!REGION.test(region)) {
    const source = own !== undefined ? "vault.auth.region" : "aws.region";
    throw new ConfigError(`${source} ${JSON.stringify(region)} is not an AWS region name such as eu-west-1`, own !== undefined ? settingLocation(input, "region") : undefined);
  }
  return region;
}

export const aws: LoginMethodSpec = {
  name: "aws",
  fields: ["role", "header_value", "region"],
  create(input: LoginInput) {
    const role = requireSetting(input, "role", "aws", " (the Vault role of the AWS auth method)");
    const headerValue = settingValue(input, "header_value");
    const region = stsRegion(input);
    const environ = input.environ;
    return {
      name: "aws",
      title: "AWS IAM",
      path: authPath(input, "aws"),
      async request() {
        const credentials = await readAwsCredentials(environ);
        const { buildIamLoginBody } = await import("./aws-iam-request.js");
        const login = await buildIamLoginBody({ role, region, credentials, now: new Date(), ...(headerValue ? { headerValue } : {}) });
        return { body: { ...login.body }, secrets: login.secrets };
      },
    };
  },
};
