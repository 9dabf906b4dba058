/**
 * Loading everything a command reads before contacting a store: the mapping file (default
 * `envject.yaml` when present) and each --env-file, with the parse context they share.
 */
import type { Binding, Mapping } from "./model.js";
import { defaultMountFor, loadMapping } from "./mapping.js";
import { loadEnvFile } from "./envfile.js";
import type { ParseContext } from "./reference.js";

export const DEFAULT_MAPPING_FILE = "envject.yaml";

export interface Configuration {
  mapping: Mapping;
  /** Each --env-file's bindings, in the order the files were given. */
  envFiles: Binding[][];
  parseContext: ParseContext;
}

/** Reads and validates the mapping file and env files; every problem is a located ConfigError. */
export async function loadConfiguration(options: { config?: string; envFiles?: readonly string[]; environ: NodeJS.ProcessEnv }): Promise<Configuration> {
  const mapping = await loadMapping(options.config ?? DEFAULT_MAPPING_FILE, { environ: options.environ, explicit: options.config !== undefined });
  const parseContext: ParseContext = { defaultMount: defaultMountFor(mapping, options.environ) };
  const envFiles: Binding[][] = [];
  for (const file of options.envFiles ?? []) envFiles.push(await loadEnvFile(file, parseContext));
  return { mapping, envFiles, parseContext };
}
