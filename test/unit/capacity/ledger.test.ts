import { describe, expect, it } from 'vitest';
import { bucketKey, emptyLedger, headroomVcpus, ledgerOf, liveReservations, recordUsages, type Reservation } from '../../../shared/capacity/ledger.js';
import { ago, NOW, read, SUB, usage } from './support.js';

const FAM = 'standardNDSH100v5Family';
const q = (over: Partial<{ family: string; spot: boolean; region: string; subscriptionId: string }> = {}) =>
  ({ subscriptionId: SUB, region: 'westus3', family: FAM, spot: false, ...over });
const res = (over: Partial<Reservation> = {}): Reservation =>
  ({ key: 'r1', subscriptionId: SUB, region: 'westus3', family: FAM, spot: false, vcpus: 96, expiresAt: new Date(NOW.getTime() + 60_000).toISOString(), ...over });

describe('quota ledger headroom', () => {
  it.each([
    ['family is the tighter', { [FAM]: [96, 480] as [number, number] }, [0, 1000] as [number, number], 384, FAM],
    ['cores is the tighter', { [FAM]: [0, 480] as [number, number] }, [900, 1000] as [number, number], 100, 'cores'],
    ['both full', { [FAM]: [480, 480] as [number, number] }, [1000, 1000] as [number, number], 0, FAM],
    ['over the limit is 0, not negative', { [FAM]: [500, 480] as [number, number] }, [0, 1000] as [number, number], 0, FAM],
  ])('on demand: min(family, cores) — %s', (_, families, cores, vcpus, limitedBy) => {
    const h = headroomVcpus(ledgerOf([read('westus3', families, cores)]), q(), [], NOW);
    expect(h.vcpus).toBe(vcpus);
    expect(h.limitedBy).toBe(limitedBy);
    expect(h.known).toBe(true);
  });

  it('Spot counts only lowPriorityCores, not the family or cores', () => {
    const l = ledgerOf([read('westus3', { [FAM]: [480, 480] }, [1000, 1000], [100, 400])]);
    expect(headroomVcpus(l, q({ spot: true }), [], NOW)).toMatchObject({ vcpus: 300, limitedBy: 'lowPriorityCores' });
  });

  it('compares family names case-insensitively and ignoring spaces', () => {
    const l = ledgerOf([read('westus3', { 'Standard NDASv4_A100 Family': [0, 192] })]);
    expect(headroomVcpus(l, q({ family: 'standardndasv4_a100family' }), [], NOW).vcpus).toBe(192);
  });

  it('subtracts live reservations on the same buckets, on demand from both family and cores', () => {
    const l = ledgerOf([read('westus3', { [FAM]: [0, 480], StandardNCADSA100v4Family: [0, 480] }, [0, 500])]);
    const reservations = [res({ key: 'a', vcpus: 96 }), res({ key: 'b', family: 'StandardNCADSA100v4Family', vcpus: 200 })];
    // family: 480 − 96 = 384; cores: 500 − 96 − 200 = 204
    expect(headroomVcpus(l, q(), reservations, NOW)).toMatchObject({ vcpus: 204, limitedBy: 'cores' });
  });

  it('Spot reservations use lowPriorityCores only; on-demand ones do not touch it', () => {
    const l = ledgerOf([read('westus3', { [FAM]: [0, 480] }, [0, 500], [0, 300])]);
    const reservations = [res({ key: 's', spot: true, vcpus: 192 }), res({ key: 'o', vcpus: 96 })];
    expect(headroomVcpus(l, q({ spot: true }), reservations, NOW).vcpus).toBe(108);
    expect(headroomVcpus(l, q(), reservations, NOW).vcpus).toBe(384);
  });

  it('ignores expired reservations, and counts a key listed twice once', () => {
    const l = ledgerOf([read('westus3', { [FAM]: [0, 480] })]);
    const reservations = [res({ key: 'old', expiresAt: NOW.toISOString() }), res({ key: 'x' }), res({ key: 'x' })];
    expect(liveReservations(reservations, NOW).map((r) => r.key)).toEqual(['x']);
    expect(headroomVcpus(l, q(), reservations, NOW).vcpus).toBe(384);
  });

  it('ignores reservations of other regions and subscriptions', () => {
    const l = ledgerOf([read('westus3', { [FAM]: [0, 480] })]);
    expect(headroomVcpus(l, q(), [res({ region: 'eastus2' }), res({ key: 'r2', subscriptionId: 'other' })], NOW).vcpus).toBe(480);
  });

  it('a settled reservation stops counting once a usages read taken after it settled is in the ledger', () => {
    const settled = res({ settledAt: ago(30_000) });
    const before = ledgerOf([read('westus3', { [FAM]: [0, 480] }, undefined, undefined, SUB, ago(60_000))]);
    const after = ledgerOf([read('westus3', { [FAM]: [96, 480] }, [96, 10_000], undefined, SUB, ago(10_000))]);
    expect(headroomVcpus(before, q(), [settled], NOW).vcpus).toBe(384);
    expect(headroomVcpus(after, q(), [settled], NOW).vcpus).toBe(384);
  });

  it.each([
    ['nothing read at all', [], `quota usage of ${FAM} in westus3 never read: headroom 0 vCPU`, FAM],
    ['only cores read', [{ subscriptionId: SUB, region: 'westus3', readAt: ago(1000), usages: [usage('cores', 0, 100)] }], `quota usage of ${FAM} in westus3 never read: headroom 0 vCPU`, FAM],
    ['only the family read', [{ subscriptionId: SUB, region: 'westus3', readAt: ago(1000), usages: [usage(FAM, 0, 100)] }], 'quota usage of cores in westus3 never read: headroom 0 vCPU', 'cores'],
  ])('an unknown bucket gives 0 with the reason, never a guess: %s', (_, reads, reason, limitedBy) => {
    const h = headroomVcpus(ledgerOf(reads), q(), [], NOW);
    expect(h).toMatchObject({ vcpus: 0, known: false, reason, limitedBy });
  });

  it('a known bucket says its numbers', () => {
    const h = headroomVcpus(ledgerOf([read('westus3', { [FAM]: [96, 480] })]), q(), [res({ vcpus: 96 })], NOW);
    expect(h.reason).toBe(`headroom 288 vCPU in ${FAM} (limit 480, used 96, reserved 96)`);
  });

  it('keeps the newer read of a bucket whatever order reads arrive in', () => {
    const newer = read('westus3', { [FAM]: [96, 480] }, undefined, undefined, SUB, ago(1000));
    const older = read('westus3', { [FAM]: [0, 480] }, undefined, undefined, SUB, ago(5000));
    for (const l of [ledgerOf([older, newer]), ledgerOf([newer, older])]) {
      expect(l.buckets.get(bucketKey(SUB, 'westus3', FAM))?.used).toBe(96);
    }
    expect(recordUsages(emptyLedger(), { ...newer, readAt: NOW }).buckets.get(bucketKey(SUB, 'WestUS3', FAM.toUpperCase()))?.readAt).toBe(NOW.toISOString());
  });
});
