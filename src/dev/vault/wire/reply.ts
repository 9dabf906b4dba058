/**
 * What a handler answers, and the Vault bodies it is built from: the logical-response envelope
 * (Go struct order), the auth block, error bodies, and the raw bodies a plugin marshals itself
 * (no trailing newline). The server turns a Reply into bytes; handlers never touch the socket.
 */
import { uuid } from "../ids.js";
import { goMarshal, struct } from "./json.js";

export type Reply =
  /** A JSON body written by json.Encoder (trailing newline). */
  | { kind: "json"; status: number; body: unknown }
  /** Bytes written as given: plugin-marshalled raw responses (KV v2's 404 envelope). */
  | { kind: "raw"; status: number; text: string }
  /** No body: 204, HEAD answers. */
  | { kind: "empty"; status: number };

export interface AuthBlock {
  client_token: string;
  accessor: string;
  policies: string[];
  token_policies?: string[];
  identity_policies?: string[];
  metadata: Record<string, string> | null;
  lease_duration: number;
  renewable: boolean;
  entity_id: string;
  token_type: string;
  orphan: boolean;
  mfa_requirement: null;
  num_uses: number;
}

export interface EnvelopeFields {
  leaseId?: string;
  renewable?: boolean;
  leaseDuration?: number;
  data?: unknown;
  warnings?: string[] | null;
  auth?: AuthBlock | null;
  mountType: string;
}

/** The HTTPResponse struct in Vault's field order; a fresh request_id each time. */
export function envelope(f: EnvelopeFields): Record<string, unknown> {
  return struct({
    request_id: uuid(),
    lease_id: f.leaseId ?? "",
    renewable: f.renewable ?? false,
    lease_duration: f.leaseDuration ?? 0,
    data: f.data ?? null,
    wrap_info: null,
    warnings: f.warnings && f.warnings.length > 0 ? f.warnings : null,
    auth: f.auth ? struct({ ...f.auth }) : null,
    mount_type: f.mountType,
  });
}

/** 200 with an envelope. */
export function ok(f: EnvelopeFields): Reply {
  return { kind: "json", status: 200, body: envelope(f) };
}

/** 204 with no body (Vault's respondOk with a nil response). */
export function noContent(): Reply {
  return { kind: "empty", status: 204 };
}

/** 200 with a warnings-only envelope when there are warnings, else 204 (Vault's rule for writes). */
export function okOrNoContent(warnings: string[], mountType: string): Reply {
  return warnings.length > 0 ? ok({ warnings, mountType }) : noContent();
}

/** `{"errors":[...]}` with the status; an empty list for a nil error. */
export function errorReply(status: number, ...errors: string[]): Reply {
  return { kind: "json", status, body: struct({ errors }) };
}

/** The 404 a read of a missing path gets: `{"errors":[]}`. */
export function notFound(): Reply {
  return errorReply(404);
}

/** Core wraps errors that have no response object in a go-multierror: "1 error occurred:\n\t* …\n\n". */
export function multierror(...messages: string[]): string {
  const head = messages.length === 1 ? "1 error occurred:" : `${messages.length} errors occurred:`;
  return `${head}\n${messages.map((m) => `\t* ${m}`).join("\n")}\n\n`;
}

/** 403 for a policy denial (multierror from CheckToken). */
export function permissionDenied(): Reply {
  return errorReply(403, multierror("permission denied"));
}

/** 404 for a path inside a mount that no backend path matches. */
export function unsupportedPath(): Reply {
  return errorReply(404, multierror("unsupported path"));
}

/** 405 for an operation a matched backend path does not serve. */
export function unsupportedOperation(): Reply {
  return errorReply(405, multierror("unsupported operation"));
}

/**
 * logical.RespondWithStatusCode: the plugin marshals an envelope itself (json.Marshal, so no
 * trailing newline, and `mount_type` is "" because core only fills it on the outer response).
 */
export function rawEnvelope(status: number, f: Omit<EnvelopeFields, "mountType">): Reply {
  return { kind: "raw", status, text: goMarshal(envelope({ ...f, mountType: "" })) };
}

/**
 * HTTPSysInjector, used by legacy sys routes (`sys/mounts`, `sys/policy`): the data keys are
 * repeated at the top level, in front of the envelope fields.
 */
export function injected(status: number, f: EnvelopeFields & { data: Record<string, unknown> }): Reply {
  const inner = goMarshal(envelope(f));
  const keys = Object.keys(f.data).sort();
  if (keys.length === 0) return { kind: "raw", status, text: `${inner}\n` };
  const head = keys.map((k) => `${goMarshal(k)}:${goMarshal(f.data[k])},`).join("");
  return { kind: "raw", status, text: `{${head}${inner.slice(1)}\n` };
}
