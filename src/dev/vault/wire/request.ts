/**
 * Turns an HTTP request under /v1/ into a logical request the way Vault's buildLogicalRequest
 * does: the method picks the operation (`GET ?list=true` is a list and gets a trailing slash),
 * POST/PUT bodies must be JSON objects, PATCH needs the merge-patch content type, and any other
 * method is 405 `{"errors":[]}`.
 */
import type { IncomingHttpHeaders } from "node:http";
import { errorReply, type Reply } from "./reply.js";

export type Operation = "read" | "list" | "update" | "delete" | "patch";

export interface LogicalRequest {
  operation: Operation;
  /** Path after /v1/, percent-decoded; list paths end in "/". */
  path: string;
  /** Body object (update, patch) or query parameters (read, list, delete). */
  data: Record<string, unknown>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** From X-Vault-Token, else `Authorization: Bearer`. */
  token: string | undefined;
  /** The X-Vault-Namespace header, slashes trimmed ("" when absent). */
  namespaceHeader: string;
}

export type Parsed = { ok: true; request: LogicalRequest } | { ok: false; reply: Reply };

/** Go's strconv.ParseBool. */
export function parseGoBool(text: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(text)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(text)) return false;
  return undefined;
}

/** Builds the logical request or the error reply Vault gives before routing. */
export function parseLogicalRequest(method: string, path: string, query: URLSearchParams, headers: IncomingHttpHeaders, body: Buffer): Parsed {
  let operation: Operation;
  let data: Record<string, unknown>;
  switch (method) {
    case "GET": {
      operation = "read";
      const list = query.get("list");
      if (list !== null && list !== "") {
        const flag = parseGoBool(list);
        if (flag === undefined) return { ok: false, reply: errorReply(400) };
        if (flag) {
          operation = "list";
          if (!path.endsWith("/")) path += "/";
        }
      }
      data = queryData(query, "list");
      break;
    }
    case "DELETE":
      operation = "delete";
      data = queryData(query);
      break;
    case "POST":
    case "PUT": {
      operation = "update";
      const parsed = parseJsonObject(body);
      if (!parsed.ok) return parsed;
      data = parsed.data;
      break;
    }
    case "PATCH": {
      operation = "patch";
      const type = String(headers["content-type"] ?? "")
        .split(";")[0]!
        .trim()
        .toLowerCase();
      if (type === "") return { ok: false, reply: errorReply(400, "mime: no media type") };
      if (type !== "application/merge-patch+json") {
        return { ok: false, reply: errorReply(415, `PATCH requires Content-Type of application/merge-patch+json, provided ${type}`) };
      }
      const parsed = parseJsonObject(body);
      if (!parsed.ok) return parsed;
      data = parsed.data;
      break;
    }
    default:
      return { ok: false, reply: errorReply(405) };
  }
  return {
    ok: true,
    request: { operation, path, data, query, headers, token: tokenFrom(headers), namespaceHeader: namespaceFrom(headers) },
  };
}

function queryData(query: URLSearchParams, skip?: string): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const key of new Set(query.keys())) {
    if (key === skip) continue;
    const values = query.getAll(key);
    data[key] = values.length === 1 ? values[0] : values;
  }
  return data;
}

type BodyResult = { ok: true; data: Record<string, unknown> } | { ok: false; reply: Reply };

/** Vault decodes bodies into map[string]interface{}: empty and `null` are fine, anything but an object is a 400. */
function parseJsonObject(body: Buffer): BodyResult {
  const text = body.toString("utf8");
  if (text.trim() === "") return { ok: true, data: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reply: errorReply(400, `failed to parse JSON input: ${(error as Error).message}`) };
  }
  if (value === null) return { ok: true, data: {} };
  if (typeof value !== "object" || Array.isArray(value)) {
    const kind = Array.isArray(value) ? "array" : typeof value === "boolean" ? "bool" : typeof value;
    return { ok: false, reply: errorReply(400, `json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`) };
  }
  return { ok: true, data: value as Record<string, unknown> };
}

function tokenFrom(headers: IncomingHttpHeaders): string | undefined {
  const direct = headers["x-vault-token"];
  if (typeof direct === "string" && direct !== "") return direct;
  const auth = headers.authorization;
  if (typeof auth === "string" && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, "").trim() || undefined;
  return undefined;
}

function namespaceFrom(headers: IncomingHttpHeaders): string {
  const raw = headers["x-vault-namespace"];
  return typeof raw === "string" ? raw.replace(/^\/+|\/+$/g, "") : "";
}
