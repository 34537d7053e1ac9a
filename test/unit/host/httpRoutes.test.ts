import { describe, expect, it } from 'vitest';
import { compileRoute, matchRoute, RouteTable } from '../../../local/host/httpRoutes.js';

const route = (template: string | undefined, name = 'fn', methods = ['GET', 'POST'], prefix = 'api') =>
  compileRoute(name, template, methods, prefix);

describe('route templates', () => {
  it.each([
    ['things/{id?}', '/api/things', {}],
    ['things/{id?}', '/api/things/', {}],
    ['things/{id?}', '/api/things/42', { id: '42' }],
    ['things/{id?}', '/API/Things/a%20b', { id: 'a b' }],
    ['things/{id}', '/api/things/x', { id: 'x' }],
    ['jobs/{id}/events/{seq:int}', '/api/jobs/j-1/events/7', { id: 'j-1', seq: '7' }],
    ['pools/{name:alpha:maxlength(5)}', '/api/pools/gpu', { name: 'gpu' }],
    ['ids/{id:guid}', '/api/ids/3f2504e0-4f89-11d3-9a0c-0305e82c3301', { id: '3f2504e0-4f89-11d3-9a0c-0305e82c3301' }],
    ['files/{*path}', '/api/files/a/b/c.txt', { path: 'a/b/c.txt' }],
    ['files/{*path}', '/api/files', {}],
    ['page/{n:int=1}', '/api/page', { n: '1' }],
    ['x/{v:unknownconstraint}', '/api/x/anything', { v: 'anything' }],
    [undefined, '/api/fn', {}],
  ] as const)('%s matches %s', (template, path, params) => {
    expect(matchRoute(route(template), path)).toEqual(params);
  });

  it.each([
    ['things/{id?}', '/api/things/1/2'],
    ['things/{id}', '/api/things'],
    ['widgets/{id:int}', '/api/widgets/abc'],
    ['pools/{name:alpha:maxlength(5)}', '/api/pools/gpu123'],
    ['pools/{name:maxlength(3)}', '/api/pools/abcd'],
    ['range/{n:range(1,5)}', '/api/range/6'],
    ['things', '/things'],
    ['things', '/api/thing'],
  ] as const)('%s does not match %s', (template, path) => {
    expect(matchRoute(route(template), path)).toBeUndefined();
  });

  it('honours an empty route prefix', () => {
    expect(matchRoute(route('', 'root', ['GET'], ''), '/')).toEqual({});
    expect(matchRoute(route('fleet', 'f', ['GET'], ''), '/fleet')).toEqual({});
  });

  it('rejects a catch-all that is not last', () => {
    expect(() => route('a/{*rest}/b')).toThrow(/catch-all/);
  });
});

describe('route table', () => {
  const table = new RouteTable();
  table.add(route('jobs/{id}', 'getJob', ['GET']));
  table.add(route('jobs/{id}', 'deleteJob', ['DELETE']));
  table.add(route('jobs/summary', 'jobSummary', ['GET']));
  table.add(route('jobs', 'submitJob', ['POST']));

  it('prefers literal segments over parameters', () => {
    const r = table.lookup('GET', '/api/jobs/summary');
    expect(r.kind === 'match' && r.route.functionName).toBe('jobSummary');
  });

  it('picks the function registered for the method', () => {
    const a = table.lookup('GET', '/api/jobs/7');
    const b = table.lookup('delete', '/api/jobs/7');
    expect(a.kind === 'match' && a.route.functionName).toBe('getJob');
    expect(b.kind === 'match' && b.route.functionName).toBe('deleteJob');
    expect(b.kind === 'match' && b.params).toEqual({ id: '7' });
  });

  it('says 405 with the allowed methods, or 404', () => {
    expect(table.lookup('PUT', '/api/jobs/7')).toEqual({ kind: 'methodNotAllowed', allow: ['DELETE', 'GET'] });
    expect(table.lookup('GET', '/api/jobs')).toEqual({ kind: 'methodNotAllowed', allow: ['POST'] });
    expect(table.lookup('GET', '/api/nope')).toEqual({ kind: 'notFound' });
  });
});
