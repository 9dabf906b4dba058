/**
 * The AWS auth method, IAM type (Vault's builtin/credential/aws): config/client, config/identity,
 * roles, and login with a signed sts:GetCallerIdentity request. Vault forwards that request to
 * STS; the double is its own STS (auth/aws-sigv4.ts verifies the signature against the seeded
 * identities) and then applies Vault's checks in Vault's order, with Vault's 400 strings. STS
 * refusals come back as Vault shows them: `error making upstream request: received error code
 * <status> from STS: <STS's XML error>`.
 */
import { route, type HandlerContext, type Route } from "../context.js";
import { uuid } from "../ids.js";
import { awsIdentities, type AwsAuthStore, type AwsClientConfig, type AwsIdentity, type AwsRole } from "../store/aws.js";
import { boolField, FieldError, has, stringField, stringListField } from "../wire/fields.js";
import { errorReply, noContent, notFound, ok, unsupportedOperation, type Reply } from "../wire/reply.js";
import type { LogicalRequest } from "../wire/request.js";
import { roleRoute } from "./role-routes.js";
import { verifySigV4 } from "./aws-sigv4.js";
import { emptyTokenParams, issueLoginToken, parseTokenFields, tokenData, upgradeLegacyFields, type LegacyTokenField } from "./token-params.js";

const MOUNT_TYPE = "aws";
const SERVER_ID_HEADER = "X-Vault-AWS-IAM-Server-ID";
const DEFAULT_ENDPOINT = "https://sts.amazonaws.com";
/** The deprecated role fields the aws plugin still upgrades (tokenutil.UpgradeValue). */
const LEGACY_TOKEN_FIELDS: LegacyTokenField[] = ["policies", "ttl", "max_ttl", "period"];
const IAM_METADATA_FIELDS = ["account_id", "auth_type", "canonical_arn", "client_arn", "client_user_id", "inferred_aws_region", "inferred_entity_id", "inferred_entity_type"];

/** Picks the handler for a path under an AWS auth mount. */
export function awsRoute(store: AwsAuthStore, rest: string, req: LogicalRequest): Route {
  const op = req.operation;
  if (rest === "login") return { capability: null, handle: op === "update" ? (ctx) => login(store, ctx) : unsupportedOperation };
  if (rest === "config/client") {
    if (op === "read") return route(req, () => (store.config ? ok({ data: configView(store.config), mountType: MOUNT_TYPE }) : noContent()));
    if (op === "update") return route(req, (ctx) => writeConfig(store, ctx), store.config !== null);
    if (op === "delete") return route(req, () => ((store.config = null), noContent()));
    return route(req, unsupportedOperation);
  }
  if (rest === "config/identity") {
    if (op === "read")
      return route(req, () => ok({ data: { ec2_alias: "role_id", ec2_metadata: ["account_id", "auth_type"], iam_alias: "role_id", iam_metadata: store.iamMetadata }, mountType: MOUNT_TYPE }));
    if (op === "update") return route(req, (ctx) => writeIdentityConfig(store, ctx));
    return route(req, unsupportedOperation);
  }
  return roleRoute(rest, req, {
    listPaths: ["role/", "roles/"],
    rolePath: /^role\/([^/]+)$/,
    roles: store.roles,
    mountType: MOUNT_TYPE,
    read: (name) => readRole(store, name),
    write: (name, ctx) => writeRole(store, name, ctx),
  });
}

function writeConfig(store: AwsAuthStore, ctx: HandlerContext): Reply {
  const d = ctx.req.data;
  const config: AwsClientConfig = store.config ?? { iamServerIdHeaderValue: "", stsEndpoint: "", stsRegion: "", accessKey: "" };
  if (has(d, "iam_server_id_header_value")) config.iamServerIdHeaderValue = stringField(d, "iam_server_id_header_value");
  if (has(d, "sts_endpoint")) config.stsEndpoint = stringField(d, "sts_endpoint");
  if (has(d, "sts_region")) config.stsRegion = stringField(d, "sts_region");
  if (has(d, "access_key")) config.accessKey = stringField(d, "access_key");
  store.config = config;
  return noContent();
}

function configView(c: AwsClientConfig): Record<string, unknown> {
  return {
    access_key: c.accessKey,
    allowed_sts_header_values: null,
    ec2_endpoint: "",
    iam_endpoint: "",
    iam_server_id_header_value: c.iamServerIdHeaderValue,
    max_retries: -1,
    sts_endpoint: c.stsEndpoint,
    sts_region: c.stsRegion,
    use_sts_region_from_client: false,
  };
}

function writeIdentityConfig(store: AwsAuthStore, ctx: HandlerContext): Reply {
  const fields = stringListField(ctx.req.data, "iam_metadata");
  if (!fields) return noContent();
  if (fields.length === 1 && fields[0] === "default") {
    store.iamMetadata = ["account_id", "auth_type"];
    return noContent();
  }
  const unknown = fields.find((f) => !IAM_METADATA_FIELDS.includes(f));
  if (unknown) return errorReply(400, `${unknown} is not an available field, please select from: ${IAM_METADATA_FIELDS.join(", ")}`);
  store.iamMetadata = [...new Set(fields)].sort();
  return noContent();
}

function writeRole(store: AwsAuthStore, name: string, ctx: HandlerContext): Reply {
  const d = ctx.req.data;
  const existing = store.roles.get(name);
  const role: AwsRole = existing ?? {
    name,
    roleId: uuid(),
    authType: "iam",
    boundIamPrincipalArns: [],
    resolveAwsUniqueIds: true,
    ...emptyTokenParams(),
    entityId: uuid(),
  };
  if (has(d, "auth_type")) {
    const type = stringField(d, "auth_type");
    if (existing && type !== existing.authType) return errorReply(400, "changing auth_type on a role is not allowed");
    if (type !== "iam" && type !== "ec2") return errorReply(400, `unrecognized auth_type: ${type}`);
    role.authType = type;
  }
  if (role.authType === "ec2") return errorReply(400, "the Vault double emulates only auth_type iam");
  const arns = stringListField(d, "bound_iam_principal_arn");
  if (arns) role.boundIamPrincipalArns = arns;
  if (has(d, "resolve_aws_unique_ids")) {
    const resolve = boolField(d, "resolve_aws_unique_ids", true);
    if (existing && existing.resolveAwsUniqueIds === false && resolve) return errorReply(400, "changing resolve_aws_unique_ids from false to true is not allowed");
    role.resolveAwsUniqueIds = resolve;
  }
  const tokenError = parseTokenFields(role, d);
  if (tokenError) return errorReply(400, tokenError);
  upgradeLegacyFields(role, d, LEGACY_TOKEN_FIELDS);
  if (role.boundIamPrincipalArns.length === 0) return errorReply(400, "at least one bound parameter should be specified on the role");
  if (role.tokenMaxTtl > 0 && role.tokenTtl > role.tokenMaxTtl) return errorReply(400, "ttl should be shorter than max ttl");
  store.roles.set(name, role);
  return noContent();
}

function readRole(store: AwsAuthStore, name: string): Reply {
  const role = store.roles.get(name);
  if (!role) return notFound();
  return ok({
    data: {
      allow_instance_migration: false,
      auth_type: role.authType,
      bound_account_id: [],
      bound_ami_id: [],
      bound_ec2_instance_id: null,
      bound_iam_instance_profile_arn: [],
      bound_iam_principal_arn: role.boundIamPrincipalArns,
      bound_iam_principal_id: [],
      bound_iam_role_arn: [],
      bound_region: [],
      bound_subnet_id: [],
      bound_vpc_id: [],
      disallow_reauthentication: false,
      inferred_aws_region: "",
      inferred_entity_type: "",
      resolve_aws_unique_ids: role.resolveAwsUniqueIds,
      role_id: role.roleId,
      role_tag: "",
      ...tokenData(role),
    },
    mountType: MOUNT_TYPE,
  });
}

function login(store: AwsAuthStore, ctx: HandlerContext): Reply {
  const d = ctx.req.data;
  const iamFields = ["iam_http_request_method", "iam_request_url", "iam_request_body", "iam_request_headers"];
  const ec2Fields = ["pkcs7", "identity", "signature"];
  const anyIam = iamFields.some((f) => has(d, f));
  const allIam = iamFields.every((f) => has(d, f));
  const anyEc2 = ec2Fields.some((f) => has(d, f));
  if (anyEc2 && anyIam) return errorReply(400, "supplied auth values for both ec2 and iam auth types");
  if (anyEc2) return errorReply(400, "the Vault double emulates only auth_type iam");
  if (anyIam && !allIam) return errorReply(400, "supplied some of the auth values for the iam auth type but not all");
  if (!anyIam) return errorReply(400, "didn't supply required authentication values");

  const method = stringField(d, "iam_http_request_method");
  if (method === "") return errorReply(400, "missing iam_http_request_method");
  if (method !== "POST") return errorReply(400, "invalid iam_http_request_method; currently only 'POST' is supported");
  const urlB64 = stringField(d, "iam_request_url");
  if (urlB64 === "") return errorReply(400, "missing iam_request_url");
  const rawUrl = decodeBase64(urlB64);
  if (rawUrl === undefined) return errorReply(400, "failed to base64 decode iam_request_url");
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return errorReply(400, "error parsing iam_request_url");
  }
  if (url.search !== "") return errorReply(400, "invalid request");
  const bodyB64 = stringField(d, "iam_request_body");
  if (bodyB64 === "") return errorReply(400, "missing iam_request_body");
  const body = decodeBase64(bodyB64);
  if (body === undefined) return errorReply(400, "failed to base64 decode iam_request_body");
  const bodyProblem = validateBody(body);
  if (bodyProblem) return errorReply(400, bodyProblem);
  const headers = headerField(d["iam_request_headers"]);
  if (headers.size === 0) return errorReply(400, "missing iam_request_headers");

  const config = store.config;
  if (config?.iamServerIdHeaderValue) {
    const problem = serverIdProblem(headers, config.iamServerIdHeaderValue);
    if (problem) return errorReply(400, `error validating ${SERVER_ID_HEADER} header: ${problem}`);
  }

  const sts = callerIdentity(ctx, config, url, body, headers);
  if ("error" in sts) return errorReply(400, `error making upstream request: ${sts.error}`);
  const entity = parseIamArn(sts.identity.arn);
  if ("error" in entity) return errorReply(400, `error parsing arn "${sts.identity.arn}": ${entity.error}`);

  const roleName = stringField(d, "role") || entity.friendlyName;
  const role = store.roles.get(roleName.toLowerCase());
  if (!role) return errorReply(400, `entry for role ${roleName} not found`);
  if (role.authType !== "iam") return errorReply(400, `auth method iam not allowed for role ${roleName}`);
  if (role.boundIamPrincipalArns.length > 0 && !bound(role.boundIamPrincipalArns, entity)) {
    return errorReply(400, `IAM Principal "${sts.identity.arn}" does not belong to the role "${roleName}"`);
  }

  const available: Record<string, string> = {
    account_id: entity.account,
    auth_type: "iam",
    canonical_arn: canonicalArn(entity),
    client_arn: sts.identity.arn,
    client_user_id: sts.identity.userId.split(":")[0]!,
    inferred_aws_region: "",
    inferred_entity_id: "",
    inferred_entity_type: "",
  };
  const meta: Record<string, string> = { role_id: role.roleId };
  for (const field of store.iamMetadata) meta[field] = available[field] ?? "";
  const displayName = entity.type === "assumed-role" ? `${entity.friendlyName}/${entity.sessionInfo}` : entity.friendlyName;
  return issueLoginToken(ctx.state, { ns: ctx.ns, mountPath: ctx.mount.path, params: role, displayName, meta, entityId: role.entityId }, ctx.nowMs);
}

/** validateLoginIamRequestBody: only Action=GetCallerIdentity and Version. */
function validateBody(body: string): string | undefined {
  let params: URLSearchParams;
  try {
    if (/%(?![0-9a-fA-F]{2})/.test(body)) throw new Error();
    params = new URLSearchParams(body);
  } catch {
    return "invalid URL escape in iam_request_body";
  }
  for (const key of new Set(params.keys())) {
    if (key === "Action") {
      const values = params.getAll(key);
      if (values.length !== 1 || values[0] !== "GetCallerIdentity") return "iam request body is invalid";
    } else if (key !== "Version") {
      return "iam request body is invalid";
    }
  }
  return undefined;
}

/** framework.TypeHeader: an object, or a (base64) JSON string of one; values a string, a number or a list of strings. */
function headerField(raw: unknown): Map<string, string[]> {
  let value = raw;
  if (typeof value === "string") {
    const decoded = decodeBase64(value) ?? value;
    try {
      value = JSON.parse(decoded);
    } catch (error) {
      throw new FieldError(`error converting input for field "iam_request_headers": ${(error as Error).message}`);
    }
  }
  const headers = new Map<string, string[]>();
  if (value === null || value === undefined) return headers;
  if (typeof value !== "object" || Array.isArray(value)) throw new FieldError(`error converting input for field "iam_request_headers": not an object`);
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const list = Array.isArray(v) ? v : [v];
    for (const item of list) {
      if (typeof item !== "string" && typeof item !== "number") throw new FieldError(`received non-string value for header key:${key}`);
      const name = canonicalHeaderKey(key);
      headers.set(name, [...(headers.get(name) ?? []), String(item)]);
    }
  }
  return headers;
}

/** Go's textproto.CanonicalMIMEHeaderKey ("x-amz-date" → "X-Amz-Date"). */
function canonicalHeaderKey(key: string): string {
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(key)) return key;
  return key.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
}

function serverIdProblem(headers: Map<string, string[]>, required: string): string | undefined {
  let provided = "";
  for (const [k, v] of headers) if (k.toLowerCase() === SERVER_ID_HEADER.toLowerCase()) provided = v.join(",");
  if (provided === "") return `missing header "${SERVER_ID_HEADER}"`;
  if (provided !== required) return `expected ${JSON.stringify(required)} but got ${JSON.stringify(provided)}`;
  const authz = headers.get("Authorization");
  if (!authz) return "missing Authorization header";
  const m = /.*SignedHeaders=([^,]+)/.exec(authz.join(","));
  if (!m) return "vault header wasn't signed";
  return m[1]!.split(";").includes(SERVER_ID_HEADER.toLowerCase()) ? undefined : "vault header wasn't signed";
}

type StsAnswer = { identity: AwsIdentity } | { error: string };

/** What STS would answer the forwarded request: the seeded identity, or Vault's wrapping of STS's XML error. */
function callerIdentity(ctx: HandlerContext, config: AwsClientConfig | null, url: URL, body: string, headers: Map<string, string[]>): StsAnswer {
  const endpoint = new URL(config?.stsEndpoint || DEFAULT_ENDPOINT);
  const region = config?.stsRegion || regionOf(endpoint.hostname) || "us-east-1";
  const lower = new Map<string, string[]>();
  for (const [k, v] of headers) lower.set(k.toLowerCase(), [...(lower.get(k.toLowerCase()) ?? []), ...v]);
  const known = awsIdentities(ctx.state);
  const stsError = (status: number, code: string, message: string): StsAnswer => ({ error: `received error code ${status} from STS: ${stsXmlError(code, message)}` });
  // The request must be one STS would accept as addressed to it.
  if (!isStsHost(url.hostname, endpoint.hostname)) {
    return stsError(
      403,
      "SignatureDoesNotMatch",
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    );
  }
  const verdict = verifySigV4({ method: "POST", url, headers: lower, body }, { nowMs: ctx.nowMs, region, service: "sts", lookup: (id) => known.get(id) });
  if (!verdict.ok) return stsError(verdict.status, verdict.code, verdict.message);
  if (!new URLSearchParams(body).has("Action")) return stsError(400, "MissingAction", "Missing Action");
  return { identity: known.get(verdict.accessKeyId)! };
}

function regionOf(host: string): string | undefined {
  if (host === "sts.amazonaws.com") return "us-east-1";
  return /^sts(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(host)?.[1];
}

function isStsHost(host: string, endpointHost: string): boolean {
  return host === endpointHost || regionOf(host) !== undefined;
}

/** STS's Query-protocol error document, as Vault quotes it. */
function stsXmlError(code: string, message: string): string {
  const type = code === "InternalFailure" ? "Receiver" : "Sender";
  return `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${code}</Code>\n    <Message>${escapeXml(message)}</Message>\n  </Error>\n  <RequestId>${uuid()}</RequestId>\n</ErrorResponse>\n`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/'/g, "&apos;");
}

interface IamEntity {
  partition: string;
  account: string;
  type: string;
  path: string;
  friendlyName: string;
  sessionInfo: string;
}

/** parseIamArn: user/role/instance-profile ARNs and sts assumed-role ARNs. */
export function parseIamArn(arn: string): IamEntity | { error: string } {
  const full = arn.split(":");
  if (full.length !== 6) return { error: `unrecognized arn: contains ${full.length} colon-separated parts, expected 6` };
  if (full[0] !== "arn") return { error: 'unrecognized arn: does not begin with "arn:"' };
  if (full[2] !== "iam" && full[2] !== "sts") return { error: `unrecognized service: ${full[2]}, not one of iam or sts` };
  const parts = full[5]!.split("/");
  if (parts.length < 2) return { error: `unrecognized arn: "${full[5]}" contains fewer than 2 slash-separated parts` };
  const entity: IamEntity = { partition: full[1]!, account: full[4]!, type: parts[0]!, path: parts.slice(1, -1).join("/"), friendlyName: parts[parts.length - 1]!, sessionInfo: "" };
  switch (entity.type) {
    case "assumed-role":
      if (parts.length < 3) return { error: `unrecognized arn: "${full[5]}" contains fewer than 3 slash-separated parts` };
      return { ...entity, path: "", friendlyName: parts[1]!, sessionInfo: parts[2]! };
    case "user":
    case "role":
    case "instance-profile":
      return entity;
    default:
      return { error: `unrecognized principal type: "${entity.type}"` };
  }
}

/** arn:<partition>:iam::<account>:<user|role>/<name>: assumed roles become their role, paths are dropped. */
export function canonicalArn(e: IamEntity): string {
  return `arn:${e.partition}:iam::${e.account}:${e.type === "assumed-role" ? "role" : e.type}/${e.friendlyName}`;
}

/** The ARN IAM would report (with the path when the seeded ARN had one), for wildcard binds. */
function fullArn(e: IamEntity): string {
  const type = e.type === "assumed-role" ? "role" : e.type;
  return `arn:${e.partition}:iam::${e.account}:${type}/${e.path ? `${e.path}/` : ""}${e.friendlyName}`;
}

/** Exact canonical ARN, or a bind ending in "*" globbed against the full ARN (strutil.GlobbedStringsMatch). */
function bound(binds: string[], e: IamEntity): boolean {
  if (binds.includes(canonicalArn(e))) return true;
  const full = fullArn(e);
  return binds.some((b) => b.endsWith("*") && globbed(b, full));
}

function globbed(item: string, value: string): boolean {
  if (item.length < 2) return item === value;
  const prefix = item.startsWith("*");
  const suffix = item.endsWith("*");
  if (prefix && suffix) return value.includes(item.slice(1, -1));
  if (prefix) return value.endsWith(item.slice(1));
  if (suffix) return value.startsWith(item.slice(0, -1));
  return item === value;
}

function decodeBase64(text: string): string | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  return Buffer.from(text, "base64").toString("utf8");
}
