/**
 * Resolving every binding of a run: `--env-file` files, then the mapping's `env`, `expand` and
 * `files`, in that order (later wins). Variables are evaluated concurrently; each distinct
 * secret is read once. A failing variable does not stop the others, so `check` can report them
 * all and `run` can name every broken variable at once.
 */
import { ConfigError, EnvjectError, type SourceLocation } from "../errors.js";
import type { Binding, ExpandEntry, Mapping } from "../config/model.js";
import { type SecretRef, displayRef, refsOf, secretIdentity } from "../config/reference.js";
import { expandedVariableName, isValidVariableName } from "../config/names.js";
import { extractField, extractObject, stringifySecretValue } from "./field.js";
import { type EvaluationContext, evaluateValue } from "./evaluate.js";

export type Section = "env-file" | "env" | "expand" | "files";

export interface ResolvedVariable {
  name: string;
  value: string;
  section: Section;
  origin: SourceLocation;
  /** The references the value was made from (empty for literals). */
  refs: SecretRef[];
}

export interface VariableFailure {
  /** The variable, or `PREFIX*` for an `expand:` entry. */
  name: string;
  section: Section;
  origin: SourceLocation;
  refs: SecretRef[];
  error: EnvjectError;
}

export interface Resolution {
  /** In precedence order: a later entry with the same name wins. `files` values are the contents. */
  variables: ResolvedVariable[];
  failures: VariableFailure[];
  /** The bindings that were resolved (effectiveBindings of the input), for reports such as `check`. */
  bindings: SectionBinding[];
  /** The result of each binding or `expand:` entry, in evaluation order (what updateResolution() reuses). */
  parts: Array<ResolvedVariable[] | VariableFailure>;
}

export interface ResolutionInput {
  envFiles: Binding[][];
  mapping: Pick<Mapping, "env" | "expand" | "files">;
}

export interface SectionBinding {
  binding: Binding;
  section: Exclude<Section, "expand">;
}

/**
 * The bindings whose value can reach the child, in precedence order: a binding replaced by a
 * later one of the same name (a later --env-file, or the mapping) is dropped, so a dead
 * reference is neither read nor reported. (`expand:` names are known only after reading.)
 */
export function effectiveBindings(input: ResolutionInput): SectionBinding[] {
  const all: SectionBinding[] = [
    ...input.envFiles.flatMap((file) => file.map((binding) => ({ binding, section: "env-file" as const }))),
    ...input.mapping.env.map((binding) => ({ binding, section: "env" as const })),
    ...input.mapping.files.map((binding) => ({ binding, section: "files" as const })),
  ];
  const lastIndex = new Map(all.map((entry, i) => [entry.binding.name, i]));
  return all.filter((entry, i) => lastIndex.get(entry.binding.name) === i);
}

/** Resolves every effective binding; failures are collected (typed errors), unexpected errors are rethrown. */
export async function resolveBindings(input: ResolutionInput, ctx: EvaluationContext): Promise<Resolution> {
  const bindings = effectiveBindings(input);
  ctx.reader.prefer([...bindings.flatMap((b) => refsOf(b.binding.spec)), ...input.mapping.expand.map((e) => e.ref)]);
  const parts = await Promise.all(resolutionTasks(input, bindings, ctx).map((task) => attempt(task.run, task.failure)));
  return assemble(parts, bindings);
}

/** What re-resolving after a change gives: the new resolution, and the variables that failed (they keep their previous values). */
export interface ResolutionUpdate {
  resolution: Resolution;
  failures: VariableFailure[];
}

/**
 * Re-evaluates only the bindings (and `expand:` entries) that use a secret whose identity is in
 * `changed`; every other part of `previous` is kept as it is, so no other secret is read. A part
 * that fails now keeps its previous variables, and its failure is returned for the caller to log.
 * `input` must be the input `previous` was resolved from.
 */
export async function updateResolution(previous: Resolution, input: ResolutionInput, ctx: EvaluationContext, changed: ReadonlySet<string>): Promise<ResolutionUpdate> {
  const bindings = effectiveBindings(input);
  const tasks = resolutionTasks(input, bindings, ctx);
  const failures: VariableFailure[] = [];
  const parts = await Promise.all(
    tasks.map(async (task, i) => {
      const before = previous.parts[i];
      // A folder entry also uses the secrets it listed last time (its variables' refs).
      const used = [...task.failure.refs, ...(Array.isArray(before) ? before.flatMap((v) => v.refs) : [])];
      if (before !== undefined && !used.some((ref) => changed.has(secretIdentity(ref)))) return before;
      const now = await attempt(task.run, task.failure);
      if (Array.isArray(now) || before === undefined) return now;
      failures.push(now);
      return before;
    }),
  );
  return { resolution: assemble(parts, bindings), failures };
}

interface ResolutionTask {
  run: () => Promise<ResolvedVariable[]>;
  failure: Omit<VariableFailure, "error">;
}

/** One task per single binding or `expand:` entry, in precedence order: env files and env, expand, files. */
function resolutionTasks(input: ResolutionInput, bindings: readonly SectionBinding[], ctx: EvaluationContext): ResolutionTask[] {
  const tasks: ResolutionTask[] = [];
  const single = ({ binding: b, section }: SectionBinding) =>
    tasks.push({
      run: async () => [{ name: b.name, value: await evaluateValue(b.spec, ctx), section, origin: b.origin, refs: refsOf(b.spec) }],
      failure: { name: b.name, section, origin: b.origin, refs: refsOf(b.spec) },
    });
  for (const entry of bindings) if (entry.section !== "files") single(entry);
  for (const entry of input.mapping.expand) {
    if (entry.ref.folder) {
      tasks.push({
        failure: { name: `${entry.prefix}*`, section: "expand", origin: entry.origin, refs: [entry.ref] },
        run: () => expandFolder(entry, ctx),
      });
      continue;
    }
    tasks.push({
      failure: { name: `${entry.prefix}*`, section: "expand", origin: entry.origin, refs: [entry.ref] },
      run: async () => {
        const doc = await ctx.reader.read(entry.ref);
        const object = extractObject(doc, entry.ref.field, displayRef(entry.ref));
        return Object.entries(object).map(([key, raw]) => {
          const name = expandedVariableName(entry.prefix, key);
          if (!isValidVariableName(name)) {
            throw new ConfigError(`key ${JSON.stringify(key)} of ${displayRef(entry.ref)} gives ${JSON.stringify(name)}, which is not a valid variable name; set a prefix`, entry.origin);
          }
          const value = stringifySecretValue(raw);
          ctx.redactor.add(value);
          return { name, value, section: "expand" as const, origin: entry.origin, refs: [entry.ref] };
        });
      },
    });
  }
  for (const entry of bindings) if (entry.section === "files") single(entry);
  return tasks;
}

/**
 * A folder `expand:` entry: lists the folder, reads each secret in it (through the reader, so
 * each once and within its concurrency), and gives PREFIX + NAME per secret with `field`, else
 * PREFIX + NAME + `_` + KEY per key. Two secrets or keys that give one name are a ConfigError
 * naming both; an empty or missing folder gives no variables and a warning.
 */
async function expandFolder(entry: ExpandEntry, ctx: EvaluationContext): Promise<ResolvedVariable[]> {
  const folder = entry.ref;
  const label = displayRef(folder);
  const listing = await ctx.reader.read(folder);
  const names = listing.names ?? [];
  if (names.length === 0) ctx.warn?.(`the folder ${label} is empty or missing: ${entry.prefix}* gives no variables`, { reference: label });
  const members = names.map((name) => ({ name, ref: folderMember(folder, name) }));
  for (const m of members) {
    const doc = listing.members?.get(m.name);
    if (doc) ctx.reader.seed(m.ref, doc);
  }
  const docs = await Promise.all(members.map((m) => ctx.reader.read(m.ref)));
  const byName = new Map<string, string>();
  const out: ResolvedVariable[] = [];
  members.forEach((member, i) => {
    const doc = docs[i]!;
    const memberLabel = displayRef(member.ref);
    const add = (name: string, raw: unknown, from: string) => {
      if (!isValidVariableName(name)) {
        throw new ConfigError(`${from} gives ${JSON.stringify(name)}, which is not a valid variable name; set a prefix`, entry.origin);
      }
      const other = byName.get(name);
      if (other !== undefined) throw new ConfigError(`${other} and ${from} both give the variable ${name}; rename one of them`, entry.origin);
      byName.set(name, from);
      const value = stringifySecretValue(raw);
      ctx.redactor.add(value);
      out.push({ name, value, section: "expand", origin: entry.origin, refs: [folder, member.ref] });
    };
    if (entry.field !== undefined) {
      add(expandedVariableName(entry.prefix, member.name), extractField(doc, entry.field, memberLabel), memberLabel);
    } else {
      for (const [key, raw] of Object.entries(extractObject(doc, undefined, memberLabel))) {
        add(expandedVariableName(entry.prefix, `${member.name}_${key}`), raw, `key ${JSON.stringify(key)} of ${memberLabel}`);
      }
    }
  });
  return out;
}

/** The secret `name` directly under `folder`. */
export function folderMember(folder: SecretRef, name: string): SecretRef {
  if (folder.provider === "vault") {
    const ref: SecretRef = { provider: "vault", path: `${folder.path}/${name}`, raw: "" };
    if (folder.mount !== undefined) ref.mount = folder.mount;
    ref.raw = displayRef(ref);
    return ref;
  }
  const ref: SecretRef = { provider: "aws", secretId: `${folder.secretId}${name}`, raw: "" };
  if (folder.region !== undefined) ref.region = folder.region;
  ref.raw = displayRef(ref);
  return ref;
}

/**
 * `resolution` with other parts (as many, in the same order: `next.parts` with some put back to
 * what they were before, say), its variables and failures assembled from them again.
 */
export function withParts(resolution: Resolution, parts: Resolution["parts"]): Resolution {
  return assemble(parts, resolution.bindings);
}

function assemble(parts: Array<ResolvedVariable[] | VariableFailure>, bindings: SectionBinding[]): Resolution {
  const variables: ResolvedVariable[] = [];
  const failures: VariableFailure[] = [];
  for (const r of parts) {
    if (Array.isArray(r)) variables.push(...r);
    else failures.push(r);
  }
  return { variables, failures, bindings, parts };
}

async function attempt(work: () => Promise<ResolvedVariable[]>, failure: Omit<VariableFailure, "error">): Promise<ResolvedVariable[] | VariableFailure> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof EnvjectError)) throw error;
    return { ...failure, error };
  }
}

/** The variables as the child will see them from this resolution: the last definition of each name. */
export function finalValues(variables: readonly ResolvedVariable[]): Map<string, ResolvedVariable> {
  const out = new Map<string, ResolvedVariable>();
  for (const v of variables) {
    out.delete(v.name);
    out.set(v.name, v);
  }
  return out;
}

/** The identities of every secret `resolution` uses: its variables' and its failures' (what the watcher keeps watching). */
export function usedSecrets(resolution: Resolution): Set<string> {
  const refs = [...resolution.variables.flatMap((v) => v.refs), ...resolution.failures.flatMap((f) => f.refs)];
  return new Set(refs.map(secretIdentity));
}
