import { describe, expect, it } from 'vitest';
import { SignalParseError, parseAlertBody } from '../../../shared/signals/index.js';
import {
  activityLogAlert,
  commonServiceHealth,
  fixture,
  kubeNodeNotReady,
  legacyActivityLog,
  legacyServiceHealth,
  logAlertV1,
  quotaAlert,
  withField,
} from './alertBodies.js';

function parseErrorOf(body: unknown): SignalParseError {
  try {
    parseAlertBody(body);
  } catch (e) {
    expect(e).toBeInstanceOf(SignalParseError);
    return e as SignalParseError;
  }
  throw new Error('expected parseAlertBody to throw');
}

const metric = () => fixture('monitor-common-metric-alert-static.json');

describe('bad alert bodies → SignalParseError naming the field', () => {
  it.each([
    { what: 'null', body: null },
    { what: 'a number', body: 42 },
    { what: 'an array (an Event Grid batch sent to the wrong route)', body: [{ id: 'x' }] },
    { what: 'a boolean', body: true },
    { what: 'text that is not JSON', body: 'hello' },
    { what: 'JSON text of an array', body: '[1,2]' },
  ])('non-object: $what → body', ({ body }) => {
    const e = parseErrorOf(body);
    expect(e.field).toBe('body');
    expect(e.name).toBe('SignalParseError');
    expect(e.message.startsWith('body: ')).toBe(true);
  });

  it.each([
    { what: 'schemaId missing', body: () => withField(metric(), 'schemaId', undefined), field: 'schemaId' },
    { what: 'schemaId unknown', body: () => withField(metric(), 'schemaId', 'azureMonitorCommonAlertSchemaV9'), field: 'schemaId' },
    { what: 'schemaId not a string', body: () => withField(metric(), 'schemaId', 7), field: 'schemaId' },
    { what: 'data missing', body: () => withField(metric(), 'data', undefined), field: 'data' },
    { what: 'data not an object', body: () => withField(metric(), 'data', 'x'), field: 'data' },
    { what: 'essentials missing', body: () => withField(metric(), 'data.essentials', undefined), field: 'data.essentials' },
    { what: 'essentials an array', body: () => withField(metric(), 'data.essentials', []), field: 'data.essentials' },
    { what: 'alertId missing', body: () => withField(metric(), 'data.essentials.alertId', undefined), field: 'data.essentials.alertId' },
    { what: 'alertId empty', body: () => withField(metric(), 'data.essentials.alertId', '  '), field: 'data.essentials.alertId' },
    { what: 'alertId an object', body: () => withField(metric(), 'data.essentials.alertId', {}), field: 'data.essentials.alertId' },
    {
      what: 'monitorCondition missing',
      body: () => withField(metric(), 'data.essentials.monitorCondition', undefined),
      field: 'data.essentials.monitorCondition',
    },
    {
      what: 'monitorCondition not Fired/Resolved',
      body: () => withField(metric(), 'data.essentials.monitorCondition', 'Maybe'),
      field: 'data.essentials.monitorCondition',
    },
    {
      what: 'common: no usable firedDateTime anywhere',
      body: () => {
        const b = withField(metric(), 'data.essentials.firedDateTime', 'soon');
        return withField(b, 'data.alertContext.condition.windowEndTime', undefined);
      },
      field: 'data.essentials.firedDateTime',
    },
  ])('common schema: $what → $field', ({ body, field }) => {
    expect(parseErrorOf(body()).field).toBe(field);
  });

  it.each([
    {
      what: 'impactedServices is not JSON',
      body: () => commonServiceHealth({ impactedServices: '[{"ImpactedRegions": [' }),
      field: 'data.alertContext.properties.impactedServices',
    },
    {
      what: 'impactedServices is a number',
      body: () => commonServiceHealth({ impactedServices: 42 }),
      field: 'data.alertContext.properties.impactedServices',
    },
    {
      what: 'impactedServices is JSON text of a number',
      body: () => commonServiceHealth({ impactedServices: '42' }),
      field: 'data.alertContext.properties.impactedServices',
    },
    {
      what: 'alertContext missing',
      body: () => withField(commonServiceHealth(), 'data.alertContext', undefined),
      field: 'data.alertContext',
    },
    {
      what: 'properties missing',
      body: () => withField(commonServiceHealth(), 'data.alertContext.properties', undefined),
      field: 'data.alertContext.properties',
    },
    {
      what: 'properties is text but not JSON',
      body: () => withField(commonServiceHealth(), 'data.alertContext.properties', '{oops'),
      field: 'data.alertContext.properties',
    },
    {
      what: 'an Incident without trackingId',
      body: () => withField(commonServiceHealth(), 'data.alertContext.properties.trackingId', undefined),
      field: 'data.alertContext.properties.trackingId',
    },
    {
      what: 'no usable time anywhere',
      body: () => {
        let b = withField(commonServiceHealth(), 'data.alertContext.eventTimestamp', undefined);
        b = withField(b, 'data.alertContext.submissionTimestamp', undefined);
        b = withField(b, 'data.alertContext.properties.impactStartTime', undefined);
        return withField(b, 'data.essentials.firedDateTime', 'not a time');
      },
      field: 'data.alertContext.eventTimestamp',
    },
  ])('Service Health (common): $what → $field', ({ body, field }) => {
    expect(parseErrorOf(body()).field).toBe(field);
  });

  it.each([
    { what: 'data.status missing', body: () => withField(legacyServiceHealth(), 'data.status', undefined), field: 'data.status' },
    { what: 'data.status unknown', body: () => withField(legacyServiceHealth(), 'data.status', 'Sleeping'), field: 'data.status' },
    { what: 'context missing', body: () => withField(legacyServiceHealth(), 'data.context', undefined), field: 'data.context' },
    {
      what: 'activityLog missing',
      body: () => withField(legacyServiceHealth(), 'data.context.activityLog', undefined),
      field: 'data.context.activityLog',
    },
    {
      what: 'impactedServices is not JSON',
      body: () => legacyServiceHealth({ impactedServices: 'East US 2' }),
      field: 'data.context.activityLog.properties.impactedServices',
    },
  ])('legacy schema: $what → $field', ({ body, field }) => {
    expect(parseErrorOf(body()).field).toBe(field);
  });

  it.each([
    {
      what: 'quota alert with no time at all',
      body: () => withField(withField(quotaAlert(), 'data.essentials.firedDateTime', undefined), 'data.alertContext.condition.windowEndTime', 'x'),
      field: 'data.essentials.firedDateTime',
    },
    {
      what: 'Prometheus alert with an unusable firedDateTime',
      body: () => withField(kubeNodeNotReady(), 'data.essentials.firedDateTime', '0001-01-01T00:00:00'),
      field: 'data.essentials.firedDateTime',
    },
    {
      what: 'Administrative alert with no time at all',
      body: () => {
        let b = withField(activityLogAlert(), 'data.essentials.firedDateTime', undefined);
        b = withField(b, 'data.alertContext.eventTimestamp', undefined);
        return withField(b, 'data.alertContext.submissionTimestamp', undefined);
      },
      field: 'data.essentials.firedDateTime',
    },
    {
      what: 'V1 log alert with neither firedDateTime nor a search interval end',
      body: () => logAlertV1({ firedDateTime: undefined, searchIntervalEnd: '13/45/2019 1:36:31 PM' }),
      field: 'data.essentials.firedDateTime',
    },
    {
      what: 'legacy Administrative event with no time',
      body: () => {
        const b = legacyActivityLog();
        const al = (b['data'] as any).context.activityLog;
        delete al.eventTimestamp;
        delete al.submissionTimestamp;
        return b;
      },
      field: 'data.context.activityLog.eventTimestamp',
    },
  ])('new families only fail on the envelope: $what → $field', ({ body, field }) => {
    expect(parseErrorOf(body()).field).toBe(field);
  });

  it('the message names the field and does not echo payload content', () => {
    const e = parseErrorOf(commonServiceHealth({ impactedServices: 'SECRET-LOOKING-TEXT' }));
    expect(e.message).toBe('data.alertContext.properties.impactedServices: is a string but not valid JSON');
  });
});
