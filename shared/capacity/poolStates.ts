/** An agent pool is at rest when its last operation ended (ARM's terminal provisioning states; both spellings of Canceled). */
const AT_REST: ReadonlySet<string> = new Set(['succeeded', 'failed', 'canceled', 'cancelled']);

export const isAtRest = (provisioningState: string): boolean => AT_REST.has(provisioningState.toLowerCase());
