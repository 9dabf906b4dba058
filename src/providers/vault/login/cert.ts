/**
 * TLS certificate (docs/contract/authentication.md#login-methods): the client certificate is presented on every connection to
 * Vault (settings.ts gives it to the HTTP client: `client_cert`/`client_key`, else
 * VAULT_CLIENT_CERT / VAULT_CLIENT_KEY); the login itself is `POST auth/<path>/login {name}`,
 * `name` being the cert role to match (optional: Vault then tries every role).
 */
import { AuthError } from "../../../errors.js";
import { authPath, environValue, type LoginInput, type LoginMethodSpec, settingValue } from "./method.js";

export const cert: LoginMethodSpec = {
  name: "cert",
  fields: ["name", "client_cert", "client_key"],
  create(input: LoginInput) {
    const name = settingValue(input, "name");
    const { cert: certFile, key: keyFile } = certificateFiles(input, true);
    const missing = [!certFile && "vault.auth.client_cert (or VAULT_CLIENT_CERT)", !keyFile && "vault.auth.client_key (or VAULT_CLIENT_KEY)"].filter(Boolean);
    if (missing.length > 0) throw new AuthError(`the cert login method needs a client certificate: set ${missing.join(" and ")}`);
    return {
      name: "cert",
      title: "TLS certificate",
      path: authPath(input, "cert"),
      request: async () => ({ body: name ? { name } : {}, secrets: [] }),
    };
  },
};

/** The client certificate files the cert method (or VAULT_CLIENT_CERT/KEY, for any method) presents. */
export function clientCertificateFiles(input: LoginInput, method: string | undefined): { cert: string; key: string } | undefined {
  const { cert, key } = certificateFiles(input, method === "cert");
  return cert && key ? { cert, key } : undefined;
}

/** The certificate and key files: the cert method's settings (when they apply), else VAULT_CLIENT_CERT / VAULT_CLIENT_KEY. */
function certificateFiles(input: LoginInput, fromSettings: boolean): { cert?: string; key?: string } {
  return {
    cert: (fromSettings ? settingValue(input, "client_cert") : undefined) ?? environValue(input, "VAULT_CLIENT_CERT"),
    key: (fromSettings ? settingValue(input, "client_key") : undefined) ?? environValue(input, "VAULT_CLIENT_KEY"),
  };
}
