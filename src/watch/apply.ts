/**
 * From re-read secrets to an action (docs/contract/rotation.md#what-a-change-does): only the variables that use them are
 * evaluated again, the environment is compared with the current one, and when it differs — and
 * only then — `--on-change` runs after a random `--splay` delay.
 */
import { EnvjectError } from "../errors.js";
import type { LogFields } from "../log/logger.js";
import type { EvaluationContext } from "../resolve/evaluate.js";
import { type ResolutionInput, updateResolution } from "../resolve/resolution.js";
import { type Clock, TimerGroup, systemClock } from "./clock.js";
import type { SecretChange } from "./controller.js";
import { type OnChange, type PolicyTarget, applyPolicy, describeOnChange } from "./policy.js";
import { splayDelay } from "./schedule.js";

export interface ChangeApplierOptions {
  /** What the current resolution was made from. */
  input: ResolutionInput;
  ctx: EvaluationContext;
  policy: OnChange;
  splayMs: number;
  target: PolicyTarget;
  clock?: Clock;
}

export class ChangeApplier {
  private readonly timers: TimerGroup;

  constructor(private readonly options: ChangeApplierOptions) {
    this.timers = new TimerGroup(options.clock ?? systemClock);
  }

  /** Applies one batch of re-read secrets (see the file comment). Never throws for a typed error: it is logged. */
  async apply(changes: SecretChange[]): Promise<void> {
    const { target, ctx, input } = this.options;
    const { environment, logger } = target;
    const changed = new Set(changes.map((c) => c.id));
    const update = await updateResolution(environment.resolution, input, ctx, changed);
    for (const failure of update.failures) {
      logger.warn(`${failure.name} cannot be evaluated with the new secret; it keeps its current value`, { variable: failure.name, reason: failure.error.message });
    }
    // Checked before anything is stopped: a value the child could not be started with keeps the current one.
    const fitted = environment.fit(update.resolution);
    for (const refusal of fitted.refused) logger.warn(refusal.message, refusal.fields);
    const change = environment.diff(fitted.resolution);
    const what = changes.map(describeChange).join("; ");
    const fields = changeFields(changes);
    if (change.variables.length === 0) {
      logger.debug(`${what}, but no variable of the command did`, fields, { inMessage: Object.keys(fields) });
      environment.adopt(change, { writeFiles: false });
      return;
    }
    // The rotation line: what changed and which variables, each said once; the action is the next
    // line's to say (policy.ts), once any --splay has passed. JSON carries all of it as fields.
    const rotation = { ...fields, variables: change.variables, on_change: describeOnChange(this.options.policy) };
    logger.info(`${what}: new values for ${change.variables.join(", ")}`, rotation, { inMessage: Object.keys(rotation) });
    // Credentials about to end (a lease, a replaced login) cannot wait for a splay; they are each
    // instance's own anyway, so a fleet does not act on them in lockstep.
    const urgent = changes.some((c) => c.reason !== "version");
    if (this.options.splayMs > 0 && !urgent) {
      const delay = splayDelay(this.options.splayMs, this.timers.clock.random());
      logger.debug("waiting before acting (--splay)", { delay_ms: Math.round(delay) });
      if (!(await this.timers.sleep(delay))) return;
    }
    if (this.timers.isClosed) return;
    try {
      await applyPolicy(this.options.policy, change, target);
    } catch (error) {
      if (!(error instanceof EnvjectError)) throw error;
      logger.error(`could not apply the change: ${error.message}`);
    }
  }

  /** Cancels a splay wait in progress: nothing is done after it. */
  close(): void {
    this.timers.close();
  }
}

/**
 * `vault://secret/myapp/db changed (version 2 → 3)`, `vault://database/creds/app has new
 * credentials (…)`: the secret and its versions, never a value.
 */
export function describeChange(change: SecretChange): string {
  switch (change.reason) {
    case "lease":
      return `${change.display} has new credentials (its lease could not be extended)`;
    case "login":
      return `${change.display} has new credentials (read under the new Vault login)`;
    case "version": {
      const versions = change.before !== undefined && change.after !== undefined && change.before !== change.after ? ` (version ${change.before} → ${change.after})` : "";
      return `${change.display} changed${versions}`;
    }
  }
}

/**
 * The rotation line's fields for a batch of re-read secrets (README "Log lines"): for one secret,
 * `reference`, `reason` and — when the store has versions — `from_version` and `to_version`; for
 * several, a `changes` list of those records, one per secret.
 */
export function changeFields(changes: readonly SecretChange[]): LogFields {
  const records = changes.map((c) => ({ reference: c.display, reason: c.reason, from_version: c.before, to_version: c.after }));
  return records.length === 1 ? records[0]! : { changes: records };
}
