/**
 * Loading the mapping file (docs/contract/mapping.md): `envject.yaml`, or a JSON file, which is read by the
 * same YAML 1.2 parser so that every error, JSON's included, has a line and a column.
 */
import { readConfigText } from "./read-file.js";
import { dirname, resolve } from "node:path";
import * as v from "valibot";
import { LineCounter } from "yaml";
import { ConfigError, atLocation } from "../errors.js";
import type { AwsFileSettings, Binding, ExpandEntry, Located, Mapping, VaultAuthField, VaultAuthMethod, VaultFileSettings } from "./model.js";
import { GITHUB_ACTIONS_TOKEN_VARIABLES, VAULT_AUTH_FIELDS, VAULT_AUTH_PATH_FIELDS, VAULT_AUTH_SECRET_FIELDS } from "./vault-auth.js";
import { parseReference, parseValue } from "./reference.js";
import { parseField } from "./reference-syntax.js";
import type { ParseContext } from "./reference.js";
import { fallbackMessage, issuesToConfigError, mappingFileSchema } from "./schema.js";
import { SourceMap } from "./source-map.js";
import { referencedVariables } from "./expand-env.js";
import { assertNoNul } from "./names.js";
import { aliasBombOffset, parseYamlDocument } from "./yaml-document.js";
import type { MappingFileData, VariableEntry } from "./schema.js";

export interface LoadMappingOptions {
  /** envject's own environment, for ${NAME} in vault:/aws: and for VAULT_MOUNT_POINT. */
  environ: NodeJS.ProcessEnv;
  /** true when the path was given explicitly (-c/--config): then a missing file is a ConfigError;
   *  when false (the default `envject.yaml` lookup) a missing file yields an empty mapping. */
  explicit: boolean;
}

/** Reads, parses and validates a mapping file (YAML, or JSON by content/extension) into a Mapping;
 *  every problem is a ConfigError (exit 65) carrying file, line, column and the offending key. */
export async function loadMapping(path: string, options: LoadMappingOptions): Promise<Mapping> {
  const text = await readConfigText(path, "mapping file", !options.explicit);
  if (text === undefined) return emptyMapping(undefined);
  return parseMapping(text, path, options.environ);
}

/** The default KV mount for vault_secret_var(): file `vault.mount` → VAULT_MOUNT_POINT → "secret". */
export function defaultMountFor(mapping: Pick<Mapping, "vault">, environ: NodeJS.ProcessEnv): string {
  // Same precedence and normalisation as the Vault settings, so both agree on "the configured mount".
  const fromEnv = environ.VAULT_MOUNT_POINT?.trim() ? environ.VAULT_MOUNT_POINT : undefined;
  const mount = (mapping.vault.mount?.value || fromEnv || "secret").replace(/^\/+|\/+$/g, "");
  return mount || "secret";
}

/** yaml's maxAliasCount: how far aliases may expand (each use of an anchor, times the uses inside it). */
const MAX_ALIAS_COUNT = 100;

function emptyMapping(file: string | undefined): Mapping {
  return { file, vault: {}, aws: {}, env: [], expand: [], files: [] };
}

/** JSON is YAML 1.2, so one parser reads both; the content (not the name) decides which word the
 *  syntax messages use. */
function formatOf(text: string): "JSON" | "YAML" {
  return /^\s*[{[]/.test(text) ? "JSON" : "YAML";
}

function parseMapping(text: string, file: string, environ: NodeJS.ProcessEnv): Mapping {
  const lineCounter = new LineCounter();
  const doc = parseYamlDocument(text, file, lineCounter);
  const source = new SourceMap(file, doc, lineCounter);
  // Warnings (an unknown `!tag`, say) would silently change a value's meaning: treat them as errors.
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) throw new ConfigError(`${formatOf(text)} syntax error: ${problem.message}`, source.locateOffset(problem.pos[0]));

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    if (!(error instanceof ReferenceError && /alias count/i.test(error.message))) {
      throw new ConfigError(`${formatOf(text)} cannot be read: ${(error as Error).message}`, { file }, { cause: error });
    }
    throw new ConfigError(
      `${formatOf(text)} aliases expand too far (over ${MAX_ALIAS_COUNT} uses of anchors, nested uses multiplied: an alias bomb?); write the values out instead`,
      source.locateOffset(aliasBombOffset(doc)),
      { cause: error },
    );
  }
  if (data === null || data === undefined) return emptyMapping(file);

  const result = v.safeParse(mappingFileSchema(environ), data, { message: fallbackMessage });
  if (!result.success) throw issuesToConfigError(result.issues, source);
  return buildMapping(result.output, source, environ);
}

function buildMapping(data: MappingFileData, source: SourceMap, environ: NodeJS.ProcessEnv): Mapping {
  const mapping = emptyMapping(source.file);
  mapping.vault = vaultSettings(data.vault ?? undefined, source);
  mapping.aws = awsSettings(data.aws ?? undefined, source);
  const ctx: ParseContext = { defaultMount: defaultMountFor(mapping, environ) };
  mapping.env = bindings("env", data.env ?? [], source, ctx);
  mapping.files = bindings("files", data.files ?? [], source, ctx);
  mapping.expand = (data.expand ?? []).map((entry, i) => expandEntry(entry, i, source, ctx));

  // Both sections end up as variables of the child; one name cannot be both.
  const inEnv = new Set(mapping.env.map((b) => b.name));
  for (const b of mapping.files) {
    if (inEnv.has(b.name)) {
      throw new ConfigError(`${b.name} is in both env and files; a variable can come from only one of them`, source.locate(["files", b.name], "key"));
    }
  }
  return mapping;
}

type VaultData = NonNullable<MappingFileData["vault"]>;

function vaultSettings(data: VaultData | undefined, source: SourceMap): VaultFileSettings {
  const settings: VaultFileSettings = {};
  if (!data) return settings;
  const at = <T>(key: string, value: T): Located<T> => ({ value, origin: source.locate(["vault", key]) });
  if (data.address !== undefined) settings.address = at("address", data.address);
  if (data.namespace !== undefined) settings.namespace = at("namespace", data.namespace);
  if (data.mount !== undefined) settings.mount = at("mount", data.mount);
  // Relative to the mapping file, so a checked-in file works from any working directory.
  if (data.ca_cert !== undefined) settings.caCert = at("ca_cert", resolve(dirname(source.file), data.ca_cert));
  const auth = data.auth ?? undefined;
  if (auth) {
    const a: NonNullable<VaultFileSettings["auth"]> = { settings: {} };
    const atAuth = <T>(key: string, value: T): Located<T> => ({ value, origin: source.locate(["vault", "auth", key]) });
    if (auth.method !== undefined) a.method = atAuth<VaultAuthMethod>("method", auth.method);
    for (const key of VAULT_AUTH_FIELDS) {
      const value = (auth as Partial<Record<VaultAuthField, string>>)[key];
      if (value === undefined) continue;
      a.settings[key] = atAuth(key, VAULT_AUTH_PATH_FIELDS.includes(key) ? resolve(dirname(source.file), value) : value);
    }
    settings.auth = a;
    const written = VAULT_AUTH_SECRET_FIELDS.map((key) => source.scalarSource(["vault", "auth", key]) ?? "");
    const names = [...new Set(written.flatMap(referencedVariables))];
    // The jwt method's GitHub Actions channel: the runner's OIDC request URL and bearer token.
    if (auth.method === "jwt" && auth.jwt === undefined && auth.token_file === undefined) {
      names.push(...GITHUB_ACTIONS_TOKEN_VARIABLES);
    }
    if (names.length > 0) settings.credentialVariables = names;
  }
  return settings;
}

function awsSettings(data: NonNullable<MappingFileData["aws"]> | undefined, source: SourceMap): AwsFileSettings {
  if (data?.region === undefined) return {};
  return { region: { value: data.region, origin: source.locate(["aws", "region"]) } };
}

function bindings(section: "env" | "files", entries: VariableEntry[], source: SourceMap, ctx: ParseContext): Binding[] {
  return entries.map(({ name, value }) => {
    const path = [section, name];
    const origin = source.locate(path);
    // Numbers and booleans keep the spelling the user wrote: `1.10` stays "1.10", not "1.1".
    const text = typeof value === "string" ? value : (source.scalarSource(path) ?? String(value));
    assertNoNul(text, name, origin);
    return { name, spec: atLocation(() => parseValue(text, ctx), origin), origin };
  });
}

function expandEntry(entry: { from: string; prefix?: string | undefined; field?: string | undefined }, index: number, source: SourceMap, ctx: ParseContext): ExpandEntry {
  const origin = source.locate(["expand", index, "from"]);
  const ref = atLocation(() => parseReference(entry.from, ctx), origin);
  if (!ref) throw new ConfigError("expand: from must be a reference (vault://…, aws-sm://… or a Secrets Manager ARN)", origin);
  const out: ExpandEntry = { ref, prefix: entry.prefix ?? "", origin };
  // A folder is written with a trailing "/" before any ?query or #field.
  const main = entry.from.split("#")[0]!.split("?")[0]!;
  if (main.endsWith("/")) {
    if (ref.provider === "aws" && ref.secretId.startsWith("arn:")) {
      throw new ConfigError("a folder is written aws-sm://PREFIX/, not as an ARN (a secret ARN names one secret)", origin);
    }
    if (ref.field) throw new ConfigError(`${entry.from} is a folder: write what each of its secrets gives as field: KEY, not #KEY`, origin);
    if (ref.provider === "vault" ? ref.version !== undefined : ref.versionStage !== undefined || ref.versionId !== undefined) {
      throw new ConfigError(`${entry.from} is a folder: a version applies to one secret, not to a folder`, origin);
    }
    out.ref = { ...ref, folder: true };
  }
  if (entry.field !== undefined) {
    const at = source.locate(["expand", index, "field"]);
    if (!out.ref.folder) {
      throw new ConfigError(`field: is only for a folder (a from ending in /, e.g. vault://airflow/connections/); for one secret write from: ${entry.from}#KEY`, at);
    }
    out.field = atLocation(() => parseField(entry.field!, entry.field!), at);
  }
  return out;
}
