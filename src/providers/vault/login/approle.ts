/** AppRole (docs/contract/authentication.md#login-methods): `POST auth/<path>/login {role_id, secret_id}`, from the settings or VAULT_ROLE_ID / VAULT_SECRET_ID. */
import { AuthError } from "../../../errors.js";
import { authPath, environValue, type LoginInput, type LoginMethodSpec, settingValue } from "./method.js";

export const approle: LoginMethodSpec = {
  name: "approle",
  fields: ["role_id", "secret_id"],
  create(input: LoginInput) {
    const roleId = settingValue(input, "role_id") ?? environValue(input, "VAULT_ROLE_ID");
    const secretId = settingValue(input, "secret_id") ?? environValue(input, "VAULT_SECRET_ID");
    const missing = [!roleId && "VAULT_ROLE_ID (or vault.auth.role_id)", !secretId && "VAULT_SECRET_ID (or vault.auth.secret_id)"].filter(Boolean);
    if (missing.length > 0) throw new AuthError(`AppRole login needs ${missing.join(" and ")}, which ${missing.length > 1 ? "are" : "is"} not set`);
    return {
      name: "approle",
      title: "AppRole",
      path: authPath(input, "approle"),
      request: async () => ({ body: { role_id: roleId, secret_id: secretId }, secrets: [secretId!] }),
    };
  },
};
