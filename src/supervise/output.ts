/**
 * Where a masked child's output goes: through the `--mask` filter into envject's own stdout or
 * stderr, which are never ended (envject keeps writing its log) and whose failure must not crash
 * envject.
 */
import type { Readable, Writable } from "node:stream";
import { createMaskStream } from "./mask.js";

/**
 * Pipes `source` through a mask filter into `target` without ever ending `target` (it is
 * envject's own stdout/stderr). Resolves when everything `source` produced has been passed on.
 */
export function pipeThroughMask(source: Readable | null, target: Writable, secrets: () => readonly string[]): Promise<void> {
  if (!source) return Promise.resolve();
  const filter = createMaskStream(secrets);
  source.pipe(filter).pipe(target, { end: false });
  return new Promise<void>((resolve) => {
    const finish = () => {
      target.removeListener("error", onTargetError);
      resolve();
    };
    // Our reader went away (`envject --mask -- app | head`): close the child's pipe so its next
    // write fails (EPIPE/ECONNRESET) much as it would without envject in between, instead of
    // envject crashing on an unhandled stream error.
    const onTargetError = () => {
      filter.unpipe(target);
      source.destroy();
      finish();
    };
    target.once("error", onTargetError);
    filter.once("end", finish);
    // A source that breaks never emits "end": let the filter flush what it holds.
    source.once("close", () => {
      if (!source.readableEnded) filter.end();
    });
  });
}
