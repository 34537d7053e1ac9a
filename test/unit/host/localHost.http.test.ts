import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLocalHost, type LocalHost } from '../../../local/host/localHost.js';
import { callsOf, resetRecorder } from '../../support/functionsFixture/recorder.js';
import { FIXTURE_ENTRY, KEY, logSink } from './support.js';

let host: LocalHost;
const sink = logSink();

beforeAll(async () => {
  host = await startLocalHost({ entry: FIXTURE_ENTRY, port: 0, functionKey: KEY, timers: false, log: sink.log });
});
afterAll(async () => {
  await host?.stop();
});
beforeEach(() => {
  resetRecorder();
  sink.records.length = 0;
});

const withKey = { 'x-functions-key': KEY };

describe('routing', () => {
  it('serves the function list it registered', () => {
    expect([...host.functions].sort()).toEqual(['echo', 'onJob', 'onPlatformEvent', 'sweep', 'things', 'widgetById']);
    expect(host.url).toBe(`http://127.0.0.1:${host.port}`);
  });

  it('routes {id?} with params, repeated query keys and JSON response', async () => {
    const res = await fetch(`${host.url}/api/things/42?region=eastus2&x=1&x=2`, { headers: withKey });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-fixture')).toBe('things');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      method: 'GET',
      id: '42',
      query: { region: 'eastus2', x: '1,2' },
      functionName: 'things',
      triggerType: 'httpTrigger',
      url: `${host.url}/api/things/42?region=eastus2&x=1&x=2`,
    });
  });

  it('leaves an absent optional parameter out', async () => {
    const res = await fetch(`${host.url}/api/things`, { headers: withKey });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { id: unknown }).id).toBeNull();
  });

  it('matches literal segments case-insensitively and decodes parameters', async () => {
    const res = await fetch(`${host.url}/API/Things/a%20b`, { headers: withKey });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { id: unknown }).id).toBe('a b');
  });

  it('passes the POST body and headers, and the handler picks the status', async () => {
    const res = await fetch(`${host.url}/api/things/7`, {
      method: 'POST',
      headers: { ...withKey, 'content-type': 'application/json' },
      body: JSON.stringify({ hello: 'world' }),
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ method: 'POST', id: '7', body: '{"hello":"world"}', contentType: 'application/json' });
  });

  it('answers 404 for no route and 405 (with Allow) for a route without the method', async () => {
    const none = await fetch(`${host.url}/api/nothing-here`, { headers: withKey });
    expect(none.status).toBe(404);
    expect(await none.json()).toEqual({ error: 'not found' });
    expect((await fetch(`${host.url}/api/things/1/2`, { headers: withKey })).status).toBe(404);
    expect((await fetch(`${host.url}/things/1`, { headers: withKey })).status).toBe(404);

    const put = await fetch(`${host.url}/api/things/1`, { method: 'PUT', headers: withKey, body: 'x' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST');
    expect(callsOf('things')).toHaveLength(0);
  });

  it('enforces route constraints like {id:int}', async () => {
    const ok = await fetch(`${host.url}/api/widgets/12`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ id: '12' });
    expect((await fetch(`${host.url}/api/widgets/abc`)).status).toBe(404);
    // app.get registers GET only
    expect((await fetch(`${host.url}/api/widgets/12`, { method: 'POST' })).status).toBe(405);
  });

  it('serves an anonymous OPTIONS+POST route without a key', async () => {
    const post = await fetch(`${host.url}/api/hooks/echo`, { method: 'POST', body: 'ping' });
    expect(post.status).toBe(200);
    expect(await post.text()).toBe('ping');
    const options = await fetch(`${host.url}/api/hooks/echo`, {
      method: 'OPTIONS',
      headers: { 'webhook-request-origin': 'eventgrid.azure.net' },
    });
    expect(options.status).toBe(200);
    expect(options.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
    const get = await fetch(`${host.url}/api/hooks/echo`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('OPTIONS, POST');
  });
});

describe('function keys', () => {
  it('401 without a key or with a wrong one, without calling the function', async () => {
    const none = await fetch(`${host.url}/api/things/1`);
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await none.json()) as { error: string }).error).toMatch(/key/);
    expect((await fetch(`${host.url}/api/things/1`, { headers: { 'x-functions-key': `${KEY}x` } })).status).toBe(401);
    expect((await fetch(`${host.url}/api/things/1?code=wrong`)).status).toBe(401);
    expect((await fetch(`${host.url}/api/things/1`, { headers: { 'x-functions-key': '' } })).status).toBe(401);
    expect(callsOf('things')).toHaveLength(0);
  });

  it('200 with the key in x-functions-key or ?code=', async () => {
    expect((await fetch(`${host.url}/api/things/1`, { headers: withKey })).status).toBe(200);
    expect((await fetch(`${host.url}/api/things/1?code=${KEY}`)).status).toBe(200);
    expect(callsOf('things')).toHaveLength(2);
  });

  it('protects the admin status route', async () => {
    expect((await fetch(`${host.url}/admin/host/status`)).status).toBe(401);
    const ok = await fetch(`${host.url}/admin/host/status`, { headers: withKey });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ state: 'Running' });
  });
});

describe('response mapping', () => {
  const get = (mode: string, extra = '') => fetch(`${host.url}/api/things?mode=${mode}${extra}`, { headers: withKey });

  it('no return value → 204 with no body', async () => {
    const res = await get('empty');
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
  });

  it('a string body → 200 text/plain', async () => {
    const res = await get('text');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain;charset=UTF-8');
    expect(await res.text()).toBe('plain text');
  });

  it('a Buffer body with status and content-type', async () => {
    const res = await get('buffer');
    expect(res.status).toBe(202);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([1, 2, 3]);
  });

  it('a stream body is sent whole', async () => {
    const res = await get('stream');
    expect(await res.text()).toBe('chunk-1;chunk-2');
  });

  it('an HttpResponse instance', async () => {
    const res = await get('httpResponse');
    expect(res.status).toBe(203);
    expect(res.headers.get('x-kind')).toBe('instance');
    expect(await res.json()).toEqual({ via: 'HttpResponse' });
  });

  it('cookies become Set-Cookie', async () => {
    const res = await get('cookie');
    expect(res.headers.getSetCookie()).toEqual(['session=abc; Path=/; Max-Age=60; HttpOnly; SameSite=Strict']);
  });

  it('a bare status', async () => {
    const res = await get('status', '&status=418');
    expect(res.status).toBe(418);
    expect(await res.text()).toBe('');
  });

  it('a handler that throws → 500 without internals, error logged with the invocation', async () => {
    const res = await get('throw');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toMatch(/secret|connection string|Error:|at /);
    const invocationId = res.headers.get('x-invocation-id');
    const err = sink.records.find((r) => r.level === 'error' && r.functionName === 'things');
    expect(err).toMatchObject({ invocationId, error: 'secret internal detail: connection string xyz' });
  });

  it('a result that is not a response object → 500', async () => {
    expect((await get('notAnObject')).status).toBe(500);
  });
});

describe('request body limit', () => {
  it('413 over 4 MiB without calling the function', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024 + 1, 0x61);
    const res = await fetch(`${host.url}/api/things/1`, { method: 'POST', headers: withKey, body: big });
    expect(res.status).toBe(413);
    expect(callsOf('things')).toHaveLength(0);
    // the connection is still usable / the host still answers
    expect((await fetch(`${host.url}/api/things/1`, { headers: withKey })).status).toBe(200);
  });

  it('413 for a chunked body over a configured limit; at the limit is fine', async () => {
    const small = await startLocalHost({ entry: FIXTURE_ENTRY, port: 0, functionKey: KEY, timers: false, maxRequestBodyBytes: 1024, log: () => {} });
    try {
      const at = await fetch(`${small.url}/api/things/1`, { method: 'POST', headers: withKey, body: 'a'.repeat(1024) });
      expect(at.status).toBe(201);
      const chunked = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 3; i++) controller.enqueue(new Uint8Array(600));
          controller.close();
        },
      });
      const over = await fetch(`${small.url}/api/things/1`, { method: 'POST', headers: withKey, body: chunked, duplex: 'half' } as RequestInit);
      expect(over.status).toBe(413);
      expect(callsOf('things')).toHaveLength(1);
    } finally {
      await small.stop();
    }
  });
});

describe('logs', () => {
  it('context.log goes to the sink as a structured record of the invocation', async () => {
    const res = await fetch(`${host.url}/api/things/42`, { headers: withKey });
    const { invocationId } = (await res.json()) as { invocationId: string };
    expect(sink.records).toContainEqual({ level: 'information', functionName: 'things', invocationId, message: 'things called GET 42' });
  });
});

describe('stop()', () => {
  it('frees the port, drops keep-alive connections and is idempotent', async () => {
    const h = await startLocalHost({ entry: FIXTURE_ENTRY, port: 0, functionKey: KEY, log: () => {} });
    const agent = new http.Agent({ keepAlive: true });
    const status = await new Promise<number>((resolve, reject) => {
      http
        .get(`${h.url}/api/widgets/1`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
        .on('error', reject);
    });
    expect(status).toBe(200);
    const started = Date.now();
    await Promise.all([h.stop(), h.stop()]);
    expect(Date.now() - started).toBeLessThan(2_000);
    agent.destroy();
    await expect(fetch(`${h.url}/api/widgets/1`)).rejects.toThrow();
    const probe = net.createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(h.port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });

  it('does not wait for a connection stuck mid-request', async () => {
    const h = await startLocalHost({ entry: FIXTURE_ENTRY, port: 0, functionKey: KEY, log: () => {} });
    const socket = net.connect(h.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.on('error', () => {});
    socket.write('GET /api/widgets/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n'); // headers never finished
    await new Promise((r) => setTimeout(r, 100));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const started = Date.now();
    await h.stop();
    await closed;
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('refuses to start without a function key', async () => {
    await expect(startLocalHost({ entry: FIXTURE_ENTRY, port: 0, functionKey: '' })).rejects.toThrow(/functionKey/);
  });
});
