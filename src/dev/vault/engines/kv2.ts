/**
 * The KV version 2 engine's HTTP paths (vault-plugin-secrets-kv): data/, metadata/, delete/,
 * undelete/, destroy/, config, and the 404-with-warning for anything else (a v1-style path).
 */
import { route, type HandlerContext, type Route } from "../context.js";
import { KvV2Store, type KeyMeta, type VersionMeta } from "../store/kv.js";
import { rfc3339Nano } from "../time/clock.js";
import { goDurationString } from "../time/duration.js";
import { boolField, durationField, has, intField, intListField, mapField, stringMapField } from "../wire/fields.js";
import { errorReply, noContent, notFound, ok, okOrNoContent, rawEnvelope, unsupportedOperation, type Reply } from "../wire/reply.js";
import type { LogicalRequest, Operation } from "../wire/request.js";
import { mergePatch } from "./merge-patch.js";

const MOUNT_TYPE = "kv";

/** Picks the handler for a path inside a KV v2 mount. */
export function kv2Route(store: KvV2Store, rest: string, req: LogicalRequest): Route {
  const op = req.operation;
  if (rest === "config") {
    if (op === "read") return route(req, () => readConfig(store));
    if (op === "update") return route(req, (ctx) => writeConfig(store, ctx));
    return route(req, unsupportedOperation);
  }
  const data = /^data\/(.*[^/])$/.exec(rest);
  if (data) {
    const key = data[1]!;
    switch (op) {
      case "read":
        return route(req, (ctx) => readData(store, key, ctx));
      case "update":
        return route(req, (ctx) => writeData(store, key, ctx), store.meta(key) !== undefined);
      case "patch":
        return route(req, (ctx) => patchData(store, key, ctx));
      case "delete":
        return route(req, (ctx) => {
          store.deleteLatest(key, ctx.nowMs);
          return noContent();
        });
      default:
        return route(req, unsupportedOperation);
    }
  }
  const metadata = /^metadata\/(.*)$/.exec(rest);
  if (metadata) {
    const key = metadata[1]!;
    switch (op) {
      case "read":
        return route(req, () => readMetadata(store, key));
      case "list":
        return route(req, () => {
          const keys = store.list(key);
          return keys.length === 0 ? notFound() : ok({ data: { keys }, mountType: MOUNT_TYPE });
        });
      case "update":
        return route(req, (ctx) => writeMetadata(store, key, ctx), store.meta(key) !== undefined);
      case "patch":
        return route(req, (ctx) => patchMetadata(store, key, ctx));
      case "delete":
        return route(req, () => {
          store.deleteMetadata(key);
          return noContent();
        });
    }
  }
  const versions = /^(delete|undelete|destroy)\/(.*)$/.exec(rest);
  if (versions) {
    if (op !== "update") return route(req, unsupportedOperation);
    const [, action, key] = versions as unknown as [string, "delete" | "undelete" | "destroy", string];
    return route(req, (ctx) => changeVersions(store, action, key, ctx));
  }
  return route(req, () => invalidPath(rest, op));
}

function versionMetadata(meta: KeyMeta, version: number, vm: VersionMeta): Record<string, unknown> {
  return {
    created_time: rfc3339Nano(vm.createdMs),
    custom_metadata: meta.customMetadata,
    deletion_time: vm.deletionMs === null ? "" : rfc3339Nano(vm.deletionMs),
    destroyed: vm.destroyed,
    version,
  };
}

function readData(store: KvV2Store, key: string, ctx: HandlerContext): Reply {
  const meta = store.meta(key);
  if (!meta) return notFound();
  const asked = intField(ctx.req.data, "version");
  const version = asked > 0 ? asked : meta.currentVersion;
  const vm = meta.versions.get(version);
  if (!vm) return notFound();
  const metadata = versionMetadata(meta, version, vm);
  // Deleted (deletion time passed) or destroyed: a 404 that still carries the metadata.
  if (KvV2Store.isGone(vm, ctx.nowMs)) return rawEnvelope(404, { data: { data: null, metadata } });
  return ok({ data: { data: JSON.parse(vm.json!) as unknown, metadata }, mountType: MOUNT_TYPE });
}

/** options.cas, decoded the way mapstructure.WeakDecode would (null counts as 0). */
function casOption(options: Record<string, unknown> | undefined): number | undefined | "invalid" {
  if (!options || !("cas" in options)) return undefined;
  const raw = options.cas;
  if (raw === null || raw === undefined || raw === "") return 0;
  const n = typeof raw === "number" ? raw : typeof raw === "string" && /^-?\d+$/.test(raw.trim()) ? Number(raw) : typeof raw === "boolean" ? Number(raw) : NaN;
  return Number.isFinite(n) ? Math.trunc(n) : "invalid";
}

function writeData(store: KvV2Store, key: string, ctx: HandlerContext): Reply {
  const data = mapField(ctx.req.data, "data");
  if (!data) return errorReply(400, "no data provided");
  const cas = casOption(mapField(ctx.req.data, "options"));
  if (cas === "invalid") return errorReply(400, "error parsing check-and-set parameter");
  const result = store.write(key, data, cas, ctx.nowMs);
  if (!result.ok) return errorReply(400, result.error);
  return ok({ data: versionMetadata(result.meta, result.version, result.vm), mountType: MOUNT_TYPE });
}

function patchData(store: KvV2Store, key: string, ctx: HandlerContext): Reply {
  const patch = mapField(ctx.req.data, "data");
  if (!patch) return errorReply(400, "no data provided");
  const meta = store.meta(key);
  // RespondWithStatusCode(nil, …, 404): a 404 with an empty body.
  if (!meta) return { kind: "raw", status: 404, text: "" };
  const cas = casOption(mapField(ctx.req.data, "options"));
  if (cas === "invalid") return errorReply(400, "error parsing check-and-set parameter");
  const casError = store.checkCas(meta, cas);
  if (casError) return errorReply(400, casError);
  const vm = meta.versions.get(meta.currentVersion);
  if (!vm) return { kind: "raw", status: 404, text: "" };
  if (KvV2Store.isGone(vm, ctx.nowMs)) return rawEnvelope(404, { data: versionMetadata(meta, meta.currentVersion, vm) });
  const merged = mergePatch(JSON.parse(vm.json!), patch) as Record<string, unknown>;
  const result = store.write(key, merged, meta.currentVersion, ctx.nowMs);
  if (!result.ok) return errorReply(400, result.error);
  return ok({ data: versionMetadata(result.meta, result.version, result.vm), mountType: MOUNT_TYPE });
}

function readMetadata(store: KvV2Store, key: string): Reply {
  const meta = store.meta(key);
  if (!meta) return notFound();
  const versions: Record<string, unknown> = {};
  for (const [n, vm] of meta.versions) {
    versions[String(n)] = { created_time: rfc3339Nano(vm.createdMs), deletion_time: vm.deletionMs === null ? "" : rfc3339Nano(vm.deletionMs), destroyed: vm.destroyed };
  }
  return ok({
    data: {
      cas_required: meta.casRequired,
      created_time: rfc3339Nano(meta.createdMs),
      current_version: meta.currentVersion,
      custom_metadata: meta.customMetadata,
      delete_version_after: goDurationString(meta.deleteVersionAfter),
      max_versions: meta.maxVersions,
      oldest_version: meta.oldestVersion,
      updated_time: rfc3339Nano(meta.updatedMs),
      versions,
    },
    mountType: MOUNT_TYPE,
  });
}

function metadataFields(data: Record<string, unknown>): Partial<Pick<KeyMeta, "maxVersions" | "casRequired" | "deleteVersionAfter" | "customMetadata">> {
  const fields: Partial<Pick<KeyMeta, "maxVersions" | "casRequired" | "deleteVersionAfter" | "customMetadata">> = {};
  if (has(data, "max_versions")) fields.maxVersions = intField(data, "max_versions");
  if (has(data, "cas_required")) fields.casRequired = boolField(data, "cas_required", false);
  if (has(data, "delete_version_after")) fields.deleteVersionAfter = durationField(data, "delete_version_after");
  if (has(data, "custom_metadata")) fields.customMetadata = stringMapField(data, "custom_metadata") ?? null;
  return fields;
}

function casWarning(store: KvV2Store, fields: { casRequired?: boolean }): string[] {
  return fields.casRequired === false && store.config.casRequired ? ['"cas_required" set to false, but is mandated by backend config. This value will be ignored.'] : [];
}

function writeMetadata(store: KvV2Store, key: string, ctx: HandlerContext): Reply {
  const fields = metadataFields(ctx.req.data);
  if (Object.keys(fields).length === 0) return noContent();
  store.writeMetadata(key, fields, ctx.nowMs);
  return okOrNoContent(casWarning(store, fields), MOUNT_TYPE);
}

function patchMetadata(store: KvV2Store, key: string, ctx: HandlerContext): Reply {
  const meta = store.meta(key);
  if (!meta) return { kind: "raw", status: 404, text: "" };
  const fields = metadataFields({ ...ctx.req.data, custom_metadata: undefined });
  const custom = mapField(ctx.req.data, "custom_metadata");
  if (custom) fields.customMetadata = mergePatch(meta.customMetadata ?? {}, custom) as Record<string, string>;
  store.writeMetadata(key, fields, ctx.nowMs);
  return okOrNoContent(casWarning(store, fields), MOUNT_TYPE);
}

function changeVersions(store: KvV2Store, action: "delete" | "undelete" | "destroy", key: string, ctx: HandlerContext): Reply {
  const versions = intListField(ctx.req.data, "versions");
  if (versions.length === 0) return errorReply(400, "No version number provided");
  if (action === "delete") store.deleteVersions(key, versions, ctx.nowMs);
  else if (action === "undelete") store.undeleteVersions(key, versions, ctx.nowMs);
  else store.destroyVersions(key, versions);
  return noContent();
}

function readConfig(store: KvV2Store): Reply {
  return ok({
    data: { cas_required: store.config.casRequired, delete_version_after: goDurationString(store.config.deleteVersionAfter), max_versions: store.config.maxVersions },
    mountType: MOUNT_TYPE,
  });
}

function writeConfig(store: KvV2Store, ctx: HandlerContext): Reply {
  const d = ctx.req.data;
  if (has(d, "max_versions")) store.config.maxVersions = intField(d, "max_versions");
  if (has(d, "cas_required")) store.config.casRequired = boolField(d, "cas_required", false);
  if (has(d, "delete_version_after")) store.config.deleteVersionAfter = durationField(d, "delete_version_after");
  return noContent();
}

const SUBCOMMAND: Record<Operation, string> = { update: "put", patch: "patch", read: "get", list: "list", delete: "delete" };

/** pathInvalid: anything else on a v2 mount is a 404 envelope with a warning. */
function invalidPath(rest: string, op: Operation): Reply {
  if (["metadata", "data", "delete", "undelete", "destroy"].includes(rest)) {
    return rawEnvelope(404, { warnings: ["Non-listing operations on the root of a K/V v2 mount are not supported."] });
  }
  return rawEnvelope(404, {
    warnings: [
      `Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv ${SUBCOMMAND[op]}' for this operation.`,
    ],
  });
}
