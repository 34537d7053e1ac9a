/** What `@kubernetes/client-node` 1.4 throws → what the adapter does with it. */
import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { isStaleServer, kubeFailureOf, KubernetesApiError, toKubernetesError } from '../../../shared/adapters/kubernetes/kubeErrors.js';

// test/fixtures: ../shared/fixtures/control-plane/k8s-eviction.429-pdb.json
const PDB_429 = JSON.stringify({
  kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
  message: "Cannot evict pod as it would violate the pod's disruption budget.", reason: 'TooManyRequests',
  details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget ray-h100-workers needs 2 healthy pods and has 2 currently' }] },
  code: 429,
});
const NOT_FOUND = JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'nodes "aks-gpu-1" not found', reason: 'NotFound', details: { name: 'aks-gpu-1', kind: 'nodes' }, code: 404 });
const FORBIDDEN = JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'nodes "aks-gpu-1" is forbidden: User "mi" cannot patch resource "nodes"', reason: 'Forbidden', code: 403 });

const apiException = (code: number, body: unknown, headers: Record<string, string> = {}) => new ApiException(code, 'Unknown API Status Code!', body, headers);
const systemError = (code: string) => Object.assign(new Error(`request to https://x failed, reason: ${code}`), { type: 'system', code, errno: code });

describe('kubeFailureOf', () => {
  it('reads an ApiException: code, Status, Retry-After (header, else details.retryAfterSeconds)', () => {
    const f = kubeFailureOf(apiException(429, PDB_429, { 'retry-after': '7' }));
    expect(f).toMatchObject({ kind: 'http', code: 429, retryAfterMs: 7000, status: { reason: 'TooManyRequests' } });
    const g = kubeFailureOf(apiException(429, JSON.stringify({ kind: 'Status', code: 429, details: { retryAfterSeconds: 3 } })));
    expect(g).toMatchObject({ retryAfterMs: 3000 });
    expect(kubeFailureOf(apiException(401, undefined))).toMatchObject({ kind: 'http', code: 401, status: undefined, text: '' });
  });

  it('tells a TLS or DNS failure and an unexplained 404 (a stale address) from a Kubernetes 404 and a refused connection', () => {
    expect(isStaleServer(kubeFailureOf(systemError('DEPTH_ZERO_SELF_SIGNED_CERT'))!)).toBe(true);
    expect(isStaleServer(kubeFailureOf(systemError('UNABLE_TO_VERIFY_LEAF_SIGNATURE'))!)).toBe(true);
    expect(isStaleServer(kubeFailureOf(systemError('ERR_TLS_CERT_ALTNAME_INVALID'))!)).toBe(true);
    expect(isStaleServer(kubeFailureOf(systemError('ENOTFOUND'))!)).toBe(true);
    expect(isStaleServer(kubeFailureOf(apiException(404, '404 page not found'))!)).toBe(true);
    expect(isStaleServer(kubeFailureOf(apiException(404, NOT_FOUND))!)).toBe(false);
    expect(isStaleServer(kubeFailureOf(systemError('ECONNREFUSED'))!)).toBe(false);
    const abort = Object.assign(new Error('The user aborted a request.'), { name: 'AbortError', type: 'aborted' });
    expect(kubeFailureOf(abort)).toMatchObject({ kind: 'transport', timeout: true });
  });

  it('is undefined for what is not a failed call (a bug is rethrown as is)', () => {
    expect(kubeFailureOf(new TypeError('x is not a function'))).toBeUndefined();
    expect(kubeFailureOf('boom')).toBeUndefined();
  });
});

describe('toKubernetesError', () => {
  const err = (e: unknown) => toKubernetesError(kubeFailureOf(e)!, 'evict pod ray/w on aks-a', e);

  it('429, 5xx, 409 and no answer are retryable; 400, 403, 422 are not and carry the server message', () => {
    expect(err(apiException(429, PDB_429))).toMatchObject({ status: 429, retryable: true, serverMessage: 'The disruption budget ray-h100-workers needs 2 healthy pods and has 2 currently' });
    expect(err(apiException(503, 'upstream connect error'))).toMatchObject({ status: 503, retryable: true });
    expect(err(apiException(409, JSON.stringify({ kind: 'Status', reason: 'Conflict', code: 409 })))).toMatchObject({ retryable: true });
    expect(err(systemError('ECONNRESET'))).toMatchObject({ status: 0, retryable: true });
    const forbidden = err(apiException(403, FORBIDDEN));
    expect(forbidden).toBeInstanceOf(KubernetesApiError);
    expect(forbidden).toMatchObject({ status: 403, retryable: false, reason: 'Forbidden' });
    expect(forbidden.message).toBe('evict pod ray/w on aks-a: HTTP 403 Forbidden: nodes "aks-gpu-1" is forbidden: User "mi" cannot patch resource "nodes"');
    expect(err(apiException(422, JSON.stringify({ kind: 'Status', reason: 'Invalid', message: 'bad', code: 422 })))).toMatchObject({ retryable: false });
    expect(err(apiException(400, JSON.stringify({ kind: 'Status', reason: 'BadRequest', message: 'bad', code: 400 })))).toMatchObject({ retryable: false });
  });

  it('a 401 (after a fresh token) names the audience the token must have', () => {
    const e = err(apiException(401, undefined));
    expect(e).toMatchObject({ status: 401, retryable: false });
    expect(e.message).toContain('6dae42f8-4368-4678-94ff-3960e28e3630');
  });
});
