/**
 * AKS resource ids as Monitor queries need them: validated to a conservative character set before they go anywhere
 * near a query or a URL, and split into the subscription (the metrics batch API is per subscription).
 *
 * Resource group names may hold letters, digits, `-`, `_`, `.` and `(` `)`; cluster names letters, digits, `-` and
 * `_`. Anything else (quotes, backslashes, spaces, unicode resource groups) is refused: such an id cannot come
 * from our fleet file's clusters in practice, and refusing is safer than trusting an escape.
 */

const MANAGED_CLUSTER_ID =
  /^\/subscriptions\/([A-Za-z0-9-]{1,64})\/resourceGroups\/([-\w.()]{1,90})\/providers\/Microsoft\.ContainerService\/managedClusters\/([A-Za-z0-9][-\w]{0,62})$/i;

export interface ManagedClusterId {
  readonly id: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
}

/** The parts of an AKS resource id, or undefined when it is not one (or holds characters we refuse). */
export function parseManagedClusterId(id: string): ManagedClusterId | undefined {
  const m = MANAGED_CLUSTER_ID.exec(id);
  if (!m) return undefined;
  return { id, subscriptionId: m[1]!, resourceGroup: m[2]!, name: m[3]! };
}

/** ARM region names are lower-case letters and digits (`eastus2`); the metrics endpoint's host is built from one. */
export const isArmRegion = (region: string): boolean => /^[a-z0-9]{2,40}$/.test(region);

/** ARM ids compare case-insensitively; Monitor may spell them in another case than the fleet file. */
export const idKey = (id: string): string => id.toLowerCase();
