/**
 * Kubernetes (docs/contract/authentication.md#login-methods): the pod's service-account token, read from `token_file` at every
 * login because projected tokens rotate; `POST auth/<path>/login {role, jwt}`.
 */
import { authPath, type LoginInput, type LoginMethodSpec, readCredentialFile, requireSetting, settingValue } from "./method.js";

export const SERVICE_ACCOUNT_TOKEN_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/token";

export const kubernetes: LoginMethodSpec = {
  name: "kubernetes",
  fields: ["role", "token_file"],
  create(input: LoginInput) {
    const role = requireSetting(input, "role", "kubernetes", " (the Vault role bound to this service account)");
    const file = settingValue(input, "token_file") ?? SERVICE_ACCOUNT_TOKEN_FILE;
    return {
      name: "kubernetes",
      title: "Kubernetes",
      path: authPath(input, "kubernetes"),
      async request() {
        const jwt = await readCredentialFile(file, "Kubernetes service-account token");
        return { body: { role, jwt }, secrets: [jwt] };
      },
    };
  },
};
