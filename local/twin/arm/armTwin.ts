/**
 * The ARM state of the fleet twin: AKS agent pools (Microsoft.ContainerService) and Compute quota usages
 * (Microsoft.Compute), with the semantics the autopilot depends on. Usable in process (tests, a virtual clock)
 * and behind the HTTPS face (`armFace.ts`), which only routes and serialises.
 *
 * What it models (research/control-plane.md §1–§2):
 * - Pool resources exactly as ARM returns them (`id`, `name`, `type`, `properties.{eTag, count, …}`); the eTag
 *   changes on every write (the PUT, and the end of the operation it started).
 * - PUT of the whole pool, in the order AKS checks it: the per-pool PUT token bucket (429 `Throttled`, Retry-After),
 *   `If-Match` (412 `PreconditionFailed`), one operation at a time (409 `OperationNotAllowed`), validation
 *   (400 `InvalidParameter` / `PropertyChangeNotAllowed`), quota preflight (400 `QuotaExceeded` naming the family,
 *   `Total Regional Cores` or `LowPriorityCores`, with Current Limit/Usage/Additional Required). Accepted: 200, the
 *   pool in `Scaling`/`Updating` showing its target count, and an async operation that ends after `provisioningMs`
 *   with `Succeeded` — or `Failed` with an allocation error, when the count goes back and the pool is `Failed`.
 * - Quota usage is derived: a family bucket from the on-demand pools of that family, `cores` from every on-demand
 *   pool, `lowPriorityCores` from Spot pools (nodes × vCPUs; a pool being scaled holds max(before, target)), plus a
 *   fixed baseline per bucket for other workloads (a family's baseline is also counted in `cores`).
 * - Fault injection per pool or per region × family, one-shot (`times`) or sticky.
 *
 * Twin strictness where AKS's behaviour is unverified (research §1.6): a PUT that keeps the autoscaler on and
 * changes `count` although the current count is inside the new range is refused (400 `InvalidParameter`); the
 * count of an autoscaled pool must lie in [minCount, maxCount]. A PUT without `If-Match` is accepted (ARM does).
 * Not modelled: pool creation and deletion, the ARM subscription write bucket (only its header), the
 * Operation Status bucket, zones, partial allocations.
 *
 * Time: `now()` drives buckets, timestamps and operation deadlines. Every call settles what is due first, so a
 * virtual clock needs nothing else; `tick()` settles (and emits `poolScaled`) explicitly. With real time
 * (`now` not given) timers settle operations on their own; `close()` clears them.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';

export interface ArmTwinOptions {
  /** Unix ms. Default `Date.now`. */
  now?: () => number;
  /** How long a scale or update takes in the world. Default 3000 ms. */
  provisioningMs?: number;
  /** AKS's PUT AgentPool bucket per pool: refill rate. Default 1 per minute. */
  putsPerPoolPerMinute?: number;
  /** AKS's PUT AgentPool bucket per pool: capacity. Default 20. */
  putBucketCapacity?: number;
  /** Limit of a quota bucket nobody set with `setQuota`. Default 10 000 vCPUs. */
  defaultQuotaLimit?: number;
  /** Settle operations on timers. Default: true when `now` is not given (real time), false otherwise. */
  timers?: boolean;
}

export interface AddPoolInput {
  /** ARM id of the managed cluster: `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{name}`. */
  clusterId: string;
  pool: string;
  vmSize: string;
  vcpusPerNode: number;
  /** For the world (GPUs a node brings); not part of ARM. */
  gpusPerNode?: number;
  count: number;
  minCount?: number;
  maxCount?: number;
  autoscale?: boolean;
  spot?: boolean;
  /** Compute usage name of the VM family, e.g. `standardNDSH100v5Family` (matched case-insensitively). */
  family: string;
  region: string;
  subscriptionId: string;
  mode?: 'User' | 'System';
  /** Extra or overriding `properties` (e.g. a fixture's), merged over the defaults. */
  properties?: Record<string, unknown>;
}

export type ArmFaultKind =
  | 'allocationFailed' | 'zonalAllocationFailed' | 'skuNotAvailable' | 'overconstrainedAllocationRequest'
  | 'throttled' | 'operationNotAllowed' | 'preconditionFailed' | 'serverError' | 'timeout';

export interface ArmFaultInput {
  clusterId?: string;
  pool?: string;
  region?: string;
  family?: string;
  kind: ArmFaultKind;
  /** How many requests it hits; undefined = sticky until cleared. */
  times?: number;
  /**
   * Which requests `serverError`/`timeout` hit: the pool's PUT (default), its GET, the status polls of its
   * operations, or any of them. The other kinds always hit a PUT (allocation kinds only one that adds nodes; the
   * operation then fails asynchronously).
   */
  on?: 'put' | 'get' | 'poll' | 'any';
  /** `throttled`: the Retry-After to send. Default 60. */
  retryAfterSeconds?: number;
}

export interface ArmFault {
  readonly kind: ArmFaultKind;
  /** Requests still to hit; undefined = sticky. */
  readonly remaining: number | undefined;
  clear(): void;
}

/** An HTTP-shaped answer; the face writes it as is. `hang`: never answer (a timeout for the client). */
export type ArmReply =
  | {
      readonly kind: 'reply';
      readonly status: number;
      readonly body?: unknown;
      readonly headers?: Readonly<Record<string, string>>;
      /** An accepted PUT: the async operation to point `Azure-AsyncOperation` at. */
      readonly operation?: { readonly id: string; readonly subscriptionId: string; readonly region: string };
    }
  | { readonly kind: 'hang' };

export interface ArmErrorBody {
  error: { code: string; message: string };
}

export interface ArmAgentPoolResource {
  id: string;
  name: string;
  type: 'Microsoft.ContainerService/managedClusters/agentPools';
  properties: Record<string, unknown> & { eTag: string; count: number; provisioningState: string };
}

export interface ArmPoolView {
  readonly clusterId: string;
  readonly pool: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly cluster: string;
  readonly region: string;
  readonly family: string;
  readonly vcpusPerNode: number;
  readonly gpusPerNode?: number;
  readonly spot: boolean;
  /** Nodes that exist now (what the world runs on); changes when an operation succeeds. */
  readonly count: number;
  /** `properties.count`: the target while an operation runs. */
  readonly desiredCount: number;
  readonly autoscale: boolean;
  readonly minCount?: number;
  readonly maxCount?: number;
  readonly provisioningState: string;
  readonly eTag: string;
  /** PUT requests addressed to the pool, whatever their outcome (throttled ones included). */
  readonly puts: number;
  /** PUTs that were accepted (started an operation). */
  readonly acceptedPuts: number;
  /** The last PUT as received (before any check). */
  readonly lastPut?: { readonly ifMatch?: string; readonly body: unknown };
  /** The resource exactly as GET returns it (a copy). */
  readonly resource: ArmAgentPoolResource;
}

export interface ArmUsage {
  /** `name.value`, casing as set. */
  readonly name: string;
  readonly localizedValue: string;
  readonly used: number;
  readonly limit: number;
}

export interface ArmOperationView {
  readonly id: string;
  readonly clusterId: string;
  readonly pool: string;
  readonly status: 'InProgress' | 'Succeeded' | 'Failed';
  readonly error?: { code: string; message: string };
}

export interface ArmTwinEvents {
  /** A pool's new node count took effect (the world adds or removes capacity). */
  poolScaled: [clusterId: string, pool: string, count: number];
  /** An async operation ended. */
  operationFinished: [operation: ArmOperationView];
}

// ---------------------------------------------------------------------------------------------------------
// Azure's texts (fixtures/control-plane/arm-error.*.json, aks-operation-status.failed-zonal-allocation.json)

export const armErrorText = {
  preconditionFailed:
    'Operation failed because the eTag provided in the if-match header does not match the current eTag of the agent pool.',
  poolBusy: (pool: string, state: string): string =>
    `Operation is not allowed: Another agentpool operation (${pool} - ${state}) is in progress, please wait for it to finish before starting a new operation. See https://aka.ms/aks-pending-operation for more details`,
  clusterBusy: (operationId: string, startedIso: string): string =>
    `Operation is not allowed because there's an in progress update managed cluster operation (operation ID: ${operationId}) on the managed cluster started on UTC ${startedIso}. Please wait for it to finish before starting a new operation. You can also use 'az aks operation-abort ...' to abort the ongoing operation.`,
  throttled: (subscriptionId: string, seconds: number): string =>
    `> PutAgentPoolHandler.PUT request limit has been exceeded for SubID='${subscriptionId}', please retry again in ${seconds} seconds. For more information, please visit aka.ms/aks/throttling`,
  zonalAllocationFailed:
    'Allocation failed. We do not have sufficient capacity for the requested VM size in this zone. Read more about improving likelihood of allocation success at https://aka.ms/allocation-guidance. Please note that allocation failures can also arise if a proximity placement group is associated with this VMSS. See https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/error-code-zonalallocationfailed-allocationfailed for more details. This is not AKS controlled behavior, please ask help to VMSS team for allocation failure. If the error is due to capacity constraint, consider upgrading with maxUnavailable instead of maxSurge, details: aka.ms/aks/maxUnavailable.',
  allocationFailed:
    'Allocation failed. We do not have sufficient capacity for the requested VM size in this region. Read more about improving likelihood of allocation success at https://aka.ms/allocation-guidance. See https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/error-code-zonalallocationfailed-allocationfailed for more details.',
  skuNotAvailable: (vmSize: string, region: string): string =>
    `The requested VM size for resource 'Following SKUs have failed for Capacity Restrictions: ${vmSize}' is currently not available in location '${region}'. Please try another size or deploy to a different location or different zones. See https://aka.ms/azureskunotavailable for details.`,
  overconstrained:
    'Allocation failed. VM(s) with the following constraints cannot be allocated, because the condition is too restrictive. Please remove some constraints and try again. Constraints applied are: - Networking Constraints (such as Accelerated Networking or IPv6) - VM Size',
  serverError: (requestId: string): string =>
    `An internal server error occurred. Please retry the request. Tracking id: '${requestId}'.`,
  poolNotFound: (pool: string, cluster: string): string => `Agent pool '${pool}' was not found in managed cluster '${cluster}'.`,
  clusterNotFound: (cluster: string, rg: string): string =>
    `The Resource 'Microsoft.ContainerService/managedClusters/${cluster}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  operationNotFound: (id: string): string => `Operation '${id}' was not found.`,
} as const;

function quotaUrl(subscriptionId: string, region: string, resourceName: string, newLimit: number): string {
  const params = {
    subscriptionId,
    command: 'openQuotaApprovalBlade',
    quotas: [{ location: region, providerId: 'Microsoft.Compute', resourceName, quotaRequest: { properties: { limit: newLimit, unit: 'Count', name: { value: resourceName } } } }],
  };
  // Azure escapes braces and quotes but leaves ':' ',' '[' ']' as they are.
  const encoded = JSON.stringify(params).replace(/[{}"]/g, (c) => encodeURIComponent(c));
  return `https://aka.ms/ProdportalCRP/#blade/Microsoft_Azure_Capacity/UsageAndQuota.ReactView/Parameters/${encoded}`;
}

interface QuotaFailureText {
  scope: 'family' | 'regional' | 'lowPriority';
  bucket: string;
  subscriptionId: string;
  region: string;
  cluster: string;
  resourceGroup: string;
  pool: string;
  limit: number;
  usage: number;
  required: number;
}

/** The QuotaExceeded message Azure sends for each bucket (fixtures arm-error.quota-exceeded*.400.json). */
export function quotaExceededMessage(q: QuotaFailureText): string {
  const newLimit = q.usage + q.required;
  const details = `Additional details - Deployment Model: Resource Manager, Location: ${q.region}, Current Limit: ${q.limit}, Current Usage: ${q.usage}, Additional Required: ${q.required}, (Minimum) New Limit Required: ${newLimit}.`;
  const preflight = `Preflight validation check for resource(s) for container service ${q.cluster} in resource group MC_${q.resourceGroup}_${q.cluster}_${q.region} failed. Message: `;
  switch (q.scope) {
    case 'family':
      return `${preflight}Operation could not be completed as it results in exceeding approved ${q.bucket} Cores quota. ${details} Submit a request for Quota increase at ${quotaUrl(q.subscriptionId, q.region, q.bucket, newLimit)} by specifying parameters listed in the 'Details' section for deployment to succeed. Please read more about quota limits at https://docs.microsoft.com/en-us/azure/azure-supportability/per-vm-quota-requests`;
    case 'regional':
      return `Provisioning of resource(s) for Agent Pool ${q.pool} failed. Message: Operation could not be completed as it results in exceeding approved Total Regional Cores quota. ${details} Submit a request for Quota increase at ${quotaUrl(q.subscriptionId, q.region, 'cores', newLimit)} by specifying parameters listed in the 'Details' section for deployment to succeed. Please read more about quota limits at https://docs.microsoft.com/en-us/azure/azure-supportability/regional-quota-requests.`;
    case 'lowPriority':
      return `${preflight}Operation could not be completed as it results in exceeding approved LowPriorityCores quota. ${details} Submit a request for Quota increase at ${quotaUrl(q.subscriptionId, q.region, 'lowPriorityCores', newLimit)} by specifying parameters listed in the 'Details' section for deployment to succeed. Please read more about quota limits at https://docs.microsoft.com/en-us/azure/azure-portal/supportability/low-priority-quota`;
  }
}

// ---------------------------------------------------------------------------------------------------------

const POOL_TYPE = 'Microsoft.ContainerService/managedClusters/agentPools' as const;
const TERMINAL = new Set(['succeeded', 'failed', 'canceled']);
const CLUSTER_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerService\/managedClusters\/([^/]+)$/i;
/** Written by the caller but owned by the RP: a PUT never changes them. */
const READ_ONLY = new Set(['eTag', 'provisioningState', 'currentOrchestratorVersion', 'nodeImageVersion', 'status', 'powerState', 'virtualMachineNodesStatus']);

/** ARM's timestamp format: seven fractional digits (`2025-11-20T10:15:02.1234567Z`). */
export function armTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

export function parseClusterId(clusterId: string): { subscriptionId: string; resourceGroup: string; cluster: string } | undefined {
  const m = CLUSTER_ID.exec(clusterId.replace(/\/$/, ''));
  return m ? { subscriptionId: m[1]!, resourceGroup: m[2]!, cluster: m[3]! } : undefined;
}

interface Bucket {
  tokens: number;
  at: number;
}

interface PoolEntry {
  clusterId: string;
  subscriptionId: string;
  resourceGroup: string;
  cluster: string;
  region: string;
  family: string;
  vcpusPerNode: number;
  gpusPerNode?: number;
  spot: boolean;
  /** Nodes that exist. */
  count: number;
  resource: ArmAgentPoolResource;
  bucket: Bucket;
  puts: number;
  acceptedPuts: number;
  lastPut?: { ifMatch?: string; body: unknown };
  /** The running operation, if any. */
  operationId?: string;
}

interface Operation {
  id: string;
  subscriptionId: string;
  region: string;
  poolKey: string;
  startedAt: number;
  deadline: number;
  endedAt?: number;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  /** Decided when the PUT is accepted. */
  outcome?: { code: string; message: string };
  before: { properties: Record<string, unknown>; count: number };
  targetCount: number;
}

interface Fault {
  input: ArmFaultInput;
  remaining: number | undefined;
}

interface QuotaEntry {
  name: string;
  limit?: number;
  baseline: number;
  localizedValue?: string;
}

const lc = (s: string): string => s.toLowerCase();
const clone = <T>(v: T): T => structuredClone(v);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function errorReply(status: number, code: string, message: string, headers?: Record<string, string>): ArmReply {
  const body: ArmErrorBody = { error: { code, message } };
  return { kind: 'reply', status, body, ...(headers ? { headers } : {}) };
}

/** `If-Match` as sent: `W/"x"`, `"x"` and `x` all name eTag `x`. */
function etagOf(header: string): string {
  return header.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

export function localizedUsageName(name: string): string {
  if (lc(name) === 'cores') return 'Total Regional vCPUs';
  if (lc(name) === 'lowprioritycores') return 'Total Regional Low-priority vCPUs';
  const m = /^standard\s*(.+?)\s*family$/i.exec(name);
  return m ? `Standard ${m[1]} Family vCPUs` : `${name} vCPUs`;
}

export class ArmTwin extends EventEmitter<ArmTwinEvents> {
  readonly now: () => number;
  readonly provisioningMs: number;
  private readonly refillPerMs: number;
  private readonly bucketCapacity: number;
  private readonly defaultQuotaLimit: number;
  private readonly useTimers: boolean;
  private readonly poolsByKey = new Map<string, PoolEntry>();
  private readonly clusters = new Set<string>();
  private readonly operations = new Map<string, Operation>();
  private readonly quotas = new Map<string, Map<string, QuotaEntry>>();
  private readonly faults = new Set<Fault>();
  private readonly subscriptionWrites = new Map<string, Bucket>();
  private readonly subscriptionReads = new Map<string, Bucket>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: ArmTwinOptions = {}) {
    super();
    this.now = options.now ?? Date.now;
    this.provisioningMs = options.provisioningMs ?? 3000;
    this.refillPerMs = (options.putsPerPoolPerMinute ?? 1) / 60_000;
    this.bucketCapacity = options.putBucketCapacity ?? 20;
    this.defaultQuotaLimit = options.defaultQuotaLimit ?? 10_000;
    this.useTimers = options.timers ?? options.now === undefined;
  }

  // ------------------------------------------------------------------------------------------------ setup

  addPool(input: AddPoolInput): ArmPoolView {
    const parsed = parseClusterId(input.clusterId);
    if (!parsed) throw new Error(`not a managed cluster id: ${input.clusterId}`);
    if (lc(parsed.subscriptionId) !== lc(input.subscriptionId)) {
      throw new Error(`cluster ${input.clusterId} is not in subscription ${input.subscriptionId}`);
    }
    const key = this.key(input.clusterId, input.pool);
    if (this.poolsByKey.has(key)) throw new Error(`pool ${input.pool} already exists in ${input.clusterId}`);
    const autoscale = input.autoscale ?? false;
    if (autoscale && (input.minCount === undefined || input.maxCount === undefined)) {
      throw new Error(`autoscaled pool ${input.pool} needs minCount and maxCount`);
    }
    const spot = input.spot ?? false;
    const clusterId = input.clusterId.replace(/\/$/, '');
    const properties: ArmAgentPoolResource['properties'] = {
      eTag: randomUUID(),
      count: input.count,
      vmSize: input.vmSize,
      osDiskSizeGB: 128,
      osDiskType: 'Managed',
      maxPods: 30,
      type: 'VirtualMachineScaleSets',
      enableAutoScaling: autoscale,
      ...(autoscale ? { minCount: input.minCount, maxCount: input.maxCount } : {}),
      scaleDownMode: 'Delete',
      provisioningState: 'Succeeded',
      powerState: { code: 'Running' },
      orchestratorVersion: '1.33',
      currentOrchestratorVersion: '1.33.2',
      mode: input.mode ?? 'User',
      osType: 'Linux',
      osSKU: 'Ubuntu',
      scaleSetPriority: spot ? 'Spot' : 'Regular',
      ...(spot ? { scaleSetEvictionPolicy: 'Delete', spotMaxPrice: -1 } : {}),
      nodeLabels: { workload: 'ray-gpu' },
      nodeTaints: ['nvidia.com/gpu=present:NoSchedule'],
      gpuProfile: { driver: 'Install' },
      ...clone(input.properties ?? {}),
    };
    const entry: PoolEntry = {
      clusterId,
      ...parsed,
      region: input.region,
      family: input.family,
      vcpusPerNode: input.vcpusPerNode,
      ...(input.gpusPerNode !== undefined ? { gpusPerNode: input.gpusPerNode } : {}),
      spot,
      count: input.count,
      resource: { id: `${clusterId}/agentPools/${input.pool}`, name: input.pool, type: POOL_TYPE, properties },
      bucket: { tokens: this.bucketCapacity, at: this.now() },
      puts: 0,
      acceptedPuts: 0,
    };
    this.poolsByKey.set(key, entry);
    this.clusters.add(lc(clusterId));
    return this.view(entry);
  }

  /**
   * The limit of a quota bucket: a family (`standardNDSH100v5Family`), `cores` or `lowPriorityCores`. `baseline`:
   * vCPUs other workloads use in the bucket (a family's baseline also counts in `cores`).
   */
  setQuota(subscriptionId: string, region: string, name: string, limit: number, options: { baseline?: number; localizedValue?: string } = {}): void {
    const bucket = this.quotaEntry(subscriptionId, region, name);
    bucket.limit = limit;
    if (options.baseline !== undefined) bucket.baseline = options.baseline;
    if (options.localizedValue !== undefined) bucket.localizedValue = options.localizedValue;
  }

  setBaseline(subscriptionId: string, region: string, name: string, used: number): void {
    this.quotaEntry(subscriptionId, region, name).baseline = used;
  }

  injectFault(input: ArmFaultInput): ArmFault {
    const fault: Fault = { input: { ...input }, remaining: input.times };
    this.faults.add(fault);
    const faults = this.faults;
    return {
      kind: input.kind,
      get remaining() {
        return fault.remaining;
      },
      clear: () => void faults.delete(fault),
    };
  }

  clearFaults(): void {
    this.faults.clear();
  }

  // ------------------------------------------------------------------------------------------------ observe

  pool(clusterId: string, pool: string): ArmPoolView | undefined {
    this.tick();
    const entry = this.poolsByKey.get(this.key(clusterId, pool));
    return entry && this.view(entry);
  }

  /**
   * VMs of a pool went away outside any PUT (Spot eviction with the Delete policy, a VM lost for good): the
   * scale set, and so the agent pool's `count`, shrinks, and the eTag moves, as AKS reports it afterwards.
   * No `poolScaled`: the world removed those nodes itself.
   */
  instancesRemoved(clusterId: string, pool: string, n = 1): void {
    this.tick();
    const entry = this.poolsByKey.get(this.key(clusterId, pool));
    if (!entry || n <= 0) return;
    entry.count = Math.max(0, entry.count - n);
    const props = entry.resource.properties;
    if (!entry.operationId) props.count = entry.count;
    props.eTag = randomUUID();
  }

  pools(): ArmPoolView[] {
    this.tick();
    return [...this.poolsByKey.values()].map((e) => this.view(e));
  }

  operation(id: string): ArmOperationView | undefined {
    this.tick();
    const op = this.operations.get(id);
    return op && this.operationView(op);
  }

  /** Compute usages of one subscription in one region, in the order Azure lists them. */
  usage(subscriptionId: string, region: string): ArmUsage[] {
    this.tick();
    const buckets = this.quotas.get(this.regionKey(subscriptionId, region)) ?? new Map<string, QuotaEntry>();
    const pools = [...this.poolsByKey.values()].filter((p) => lc(p.subscriptionId) === lc(subscriptionId) && lc(p.region) === lc(region));
    const held = (p: PoolEntry): number => this.heldNodes(p) * p.vcpusPerNode;
    const families = new Map<string, { name: string; used: number }>();
    for (const [k, q] of buckets) if (k !== 'cores' && k !== 'lowprioritycores') families.set(k, { name: q.name, used: q.baseline });
    let cores = buckets.get('cores')?.baseline ?? 0;
    for (const [k, q] of buckets) if (k !== 'cores' && k !== 'lowprioritycores') cores += q.baseline;
    let lowPriority = buckets.get('lowprioritycores')?.baseline ?? 0;
    let vms = 0;
    for (const p of pools) {
      vms += this.heldNodes(p);
      if (p.spot) {
        lowPriority += held(p);
        continue;
      }
      cores += held(p);
      const f = families.get(lc(p.family)) ?? { name: p.family, used: 0 };
      f.used += held(p);
      families.set(lc(p.family), f);
    }
    const limit = (name: string): number => buckets.get(lc(name))?.limit ?? this.defaultQuotaLimit;
    const localized = (name: string): string => buckets.get(lc(name))?.localizedValue ?? localizedUsageName(name);
    return [
      { name: 'availabilitySets', localizedValue: 'Availability Sets', used: 0, limit: 2500 },
      { name: buckets.get('cores')?.name ?? 'cores', localizedValue: localized('cores'), used: cores, limit: limit('cores') },
      { name: 'virtualMachines', localizedValue: 'Virtual Machines', used: vms, limit: 25000 },
      { name: 'virtualMachineScaleSets', localizedValue: 'Virtual Machine Scale Sets', used: pools.length, limit: 2500 },
      ...[...families.values()].map((f) => ({ name: f.name, localizedValue: localized(f.name), used: f.used, limit: limit(f.name) })),
      {
        name: buckets.get('lowprioritycores')?.name ?? 'lowPriorityCores',
        localizedValue: localized('lowPriorityCores'),
        used: lowPriority,
        limit: limit('lowPriorityCores'),
      },
    ];
  }

  // ------------------------------------------------------------------------------------------------ requests

  getPool(clusterId: string, pool: string): ArmReply {
    this.tick();
    const entry = this.poolsByKey.get(this.key(clusterId, pool));
    if (!entry) return this.notFound(clusterId, pool);
    const fault = this.takeFault(entry, ['serverError', 'timeout'], 'get');
    if (fault) return this.faultReply(fault);
    return { kind: 'reply', status: 200, body: clone(entry.resource), headers: this.readHeaders(entry.subscriptionId) };
  }

  listPools(clusterId: string): ArmReply {
    this.tick();
    const parsed = parseClusterId(clusterId);
    if (!parsed || !this.clusters.has(lc(clusterId.replace(/\/$/, '')))) {
      return errorReply(404, 'ResourceNotFound', armErrorText.clusterNotFound(parsed?.cluster ?? clusterId, parsed?.resourceGroup ?? ''));
    }
    const value = [...this.poolsByKey.values()].filter((p) => lc(p.clusterId) === lc(clusterId.replace(/\/$/, ''))).map((p) => clone(p.resource));
    return { kind: 'reply', status: 200, body: { value }, headers: this.readHeaders(parsed.subscriptionId) };
  }

  /** PUT of a whole pool. `body` is the request JSON (`{ properties: {…} }`). */
  putPool(clusterId: string, pool: string, body: unknown, conditions: { ifMatch?: string; ifNoneMatch?: string } = {}): ArmReply {
    this.tick();
    const entry = this.poolsByKey.get(this.key(clusterId, pool));
    if (!entry) {
      const parsed = parseClusterId(clusterId);
      if (!parsed || !this.clusters.has(lc(clusterId.replace(/\/$/, '')))) return this.notFound(clusterId, pool);
      if (conditions.ifMatch !== undefined) return errorReply(412, 'PreconditionFailed', armErrorText.preconditionFailed);
      return errorReply(400, 'InvalidParameter', `The twin does not create agent pools (PUT of a new pool '${pool}').`);
    }
    entry.puts++;
    entry.lastPut = { ...(conditions.ifMatch !== undefined ? { ifMatch: conditions.ifMatch } : {}), body: clone(body) };
    const writeHeaders = this.writeHeaders(entry.subscriptionId);

    const transportFault = this.takeFault(entry, ['serverError', 'timeout'], 'put');
    if (transportFault) return this.faultReply(transportFault);

    // AKS's per-pool PUT bucket comes first; every PUT that passes it spends a token, whatever happens next.
    const throttleFault = this.takeFault(entry, ['throttled'], 'put');
    this.refill(entry.bucket, this.refillPerMs, this.bucketCapacity);
    if (throttleFault || entry.bucket.tokens < 1) {
      const seconds = throttleFault
        ? throttleFault.input.retryAfterSeconds ?? 60
        : Math.max(1, Math.ceil((1 - entry.bucket.tokens) / this.refillPerMs / 1000));
      return errorReply(429, 'Throttled', armErrorText.throttled(entry.subscriptionId, seconds), { ...writeHeaders, 'retry-after': String(seconds) });
    }
    entry.bucket.tokens -= 1;

    const props = entry.resource.properties;
    if (conditions.ifNoneMatch !== undefined && conditions.ifNoneMatch.trim() === '*') {
      return errorReply(412, 'PreconditionFailed', armErrorText.preconditionFailed, writeHeaders);
    }
    if (conditions.ifMatch !== undefined && conditions.ifMatch.trim() !== '*' && etagOf(conditions.ifMatch) !== props.eTag) {
      return errorReply(412, 'PreconditionFailed', armErrorText.preconditionFailed, writeHeaders);
    }
    if (this.takeFault(entry, ['preconditionFailed'], 'put')) {
      return errorReply(412, 'PreconditionFailed', armErrorText.preconditionFailed, writeHeaders);
    }
    if (!TERMINAL.has(lc(props.provisioningState))) {
      return errorReply(409, 'OperationNotAllowed', armErrorText.poolBusy(entry.resource.name, props.provisioningState), writeHeaders);
    }
    if (this.takeFault(entry, ['operationNotAllowed'], 'put')) {
      const started = armTime(this.now() - 60_000).replace(/\.\d+Z$/, 'Z');
      return errorReply(409, 'OperationNotAllowed', armErrorText.clusterBusy(randomUUID(), started), writeHeaders);
    }

    const checked = this.validate(entry, body);
    if ('error' in checked) return errorReply(400, checked.error.code, checked.error.message, writeHeaders);
    const { next } = checked;
    const targetCount = next['count'] as number;
    const before = { properties: clone(props) as Record<string, unknown>, count: entry.count };
    const addedNodes = targetCount - (props.count as number);
    if (addedNodes > 0) {
      const quota = this.quotaCheck(entry, addedNodes * entry.vcpusPerNode);
      if (quota) return errorReply(400, 'QuotaExceeded', quota, writeHeaders);
    }

    // Accepted.
    const outcome = addedNodes > 0 ? this.allocationOutcome(entry) : undefined;
    const op: Operation = {
      id: randomUUID(),
      subscriptionId: entry.subscriptionId,
      region: entry.region,
      poolKey: this.key(entry.clusterId, entry.resource.name),
      startedAt: this.now(),
      deadline: this.now() + this.provisioningMs,
      status: 'InProgress',
      ...(outcome ? { outcome } : {}),
      before,
      targetCount,
    };
    this.operations.set(op.id, op);
    entry.operationId = op.id;
    entry.acceptedPuts++;
    const updated: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(props)) updated[k] = v; // keep ARM's key order
    for (const k of ['minCount', 'maxCount']) delete updated[k];
    Object.assign(updated, next);
    if (!next['enableAutoScaling']) {
      delete updated['minCount'];
      delete updated['maxCount'];
    }
    updated['eTag'] = randomUUID();
    updated['provisioningState'] = targetCount !== props.count ? 'Scaling' : 'Updating';
    delete updated['status'];
    entry.resource.properties = updated as ArmAgentPoolResource['properties'];
    this.schedule();
    return {
      kind: 'reply',
      status: 200,
      body: clone(entry.resource),
      headers: { ...writeHeaders, 'retry-after': '0' },
      operation: { id: op.id, subscriptionId: entry.subscriptionId, region: entry.region },
    };
  }

  /** The async operation status (`…/locations/{region}/operations/{id}`). */
  getOperation(subscriptionId: string, region: string, operationId: string): ArmReply {
    this.tick();
    const op = this.operations.get(operationId);
    if (!op || lc(op.subscriptionId) !== lc(subscriptionId) || lc(op.region) !== lc(region)) {
      return errorReply(404, 'NotFound', armErrorText.operationNotFound(operationId));
    }
    const entry = this.poolsByKey.get(op.poolKey);
    if (entry) {
      const fault = this.takeFault(entry, ['serverError', 'timeout'], 'poll');
      if (fault) return this.faultReply(fault);
    }
    const body: Record<string, unknown> = { name: op.id, status: op.status, startTime: armTime(op.startedAt) };
    if (op.endedAt !== undefined) body['endTime'] = armTime(op.endedAt);
    if (op.status === 'Failed' && op.outcome) body['error'] = { ...op.outcome };
    return { kind: 'reply', status: 200, body, headers: this.readHeaders(subscriptionId) };
  }

  /** `{ value: [...] }` items as Microsoft.Compute sends them. */
  usagesWire(subscriptionId: string, region: string): Array<{ unit: 'Count'; currentValue: number; limit: number; name: { value: string; localizedValue: string } }> {
    return this.usage(subscriptionId, region).map((u) => ({
      unit: 'Count',
      currentValue: u.used,
      limit: u.limit,
      name: { value: u.name, localizedValue: u.localizedValue },
    }));
  }

  readHeaders(subscriptionId: string): Record<string, string> {
    const b = this.bucketFor(this.subscriptionReads, subscriptionId, 250, 25 / 1000);
    return { 'x-ms-ratelimit-remaining-subscription-reads': String(Math.max(0, Math.floor(b.tokens))) };
  }

  writeHeaders(subscriptionId: string): Record<string, string> {
    const b = this.bucketFor(this.subscriptionWrites, subscriptionId, 200, 10 / 1000);
    return { 'x-ms-ratelimit-remaining-subscription-writes': String(Math.max(0, Math.floor(b.tokens))) };
  }

  // ------------------------------------------------------------------------------------------------ time

  /** Settles every operation whose time has come; emits `poolScaled`/`operationFinished`. Returns how many ended. */
  tick(): number {
    const due = [...this.operations.values()].filter((op) => op.status === 'InProgress' && op.deadline <= this.now());
    due.sort((a, b) => a.deadline - b.deadline);
    const events: Array<() => void> = [];
    for (const op of due) {
      const entry = this.poolsByKey.get(op.poolKey);
      op.endedAt = op.deadline;
      if (!entry) {
        op.status = 'Failed';
        op.outcome = { code: 'NotFound', message: 'The agent pool no longer exists.' };
        continue;
      }
      entry.operationId = undefined;
      const props = entry.resource.properties;
      if (op.outcome) {
        op.status = 'Failed';
        const restored: Record<string, unknown> = { ...op.before.properties };
        restored['eTag'] = randomUUID();
        restored['provisioningState'] = 'Failed';
        restored['status'] = { provisioningError: { ...op.outcome } };
        entry.resource.properties = restored as ArmAgentPoolResource['properties']; // nodes (`entry.count`) never moved
      } else {
        op.status = 'Succeeded';
        props.eTag = randomUUID();
        props.provisioningState = 'Succeeded';
        const previous = entry.count;
        entry.count = op.targetCount;
        if (previous !== entry.count) {
          const clusterId = entry.clusterId;
          const name = entry.resource.name;
          const count = entry.count;
          events.push(() => this.emit('poolScaled', clusterId, name, count));
        }
      }
      const view = this.operationView(op);
      events.push(() => this.emit('operationFinished', view));
    }
    for (const e of events) e();
    if (due.length) this.schedule();
    return due.length;
  }

  /** Clears timers and faults; the twin keeps its state for inspection. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.faults.clear();
    this.removeAllListeners();
  }

  // ------------------------------------------------------------------------------------------------ internals

  private key(clusterId: string, pool: string): string {
    return `${lc(clusterId.replace(/\/$/, ''))}/agentpools/${lc(pool)}`;
  }

  private regionKey(subscriptionId: string, region: string): string {
    return `${lc(subscriptionId)}|${lc(region)}`;
  }

  private quotaEntry(subscriptionId: string, region: string, name: string): QuotaEntry {
    const rk = this.regionKey(subscriptionId, region);
    let buckets = this.quotas.get(rk);
    if (!buckets) this.quotas.set(rk, (buckets = new Map()));
    let entry = buckets.get(lc(name));
    if (!entry) buckets.set(lc(name), (entry = { name, baseline: 0 }));
    return entry;
  }

  /** Nodes a pool holds against quota: while an operation runs, max(before, target). */
  private heldNodes(p: PoolEntry): number {
    return Math.max(p.count, p.resource.properties.count);
  }

  private refill(b: Bucket, perMs: number, capacity: number): void {
    const t = this.now();
    b.tokens = Math.min(capacity, b.tokens + Math.max(0, t - b.at) * perMs);
    b.at = t;
  }

  private bucketFor(map: Map<string, Bucket>, subscriptionId: string, capacity: number, perMs: number): Bucket {
    let b = map.get(lc(subscriptionId));
    if (!b) map.set(lc(subscriptionId), (b = { tokens: capacity, at: this.now() }));
    this.refill(b, perMs, capacity);
    b.tokens = Math.max(0, b.tokens - 1);
    return b;
  }

  private notFound(clusterId: string, pool: string): ArmReply {
    const parsed = parseClusterId(clusterId);
    if (!parsed || !this.clusters.has(lc(clusterId.replace(/\/$/, '')))) {
      return errorReply(404, 'ResourceNotFound', armErrorText.clusterNotFound(parsed?.cluster ?? clusterId, parsed?.resourceGroup ?? ''));
    }
    return errorReply(404, 'NotFound', armErrorText.poolNotFound(pool, parsed.cluster));
  }

  private matches(fault: Fault, entry: PoolEntry): boolean {
    const f = fault.input;
    if (f.clusterId !== undefined && lc(f.clusterId.replace(/\/$/, '')) !== lc(entry.clusterId)) return false;
    if (f.pool !== undefined && lc(f.pool) !== lc(entry.resource.name)) return false;
    if (f.region !== undefined && lc(f.region) !== lc(entry.region)) return false;
    if (f.family !== undefined && lc(f.family) !== lc(entry.family)) return false;
    return true;
  }

  private takeFault(entry: PoolEntry, kinds: ArmFaultKind[], on: 'put' | 'get' | 'poll'): Fault | undefined {
    for (const fault of this.faults) {
      if (!kinds.includes(fault.input.kind) || !this.matches(fault, entry)) continue;
      const where = fault.input.kind === 'serverError' || fault.input.kind === 'timeout' ? fault.input.on ?? 'put' : 'put';
      if (where !== 'any' && where !== on) continue;
      if (fault.remaining !== undefined) {
        fault.remaining--;
        if (fault.remaining <= 0) this.faults.delete(fault);
      }
      return fault;
    }
    return undefined;
  }

  private faultReply(fault: Fault): ArmReply {
    if (fault.input.kind === 'timeout') return { kind: 'hang' };
    return errorReply(500, 'InternalServerError', armErrorText.serverError(randomUUID()));
  }

  private allocationOutcome(entry: PoolEntry): { code: string; message: string } | undefined {
    const fault = this.takeFault(entry, ['allocationFailed', 'zonalAllocationFailed', 'skuNotAvailable', 'overconstrainedAllocationRequest'], 'put');
    if (!fault) return undefined;
    switch (fault.input.kind) {
      case 'zonalAllocationFailed':
        return { code: 'ZonalAllocationFailed', message: armErrorText.zonalAllocationFailed };
      case 'allocationFailed':
        return { code: 'AllocationFailed', message: armErrorText.allocationFailed };
      case 'skuNotAvailable':
        return { code: 'SkuNotAvailable', message: armErrorText.skuNotAvailable(String(entry.resource.properties['vmSize']), entry.region) };
      default:
        return { code: 'OverconstrainedAllocationRequest', message: armErrorText.overconstrained };
    }
  }

  /** The PUT body checked against the pool; on success the writable properties to store. */
  private validate(entry: PoolEntry, body: unknown): { next: Record<string, unknown> } | { error: { code: string; message: string } } {
    const invalid = (message: string) => ({ error: { code: 'InvalidParameter', message } });
    if (!isObject(body) || !isObject(body['properties'])) return invalid('Required parameter properties is missing (null).');
    const props = body['properties'];
    const current = entry.resource.properties;
    const next: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(props)) if (!READ_ONLY.has(k) && v !== null && v !== undefined) next[k] = v;

    for (const immutable of ['vmSize', 'scaleSetPriority', 'osType']) {
      if (next[immutable] !== undefined && current[immutable] !== undefined && next[immutable] !== current[immutable]) {
        return { error: { code: 'PropertyChangeNotAllowed', message: `Changing property '${immutable}' is not allowed.` } };
      }
    }
    const count = next['count'];
    if (count === undefined) return invalid('Required parameter properties.count is missing (null).');
    if (!isCount(count)) return invalid(`The value of parameter properties.count is invalid: ${JSON.stringify(count)}.`);
    const system = (next['mode'] ?? current['mode']) === 'System';
    const lowest = system ? 1 : 0;
    if (count < lowest || count > 1000) {
      return invalid(`The value of parameter agentPoolProfile.count is invalid: ${count}. It must be between ${lowest} and 1000 for ${system ? 'System' : 'User'} pools.`);
    }
    const wasAutoscaled = current['enableAutoScaling'] === true;
    const autoscale = next['enableAutoScaling'] === true;
    const currentCount = current.count;
    if (autoscale) {
      const min = next['minCount'];
      const max = next['maxCount'];
      if (!isCount(min) || !isCount(max)) return invalid('minCount and maxCount are required when enableAutoScaling is true.');
      if (min < lowest || max > 1000 || min > max) {
        return invalid(`The value of minCount (${min}) and maxCount (${max}) are invalid: ${lowest} <= minCount <= maxCount <= 1000 is required.`);
      }
      if (count < min || count > max) {
        return invalid(`agentPoolProfile.count was ${count}. It must be greater or equal to minCount:${min} and less than or equal to maxCount:${max}.`);
      }
      if (!wasAutoscaled && count !== currentCount) {
        return invalid('Cannot manually scale and enable cluster autoscaler in the same update operation on VMSS Agentpool.');
      }
      if (wasAutoscaled && count !== currentCount && currentCount >= min && currentCount <= max) {
        return invalid(`Cannot manually scale the node count of agent pool '${entry.resource.name}' while cluster autoscaler is enabled; change minCount/maxCount instead.`);
      }
    }
    next['enableAutoScaling'] = autoscale;
    return { next };
  }

  /** The QuotaExceeded message when `vcpus` more would not fit, or undefined. */
  private quotaCheck(entry: PoolEntry, vcpus: number): string | undefined {
    const usages = this.usage(entry.subscriptionId, entry.region);
    const find = (name: string) => usages.find((u) => lc(u.name) === lc(name));
    const base = { subscriptionId: entry.subscriptionId, region: entry.region, cluster: entry.cluster, resourceGroup: entry.resourceGroup, pool: entry.resource.name, required: vcpus };
    if (entry.spot) {
      const low = find('lowPriorityCores')!;
      if (low.used + vcpus > low.limit) return quotaExceededMessage({ ...base, scope: 'lowPriority', bucket: low.name, limit: low.limit, usage: low.used });
      return undefined;
    }
    const family = find(entry.family)!;
    if (family.used + vcpus > family.limit) return quotaExceededMessage({ ...base, scope: 'family', bucket: family.name, limit: family.limit, usage: family.used });
    const cores = find('cores')!;
    if (cores.used + vcpus > cores.limit) return quotaExceededMessage({ ...base, scope: 'regional', bucket: 'cores', limit: cores.limit, usage: cores.used });
    return undefined;
  }

  private schedule(): void {
    if (!this.useTimers || this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    let next = Infinity;
    for (const op of this.operations.values()) if (op.status === 'InProgress') next = Math.min(next, op.deadline);
    if (next === Infinity) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.tick();
      this.schedule();
    }, Math.max(0, next - this.now()) + 1);
    this.timer.unref();
  }

  private operationView(op: Operation): ArmOperationView {
    const entry = this.poolsByKey.get(op.poolKey);
    return {
      id: op.id,
      clusterId: entry?.clusterId ?? '',
      pool: entry?.resource.name ?? '',
      status: op.status,
      ...(op.status === 'Failed' && op.outcome ? { error: { ...op.outcome } } : {}),
    };
  }

  private view(e: PoolEntry): ArmPoolView {
    const p = e.resource.properties;
    return {
      clusterId: e.clusterId,
      pool: e.resource.name,
      subscriptionId: e.subscriptionId,
      resourceGroup: e.resourceGroup,
      cluster: e.cluster,
      region: e.region,
      family: e.family,
      vcpusPerNode: e.vcpusPerNode,
      ...(e.gpusPerNode !== undefined ? { gpusPerNode: e.gpusPerNode } : {}),
      spot: e.spot,
      count: e.count,
      desiredCount: p.count,
      autoscale: p['enableAutoScaling'] === true,
      ...(typeof p['minCount'] === 'number' ? { minCount: p['minCount'] } : {}),
      ...(typeof p['maxCount'] === 'number' ? { maxCount: p['maxCount'] } : {}),
      provisioningState: p.provisioningState,
      eTag: p.eTag,
      puts: e.puts,
      acceptedPuts: e.acceptedPuts,
      ...(e.lastPut ? { lastPut: clone(e.lastPut) } : {}),
      resource: clone(e.resource),
    };
  }
}
