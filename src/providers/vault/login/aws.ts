/**
 * AWS IAM (PRODUCT.md §2a): a SigV4-signed `sts:GetCallerIdentity` request, built with the AWS
 * SDK's own signer and credential chain (loaded lazily), sent as Vault expects:
 * `POST auth/<path>/login {role, iam_http_request_method, iam_request_url, iam_request_body,
 * iam_request_headers}` (base64), with `X-Vault-AWS-IAM-Server-ID` signed in when `header_value`
 * is set. PLACEHOLDER: being written (issue 10).
 */
import { AuthError } from "../../../errors.js";
import { authPath, type LoginInput, type LoginMethodSpec, requireSetting, settingValue } from "./method.js";

export const aws: LoginMethodSpec = {
  name: "aws",
  fields: ["role", "header_value", "region"],
  create(input: LoginInput) {
    const role = requireSetting(input, "role", "aws", " (the Vault role of the AWS auth method)");
    void settingValue;
    return {
      name: "aws",
      title: "AWS IAM",
      path: authPath(input, "aws"),
      async request() {
        throw new AuthError(`the aws login method is not built yet (role ${role})`);
      },
    };
  },
};
