/**
 * ARM resource ids of AKS things → the cluster of ours they belong to, the node pool and the Kubernetes node
 * name. Pure (no I/O, no clock); used by the Event Grid parser (Resource Notifications health events about
 * VMSS instances, AKS system-topic topics) and reusable by Prometheus alert parsing.
 *
 * What AKS does (and what this file relies on):
 * - a cluster's nodes live in its node resource group, by default `MC_<resourceGroup>_<cluster>_<region>`
 *   (cut to 80 characters), or a custom name (`nodeResourceGroup` in the fleet index);
 * - a VMSS node pool's scale set is `aks-<pool>-<digits>-vmss`;
 * - a VMSS node's Kubernetes name is `<vmss name><instance id in base 36, zero-padded to 6>`
 *   (instance 10 of `aks-gpu1-12345678-vmss` → `aks-gpu1-12345678-vmss00000a`).
 *
 * Resource group and cluster names may both contain `_`, so `MC_a_b_c_eastus` cannot be split by convention
 * alone: the fleet index is asked first (explicit `nodeResourceGroup`, else each fleet cluster's default
 * name), and the convention is used only when it is unambiguous (exactly one `_` between `MC_` and the
 * region, and a name short enough not to have been cut). Otherwise `clusterId` stays undefined.
 */
import { norm } from './read.js';
import type { ResourceHealthSignal } from './types.js';
import type { FleetIndex, FleetIndexCluster } from './fleetIndex.js';

export interface AksResourceRef {
  /** ARM id of the managed cluster: the fleet's spelling when the fleet knows it, else canonical casing. */
  readonly clusterId?: string;
  readonly pool?: string;
  readonly node?: string;
  /** ARM region name, lower case. */
  readonly region?: string;
}

/** An ARM id split into its parts. `segments` are the (type, name) pairs after the first provider namespace. */
export interface ArmId {
  readonly subscription: string;
  readonly resourceGroup?: string;
  readonly namespace?: string;
  readonly segments: readonly { readonly type: string; readonly name: string }[];
}

const MAX_RG_LENGTH = 80;
const VMSS_NAME = /^aks-([a-z0-9]+)-\d+-vmss$/i;
const INSTANCE_ID = /^\d{1,15}$/;
/** `MC_<rest>_<region>`: ARM region names are lower-case letters and digits, never `_`. */
const DEFAULT_NODE_RG = /^MC_(.+)_([a-z0-9]+)$/i;

/** `<vmss name><base-36 instance id, at least 6 digits>`: the VMSS part is the pool's scale set name. */
const NODE_NAME = /^(aks-[a-z0-9]+-\d+-vmss)([0-9a-z]{6,})$/i;

/**
 * The Kubernetes node name of VMSS instance `instanceId` of scale set `vmss`, as AKS names it:
 * instance 10 of `aks-gpu1-12345678-vmss` → `aks-gpu1-12345678-vmss00000a` (lower case, like every
 * Kubernetes node name).
 */
export function nodeNameOf(vmss: string, instanceId: number | string): string {
  return `${vmss.toLowerCase()}${Number(instanceId).toString(36).padStart(6, '0')}`;
}

/** `aks-gpu1-12345678-vmss00000a` → `aks-gpu1-12345678-vmss`; undefined for a name AKS's VMSS pools do not give. */
export function vmssOfNode(node: string): string | undefined {
  const m = NODE_NAME.exec(node.trim());
  return m ? (m[1] as string).toLowerCase() : undefined;
}

/** `aks-gpu1-12345678-vmss00000a` → `"10"` (the VMSS instance id, decimal, as ARM writes it). */
export function instanceIdOfNode(node: string): string | undefined {
  const m = NODE_NAME.exec(node.trim());
  if (!m) return undefined;
  const n = Number.parseInt(m[2] as string, 36);
  return Number.isSafeInteger(n) ? String(n) : undefined;
}

/** `aks-gpu1-12345678-vmss` → `gpu1`. */
export function poolOfVmss(vmss: string): string | undefined {
  const m = VMSS_NAME.exec(vmss.trim());
  return m ? (m[1] as string).toLowerCase() : undefined;
}

/** AKS's default node resource group of a cluster: `MC_<resourceGroup>_<cluster>_<region>`, cut to 80 characters. */
export function defaultNodeResourceGroup(resourceGroup: string, cluster: string, region: string): string {
  return `MC_${resourceGroup}_${cluster}_${region}`.slice(0, MAX_RG_LENGTH);
}

/**
 * Parse `/subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{type}/{name}/…`, ignoring case of the
 * keywords. Tolerates a missing `/` after `resourceGroups` (the AKS doc sample's `resourceGroups<rg>`): the
 * rest of that segment is taken as the group name. Segments stop at a nested `/providers/` (extension
 * resources such as `…/providers/Microsoft.ResourceHealth/availabilityStatuses/current`): the result
 * describes the base resource. Undefined when the text is not an ARM id.
 */
export function parseArmId(id: string): ArmId | undefined {
  if (typeof id !== 'string' || id.length === 0 || id.length > 2048) return undefined;
  const parts = id.trim().split('/').filter((p) => p.length > 0);
  if (parts.length < 2 || parts[0]?.toLowerCase() !== 'subscriptions') return undefined;
  const subscription = parts[1] as string;
  let i = 2;
  let resourceGroup: string | undefined;
  const rgKey = parts[i]?.toLowerCase();
  if (rgKey === 'resourcegroups') {
    resourceGroup = parts[i + 1];
    if (resourceGroup === undefined) return undefined;
    i += 2;
  } else if (rgKey !== undefined && rgKey.startsWith('resourcegroups') && rgKey.length > 'resourcegroups'.length) {
    resourceGroup = (parts[i] as string).slice('resourcegroups'.length);
    i += 1;
  }
  if (i >= parts.length) return { subscription, resourceGroup, segments: [] };
  if (parts[i]?.toLowerCase() !== 'providers' || parts[i + 1] === undefined) return undefined;
  const namespace = parts[i + 1] as string;
  const segments: { type: string; name: string }[] = [];
  for (let j = i + 2; j < parts.length; j += 2) {
    const type = parts[j] as string;
    if (type.toLowerCase() === 'providers') break;
    const name = parts[j + 1];
    if (name === undefined) return undefined;
    segments.push({ type, name });
  }
  return { subscription, resourceGroup, namespace, segments };
}

/** "…/providers/Microsoft.Compute/virtualMachineScaleSets/x/virtualMachines/3" → "Microsoft.Compute/virtualMachineScaleSets/virtualMachines". */
export function armResourceType(resourceId: string): string | undefined {
  const arm = parseArmId(resourceId);
  if (arm?.namespace === undefined || arm.segments.length === 0) return undefined;
  return `${arm.namespace}/${arm.segments.map((s) => s.type).join('/')}`;
}

function canonicalClusterId(subscription: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscription}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${name}`;
}

/**
 * The managed cluster an ARM id is (or is under: agent pools, scheduled events …), as a cluster id: the
 * fleet's own spelling of it when the fleet has that cluster (ARM ids are case-insensitive), else the
 * canonical form `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{name}`
 * with the names as sent. Used for AKS system-topic `topic` / CloudEvents `source`. Undefined when the id
 * is not (under) a managed cluster.
 */
export function clusterIdFromTopic(topic: string, fleet?: FleetIndex): string | undefined {
  const arm = parseArmId(topic);
  if (arm === undefined) return undefined;
  const ref = clusterOfArm(arm, fleet);
  return ref?.clusterId;
}

function clusterOfArm(arm: ArmId, fleet: FleetIndex | undefined): { clusterId: string; region?: string } | undefined {
  const first = arm.segments[0];
  if (
    arm.resourceGroup === undefined ||
    arm.namespace?.toLowerCase() !== 'microsoft.containerservice' ||
    first === undefined ||
    first.type.toLowerCase() !== 'managedclusters'
  ) {
    return undefined;
  }
  const id = canonicalClusterId(arm.subscription, arm.resourceGroup, first.name);
  const known = fleet !== undefined ? lookup(fleet).byId.get(id.toLowerCase()) : undefined;
  return known !== undefined ? { clusterId: known.id, region: known.region.toLowerCase() } : { clusterId: id };
}

/**
 * An AKS-related ARM resource → cluster / pool / node / region:
 * - a VMSS (`…/virtualMachineScaleSets/aks-<pool>-<n>-vmss`) or one of its instances (`…/virtualMachines/<id>`)
 *   → the pool (and the node name for an instance), and the cluster + region from its node resource group;
 * - any other resource in a node resource group the fleet (or the convention) knows → the cluster + region;
 * - a managed cluster or one of its agent pools → the cluster (and pool).
 * Undefined when nothing AKS-related can be said about the id.
 */
export function mapAksResource(resourceId: string, fleet?: FleetIndex): AksResourceRef | undefined {
  const arm = parseArmId(resourceId);
  if (arm === undefined) return undefined;

  const cluster = clusterOfArm(arm, fleet);
  if (cluster !== undefined) {
    const second = arm.segments[1];
    const pool = second !== undefined && second.type.toLowerCase() === 'agentpools' ? second.name.toLowerCase() : undefined;
    return compact({ clusterId: cluster.clusterId, pool, region: cluster.region });
  }

  if (arm.resourceGroup === undefined) return undefined;
  let pool: string | undefined;
  let node: string | undefined;
  const first = arm.segments[0];
  if (arm.namespace?.toLowerCase() === 'microsoft.compute' && first?.type.toLowerCase() === 'virtualmachinescalesets') {
    const m = VMSS_NAME.exec(first.name);
    if (m) {
      pool = (m[1] as string).toLowerCase();
      const second = arm.segments[1];
      if (second !== undefined && second.type.toLowerCase() === 'virtualmachines' && INSTANCE_ID.test(second.name)) {
        node = nodeNameOf(first.name, second.name);
      }
    }
  }
  const owner = clusterOfNodeResourceGroup(arm.subscription, arm.resourceGroup, fleet);
  if (owner === undefined && pool === undefined) return undefined;
  return compact({ clusterId: owner?.clusterId, pool, node, region: owner?.region });
}

/**
 * The cluster whose node resource group `resourceGroup` (in `subscription`) is: the fleet first (explicit
 * `nodeResourceGroup`, else the default name computed from the cluster's id and region), then the default
 * naming convention when it is unambiguous. `{ region }` only when the convention gives the region but not
 * the cluster; undefined when the group says nothing.
 */
function clusterOfNodeResourceGroup(
  subscription: string,
  resourceGroup: string,
  fleet: FleetIndex | undefined,
): { clusterId?: string; region?: string } | undefined {
  if (fleet !== undefined) {
    const candidates = (lookup(fleet).byNodeRg.get(resourceGroup.toLowerCase()) ?? []).filter(
      (c) => c.subscription === undefined || c.subscription === subscription.toLowerCase(),
    );
    if (candidates.length === 1) {
      const c = (candidates[0] as IndexedCluster).cluster;
      return { clusterId: c.id, region: c.region.toLowerCase() };
    }
    if (candidates.length > 1) return undefined; // two fleet clusters claim one group: don't guess
  }
  // An 80-character name may have been cut by AKS: its tail (region, even cluster) cannot be trusted.
  if (resourceGroup.length >= MAX_RG_LENGTH) return undefined;
  const m = DEFAULT_NODE_RG.exec(resourceGroup);
  if (!m) return undefined;
  const region = (m[2] as string).toLowerCase();
  const rest = m[1] as string;
  const cut = rest.indexOf('_');
  const unambiguous = cut > 0 && cut === rest.lastIndexOf('_') && cut < rest.length - 1;
  if (!unambiguous) return { region };
  const id = canonicalClusterId(subscription, rest.slice(0, cut), rest.slice(cut + 1));
  const known = fleet !== undefined ? lookup(fleet).byId.get(id.toLowerCase()) : undefined;
  return { clusterId: known?.id ?? id, region: known?.region.toLowerCase() ?? region };
}

/** The fleet cluster named `name` (case-insensitively), only if exactly one matches (in `subscription` when given). */
export function fleetClusterByName(fleet: FleetIndex, name: string, subscription?: string): FleetIndexCluster | undefined {
  const all = lookup(fleet).byName.get(name.toLowerCase()) ?? [];
  const inSub = subscription === undefined ? all : all.filter((c) => c.subscription === undefined || c.subscription === subscription.toLowerCase());
  return inSub.length === 1 ? (inSub[0] as IndexedCluster).cluster : undefined;
}

interface IndexedCluster {
  readonly cluster: FleetIndexCluster;
  /** Lower-cased subscription of the cluster id, when it parses. */
  readonly subscription: string | undefined;
}

interface FleetLookup {
  readonly byId: ReadonlyMap<string, FleetIndexCluster>;
  readonly byNodeRg: ReadonlyMap<string, readonly IndexedCluster[]>;
  readonly byName: ReadonlyMap<string, readonly IndexedCluster[]>;
}

/** Memoised per index object (a pure cache: the index is immutable data), so a 1,000-event batch indexes once. */
const LOOKUPS = new WeakMap<FleetIndex, FleetLookup>();

function lookup(fleet: FleetIndex): FleetLookup {
  const cached = LOOKUPS.get(fleet);
  if (cached !== undefined) return cached;
  const byId = new Map<string, FleetIndexCluster>();
  const byNodeRg = new Map<string, IndexedCluster[]>();
  const byName = new Map<string, IndexedCluster[]>();
  const push = (m: Map<string, IndexedCluster[]>, k: string, v: IndexedCluster): void => {
    const list = m.get(k);
    if (list === undefined) m.set(k, [v]);
    else list.push(v);
  };
  for (const cluster of Array.isArray(fleet.clusters) ? fleet.clusters : []) {
    if (typeof cluster?.id !== 'string') continue;
    const arm = parseArmId(cluster.id);
    const first = arm?.segments[0];
    const clusterRg = arm?.resourceGroup;
    const canonical =
      arm !== undefined && clusterRg !== undefined && first !== undefined && first.type.toLowerCase() === 'managedclusters'
        ? canonicalClusterId(arm.subscription, clusterRg, first.name)
        : cluster.id;
    byId.set(canonical.toLowerCase(), cluster);
    const entry: IndexedCluster = { cluster, subscription: arm?.subscription.toLowerCase() };
    const nodeRg =
      typeof cluster.nodeResourceGroup === 'string' && cluster.nodeResourceGroup.length > 0
        ? cluster.nodeResourceGroup
        : clusterRg !== undefined && typeof cluster.region === 'string'
          ? defaultNodeResourceGroup(clusterRg, first?.name ?? cluster.name, cluster.region)
          : undefined;
    if (nodeRg !== undefined) push(byNodeRg, nodeRg.toLowerCase(), entry);
    if (typeof cluster.name === 'string') push(byName, cluster.name.toLowerCase(), entry);
  }
  const built: FleetLookup = { byId, byNodeRg, byName };
  LOOKUPS.set(fleet, built);
  return built;
}

function compact(ref: { clusterId?: string; pool?: string; node?: string; region?: string }): AksResourceRef {
  const out: { clusterId?: string; pool?: string; node?: string; region?: string } = {};
  if (ref.clusterId !== undefined) out.clusterId = ref.clusterId;
  if (ref.pool !== undefined) out.pool = ref.pool;
  if (ref.node !== undefined) out.node = ref.node;
  if (ref.region !== undefined) out.region = ref.region;
  return out;
}

/** Azure's availability states (any casing) as the signal's status; anything else is 'unknown'. */
export function healthStatus(s: string | undefined): ResourceHealthSignal['status'] {
  switch (s === undefined ? '' : norm(s)) {
    case 'available': return 'available';
    case 'unavailable': return 'unavailable';
    case 'degraded': return 'degraded';
    default: return 'unknown';
  }
}
