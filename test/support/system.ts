/** Facts about this machine that decide whether a test can run here (each returns a skip reason, or undefined). */
import { spawnSync } from "node:child_process";

/** `unshare` options that make a new PID namespace with its own /proc: the process started in it is PID 1. */
export const UNSHARE_PID1 = ["--pid", "--fork", "--mount-proc"];

/** Why a PID namespace cannot be created here (needs root or CAP_SYS_ADMIN), or undefined when it can. */
export function unshareUnavailable(): string | undefined {
  const probe = spawnSync("unshare", [...UNSHARE_PID1, "true"], { encoding: "utf8" });
  if (probe.error) return `unshare is not installed (${(probe.error as NodeJS.ErrnoException).code}); install util-linux`;
  if (probe.status !== 0) return `unshare ${UNSHARE_PID1.join(" ")} is not permitted here (${probe.stderr.trim()}); run as root`;
  return undefined;
}

/** Why `script` (util-linux), which runs a command on a pseudo-terminal, cannot be used here, or undefined when it can. */
export function scriptUnavailable(): string | undefined {
  const probe = spawnSync("script", ["-qec", "true", "/dev/null"], { encoding: "utf8", input: "" });
  if (probe.error) return `script is not installed (${(probe.error as NodeJS.ErrnoException).code}); install util-linux`;
  if (probe.status !== 0) return `script -qec cannot run a command here (${probe.stderr.trim()})`;
  return undefined;
}

/** Why a new network namespace (`unshare --net`: nothing listens on its loopback) cannot be created here, or undefined when it can. */
export function netnsUnavailable(): string | undefined {
  const probe = spawnSync("unshare", ["--net", "true"], { encoding: "utf8" });
  if (probe.error) return `unshare is not installed (${(probe.error as NodeJS.ErrnoException).code}); install util-linux`;
  if (probe.status !== 0) return `unshare --net is not permitted here (${probe.stderr.trim()}); run as root`;
  return undefined;
}
