/**
 * Alert bodies built from the documented schemas (research/signals.md §4.1, §4.4) for the signal tests,
 * plus fixture loading. Not a test file itself.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** Captured samples (copied from the research folder's fixtures/signals, provenance in SOURCES.md there). */
export const fixturesDir = path.resolve(repoRoot, 'test/fixtures/signals');

export function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(fixturesDir, name), 'utf8')) as Record<string, unknown>;
}

export function fixtureNames(prefix = ''): string[] {
  return readdirSync(fixturesDir)
    .filter((f) => f.endsWith('.json') && f.startsWith(prefix))
    .sort();
}

/** Wrap an `{ alertContext }` fragment fixture in a common-schema envelope. */
export function wrapAlertContext(
  fragment: Record<string, unknown>,
  essentials: Partial<Record<string, unknown>> & { monitoringService: string },
): Record<string, unknown> {
  return {
    schemaId: 'azureMonitorCommonAlertSchema',
    data: {
      essentials: {
        alertId: '/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.AlertsManagement/alerts/frag-0001',
        alertRule: 'fragment-rule',
        severity: 'Sev3',
        signalType: 'Activity Log',
        monitorCondition: 'Fired',
        alertTargetIDs: ['/subscriptions/11111111-1111-1111-1111-111111111111'],
        originAlertId: 'frag-origin',
        firedDateTime: '2025-04-15T18:20:36.256Z',
        description: '',
        essentialsVersion: '1.0',
        alertContextVersion: '1.0',
        ...essentials,
      },
      alertContext: fragment['alertContext'],
      customProperties: null,
    },
  };
}

export const EUS2_SWEDEN_SERVICES = [
  {
    ImpactedRegions: [{ RegionName: 'East US 2' }, { RegionName: 'Sweden Central' }],
    ServiceName: 'Virtual Machines',
  },
  {
    ImpactedRegions: [{ RegionName: 'East US 2' }],
    ServiceName: 'Azure Kubernetes Service',
  },
];

export interface ServiceHealthOptions {
  alertId?: string;
  monitorCondition?: string;
  incidentType?: string;
  stage?: string;
  status?: string;
  trackingId?: string;
  communicationId?: string;
  /** An array, a JSON string, or anything else to test robustness; `undefined` leaves the key out. */
  impactedServices?: unknown;
  region?: string;
  service?: string;
  eventTimestamp?: string;
  impactStartTime?: string;
  firedDateTime?: string;
}

function serviceHealthProperties(o: ServiceHealthOptions): Record<string, unknown> {
  const props: Record<string, unknown> = {
    title: 'Virtual Machines - East US 2',
    service: o.service ?? 'Virtual Machines',
    region: o.region ?? 'East US 2',
    communication: '<p>Starting at 02:48 UTC customers may see errors.</p>',
    incidentType: o.incidentType ?? 'Incident',
    trackingId: o.trackingId ?? '0NIH-U2O',
    impactStartTime: o.impactStartTime ?? '2025-06-01T02:48:00.0000000Z',
    impactMitigationTime: null,
    impactedServicesTableRows: '<tr><td>Virtual Machines</td></tr>',
    defaultLanguageTitle: 'Virtual Machines - East US 2',
    defaultLanguageContent: '<p>Starting at 02:48 UTC customers may see errors.</p>',
    stage: o.stage ?? 'Active',
    communicationId: o.communicationId ?? '638512345678901234',
    isHIR: 'false',
    version: '0.1.1',
  };
  if ('impactedServices' in o) {
    if (o.impactedServices !== undefined) props['impactedServices'] = o.impactedServices;
  } else {
    props['impactedServices'] = JSON.stringify(EUS2_SWEDEN_SERVICES);
  }
  return props;
}

/** A common-schema Service Health alert (shape of the documented ServiceHealth alertContext). */
export function commonServiceHealth(o: ServiceHealthOptions = {}): Record<string, unknown> {
  return {
    schemaId: 'azureMonitorCommonAlertSchema',
    data: {
      essentials: {
        alertId:
          o.alertId ??
          '/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.AlertsManagement/alerts/5e1d6f7a-0000-4000-8000-000000000001',
        alertRule: 'fleet-service-health',
        severity: 'Sev1',
        signalType: 'Activity Log',
        monitorCondition: o.monitorCondition ?? 'Fired',
        monitoringService: 'ServiceHealth',
        alertTargetIDs: ['/subscriptions/11111111-1111-1111-1111-111111111111'],
        originAlertId: '5e1d6f7a-0000-4000-8000-000000000001',
        firedDateTime: o.firedDateTime ?? '2025-06-01T03:05:12.1234567Z',
        description: 'Service Health for the GPU fleet',
        essentialsVersion: '1.0',
        alertContextVersion: '1.0',
      },
      alertContext: {
        authorization: null,
        channels: 1,
        claims: null,
        caller: null,
        correlationId: 'bbbb1111-cc22-3333-44dd-555555eeeeee',
        eventSource: 2,
        eventTimestamp: o.eventTimestamp ?? '2025-06-01T03:04:59.0312699+00:00',
        httpRequest: null,
        eventDataId: 'e0e0e0e0-0000-4000-8000-000000000001',
        level: 3,
        operationName: 'Microsoft.ServiceHealth/incident/action',
        operationId: 'bbbb1111-cc22-3333-44dd-555555eeeeee',
        properties: serviceHealthProperties(o),
        status: o.status ?? 'Active',
        subStatus: null,
        submissionTimestamp: '2025-06-01T03:05:10.7147357+00:00',
        ResourceType: null,
      },
      customProperties: null,
    },
  };
}

/** A legacy (`Microsoft.Insights/activityLogs`) Service Health alert, as in activity-log-alerts-webhook.md. */
export function legacyServiceHealth(
  o: ServiceHealthOptions & { dataStatus?: string; eventDataId?: string } = {},
): Record<string, unknown> {
  return {
    schemaId: 'Microsoft.Insights/activityLogs',
    data: {
      status: o.dataStatus ?? 'Activated',
      context: {
        activityLog: {
          channels: 'Admin',
          correlationId: 'cccc2222-dd33-4444-55ee-666666ffffff',
          description: 'Active: Virtual Machines - East US 2',
          eventSource: 'ServiceHealth',
          eventTimestamp: o.eventTimestamp ?? '2025-06-01T03:04:59.3736084+00:00',
          eventDataId: o.eventDataId ?? '6fa98c0f-334a-b066-1934-1a4b3d929856',
          level: 'Warning',
          operationName: 'Microsoft.ServiceHealth/incident/action',
          operationId: 'cccc2222-dd33-4444-55ee-666666ffffff',
          properties: serviceHealthProperties(o),
          status: o.status ?? 'Active',
          subscriptionId: 'cccc2c2c-dd3d-ee4e-ff5f-aaaaaa6a6a6a',
          submissionTimestamp: '2025-06-01T03:05:02.7864349+00:00',
        },
      },
      properties: {},
    },
  };
}

/** Set a value at a dotted path in a deep copy (creates nothing; the path must exist up to the parent). */
export function withField(body: Record<string, unknown>, dotted: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(body);
  const parts = dotted.split('.');
  let cur: Record<string, unknown> = copy;
  for (const p of parts.slice(0, -1)) cur = cur[p] as Record<string, unknown>;
  const last = parts[parts.length - 1] as string;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
  return copy;
}
