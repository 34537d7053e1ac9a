/**
 * `classifyArmError` over Azure's bodies (test/fixtures/control-plane, copied from the research fixtures), the
 * errors the SDKs throw (RestError, core-lro's failed-operation Error), network errors and quota texts seen in
 * the wild. Pure: no I/O but reading fixtures.
 */
import { readFileSync } from 'node:fs';
import { RestError } from '@azure/arm-containerservice';
import { describe, expect, it } from 'vitest';
import { classifyArmError, parseQuotaMessage, retryAfterMs } from '../../shared/adapters/arm/armErrors.js';
import type { ArmFailure } from '../../shared/ports/nodePools.js';

const fixture = <T = { status: number; headers?: Record<string, string>; body: { error: { code: string; message: string } } }>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../fixtures/control-plane/${name}`, import.meta.url), 'utf8')) as T;

/** A RestError as `@azure-rest/core-client` builds it: code and message from the body, `details` the body. */
function restError(status: number, body: { error: { code: string; message: string } }, headers: Record<string, string> = {}): RestError {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const e = new RestError(body.error.message, {
    statusCode: status,
    code: body.error.code,
    response: { status, headers: { get: (n: string) => lower.get(n.toLowerCase()) }, request: {} } as never,
  });
  (e as RestError & { details?: unknown }).details = body;
  return e;
}

const quotaFamily = fixture('arm-error.quota-exceeded.400.json');
const quotaRegional = fixture('arm-error.quota-exceeded-regional.400.json');
const busyPool = fixture('arm-error.operation-not-allowed.409.json');
const busyCluster = fixture('arm-error.operation-not-allowed-cluster.409.json');
const precondition = fixture('arm-error.precondition-failed.412.json');
const throttled = fixture('arm-error.throttled.429.json');
const zonal = fixture<{ status: string; error: { code: string; message: string } }>('aks-operation-status.failed-zonal-allocation.json');

/** Compute RP's Spot quota failure, as 409 OperationNotAllowed (scylladb/scylla-cluster-tests#4994; URL shortened). */
const LOW_PRIORITY_409 = {
  error: {
    code: 'OperationNotAllowed',
    message:
      "Operation could not be completed as it results in exceeding approved LowPriorityCores quota. Additional details - Deployment Model: Resource Manager, Location: eastus, Current Limit: 100, Current Usage: 100, Additional Required: 8, (Minimum) New Limit Required: 108. Submit a request for Quota increase at https://aka.ms/ProdportalCRP/#blade/... by specifying parameters listed in the 'Details' section for deployment to succeed. Please read more about quota limits at https://docs.microsoft.com/en-us/azure/azure-portal/supportability/low-priority-quota",
  },
};
const FAMILY_409 = {
  error: {
    code: 'OperationNotAllowed',
    message:
      'Operation could not be completed as it results in exceeding approved standardNCADSA100v4Family Cores quota. Additional details - Deployment Model: Resource Manager, Location: westus3, Current Limit: 96, Current Usage: 72, Additional Required: 48, (Minimum) New Limit Required: 120.',
  },
};

type Case = [name: string, input: () => unknown, expected: Partial<ArmFailure>];

const cases: Case[] = [
  ['family quota (fixture body)', () => quotaFamily, {
    class: 'quotaExceeded', code: 'QuotaExceeded', statusCode: 400,
    quota: { scope: 'family', family: 'standardNDSH100v5Family', limit: 192, usage: 192, required: 96 },
  }],
  ['family quota (RestError)', () => restError(400, quotaFamily.body), {
    class: 'quotaExceeded', statusCode: 400, quota: { scope: 'family', family: 'standardNDSH100v5Family', limit: 192, usage: 192, required: 96 },
  }],
  ['regional quota (fixture body)', () => quotaRegional, {
    class: 'quotaExceeded', code: 'QuotaExceeded', quota: { scope: 'regional', limit: 350, usage: 300, required: 96 },
  }],
  ['Spot quota sent by Compute as 409 OperationNotAllowed', () => restError(409, LOW_PRIORITY_409), {
    class: 'quotaExceeded', code: 'OperationNotAllowed', statusCode: 409,
    quota: { scope: 'regional', family: 'lowPriorityCores', limit: 100, usage: 100, required: 8 },
  }],
  ['family quota sent by Compute as 409 OperationNotAllowed', () => ({ status: 409, body: FAMILY_409 }), {
    class: 'quotaExceeded', quota: { scope: 'family', family: 'standardNCADSA100v4Family', limit: 96, usage: 72, required: 48 },
  }],
  ['older quota text', () => ({ error: { code: 'OperationNotAllowed', message: 'Operation results in exceeding quota limits of Core. Maximum allowed: 10, Current in use: 10, Additional requested: 4.' } }), {
    class: 'quotaExceeded', quota: { scope: 'regional', limit: 10, usage: 10, required: 4 },
  }],
  ['quota wrapped in DeploymentFailed', () => ({ error: { code: 'DeploymentFailed', message: 'At least one resource deployment operation failed.', details: [quotaFamily.body.error] } }), {
    class: 'quotaExceeded', code: 'QuotaExceeded', quota: { scope: 'family', family: 'standardNDSH100v5Family', limit: 192, usage: 192, required: 96 },
  }],
  ['pool busy (fixture body)', () => busyPool, { class: 'operationNotAllowed', code: 'OperationNotAllowed', statusCode: 409, message: busyPool.body.error.message }],
  ['cluster busy (RestError)', () => restError(409, busyCluster.body), { class: 'operationNotAllowed', statusCode: 409 }],
  ['eTag moved (fixture body)', () => precondition, { class: 'preconditionFailed', code: 'PreconditionFailed', statusCode: 412 }],
  ['eTag moved (RestError)', () => restError(412, precondition.body), { class: 'preconditionFailed', statusCode: 412 }],
  ['throttled, Retry-After header', () => throttled, { class: 'throttled', code: 'Throttled', statusCode: 429, retryAfterMs: 43_000 }],
  ['throttled, RestError with header', () => restError(429, throttled.body, { 'Retry-After': '43' }), { class: 'throttled', retryAfterMs: 43_000 }],
  ['throttled, no header: seconds from the message', () => restError(429, throttled.body), { class: 'throttled', retryAfterMs: 43_000 }],
  ['async zonal allocation (operation status)', () => zonal, { class: 'capacityUnavailable', code: 'ZonalAllocationFailed', message: zonal.error.message }],
  ['async zonal allocation (core-lro Error)', () => new Error(`The long-running operation has failed. ZonalAllocationFailed. ${zonal.error.message}`), {
    class: 'capacityUnavailable', code: 'ZonalAllocationFailed', message: zonal.error.message,
  }],
  ['async AllocationFailed', () => new Error('The long-running operation has failed. AllocationFailed. Allocation failed. We do not have sufficient capacity for the requested VM size in this region.'), {
    class: 'capacityUnavailable', code: 'AllocationFailed',
  }],
  ['async OverconstrainedAllocationRequest', () => new Error('The long-running operation has failed. OverconstrainedAllocationRequest. Allocation failed. VM(s) with the following constraints cannot be allocated.'), {
    class: 'capacityUnavailable', code: 'OverconstrainedAllocationRequest',
  }],
  ['sync SkuNotAvailable', () => ({ status: 400, body: { error: { code: 'SkuNotAvailable', message: "The requested VM size for resource 'Following SKUs have failed for Capacity Restrictions: Standard_ND96isr_H100_v5' is currently not available in location 'eastus2'." } } }), {
    class: 'capacityUnavailable', code: 'SkuNotAvailable', statusCode: 400,
  }],
  ['async QuotaExceeded without numbers', () => new Error('The long-running operation has failed. QuotaExceeded. GPU quota exceeded'), {
    class: 'quotaExceeded', code: 'QuotaExceeded', message: 'GPU quota exceeded',
  }],
  ['async family quota text', () => new Error(`The long-running operation has failed. QuotaExceeded. ${FAMILY_409.error.message}`), {
    class: 'quotaExceeded', quota: { scope: 'family', family: 'standardNCADSA100v4Family', limit: 96, usage: 72, required: 48 },
  }],
  ['async failure without an error body', () => new Error('The long-running operation has failed'), { class: 'transient', code: 'OperationFailed' }],
  ['async unknown failure', () => new Error('The long-running operation has failed. VMExtensionProvisioningError. The extension failed.'), {
    class: 'transient', code: 'VMExtensionProvisioningError', message: 'The extension failed.',
  }],
  ['operation canceled', () => new Error('Operation was canceled'), { class: 'transient', code: 'Canceled' }],
  ['pool not found', () => restError(404, { error: { code: 'NotFound', message: "Agent pool 'x' was not found." } }), { class: 'notFound', statusCode: 404 }],
  ['cluster not found', () => ({ status: 404, body: { error: { code: 'ResourceNotFound', message: 'The Resource … was not found.' } } }), { class: 'notFound', code: 'ResourceNotFound' }],
  ['server error', () => restError(500, { error: { code: 'InternalServerError', message: 'oops' } }), { class: 'transient', statusCode: 500 }],
  ['503 with Retry-After', () => restError(503, { error: { code: 'ServiceUnavailable', message: 'busy' } }, { 'retry-after': '7' }), {
    class: 'transient', statusCode: 503, retryAfterMs: 7_000,
  }],
  ['invalid parameter', () => restError(400, { error: { code: 'InvalidParameter', message: 'agentPoolProfile.count was 0. It must be greater or equal to minCount:1' } }), {
    class: 'invalid', code: 'InvalidParameter', statusCode: 400,
  }],
  ['unauthenticated', () => restError(401, { error: { code: 'AuthenticationFailed', message: 'no token' } }), { class: 'invalid', statusCode: 401 }],
  ['connection refused (RestError without status)', () => new RestError('connect ECONNREFUSED 127.0.0.1:1', { code: 'ECONNREFUSED' }), {
    class: 'transient', code: 'ECONNREFUSED',
  }],
  ['request timeout (AbortError)', () => Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' }), { class: 'transient', code: 'Timeout' }],
  ['a bare string', () => 'socket hang up', { class: 'transient' }],
];

describe('classifyArmError', () => {
  it.each(cases)('%s', (_name, input, expected) => {
    expect(classifyArmError(input())).toMatchObject(expected);
  });

  it('never reports quota details it could not read', () => {
    const f = classifyArmError(new Error('The long-running operation has failed. QuotaExceeded. GPU quota exceeded'));
    expect(f.quota).toBeUndefined();
    expect(f.statusCode).toBeUndefined();
  });
});

describe('parseQuotaMessage', () => {
  it.each([
    ['exceeding approved Standard NDASv4_A100 Family Cores quota. Current Limit: 0, Current Usage: 0, Additional Required: 96', { scope: 'family', family: 'Standard NDASv4_A100 Family', limit: 0, usage: 0, required: 96 }],
    ['exceeding approved standard NDAMSv4_A100Family Cores quota.', { scope: 'family', family: 'standard NDAMSv4_A100Family' }],
    ['exceeding approved Total Regional Cores quota. Current Limit: 350, Current Usage: 300, Additional Required: 96', { scope: 'regional', limit: 350, usage: 300, required: 96 }],
    ['exceeding approved Low Priority Cores quota. Current Limit: 10', { scope: 'regional', family: 'lowPriorityCores', limit: 10 }],
  ])('%s', (message, expected) => {
    expect(parseQuotaMessage(message)).toEqual(expected);
  });

  it('returns undefined for other texts', () => {
    expect(parseQuotaMessage('Allocation failed.')).toBeUndefined();
  });
});

describe('retryAfterMs', () => {
  const headers = (h: Record<string, string>) => (n: string) => h[n];
  it('reads seconds, milliseconds headers and HTTP dates', () => {
    expect(retryAfterMs(headers({ 'retry-after': '43' }))).toBe(43_000);
    expect(retryAfterMs(headers({ 'retry-after-ms': '250', 'retry-after': '43' }))).toBe(250);
    expect(retryAfterMs(headers({ 'retry-after': new Date(10_000).toUTCString() }), 4_000)).toBe(6_000);
    expect(retryAfterMs(headers({}))).toBeUndefined();
  });
});
