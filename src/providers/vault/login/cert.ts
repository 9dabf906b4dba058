/**
 * TLS certificate (PRODUCT.md §2a): the client certificate is presented on every connection to
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
    const certFile = settingValue(input, "client_cert") ?? environValue(input, "VAULT_CLIENT_CERT");
    const keyFile = settingValue(input, "client_key") ?? environValue(input, "VAULT_CLIENT_KEY");
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
  const fromSettings = method === "cert";
  const certFile = (fromSettings ? settingValue(input, "client_cert") : undefined) ?? environValue(input, "VAULT_CLIENT_CERT");
  const keyFile = (fromSettings ? settingValue(input, "client_key") : undefined) ?? environValue(input, "VAULT_CLIENT_KEY");
  return certFile && keyFile ? { cert: certFile, key: keyFile } : undefined;
}
