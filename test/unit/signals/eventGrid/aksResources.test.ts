import { describe, expect, it } from 'vitest';
import { armResourceType, clusterIdFromTopic, mapAksResource, parseArmId } from '../../../../shared/signals/index.js';
import type { FleetIndex } from '../../../../shared/signals/fleetIndex.js';
import { EUS2, FLEET, SUB, SUB2, SWC, WUS3, clusterId, vmssInstanceId } from './bodies.js';

const VMSS = 'aks-gpu1-12345678-vmss';
const vmss = (rg: string, name = VMSS, sub = SUB): string =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`;

describe('mapAksResource: node names', () => {
  it.each([
    [0, 'aks-gpu1-12345678-vmss000000'],
    [10, 'aks-gpu1-12345678-vmss00000a'],
    [35, 'aks-gpu1-12345678-vmss00000z'],
    [36, 'aks-gpu1-12345678-vmss000010'],
    [1295, 'aks-gpu1-12345678-vmss0000zz'],
    [2176782335, 'aks-gpu1-12345678-vmsszzzzzz'],
  ])('instance %i → %s', (instance, node) => {
    expect(mapAksResource(vmssInstanceId('MC_rg-gpu_aks-gpu-eus2_eastus2', VMSS, instance))?.node).toBe(node);
  });

  it('the VMSS itself → pool, no node; casing of the VMSS name is normalised', () => {
    expect(mapAksResource(vmss('MC_rg-gpu_aks-gpu-eus2_eastus2', 'AKS-GPU1-12345678-VMSS'))).toEqual({
      clusterId: clusterId('rg-gpu', 'aks-gpu-eus2'),
      pool: 'gpu1',
      region: 'eastus2',
    });
  });

  it('a non-numeric instance id gives no node name', () => {
    expect(mapAksResource(vmssInstanceId('MC_rg-gpu_aks-gpu-eus2_eastus2', VMSS, 'abc'))).toEqual({ clusterId: clusterId('rg-gpu', 'aks-gpu-eus2'), pool: 'gpu1', region: 'eastus2' });
  });
});

describe('mapAksResource: which cluster', () => {
  it('fleet: explicit nodeResourceGroup, case-insensitively', () => {
    expect(mapAksResource(vmssInstanceId('Nodes-GPU-SWC', VMSS, 1), FLEET)).toEqual({ clusterId: SWC.id, pool: 'gpu1', node: 'aks-gpu1-12345678-vmss000001', region: 'swedencentral' });
  });

  it('fleet: default node RG computed from the fleet cluster (underscored names)', () => {
    expect(mapAksResource(vmss('mc_RG_ML_AKS_TRAIN_WESTUS3'), FLEET)).toEqual({ clusterId: WUS3.id, pool: 'gpu1', region: 'westus3' });
  });

  it('a fleet cluster with a custom node RG: its default-named group is found by convention, with the fleet spelling', () => {
    const swcDefault = 'MC_rg-gpu_aks-gpu-swc_swedencentral';
    // Not in the fleet by that name, but the convention still names the cluster (same id as the fleet's).
    expect(mapAksResource(vmss(swcDefault), FLEET)).toEqual({ clusterId: SWC.id, pool: 'gpu1', region: 'swedencentral' });
  });

  it('fleet: a node RG in another subscription is not ours', () => {
    expect(mapAksResource(vmss('nodes-gpu-swc', VMSS, SUB2), FLEET)).toEqual({ pool: 'gpu1' });
  });

  it('convention without a fleet: only when unambiguous', () => {
    expect(mapAksResource(vmss('MC_rg-gpu_aks-gpu-eus2_eastus2'))).toMatchObject({ clusterId: EUS2.id, region: 'eastus2' });
    expect(mapAksResource(vmss('MC_rg_ml_aks_train_westus3'))).toEqual({ pool: 'gpu1', region: 'westus3' });
    expect(mapAksResource(vmss('MC_onlyone_eastus'))).toEqual({ pool: 'gpu1', region: 'eastus' });
    expect(mapAksResource(vmss('not-a-node-rg'))).toEqual({ pool: 'gpu1' });
  });

  it('an 80-character node RG may have been cut: the convention does not trust it', () => {
    const rg = `MC_${'r'.repeat(40)}_${'c'.repeat(40)}_eastus`.slice(0, 80);
    expect(mapAksResource(vmss(rg))).toEqual({ pool: 'gpu1' });
    const long: FleetIndex = { clusters: [{ id: clusterId('r'.repeat(40), 'c'.repeat(40)), name: 'c'.repeat(40), region: 'eastus' }] };
    expect(mapAksResource(vmss(rg), long)?.clusterId).toBe(clusterId('r'.repeat(40), 'c'.repeat(40)));
  });

  it('two fleet clusters claiming one node RG: no guess', () => {
    const dup: FleetIndex = { clusters: [{ ...SWC }, { ...SWC, id: clusterId('rg2', 'other'), name: 'other' }] };
    expect(mapAksResource(vmss('nodes-gpu-swc'), dup)?.clusterId).toBeUndefined();
  });

  it('a managed cluster or agent pool id → the cluster (fleet spelling) and pool', () => {
    expect(mapAksResource(`${EUS2.id.toLowerCase()}/agentPools/GPU1`, FLEET)).toEqual({ clusterId: EUS2.id, pool: 'gpu1', region: 'eastus2' });
    expect(mapAksResource(EUS2.id)).toEqual({ clusterId: EUS2.id });
  });

  it('not AKS: undefined', () => {
    expect(mapAksResource(`/subscriptions/${SUB}/resourceGroups/web/providers/Microsoft.Compute/virtualMachineScaleSets/web-vmss/virtualMachines/1`)).toBeUndefined();
    expect(mapAksResource(`/subscriptions/${SUB}/resourceGroups/web/providers/Microsoft.Compute/virtualMachines/vm1`)).toBeUndefined();
    expect(mapAksResource('')).toBeUndefined();
    expect(mapAksResource('hello/world')).toBeUndefined();
  });
});

describe('clusterIdFromTopic', () => {
  it('a clean topic → canonical casing; the fleet spelling when known', () => {
    const lower = EUS2.id.toLowerCase();
    expect(clusterIdFromTopic(lower)).toBe(clusterId('rg-gpu', 'aks-gpu-eus2'));
    expect(clusterIdFromTopic(lower.replace('rg-gpu', 'RG-GPU'), FLEET)).toBe(EUS2.id);
  });

  it('the doc typo resourceGroups<rg> is recovered', () => {
    expect(clusterIdFromTopic('/subscriptions/<id>/resourceGroups<rg>/providers/Microsoft.ContainerService/managedClusters/<cluster>')).toBe(
      '/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.ContainerService/managedClusters/<cluster>',
    );
  });

  it('ids under a cluster (scheduled events) → the cluster; anything else → undefined', () => {
    expect(clusterIdFromTopic(`${EUS2.id}/scheduledEvents/abc`)).toBe(EUS2.id);
    expect(clusterIdFromTopic(`/subscriptions/${SUB}`)).toBeUndefined();
    expect(clusterIdFromTopic(`/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa`)).toBeUndefined();
    expect(clusterIdFromTopic('garbage')).toBeUndefined();
  });
});

describe('parseArmId / armResourceType', () => {
  it('extension resources describe their base resource', () => {
    const id = `${vmssInstanceId('rg', VMSS, 3)}/providers/Microsoft.ResourceHealth/availabilityStatuses/current`;
    expect(armResourceType(id)).toBe('Microsoft.Compute/virtualMachineScaleSets/virtualMachines');
    expect(parseArmId(id)?.segments.map((s) => s.name)).toEqual([VMSS, '3']);
  });

  it('odd segment counts are not ARM ids', () => {
    expect(parseArmId(`/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines`)).toBeUndefined();
  });
});
