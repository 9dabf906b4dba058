/** Vault's list semantics over a flat key space: immediate children of a prefix, folders end in "/". */

/** Sorted, de-duplicated children of `prefix` ("" or ending in "/") among `keys`. */
export function listChildren(keys: Iterable<string>, prefix: string): string[] {
  const out = new Set<string>();
  for (const key of keys) {
    if (!key.startsWith(prefix) || key === prefix) continue;
    const rest = key.slice(prefix.length);
    const slash = rest.indexOf("/");
    out.add(slash === -1 ? rest : rest.slice(0, slash + 1));
  }
  return [...out].sort();
}
