/**
 * Conformance tests drive our doubles with real clients (hvac, the AWS CLI). When a client is not
 * installed, the test is skipped with a message naming the package to install; when CI=true a
 * missing client is a failure instead, so CI can never pass without running them.
 */
import { test, type TestContext } from "node:test";

export interface ClientRequirement {
  /** Human name of the client, e.g. "hvac (python3-hvac)". */
  name: string;
  available: boolean;
  /** Why the client is unusable (empty when available). */
  problem: string;
  /** What to run to install it, e.g. "sudo apt-get install -y python3-hvac". */
  installHint: string;
  /** A node:test `skip` value: the skip message, or false (available, or CI where missing must fail). */
  skip: string | false;
  /** Throws (failing the test) when the client is missing; a no-op otherwise. */
  assertAvailable(): void;
}

/**
 * Probes a client once. `check` returns true when usable, or false / a string saying what is
 * wrong; it may throw, which counts as missing.
 */
export function requireClient(name: string, check: () => boolean | string, installHint: string): ClientRequirement {
  let problem: string;
  try {
    const result = check();
    problem = result === true ? "" : typeof result === "string" && result !== "" ? result : "not found";
  } catch (error) {
    problem = (error as Error).message || "check failed";
  }
  const available = problem === "";
  const inCi = process.env.CI === "true";
  const message = `${name} is not available (${problem}); install it with: ${installHint}`;
  return {
    name,
    available,
    problem,
    installHint,
    skip: available || inCi ? false : message,
    assertAvailable() {
      if (!available) throw new Error(inCi ? `${message} — required because CI=true` : message);
    },
  };
}

/** Registers a node:test test that needs `client`: skipped when it is missing, failed when missing under CI=true. */
export function conformanceTest(name: string, client: ClientRequirement, fn: (t: TestContext) => Promise<void> | void): void {
  test(name, { skip: client.skip }, async (t) => {
    client.assertAvailable();
    await fn(t);
  });
}
