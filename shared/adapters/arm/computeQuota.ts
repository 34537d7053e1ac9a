/**
 * `QuotaReader` over `@azure/arm-compute` 24.x (the modular client): `usage.list(location)` pages through
 * `GET /subscriptions/{sub}/providers/Microsoft.Compute/locations/{location}/usages` (following `nextLink`) and
 * yields `{ unit: 'Count', currentValue, limit, name: { value, localizedValue } }`. Names are kept as Azure sends
 * them (casing differs between families; compare case-insensitively). One client per subscription, created on
 * first use. A failure throws `ArmCallError` with the classified failure.
 */
import { ComputeManagementClient } from '@azure/arm-compute';
import type { QuotaReader, QuotaUsage } from '../../ports/quota.js';
import { addRequestTimeout, sdkClientOptions, type ArmAdapterOptions } from './armClientOptions.js';
import { ArmCallError, classifyArmError } from './armErrors.js';

export type ComputeQuotaOptions = ArmAdapterOptions;

export class ComputeQuota implements QuotaReader {
  private readonly clients = new Map<string, ComputeManagementClient>();

  constructor(private readonly options: ComputeQuotaOptions) {}

  async usages(subscriptionId: string, region: string): Promise<QuotaUsage[]> {
    const out: QuotaUsage[] = [];
    try {
      for await (const u of this.client(subscriptionId).usage.list(region)) {
        if (!u.name?.value) continue;
        out.push({ name: u.name.value, used: u.currentValue, limit: u.limit });
      }
    } catch (e) {
      throw new ArmCallError(classifyArmError(e), { cause: e });
    }
    return out;
  }

  private client(subscriptionId: string): ComputeManagementClient {
    let client = this.clients.get(subscriptionId.toLowerCase());
    if (!client) {
      // arm-compute's modular client has no client-level api-version (it warns and ignores one): drop it.
      const { apiVersion: _ignored, ...clientOptions } = sdkClientOptions(this.options, 3);
      client = new ComputeManagementClient(this.options.credential, subscriptionId, clientOptions);
      addRequestTimeout(client.pipeline, this.options.requestTimeoutMs);
      this.clients.set(subscriptionId.toLowerCase(), client);
    }
    return client;
  }
}
