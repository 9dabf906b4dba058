/**
 * Vault's ACL evaluation over a token's policies: rules for the same pattern merge (deny wins),
 * an exact path beats every pattern, and among matching glob (`*` at the end) and segment-wildcard
 * (`+`) patterns the highest-priority one alone decides, using Vault's documented priority
 * rules. The root policy allows everything.
 */
import type { Capability, Policy } from "./store/policies.js";

interface CompiledRule {
  pattern: string;
  capabilities: Set<Capability>;
  regex: RegExp | null;
}

/** The merged rules of a set of policies, answering "which capabilities apply to this path". */
export class Acl {
  private readonly exact = new Map<string, CompiledRule>();
  private readonly patterns = new Map<string, CompiledRule>();

  constructor(
    policies: Policy[],
    readonly root: boolean,
  ) {
    for (const policy of policies) {
      for (const rule of policy.rules) {
        const isPattern = rule.pattern.endsWith("*") || rule.pattern.split("/").includes("+");
        const table = isPattern ? this.patterns : this.exact;
        let compiled = table.get(rule.pattern);
        if (!compiled) {
          compiled = { pattern: rule.pattern, capabilities: new Set(), regex: isPattern ? toRegex(rule.pattern) : null };
          table.set(rule.pattern, compiled);
        }
        for (const c of rule.capabilities) compiled.capabilities.add(c);
      }
    }
  }

  /** The capabilities that apply to `path` (empty = denied). */
  capabilities(path: string): Set<Capability> {
    if (this.root) return new Set(["create", "read", "update", "patch", "delete", "list", "sudo"]);
    const rule = this.exact.get(path) ?? this.bestPattern(path);
    if (!rule || rule.capabilities.has("deny")) return new Set();
    return rule.capabilities;
  }

  allows(path: string, capability: Capability): boolean {
    return this.capabilities(path).has(capability);
  }

  /**
   * hasMountAccess from the ui/mounts handler: the token may see a mount when any non-deny
   * capability applies to the mount path or to any rule under it.
   */
  hasMountAccess(mountPath: string): boolean {
    if (this.root) return true;
    if (this.capabilities(mountPath).size > 0) return true;
    const granting = (r: CompiledRule) => r.capabilities.size > 0 && !r.capabilities.has("deny");
    for (const r of this.exact.values()) if (r.pattern.startsWith(mountPath) && granting(r)) return true;
    const mountSegments = mountPath.replace(/\/$/, "").split("/");
    for (const r of this.patterns.values()) {
      if (!granting(r)) continue;
      const literal = r.pattern.replace(/\*$/, "");
      if (!literal.includes("+") && literal.startsWith(mountPath)) return true;
      const segments = literal.split("/");
      if (segments.length >= mountSegments.length && mountSegments.every((s, i) => segments[i] === "+" || segments[i] === s)) return true;
    }
    return false;
  }

  private bestPattern(path: string): CompiledRule | undefined {
    let best: CompiledRule | undefined;
    for (const rule of this.patterns.values()) {
      if (!rule.regex!.test(path)) continue;
      if (!best || comparePriority(rule.pattern, best.pattern) > 0) best = rule;
    }
    return best;
  }
}

function toRegex(pattern: string): RegExp {
  const glob = pattern.endsWith("*");
  const body = glob ? pattern.slice(0, -1) : pattern;
  const source = body
    .split("/")
    .map((seg) => (seg === "+" ? "[^/]+" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${source}${glob ? "" : "$"}`);
}

/** Positive when `a` has higher priority than `b` (Vault's five rules, in order). */
function comparePriority(a: string, b: string): number {
  const firstWild = (p: string) => {
    const plus = p.split("/").findIndex((s) => s === "+");
    const plusAt = plus === -1 ? Infinity : p.split("/").slice(0, plus).join("/").length + (plus > 0 ? 1 : 0);
    const starAt = p.endsWith("*") ? p.length - 1 : Infinity;
    return Math.min(plusAt, starAt);
  };
  const wa = firstWild(a);
  const wb = firstWild(b);
  if (wa !== wb) return wa > wb ? 1 : -1;
  const ga = a.endsWith("*");
  const gb = b.endsWith("*");
  if (ga !== gb) return ga ? -1 : 1;
  const pa = a.split("/").filter((s) => s === "+").length;
  const pb = b.split("/").filter((s) => s === "+").length;
  if (pa !== pb) return pa > pb ? -1 : 1;
  if (a.length !== b.length) return a.length > b.length ? 1 : -1;
  return a === b ? 0 : a > b ? 1 : -1;
}
