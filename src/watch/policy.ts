/**
 * What `--on-change` does once a change has altered the child's environment (docs/contract/rotation.md#on-change):
 * `restart` (files rewritten, then a graceful restart: never two children), `signal:SIG` (files
 * rewritten atomically, then the signal; environment variables wait for the next start), `exit`
 * (stop the child, end with 75) or `none` (log; the next start uses the new values).
 */
import { ExitCode } from "../errors.js";
import type { Logger } from "../log/logger.js";
import type { ChildSpec } from "../supervise/child.js";
import type { ChildEnvironment, EnvironmentChange } from "./child-environment.js";

export type OnChange = { kind: "restart" } | { kind: "signal"; signal: NodeJS.Signals } | { kind: "exit" } | { kind: "none" };

/** The policy as `--on-change` spells it: `restart`, `signal:SIGHUP`, `exit`, `none`. */
export function describeOnChange(policy: OnChange): string {
  return policy.kind === "signal" ? `signal:${policy.signal}` : policy.kind;
}

/** What the policies act on. */
export interface PolicyTarget {
  environment: ChildEnvironment;
  supervisor: {
    restart(spec: ChildSpec): Promise<void>;
    signal(signal: NodeJS.Signals): void;
  };
  /** Stops the child and makes envject end with `code`. */
  exit(code: number): Promise<void>;
  logger: Logger;
}

/** Carries out `policy` for `change`; after it, the new environment is the one the next start uses. */
export async function applyPolicy(policy: OnChange, change: EnvironmentChange, target: PolicyTarget): Promise<void> {
  const { environment, supervisor, logger } = target;
  switch (policy.kind) {
    case "restart":
      environment.adopt(change, { writeFiles: true });
      logger.info("restarting the command with the new values");
      await supervisor.restart(environment.spec());
      return;
    case "signal":
      environment.adopt(change, { writeFiles: true });
      if (change.environment.length > 0) {
        logger.warn(`environment variables changed; the running command keeps the old ones until it starts again (files: secrets were rewritten)`, {
          variables: change.environment,
        });
      }
      logger.info(`sending ${policy.signal} to the command`, { signal: policy.signal });
      supervisor.signal(policy.signal);
      return;
    case "exit":
      environment.adopt(change, { writeFiles: false });
      logger.info(`stopping the command and exiting with ${ExitCode.tempFail} (--on-change exit)`);
      await target.exit(ExitCode.tempFail);
      return;
    case "none":
      environment.adopt(change, { writeFiles: false });
      logger.info("--on-change none: the command keeps running; it gets the new values when it starts again");
      return;
  }
}
