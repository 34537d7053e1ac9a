/**
 * NVIDIA XIDs, for telling a GPU that is failing from a program that failed on it. A `gpuFault` signal
 * carries the XID as sent (DESIGN §4 field list unchanged); whoever acts on it asks `isApplicationXid`.
 *
 * Application XIDs: the ones NVIDIA's own Kubernetes device plugin does not count against a GPU's health
 * ("Application errors: the GPU should still be healthy", NVIDIA/k8s-device-plugin internal/rm/health.go,
 * after docs.nvidia.com/deploy/xid-errors): 13 Graphics Engine Exception, 31 GPU memory page fault,
 * 43 GPU stopped processing, 45 Preemptive cleanup due to previous errors, 68 Video processor exception.
 * They usually come from a bad kernel or an out-of-bounds access in the job itself: retrying the job on
 * another node would fail the same way, and draining the node would punish the hardware for it. Every
 * other XID (48 double-bit ECC, 63/64 row remapping, 74 NVLink, 79 fallen off the bus, 94/95 contained /
 * uncontained ECC, 119/120 GSP …) is treated as the device's.
 */

export const APPLICATION_XIDS: ReadonlySet<number> = new Set([13, 31, 43, 45, 68]);

export function isApplicationXid(xid: number): boolean {
  return APPLICATION_XIDS.has(xid);
}

/** Short names from NVIDIA's XID catalogue for the XIDs the autopilot is likely to see; undefined for others. */
const XID_NAMES: ReadonlyMap<number, string> = new Map([
  [13, 'Graphics Engine Exception'],
  [31, 'GPU memory page fault'],
  [43, 'GPU stopped processing'],
  [45, 'Preemptive cleanup, due to previous errors'],
  [48, 'Double Bit ECC Error'],
  [63, 'ECC page retirement or row remapping recording event'],
  [64, 'ECC page retirement or row remapper recording failure'],
  [68, 'Video processor exception'],
  [74, 'NVLink Error'],
  [79, 'GPU has fallen off the bus'],
  [92, 'High single-bit ECC error rate'],
  [94, 'Contained ECC error'],
  [95, 'Uncontained ECC error'],
  [119, 'GSP RPC Timeout'],
  [120, 'GSP Error'],
]);

export function xidName(xid: number): string | undefined {
  return XID_NAMES.get(xid);
}
