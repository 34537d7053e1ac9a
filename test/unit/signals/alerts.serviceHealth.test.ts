import { describe, expect, it } from 'vitest';
import { parseAlertBody, type RegionOutageSignal, type Signal } from '../../../shared/signals/index.js';
import {
  EUS2_SWEDEN_SERVICES,
  commonServiceHealth,
  fixture,
  legacyServiceHealth,
  withField,
  wrapAlertContext,
} from './alertBodies.js';

const COMMON_ALERT_ID =
  '/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.AlertsManagement/alerts/5e1d6f7a-0000-4000-8000-000000000001';

function only(signals: Signal[]): Signal {
  expect(signals).toHaveLength(1);
  return signals[0] as Signal;
}

function outage(signals: Signal[]): RegionOutageSignal {
  const s = only(signals);
  expect(s.kind).toBe('regionOutage');
  return s as RegionOutageSignal;
}

describe('Service Health fixtures', () => {
  it.each([
    {
      name: 'monitor-common-activitylog-servicehealth-test-action.json (Incident, Global only, stage Resolved)',
      body: () => fixture('monitor-common-activitylog-servicehealth-test-action.json'),
      expected: {
        kind: 'ignored',
        source: 'commonAlert',
        id: '/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.AlertsManagement/alerts/1234abcd5678efgh1234abcd5678efgh1234abcd5678efgh1234abcd5678efgh:Fired:TEST-TTT:11223344556677:resolved',
        observedAt: '2025-04-15T18:20:36.256Z',
        reason: 'Service Health incident TEST-TTT names no Azure region (only Global)',
        eventType: 'ServiceHealth/Incident',
      },
    },
    {
      name: 'monitor-common-activitylog-servicehealth-maintenance-alertcontext.json (Maintenance, wrapped)',
      body: () =>
        wrapAlertContext(fixture('monitor-common-activitylog-servicehealth-maintenance-alertcontext.json'), {
          monitoringService: 'ServiceHealth',
          alertId: '/subscriptions/x/providers/Microsoft.AlertsManagement/alerts/maint-1',
        }),
      expected: {
        kind: 'ignored',
        source: 'commonAlert',
        id: '/subscriptions/x/providers/Microsoft.AlertsManagement/alerts/maint-1:Fired',
        observedAt: '2019-06-24T11:31:19.031Z',
        reason: 'Service Health Maintenance notice is not a region outage (only Incident is)',
        eventType: 'ServiceHealth/Maintenance',
      },
    },
  ])('$name', ({ body, expected }) => {
    expect(parseAlertBody(body())).toEqual([expected]);
  });

  it('the maintenance sample turned into an Incident reads its JSON-string impactedServices', () => {
    const body = wrapAlertContext(fixture('monitor-common-activitylog-servicehealth-maintenance-alertcontext.json'), {
      monitoringService: 'ServiceHealth',
    });
    const s = outage(parseAlertBody(withField(body, 'data.alertContext.properties.incidentType', 'Incident')));
    expect(s.regions).toEqual(['eastus']);
    expect(s.services).toEqual(['Azure Synapse Analytics']);
    expect(s.trackingId).toBe('<GUID>');
    // stage "Planned" is not an incident stage; activity-log status Active decides.
    expect(s.stage).toBe('active');
  });

  it('the test-action payload with a real region becomes an outage (impactedServices as an ARRAY)', () => {
    const body = withField(
      fixture('monitor-common-activitylog-servicehealth-test-action.json'),
      'data.alertContext.properties.impactedServices',
      [{ ImpactedRegions: [{ RegionName: 'Global' }, { RegionName: 'West US 3' }], ServiceName: 'AzureServiceName' }],
    );
    const s = outage(parseAlertBody(body));
    expect(s.regions).toEqual(['westus3']);
    expect(s.stage).toBe('resolved');
  });
});

describe('Service Health incidents built from the schema', () => {
  const expectedActive: RegionOutageSignal = {
    kind: 'regionOutage',
    id: `${COMMON_ALERT_ID}:Fired:0NIH-U2O:638512345678901234:active`,
    source: 'commonAlert',
    observedAt: '2025-06-01T03:04:59.031Z',
    regions: ['eastus2', 'swedencentral'],
    services: ['Virtual Machines', 'Azure Kubernetes Service'],
    trackingId: '0NIH-U2O',
    stage: 'active',
  };

  it('Incident Active, impactedServices as an escaped JSON string', () => {
    const body = commonServiceHealth();
    expect(typeof (body as any).data.alertContext.properties.impactedServices).toBe('string');
    expect(parseAlertBody(body)).toEqual([expectedActive]);
  });

  it('the same with impactedServices as an array gives the same signal', () => {
    expect(parseAlertBody(commonServiceHealth({ impactedServices: EUS2_SWEDEN_SERVICES }))).toEqual([expectedActive]);
  });

  it('accepts the body as JSON text too', () => {
    expect(parseAlertBody(JSON.stringify(commonServiceHealth()))).toEqual([expectedActive]);
  });

  it('Resolved communication (new alert, monitorCondition Fired, stage Resolved) → resolved', () => {
    const body = commonServiceHealth({
      alertId: '/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.AlertsManagement/alerts/resolved-2',
      communicationId: '638512399999999999',
      stage: 'Resolved',
      status: 'Resolved',
      eventTimestamp: '2025-06-01T07:15:00.1234567Z',
    });
    const s = outage(parseAlertBody(body));
    expect(s.stage).toBe('resolved');
    expect(s.regions).toEqual(['eastus2', 'swedencentral']);
    expect(s.observedAt).toBe('2025-06-01T07:15:00.123Z');
    expect(s.id).toBe(
      '/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.AlertsManagement/alerts/resolved-2:Fired:0NIH-U2O:638512399999999999:resolved',
    );
  });

  it.each([
    { what: 'stage RCA', o: { stage: 'RCA', status: 'Resolved' }, stage: 'resolved' },
    { what: 'monitorCondition Resolved wins over stage Active', o: { monitorCondition: 'Resolved', stage: 'Active' }, stage: 'resolved' },
    { what: 'stage wins over activity-log status', o: { stage: 'Active', status: 'Resolved' }, stage: 'active' },
    { what: 'no stage: activity-log status Resolved', o: { stage: '', status: 'Resolved' }, stage: 'resolved' },
    { what: 'no stage, no status: the alert fired', o: { stage: '', status: '' }, stage: 'active' },
    { what: 'stage in other casing', o: { stage: 'resolved' }, stage: 'resolved' },
  ])('stage precedence: $what', ({ o, stage }) => {
    expect(outage(parseAlertBody(commonServiceHealth(o))).stage).toBe(stage);
  });

  it('monitorCondition Resolved changes the id (alertId:monitorCondition)', () => {
    const s = outage(parseAlertBody(commonServiceHealth({ monitorCondition: 'Resolved' })));
    expect(s.id).toBe(`${COMMON_ALERT_ID}:Resolved:0NIH-U2O:638512345678901234:resolved`);
  });

  it('legacy schema, Activated', () => {
    expect(parseAlertBody(legacyServiceHealth())).toEqual([
      {
        kind: 'regionOutage',
        id: '6fa98c0f-334a-b066-1934-1a4b3d929856:Activated:0NIH-U2O:638512345678901234:active',
        source: 'legacyAlert',
        observedAt: '2025-06-01T03:04:59.373Z',
        regions: ['eastus2', 'swedencentral'],
        services: ['Virtual Machines', 'Azure Kubernetes Service'],
        trackingId: '0NIH-U2O',
        stage: 'active',
      },
    ]);
  });

  it('legacy schema, Resolved (data.status)', () => {
    const s = outage(parseAlertBody(legacyServiceHealth({ dataStatus: 'Resolved', eventDataId: 'evt-2' })));
    expect(s.stage).toBe('resolved');
    expect(s.source).toBe('legacyAlert');
    expect(s.id).toBe('evt-2:Resolved:0NIH-U2O:638512345678901234:resolved');
  });

  it('legacy schema, Activated with stage Resolved (how a resolution communication really arrives)', () => {
    const s = outage(parseAlertBody(legacyServiceHealth({ stage: 'Resolved', status: 'Resolved', eventDataId: 'evt-3' })));
    expect(s.stage).toBe('resolved');
    expect(s.id).toBe('evt-3:Activated:0NIH-U2O:638512345678901234:resolved');
  });

  it('legacy schema without eventDataId still gets a key that repeats on re-delivery', () => {
    const body = withField(legacyServiceHealth(), 'data.context.activityLog.eventDataId', undefined);
    const a = outage(parseAlertBody(body));
    const b = outage(parseAlertBody(JSON.parse(JSON.stringify(body))));
    expect(a.id).toMatch(/^sha256:[0-9a-f]{32}:Activated:0NIH-U2O:/);
    expect(b.id).toBe(a.id);
  });

  it('"Global" only → ignored with a reason', () => {
    const body = commonServiceHealth({
      impactedServices: JSON.stringify([{ ImpactedRegions: [{ RegionName: 'Global' }], ServiceName: 'Azure Front Door' }]),
      region: 'Global',
    });
    const s = only(parseAlertBody(body));
    expect(s).toMatchObject({
      kind: 'ignored',
      reason: 'Service Health incident 0NIH-U2O names no Azure region (only Global)',
      eventType: 'ServiceHealth/Incident',
    });
  });

  it('drops non-regions, keeps real ones, de-duplicates', () => {
    const body = commonServiceHealth({
      impactedServices: [
        { ImpactedRegions: [{ RegionName: 'Global' }, { RegionName: 'East US 2' }], ServiceName: 'Virtual Machines' },
        { ImpactedRegions: [{ RegionName: 'eastus2' }, { RegionName: 'Non-Regional' }], ServiceName: 'Virtual Machines' },
      ],
    });
    const s = outage(parseAlertBody(body));
    expect(s.regions).toEqual(['eastus2']);
    expect(s.services).toEqual(['Virtual Machines']);
  });

  it('tolerates casing drift in impactedServices (impactedRegions / regionName / serviceName)', () => {
    const body = commonServiceHealth({
      impactedServices: JSON.stringify([
        { impactedRegions: [{ regionName: 'Korea Central' }], serviceName: 'Virtual Machines' },
        { IMPACTEDREGIONS: [{ REGIONNAME: 'Qatar Central' }], SERVICENAME: 'Storage' },
      ]),
    });
    const s = outage(parseAlertBody(body));
    expect(s.regions).toEqual(['koreacentral', 'qatarcentral']);
    expect(s.services).toEqual(['Virtual Machines', 'Storage']);
  });

  it('falls back to properties.region / properties.service when impactedServices is absent', () => {
    const s = outage(
      parseAlertBody(commonServiceHealth({ impactedServices: undefined, region: 'Australia East', service: 'Virtual Machines' })),
    );
    expect(s.regions).toEqual(['australiaeast']);
    expect(s.services).toEqual(['Virtual Machines']);
  });

  it('falls back to a comma-separated properties.region', () => {
    const s = outage(parseAlertBody(commonServiceHealth({ impactedServices: '', region: 'East US, West Europe' })));
    expect(s.regions).toEqual(['eastus', 'westeurope']);
  });

  it.each(['Maintenance', 'Information', 'ActionRequired', 'Security'])('%s → ignored with a reason', (incidentType) => {
    const s = only(parseAlertBody(commonServiceHealth({ incidentType })));
    expect(s).toMatchObject({
      kind: 'ignored',
      id: `${COMMON_ALERT_ID}:Fired`,
      reason: `Service Health ${incidentType} notice is not a region outage (only Incident is)`,
      eventType: `ServiceHealth/${incidentType}`,
    });
  });

  it('incidentType missing → read from operationName', () => {
    const body = withField(commonServiceHealth(), 'data.alertContext.properties.incidentType', undefined);
    expect(outage(parseAlertBody(body)).regions).toEqual(['eastus2', 'swedencentral']);
    const maint = withField(body, 'data.alertContext.operationName', 'Microsoft.ServiceHealth/maintenance/action');
    expect(only(parseAlertBody(maint))).toMatchObject({ kind: 'ignored', eventType: 'ServiceHealth/Maintenance' });
  });

  it('alertContext re-serialised as JSON text is read like the object', () => {
    const body = commonServiceHealth();
    const text = withField(body, 'data.alertContext', JSON.stringify((body as any).data.alertContext));
    expect(parseAlertBody(text)).toEqual(parseAlertBody(body));
  });

  it('payload text quoted in a reason is clipped', () => {
    const s = only(parseAlertBody(commonServiceHealth({ incidentType: 'X'.repeat(500) })));
    expect(s.kind).toBe('ignored');
    if (s.kind === 'ignored') expect(s.reason.length).toBeLessThan(150);
  });

  it('"Service Health" spelled with a space is still Service Health', () => {
    const body = withField(commonServiceHealth(), 'data.essentials.monitoringService', 'Service Health');
    expect(outage(parseAlertBody(body)).regions).toEqual(['eastus2', 'swedencentral']);
  });

  it('observedAt falls back eventTimestamp → impactStartTime → firedDateTime', () => {
    const noEvent = withField(commonServiceHealth(), 'data.alertContext.eventTimestamp', undefined);
    expect(outage(parseAlertBody(noEvent)).observedAt).toBe('2025-06-01T02:48:00.000Z');
    const noImpact = withField(noEvent, 'data.alertContext.properties.impactStartTime', '0001-01-01T00:00:00');
    expect(outage(parseAlertBody(noImpact)).observedAt).toBe('2025-06-01T03:05:12.123Z');
  });

  describe('idempotency key', () => {
    it('a re-delivery of the same body yields identical signals', () => {
      const body = commonServiceHealth();
      expect(parseAlertBody(JSON.parse(JSON.stringify(body)))).toEqual(parseAlertBody(body));
      const legacy = legacyServiceHealth();
      expect(parseAlertBody(structuredClone(legacy))).toEqual(parseAlertBody(legacy));
    });

    it('successive communications for one trackingId get different ids', () => {
      const first = outage(parseAlertBody(commonServiceHealth()));
      const update = outage(
        parseAlertBody(
          commonServiceHealth({
            alertId: `${COMMON_ALERT_ID}-update`,
            communicationId: '638512345678909999',
            eventTimestamp: '2025-06-01T04:00:00Z',
          }),
        ),
      );
      // Even if Azure reused the alertId, a new communication (or a new stage) changes the key.
      const sameAlertNewComm = outage(parseAlertBody(commonServiceHealth({ communicationId: '638512345678909999' })));
      const sameAlertResolved = outage(parseAlertBody(commonServiceHealth({ stage: 'Resolved' })));
      const ids = new Set([first.id, update.id, sameAlertNewComm.id, sameAlertResolved.id]);
      expect(ids.size).toBe(4);
      expect(new Set([first.trackingId, update.trackingId, sameAlertNewComm.trackingId])).toEqual(new Set(['0NIH-U2O']));
    });
  });
});
