// The loader hooks of module-trace.mjs (they run on Node's loader thread): records each resolved
// ESM specifier matching the pattern, then resolves it as usual.
import { appendFileSync } from "node:fs";

let options;

export function initialize(data) {
  options = data;
}

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  if (options && (specifier.includes(options.match) || result.url.includes(options.match))) {
    appendFileSync(options.file, JSON.stringify({ pid: options.pid, main: options.main, kind: "esm", name: specifier }) + "\n");
  }
  return result;
}
