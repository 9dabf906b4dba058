/**
 * JWT / OIDC (docs/contract/authentication.md#login-methods): CI runners and any OIDC issuer. The JWT comes from `token_file`
 * (read at every login), from `jwt:` (usually `${CI_JOB_JWT_V2}`), or — with neither, on a GitHub
 * Actions runner — from the runner's OIDC endpoint for `audience`, fetched again at every login.
 * `POST auth/<path>/login {role, jwt}`.
 */
import { AuthError, ConfigError } from "../../../errors.js";
import { GITHUB_ACTIONS_TOKEN_VARIABLES } from "../../../config/vault-auth.js";
import { authPath, environValue, type LoginContext, type LoginInput, type LoginMethodSpec, readCredentialFile, requireSetting, settingValue } from "./method.js";

export const jwt: LoginMethodSpec = {
  name: "jwt",
  fields: ["role", "token_file", "jwt", "audience"],
  create(input: LoginInput) {
    const role = requireSetting(input, "role", "jwt", " (the Vault role of the JWT auth method)");
    const file = settingValue(input, "token_file");
    const given = settingValue(input, "jwt");
    const audience = settingValue(input, "audience");
    if (file && given) throw new ConfigError("vault.auth sets both token_file and jwt; keep one", input.settings.jwt!.origin);
    const path = authPath(input, "jwt");
    let source: (ctx: LoginContext) => Promise<string>;
    if (file) source = () => readCredentialFile(file, "JWT");
    else if (given) source = async () => given;
    else {
      const url = environValue(input, GITHUB_ACTIONS_TOKEN_VARIABLES[0]);
      const bearer = environValue(input, GITHUB_ACTIONS_TOKEN_VARIABLES[1]);
      if (!url || !bearer) {
        throw new AuthError(
          "the jwt login method needs a JWT: set vault.auth.token_file or vault.auth.jwt, or run in GitHub Actions with `permissions: id-token: write` (ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set)",
        );
      }
      source = (ctx) => fetchActionsToken(url, bearer, audience, ctx);
    }
    return {
      name: "jwt",
      title: "JWT",
      path,
      async request(ctx) {
        const token = await source(ctx);
        return { body: { role, jwt: token }, secrets: [token] };
      },
    };
  },
};

/**
 * The runner's OIDC token: GET ACTIONS_ID_TOKEN_REQUEST_URL (with `&audience=`), Bearer the
 * request token, JSON `{"value": jwt}`. Neither token is ever in a message.
 */
async function fetchActionsToken(url: string, bearer: string, audience: string | undefined, ctx: LoginContext): Promise<string> {
  ctx.logger.redactor.add(bearer);
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new AuthError("ACTIONS_ID_TOKEN_REQUEST_URL is not a URL");
  }
  if (audience) target.searchParams.set("audience", audience);
  const where = `the GitHub Actions OIDC endpoint (${target.origin})`;
  const timeout = ctx.deadline !== undefined ? Math.max(1, ctx.deadline - Date.now()) : 30_000;
  let res: Response;
  try {
    res = await fetch(target, {
      headers: { Authorization: `Bearer ${bearer}`, Accept: "application/json; api-version=2.0" },
      signal: AbortSignal.timeout(timeout),
      redirect: "error",
    });
  } catch (error) {
    throw new AuthError(`could not fetch the OIDC token from ${where}: ${(error as Error).name === "TimeoutError" ? "timed out" : (error as Error).message}`);
  }
  const text = await res.text().catch(() => "");
  if (!res.ok) throw new AuthError(`${where} answered ${res.status}${res.status === 401 || res.status === 403 ? " (does the job have `permissions: id-token: write`?)" : ""}`);
  let value: unknown;
  try {
    value = (JSON.parse(text) as { value?: unknown }).value;
  } catch {
    value = undefined;
  }
  if (typeof value !== "string" || value === "") throw new AuthError(`${where} answered without a token ({"value": …} missing)`);
  return value;
}
