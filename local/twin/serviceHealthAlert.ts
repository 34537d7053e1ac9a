/**
 * Builds the Azure Monitor action-group body that a Service Health incident alert sends (common
 * alert schema, activity-log ServiceHealth). `impactedServices` is an escaped JSON string, as in
 * real alerts (the portal's test action sends an array instead; the parser takes both).
 */
import { createHash } from 'node:crypto';

export interface ServiceHealthIncident {
  readonly subscriptionId: string;
  readonly trackingId: string;
  /** Region display names, as Service Health writes them ("East US 2"). */
  readonly regions: readonly string[];
  readonly services?: readonly string[];
  readonly stage: 'Active' | 'Resolved';
  readonly at: Date;
  readonly title?: string;
}

export function serviceHealthAlertBody(incident: ServiceHealthIncident): unknown {
  const services = incident.services ?? ['Virtual Machines', 'Azure Kubernetes Service'];
  const impactedServices = JSON.stringify(services.map((ServiceName) => ({
    ImpactedRegions: incident.regions.map((RegionName) => ({ RegionName })), ServiceName,
  })));
  const fired = incident.stage === 'Active';
  const digest = createHash('sha256').update(`${incident.trackingId}:${incident.stage}`).digest('hex');
  const time = incident.at.toISOString();
  return {
    schemaId: 'azureMonitorCommonAlertSchema',
    data: {
      essentials: {
        alertId: `/subscriptions/${incident.subscriptionId}/providers/Microsoft.AlertsManagement/alerts/${digest.slice(0, 32)}`,
        alertRule: 'fleet-service-health',
        severity: 'Sev1',
        signalType: 'Activity Log',
        monitorCondition: fired ? 'Fired' : 'Resolved',
        monitoringService: 'ServiceHealth',
        alertTargetIDs: [`/subscriptions/${incident.subscriptionId}`],
        originAlertId: digest.slice(32, 64),
        firedDateTime: time,
        ...(fired ? {} : { resolvedDateTime: time }),
        description: incident.title ?? 'Service Health incident',
        essentialsVersion: '1.0',
        alertContextVersion: '1.0',
      },
      alertContext: {
        authorization: null, channels: 1, claims: null, caller: null,
        correlationId: digest.slice(0, 36), eventSource: 2, eventTimestamp: time, httpRequest: null,
        eventDataId: digest.slice(8, 44), level: 3,
        operationName: 'Microsoft.ServiceHealth/incident/action', operationId: digest.slice(0, 36),
        properties: {
          title: incident.title ?? `Virtual Machines - ${incident.regions.join(', ')} - Service degradation`,
          service: services[0], region: incident.regions.join(', '),
          communication: `<p>We are investigating an issue affecting ${services.join(', ')} in ${incident.regions.join(', ')}.</p>`,
          incidentType: 'Incident', trackingId: incident.trackingId,
          impactStartTime: time, ...(fired ? {} : { impactMitigationTime: time }),
          impactedServices, impactedServicesTableRows: '',
          defaultLanguageTitle: incident.title ?? 'Service degradation', defaultLanguageContent: '',
          stage: incident.stage, communicationId: digest.slice(0, 14), isHIR: 'false', version: '0.1.1',
        },
        status: incident.stage, subStatus: null, submissionTimestamp: time, ResourceType: null,
      },
    },
  };
}
