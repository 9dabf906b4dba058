/**
 * ACL policies: storage per namespace and parsing. Vault's JSON policy syntax is the primary
 * input (`{"path":{"secret/data/*":{"capabilities":["read"]}}}`); the plain HCL form
 * `path "x" { capabilities = ["read"] }` is also read, which covers the built-in default policy
 * and hand-written test policies. Other HCL features (parameters, templating) are not supported.
 */

export const CAPABILITIES = ["create", "read", "update", "patch", "delete", "list", "sudo", "deny", "subscribe"] as const;
export type Capability = (typeof CAPABILITIES)[number];

export interface PolicyRule {
  pattern: string;
  capabilities: Capability[];
}

export interface Policy {
  name: string;
  text: string;
  rules: PolicyRule[];
}

/** Vault's built-in default policy (the parts that matter to a client). */
export const DEFAULT_POLICY_TEXT = `# Allow tokens to look up their own properties
path "auth/token/lookup-self" {
    capabilities = ["read"]
}

# Allow tokens to renew themselves
path "auth/token/renew-self" {
    capabilities = ["update"]
}

# Allow tokens to revoke themselves
path "auth/token/revoke-self" {
    capabilities = ["update"]
}

# Allow a token to look up its own capabilities on a path
path "sys/capabilities-self" {
    capabilities = ["update"]
}

# Allow a token to renew a lease via lease_id in the request body; old path for
# old clients, new path for newer
path "sys/renew" {
    capabilities = ["update"]
}
path "sys/leases/renew" {
    capabilities = ["update"]
}

# Allow looking up lease properties. This requires knowing the lease ID ahead
# of time and does not divulge any sensitive information.
path "sys/leases/lookup" {
    capabilities = ["update"]
}

# Allow a token to manage its own cubbyhole
path "cubbyhole/*" {
    capabilities = ["create", "read", "update", "delete", "list"]
}

# Allow a token to wrap arbitrary values in a response-wrapping token
path "sys/wrapping/wrap" {
    capabilities = ["update"]
}

# Allow a token to look up the creation time and TTL of a given
# response-wrapping token
path "sys/wrapping/lookup" {
    capabilities = ["update"]
}

# Allow a token to unwrap a response-wrapping token. This is a convenience to
# avoid client token swapping since this is also part of the response wrapping
# policy.
path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}
`;

export type ParseResult = { ok: true; policy: Policy } | { ok: false; error: string };

/** Parses policy text (JSON, or plain HCL `path` blocks). */
export function parsePolicy(name: string, text: string): ParseResult {
  const trimmed = text.trim();
  const rules = trimmed.startsWith("{") ? parseJsonRules(trimmed) : parseHclRules(trimmed);
  if (typeof rules === "string") return { ok: false, error: `failed to parse policy: ${rules}` };
  return { ok: true, policy: { name, text, rules } };
}

function parseJsonRules(text: string): PolicyRule[] | string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  const paths = (doc as { path?: unknown } | null)?.path;
  if (!paths || typeof paths !== "object") return 'no "path" object';
  const blocks = Array.isArray(paths) ? paths : [paths];
  const rules: PolicyRule[] = [];
  for (const block of blocks) {
    for (const [pattern, body] of Object.entries(block as Record<string, unknown>)) {
      const caps = (body as { capabilities?: unknown } | null)?.capabilities;
      const checked = checkCapabilities(caps, pattern);
      if (typeof checked === "string") return checked;
      rules.push({ pattern, capabilities: checked });
    }
  }
  return rules;
}

function parseHclRules(text: string): PolicyRule[] | string {
  const withoutComments = text.replace(/^\s*(#|\/\/).*$/gm, "");
  const rules: PolicyRule[] = [];
  const block = /path\s+"([^"]*)"\s*\{([^}]*)\}/g;
  for (const m of withoutComments.matchAll(block)) {
    const caps = /capabilities\s*=\s*\[([^\]]*)\]/.exec(m[2]!);
    const list = caps ? [...caps[1]!.matchAll(/"([^"]*)"/g)].map((c) => c[1]!) : [];
    const checked = checkCapabilities(list, m[1]!);
    if (typeof checked === "string") return checked;
    rules.push({ pattern: m[1]!, capabilities: checked });
  }
  const leftover = withoutComments.replace(block, "").trim();
  if (leftover !== "") return `unsupported policy syntax near "${leftover.slice(0, 40)}"`;
  return rules;
}

function checkCapabilities(raw: unknown, pattern: string): Capability[] | string {
  if (!Array.isArray(raw)) return `path "${pattern}": capabilities must be a list`;
  for (const c of raw) {
    if (!(CAPABILITIES as readonly string[]).includes(String(c))) return `path "${pattern}": invalid capability "${String(c)}"`;
  }
  return raw.map((c) => String(c) as Capability);
}

/** The policies of one namespace; "default" always exists, "root" only in the root namespace. */
export class PolicyStore {
  private readonly policies = new Map<string, Policy>();

  constructor(readonly isRootNamespace: boolean) {
    const parsed = parsePolicy("default", DEFAULT_POLICY_TEXT);
    if (parsed.ok) this.policies.set("default", parsed.policy);
  }

  get(name: string): Policy | undefined {
    return this.policies.get(name.toLowerCase());
  }

  put(policy: Policy): void {
    this.policies.set(policy.name.toLowerCase(), policy);
  }

  delete(name: string): void {
    this.policies.delete(name.toLowerCase());
  }

  /** Names for listing: stored policies plus "root" in the root namespace, sorted. */
  names(): string[] {
    const names = [...this.policies.keys()];
    if (this.isRootNamespace) names.push("root");
    return names.sort();
  }
}
