/**
 * Every login method envject knows, by its `vault.auth.method` name. `token`, `token_file` and
 * `none` are not logins (envject is handed a token, or a Vault Agent adds one) and live in
 * settings.ts / session.ts. A new method: one file in this folder, one line here.
 */
import { approle } from "./approle.js";
import { aws } from "./aws.js";
import { cert } from "./cert.js";
import { jwt } from "./jwt.js";
import { kubernetes } from "./kubernetes.js";
import type { LoginMethodSpec } from "./method.js";

export const LOGIN_METHODS: ReadonlyMap<string, LoginMethodSpec> = new Map([approle, kubernetes, jwt, aws, cert].map((spec) => [spec.name, spec]));
