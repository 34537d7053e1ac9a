/**
 * The names AKS, Kubernetes and Ray give things, so the twin's nodes, pods and Ray ids look like the real
 * ones (and round-trip through `shared/signals/aksResources.ts`):
 * - a VMSS node pool's scale set is `aks-<pool>-<8 digits>-vmss`; a node is `<vmss><instance id in base 36,
 *   zero-padded to 6>`; its `spec.providerID` names the VM in the node resource group `mc_<rg>_<cluster>_<region>`;
 * - pods made from `generateName` end in 5 characters of Kubernetes' `utilrand` alphabet (no vowels);
 * - a Ray NodeID is 28 bytes (56 hex), an ActorID 16 bytes whose last 4 are the JobID (32 hex).
 *
 * Everything is derived from a seed with a hash, so a world built twice has the same names.
 */
import { createHash } from 'node:crypto';

/** Kubernetes `k8s.io/apimachinery/pkg/util/rand` alphanumerics: no vowels, no 0/1/3, so no words. */
const K8S_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

const digest = (seed: string): Buffer => createHash('sha256').update(seed).digest();

/** 8 decimal digits for a scale set name, stable per cluster and pool (AKS uses a hash of the cluster too). */
export function vmssDigits(clusterId: string, pool: string): string {
  return String(digest(`${clusterId.toLowerCase()}|${pool}`).readUInt32BE(0) % 100_000_000).padStart(8, '0');
}

export function vmssName(clusterId: string, pool: string): string {
  return `aks-${pool}-${vmssDigits(clusterId, pool)}-vmss`;
}

/** `aks-gpu-12345678-vmss` + instance 10 → `aks-gpu-12345678-vmss00000a`. */
export function vmssNodeName(vmss: string, instanceId: number): string {
  return `${vmss}${instanceId.toString(36).padStart(6, '0')}`;
}

export interface ClusterIdParts {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly cluster: string;
}

const CLUSTER_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerService\/managedClusters\/([^/]+)\/?$/i;

export function clusterIdParts(clusterId: string): ClusterIdParts {
  const m = CLUSTER_ID.exec(clusterId);
  if (!m) throw new Error(`not a managed cluster id: ${clusterId}`);
  return { subscriptionId: m[1]!, resourceGroup: m[2]!, cluster: m[3]! };
}

/** AKS's default node resource group `MC_<rg>_<cluster>_<region>` (cut to 80 characters). */
export function nodeResourceGroup(clusterId: string, region: string): string {
  const { resourceGroup, cluster } = clusterIdParts(clusterId);
  return `MC_${resourceGroup}_${cluster}_${region}`.slice(0, 80);
}

/** A node's `spec.providerID`: the cloud provider writes the node resource group in lower case. */
export function vmssProviderId(clusterId: string, region: string, vmss: string, instanceId: number): string {
  const { subscriptionId } = clusterIdParts(clusterId);
  return `azure:///subscriptions/${subscriptionId}/resourceGroups/${nodeResourceGroup(clusterId, region).toLowerCase()}/providers/Microsoft.Compute/virtualMachineScaleSets/${vmss}/virtualMachines/${instanceId}`;
}

/** The 5-character suffix `generateName` adds. */
export function podSuffix(seed: string): string {
  const bytes = digest(seed);
  let out = '';
  for (let i = 0; i < 5; i++) out += K8S_ALPHABET[bytes[i]! % K8S_ALPHABET.length];
  return out;
}

/** A Kubernetes uid (UUID v4 layout) from a seed. */
export function kubeUid(seed: string): string {
  const h = digest(`uid|${seed}`).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Ray's NodeID: 28 bytes as hex. */
export function rayNodeId(seed: string): string {
  return digest(`node|${seed}`).toString('hex').slice(0, 56);
}

/** Ray's ActorID: 12 unique bytes followed by the 4-byte JobID, as hex. */
export function rayActorId(seed: string, jobIdHex: string): string {
  return digest(`actor|${seed}`).toString('hex').slice(0, 24) + jobIdHex;
}
