/**
 * Turns one value (literal, reference or template) into its string, reading secrets through the
 * shared reader. Every secret-derived string is handed to the redactor before anything else can
 * print it.
 */
import { ConfigError } from "../errors.js";
import { type SecretRef, type ValueSpec, displayRef } from "../config/reference.js";
import type { LogFields } from "../log/logger.js";
import type { Redactor } from "../log/redactor.js";
import { extractField } from "./field.js";
import type { SecretReader } from "./reader.js";

export interface EvaluationContext {
  reader: SecretReader;
  redactor: Redactor;
  /** envject's own environment, for env_var(). */
  environ: NodeJS.ProcessEnv;
  /** Where a warning found while evaluating goes (an empty `expand:` folder); dropped when absent. */
  warn?: (message: string, fields: LogFields) => void;
}

/** The value of `spec`; throws the typed error of the first reference that fails. */
export async function evaluateValue(spec: ValueSpec, ctx: EvaluationContext): Promise<string> {
  switch (spec.kind) {
    case "literal":
      return spec.value;
    case "ref":
      return secretValue(spec.ref, ctx);
    case "template": {
      // Every part is a promise (an env_var() failure included), so Promise.all observes every
      // read it started, and a failing read is never an unhandled rejection.
      const pieces = await Promise.all(
        spec.parts.map(async (part) => {
          if (part.kind === "text") return part.text;
          if (part.kind === "ref") return secretValue(part.ref, ctx);
          const value = ctx.environ[part.name];
          if (value === undefined) throw new ConfigError(`env_var('${part.name}'): ${part.name} is not set in envject's environment`);
          return value;
        }),
      );
      const value = pieces.join("");
      if (spec.parts.some((p) => p.kind === "ref")) ctx.redactor.add(value);
      return value;
    }
  }
}

async function secretValue(ref: SecretRef, ctx: EvaluationContext): Promise<string> {
  const doc = await ctx.reader.read(ref);
  const value = extractField(doc, ref.field, displayRef(ref));
  ctx.redactor.add(value);
  return value;
}
