/**
 * The names `vault.auth` accepts (docs/contract/authentication.md#login-methods): the login methods and every setting any of them
 * reads. Data only, so the schema can check a mapping without loading a login method. Which
 * settings each method reads is the method's own business (src/providers/vault/login/), checked
 * when the Vault settings are resolved; a test keeps this list and the login registry in step.
 */
export const VAULT_AUTH_METHODS = ["token", "approle", "kubernetes", "jwt", "aws", "cert", "token_file", "none"] as const;
export type VaultAuthMethod = (typeof VAULT_AUTH_METHODS)[number];

/** Every `vault.auth` key besides `method`, in the order messages list them. */
export const VAULT_AUTH_FIELDS = ["path", "token", "role_id", "secret_id", "role", "token_file", "jwt", "audience", "header_value", "region", "name", "client_cert", "client_key"] as const;
export type VaultAuthField = (typeof VAULT_AUTH_FIELDS)[number];

/** Settings that hold a credential: a `${NAME}` in them names a variable the child must not inherit. */
export const VAULT_AUTH_SECRET_FIELDS: readonly VaultAuthField[] = ["token", "role_id", "secret_id", "jwt"];
/** Settings that name a file: relative to the mapping file, like `ca_cert`. */
export const VAULT_AUTH_PATH_FIELDS: readonly VaultAuthField[] = ["token_file", "client_cert", "client_key"];

/**
 * The GitHub Actions runner's OIDC request variables, which the jwt method reads when it has
 * neither `token_file` nor `jwt`: envject's credentials then, withheld from the child.
 */
export const GITHUB_ACTIONS_TOKEN_VARIABLES = ["ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"] as const;
