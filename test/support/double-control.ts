/**
 * One shape for steering either double (src/dev/vault/README.md, src/dev/aws/README.md): the same
 * method names where the two control surfaces do the same thing, so a test written for one store
 * reads like its twin for the other.
 *
 *   const vault = vaultControl(sv.url, sv.rootToken);       // or sv.control (test/support/vault-fixture.ts)
 *   const aws = awsControl(sa.url);                         // or sa.control (test/support/aws-fixture.ts)
 *   await vault.putSecret("secret/app", { key: "v2" });     await aws.putSecret("app", { key: "v2" });
 *   await vault.fault({ path_prefix: "secret/", status: 500, count: 3 });
 *   await aws.fault({ action: "GetSecretValue", status: 500, count: 3 });
 *   await vault.deny("secret/data/app");                    await aws.deny("GetSecretValue", "app");
 *   assert.equal(await vault.requestCount((r) => r.status === 500), 3);
 *   afterEach(() => vault.reset());                         // no faults, latency, denials; empty log
 *
 * Secrets are written through the store's own API, so those calls are in the request log like any
 * other: Vault's putSecret makes writeKv2's two requests (mount lookup, write), AWS's one
 * PutSecretValue (plus a CreateSecret for a new name).
 *
 * What only one store has stays on its own client: `vault.client` (a VaultDoubleClient with the
 * root token: seal, tokens, leases, auth methods …) and `aws.client` (an AwsDoubleClient: staging
 * labels, regions, rejected access keys …).
 */
import { AwsDoubleClient, AwsDoubleError, type FaultSpec as AwsFaultSpec, type RequestLogEntry as AwsRequest } from "../../src/dev/aws/client.js";
import { VaultDoubleClient, type FaultSpec as VaultFaultSpec, type RequestLogEntry as VaultRequest } from "../../src/dev/vault/client.js";

/** A pending fault as `GET /__double/faults` lists it (the spec plus `remaining`). */
export type PendingFault = Record<string, unknown> & { remaining: number };

/** What both control surfaces offer; `Fault` and `Request` are each double's own shapes. */
export interface DoubleControl<Fault, Request> {
  /** The double's base URL. */
  readonly url: string;
  /** Writes `value` as the newest version of the secret, creating it if need be (a string is stored as it is, an object as its fields / JSON). */
  putSecret(name: string, value: string | Record<string, unknown>): Promise<void>;
  /** Removes the secret with every version, at once (no recovery window, no soft delete). */
  deleteSecret(name: string): Promise<void>;
  /** Makes the next matching requests fail, hang or be cut off (the double's fault spec). */
  fault(spec: Fault): Promise<void>;
  /** The faults not used up yet. */
  faults(): Promise<PendingFault[]>;
  clearFaults(): Promise<void>;
  /**
   * Delays matching requests by `ms` until cleared (`ms` 0 removes the rule). `match` is what the
   * double selects requests by: a path prefix after /v1/ for Vault, an operation for AWS; every request when omitted.
   */
  latency(ms: number, match?: string): Promise<void>;
  clearLatency(): Promise<void>;
  /**
   * Answers matching requests with the store's permission-denied error until cleared. Vault:
   * `target` is a path prefix (namespace included), `scope` whom it applies to ("all" by default,
   * "non-root" or a token accessor). AWS: `target` is an operation, `scope` a secret (all when omitted).
   */
  deny(target: string, scope?: string): Promise<void>;
  clearDenials(): Promise<void>;
  /** The request log, oldest first (control calls are not logged). */
  requests(): Promise<Request[]>;
  /** How many logged requests pass `match` (all of them when omitted). */
  requestCount(match?: (r: Request) => boolean): Promise<number>;
  clearRequests(): Promise<void>;
  /** Back to a clean control state: no faults, latency or denials (Vault unsealed; AWS no rejected keys), an empty request log. Secrets stay. */
  reset(): Promise<void>;
}

export interface VaultControl extends DoubleControl<VaultFaultSpec, VaultRequest> {
  /** The root-token client, for everything only Vault has. */
  readonly client: VaultDoubleClient;
}

export interface AwsControl extends DoubleControl<AwsFaultSpec, AwsRequest> {
  /** The client signing for the control's region, for everything only Secrets Manager has. */
  readonly client: AwsDoubleClient;
}

/**
 * Steers the Vault double at `url`; secrets are written with `rootToken` (`name` is a logical path
 * with its mount: "secret/myapp/db", "kv/legacy"), to KV v1 when mount discovery says the mount is
 * v1 and to KV v2 otherwise (as writeKv2 does when discovery cannot tell).
 */
export function vaultControl(url: string, rootToken: string, client: VaultDoubleClient = new VaultDoubleClient(url, rootToken)): VaultControl {
  const requests = () => client.requests();
  return {
    url,
    client,
    // One mount lookup, then one write or delete: the requests writeKv2 and deleteKv2Metadata make.
    // KV v1 only when discovery says so; when it cannot tell (denied, or 404 like an old Vault), KV v2 as writeKv2 assumes.
    putSecret: async (name, value) => {
      const data = typeof value === "string" ? { value } : value;
      const { mount, rest, version } = await client.locate(name);
      if (version === "1") await client.api("POST", `${mount}/${rest}`, data);
      else await client.api("POST", `${mount}/data/${rest}`, { data });
    },
    deleteSecret: async (name) => {
      const { mount, rest, version } = await client.locate(name);
      await client.api("DELETE", version === "1" ? `${mount}/${rest}` : `${mount}/metadata/${rest}`);
    },
    fault: (spec) => client.fault(spec),
    faults: async () => (await client.request("GET", "/__double/faults")).body as PendingFault[],
    clearFaults: () => client.clearFaults(),
    latency: (ms, match) => client.latency({ ms, ...(match === undefined ? {} : { path_prefix: match }) }),
    clearLatency: () => client.clearLatency(),
    deny: (target, scope) => client.deny({ path: target, ...(scope === undefined ? {} : { for: scope }) }),
    clearDenials: () => client.clearDenials(),
    requests,
    requestCount: async (match = () => true) => (await requests()).filter(match).length,
    clearRequests: () => client.clearRequests(),
    reset: async () => {
      await client.clearFaults();
      await client.clearLatency();
      await client.clearDenials();
      await client.unseal();
      await client.clearRequests();
    },
  };
}

/** Steers the Secrets Manager double at `url`, signing for `region` (`name` is a secret name or ARN). */
export function awsControl(url: string, region = "us-east-1", client: AwsDoubleClient = new AwsDoubleClient(url, { region })): AwsControl {
  const requests = () => client.requests();
  return {
    url,
    client,
    // PutSecretValue, and CreateSecret only when there is no such secret yet.
    putSecret: async (name, value) => {
      const input = { SecretString: typeof value === "string" ? value : JSON.stringify(value) };
      const put = await client.call("PutSecretValue", { SecretId: name, ...input });
      if (put.status === 200) return;
      const type = String(put.body?.__type ?? "Unknown").replace(/^.*#/, "");
      if (type !== "ResourceNotFoundException") throw new AwsDoubleError("PutSecretValue", put.status, type, String(put.body?.Message ?? put.body?.message ?? ""));
      await client.createSecret(name, input);
    },
    deleteSecret: (name) => client.deleteSecret(name, { ForceDeleteWithoutRecovery: true }),
    fault: (spec) => client.fault(spec),
    faults: async () => {
      const answer = await fetch(`${url}/__double/faults`);
      if (!answer.ok) throw new Error(`GET /__double/faults answered ${answer.status}`);
      return (await answer.json()) as PendingFault[];
    },
    clearFaults: () => client.clearFaults(),
    latency: (ms, match) => client.latency(ms, match),
    clearLatency: () => client.clearLatency(),
    deny: (target, scope) => client.deny(target, scope),
    clearDenials: () => client.clearDenials(),
    requests,
    requestCount: async (match = () => true) => (await requests()).filter(match).length,
    clearRequests: () => client.clearRequests(),
    reset: async () => {
      await client.clearFaults();
      await client.clearLatency();
      await client.clearDenials();
      await client.clearRejectedAccessKeys();
      await client.clearRequests();
    },
  };
}
