import { describe, expect, it } from 'vitest';
import { describeMonitorError, unavailable } from '../../../../shared/adapters/monitor/monitorFailures.js';

/** What the SDKs throw: a RestError with the status, Monitor's body in `details`, the response headers. */
function restError(statusCode: number | undefined, body: unknown, headers: Record<string, string> = {}): Error {
  return Object.assign(new Error('from the service'), {
    name: 'RestError', statusCode, code: 'Code', details: body,
    response: { headers: { get: (n: string) => headers[n.toLowerCase()] } },
  });
}

describe('Monitor failures', () => {
  it('reads Retry-After as seconds, milliseconds or an HTTP date', () => {
    expect(unavailable('logs', restError(429, {}, { 'retry-after': '12' }))).toMatchObject({ reason: 'throttled', retryAfterMs: 12_000 });
    expect(unavailable('logs', restError(429, {}, { 'retry-after-ms': '250' }))).toMatchObject({ retryAfterMs: 250 });
    const date = new Date(Date.now() + 60_000).toUTCString();
    const fromDate = unavailable('metrics', restError(429, {}, { 'retry-after': date }));
    expect(fromDate.retryAfterMs).toBeGreaterThan(50_000);
    expect(fromDate.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(unavailable('logs', restError(429, {})).retryAfterMs).toBeUndefined();
  });

  it('maps statuses to reasons', () => {
    expect(unavailable('logs', restError(401, {})).reason).toBe('refused');
    expect(unavailable('logs', restError(403, {})).reason).toBe('refused');
    expect(unavailable('logs', restError(400, {})).reason).toBe('invalidQuery');
    expect(unavailable('logs', restError(504, {})).reason).toBe('timeout');
    expect(unavailable('logs', restError(503, {})).reason).toBe('failed');
    expect(unavailable('logs', restError(undefined, undefined)).message).toMatch(/^no answer: Code: from the service/);
  });

  it('an abort is a timeout; anything that is not a RestError is failed, never thrown', () => {
    expect(unavailable('metrics', Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' })).reason).toBe('timeout');
    expect(unavailable('logs', new TypeError("Cannot read properties of undefined (reading 'code')"))).toMatchObject({ reason: 'failed', message: expect.stringContaining('TypeError') });
    expect(unavailable('logs', 'odd')).toMatchObject({ reason: 'failed', message: 'odd' });
  });

  it('describes the error, its inner errors and its details, outermost first', () => {
    const body = { error: { code: 'BadArgumentError', message: 'The request had some invalid properties', innererror: { code: 'SyntaxError', message: 'A recognition error occurred.', innererror: { code: 'SYN0002', message: "Query could not be parsed at 'x'" } } } };
    expect(unavailable('logs', restError(400, body)).message).toBe(
      "400 BadArgumentError: The request had some invalid properties / SyntaxError: A recognition error occurred. / SYN0002: Query could not be parsed at 'x'",
    );
    expect(describeMonitorError({ code: 'PartialError', message: 'some errors', details: [{ code: 'EngineError', message: 'limits' }] })).toBe('PartialError: some errors / EngineError: limits');
  });
});
