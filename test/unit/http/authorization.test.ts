import { describe, expect, it } from 'vitest';
import {
  authorize,
  callerOf,
  hasRole,
  type Caller,
  type FleetRole,
  type HeaderSource,
} from '../../../shared/http/authorization.js';

const ROLE_URI = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role';
const OID_URI = 'http://schemas.microsoft.com/identity/claims/objectidentifier';
const NAME_URI = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name';
const OID = '9c7f4e8d-2a5b-4f6c-8e3d-1a9b7c6d5e4f';

const AZURE = { requireEntra: true } as const;
const LOCAL = { requireEntra: false } as const;

type Claim = { typ: string; val: string };

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** An Easy Auth principal as App Service writes it (role_typ is the long role URI by default). */
function principal(opts: { roles?: string[]; roleClaim?: string; roleTyp?: string | null; claims?: Claim[]; oid?: string | null; name?: string } = {}): string {
  const roleTyp = opts.roleTyp === undefined ? ROLE_URI : opts.roleTyp;
  const roleClaim = opts.roleClaim ?? roleTyp ?? 'roles';
  const claims: Claim[] = [
    { typ: 'aud', val: 'api://fleet-autopilot' },
    { typ: 'iss', val: 'https://sts.windows.net/tenant/' },
    ...(opts.oid === null ? [] : [{ typ: OID_URI, val: opts.oid ?? OID }]),
    ...(opts.name ? [{ typ: NAME_URI, val: opts.name }] : []),
    ...(opts.roles ?? []).map((val) => ({ typ: roleClaim, val })),
    ...(opts.claims ?? []),
  ];
  const body: Record<string, unknown> = { auth_typ: 'aad', claims, name_typ: NAME_URI };
  if (roleTyp !== null) body.role_typ = roleTyp;
  return b64(JSON.stringify(body));
}

const headers = (h: Record<string, string> = {}): Headers => new Headers(h);
const withPrincipal = (encoded: string, extra: Record<string, string> = {}) => headers({ 'x-ms-client-principal': encoded, ...extra });

function okCaller(result: ReturnType<typeof callerOf>): Caller {
  if (!result.ok) throw new Error(`expected a caller, got ${result.status}: ${result.error}`);
  return result.caller;
}

const entra = (roles: FleetRole[]): Caller => ({ id: OID, roles, via: 'entra' });

describe('role hierarchy (Admin ⊇ Operator ⊇ Reader)', () => {
  // [granted, needed, allowed] — written out, not derived from the implementation's ranks.
  const table: [FleetRole[], FleetRole, boolean][] = [
    [['Fleet.Reader'], 'Fleet.Reader', true],
    [['Fleet.Reader'], 'Fleet.Operator', false],
    [['Fleet.Reader'], 'Fleet.Admin', false],
    [['Fleet.Operator'], 'Fleet.Reader', true],
    [['Fleet.Operator'], 'Fleet.Operator', true],
    [['Fleet.Operator'], 'Fleet.Admin', false],
    [['Fleet.Admin'], 'Fleet.Reader', true],
    [['Fleet.Admin'], 'Fleet.Operator', true],
    [['Fleet.Admin'], 'Fleet.Admin', true],
    [[], 'Fleet.Reader', false],
    [[], 'Fleet.Operator', false],
    [[], 'Fleet.Admin', false],
    [['Fleet.Reader', 'Fleet.Admin'], 'Fleet.Admin', true],
    [['Fleet.Reader', 'Fleet.Operator'], 'Fleet.Admin', false],
  ];

  it.each(table)('hasRole: granted %j, needs %s → %s', (granted, needed, allowed) => {
    expect(hasRole(entra(granted), needed)).toBe(allowed);
  });

  it.each(table)('authorize from the principal header: granted %j, needs %s → %s', (granted, needed, allowed) => {
    const result = authorize(withPrincipal(principal({ roles: granted })), needed, AZURE);
    if (allowed) {
      expect(result).toMatchObject({ ok: true, caller: { id: OID, via: 'entra' } });
    } else {
      expect(result).toMatchObject({ ok: false, status: 403 });
    }
  });

  it('fails closed for a needed role it does not know', () => {
    expect(hasRole(entra(['Fleet.Admin']), 'Fleet.Owner' as FleetRole)).toBe(false);
  });

  it('ignores a role it does not know on a hand-built caller', () => {
    expect(hasRole({ id: 'x', roles: ['Fleet.Owner' as FleetRole], via: 'entra' }, 'Fleet.Reader')).toBe(false);
  });
});

describe('claim shapes', () => {
  it.each([
    ['role_typ is the long role URI, roles under it', { roleTyp: ROLE_URI, roleClaim: ROLE_URI }],
    ['role_typ is "roles", roles under it', { roleTyp: 'roles', roleClaim: 'roles' }],
    ['role_typ is the long URI, roles under "roles"', { roleTyp: ROLE_URI, roleClaim: 'roles' }],
    ['role_typ is "roles", roles under the long URI', { roleTyp: 'roles', roleClaim: ROLE_URI }],
    ['no role_typ, roles under "roles"', { roleTyp: null, roleClaim: 'roles' }],
    ['no role_typ, roles under the long URI', { roleTyp: null, roleClaim: ROLE_URI }],
    ['a custom role_typ, roles under it', { roleTyp: 'app_roles', roleClaim: 'app_roles' }],
  ] as const)('%s', (_label, shape) => {
    const caller = okCaller(callerOf(withPrincipal(principal({ ...shape, roles: ['Fleet.Operator'] })), AZURE));
    expect(caller.roles).toEqual(['Fleet.Operator']);
  });

  it('a role value under a claim type that is not a role type grants nothing', () => {
    const encoded = principal({ claims: [{ typ: 'groups', val: 'Fleet.Admin' }, { typ: 'scp', val: 'Fleet.Admin' }, { typ: 'role', val: 'Fleet.Admin' }] });
    expect(okCaller(callerOf(withPrincipal(encoded), AZURE)).roles).toEqual([]);
  });

  it('a custom role_typ does not stop "roles" and the long URI from counting', () => {
    const encoded = principal({ roleTyp: 'app_roles', claims: [{ typ: 'app_roles', val: 'Fleet.Reader' }, { typ: 'roles', val: 'Fleet.Operator' }, { typ: ROLE_URI, val: 'Fleet.Admin' }] });
    expect(okCaller(callerOf(withPrincipal(encoded), AZURE)).roles).toEqual(['Fleet.Reader', 'Fleet.Operator', 'Fleet.Admin']);
  });

  it('roles are de-duplicated and listed weakest first', () => {
    const encoded = principal({ roles: ['Fleet.Admin', 'Fleet.Reader', 'Fleet.Admin'] });
    expect(okCaller(callerOf(withPrincipal(encoded), AZURE)).roles).toEqual(['Fleet.Reader', 'Fleet.Admin']);
  });

  it('unknown roles are ignored, not an error', () => {
    const encoded = principal({ roles: ['Contributor', 'Fleet.Reader', 'Fleet.SuperAdmin', ''] });
    const result = callerOf(withPrincipal(encoded), AZURE);
    expect(result).toEqual({ ok: true, caller: { id: OID, roles: ['Fleet.Reader'], via: 'entra' } });
  });

  it.each(['fleet.admin', 'FLEET.ADMIN', 'Fleet.admin', ' Fleet.Admin', 'Fleet.Admin '])('role names are case- and space-sensitive: %j grants nothing', (role) => {
    expect(okCaller(callerOf(withPrincipal(principal({ roles: [role] })), AZURE)).roles).toEqual([]);
  });

  it('a full principal as Easy Auth writes it', () => {
    const encoded = b64(JSON.stringify({
      auth_typ: 'aad',
      claims: [
        { typ: 'aud', val: 'api://fleet-autopilot' },
        { typ: 'iss', val: 'https://sts.windows.net/72f988bf/' },
        { typ: 'iat', val: '1716800000' },
        { typ: 'http://schemas.microsoft.com/claims/authnmethodsreferences', val: 'pwd' },
        { typ: 'groups', val: '9f540c2e-e05c-4012-ba43-4846dabfaea6' },
        { typ: NAME_URI, val: 'Ada Lovelace' },
        { typ: OID_URI, val: OID },
        { typ: 'preferred_username', val: 'ada@contoso.com' },
        { typ: ROLE_URI, val: 'Fleet.Operator' },
        { typ: ROLE_URI, val: 'Reports.Read' },
        { typ: 'http://schemas.microsoft.com/identity/claims/tenantid', val: '72f988bf' },
        { typ: 'ver', val: '2.0' },
      ],
      name_typ: NAME_URI,
      role_typ: ROLE_URI,
    }));
    const result = authorize(withPrincipal(encoded, { 'x-ms-client-principal-id': OID, 'x-ms-client-principal-name': 'ada@contoso.com', 'x-ms-client-principal-idp': 'aad' }), 'Fleet.Operator', AZURE);
    expect(result).toEqual({ ok: true, caller: { id: OID, name: 'ada@contoso.com', roles: ['Fleet.Operator'], via: 'entra' } });
  });

  it('accepts unpadded base64', () => {
    const padded = principal({ roles: ['Fleet.Admin'] });
    const unpadded = padded.replace(/=+$/, '');
    expect(unpadded).not.toBe(padded); // the fixture really had padding to strip
    expect(okCaller(callerOf(withPrincipal(unpadded), AZURE)).roles).toEqual(['Fleet.Admin']);
  });

  it('accepts auth_typ in any case', () => {
    const encoded = b64(JSON.stringify({ auth_typ: 'AAD', claims: [{ typ: 'oid', val: 'o1' }, { typ: 'roles', val: 'Fleet.Reader' }] }));
    expect(callerOf(withPrincipal(encoded), AZURE)).toEqual({ ok: true, caller: { id: 'o1', roles: ['Fleet.Reader'], via: 'entra' } });
  });
});

describe('id and name', () => {
  it('the id header wins over the object id claim', () => {
    const caller = okCaller(callerOf(withPrincipal(principal({ oid: 'from-claim' }), { 'x-ms-client-principal-id': 'from-header' }), AZURE));
    expect(caller.id).toBe('from-header');
  });

  it('the long objectidentifier claim gives the id', () => {
    expect(okCaller(callerOf(withPrincipal(principal({ oid: 'long-oid' })), AZURE)).id).toBe('long-oid');
  });

  it('the short oid claim gives the id', () => {
    const encoded = principal({ oid: null, claims: [{ typ: 'oid', val: 'short-oid' }] });
    expect(okCaller(callerOf(withPrincipal(encoded), AZURE)).id).toBe('short-oid');
  });

  it('a blank id header falls back to the claim', () => {
    const caller = okCaller(callerOf(withPrincipal(principal({ oid: 'claim-oid' }), { 'x-ms-client-principal-id': '   ' }), AZURE));
    expect(caller.id).toBe('claim-oid');
  });

  it('the name header wins over the name_typ claim', () => {
    const caller = okCaller(callerOf(withPrincipal(principal({ name: 'Claim Name' }), { 'x-ms-client-principal-name': 'header@contoso.com' }), AZURE));
    expect(caller.name).toBe('header@contoso.com');
  });

  it('the claim named by name_typ gives the name', () => {
    expect(okCaller(callerOf(withPrincipal(principal({ name: 'Ada Lovelace' })), AZURE)).name).toBe('Ada Lovelace');
  });

  it('a claim called "name" is not the name when name_typ names another claim', () => {
    const caller = okCaller(callerOf(withPrincipal(principal({ claims: [{ typ: 'name', val: 'Not Me' }] })), AZURE));
    expect(caller).not.toHaveProperty('name');
  });

  it('no name leaves the name out', () => {
    expect(okCaller(callerOf(withPrincipal(principal()), AZURE))).toEqual({ id: OID, roles: [], via: 'entra' });
  });

  it.each([
    ['requireEntra', AZURE],
    ['local', LOCAL],
  ] as const)('a principal with roles but no id is 401 (%s)', (_label, options) => {
    const result = callerOf(withPrincipal(principal({ oid: null, roles: ['Fleet.Admin'] })), options);
    expect(result).toMatchObject({ ok: false, status: 401 });
    expect(!result.ok && result.error).toMatch(/no id/);
  });

  it('a blank id header and a blank oid claim are no id', () => {
    const result = authorize(withPrincipal(principal({ oid: ' ', roles: ['Fleet.Admin'] }), { 'x-ms-client-principal-id': '' }), 'Fleet.Reader', AZURE);
    expect(result).toMatchObject({ ok: false, status: 401 });
  });
});

describe('no principal header', () => {
  it('with requireEntra: 401 naming the missing header', () => {
    const result = callerOf(headers(), AZURE);
    expect(result).toMatchObject({ ok: false, status: 401 });
    expect(!result.ok && result.error).toContain('x-ms-client-principal');
  });

  it('with requireEntra: the id and name headers alone are not a principal', () => {
    const result = authorize(headers({ 'x-ms-client-principal-id': OID, 'x-ms-client-principal-name': 'ada' }), 'Fleet.Reader', AZURE);
    expect(result).toMatchObject({ ok: false, status: 401 });
  });

  it('locally: the function-key caller, Fleet.Admin', () => {
    expect(callerOf(headers(), LOCAL)).toEqual({ ok: true, caller: { id: 'function-key', roles: ['Fleet.Admin'], via: 'functionKey' } });
  });

  it.each(['Fleet.Reader', 'Fleet.Operator', 'Fleet.Admin'] as const)('locally: the function-key caller may do what needs %s', (needed) => {
    expect(authorize(headers(), needed, LOCAL)).toMatchObject({ ok: true, caller: { id: 'function-key', via: 'functionKey' } });
  });

  it('locally, a valid principal is used as is, never upgraded to Admin', () => {
    const encoded = withPrincipal(principal({ roles: ['Fleet.Reader'] }));
    expect(callerOf(encoded, LOCAL)).toEqual({ ok: true, caller: { id: OID, roles: ['Fleet.Reader'], via: 'entra' } });
    expect(authorize(encoded, 'Fleet.Admin', LOCAL)).toMatchObject({ ok: false, status: 403 });
  });
});

describe('malformed principal header → 401, with or without requireEntra', () => {
  const json = (value: unknown) => b64(JSON.stringify(value));
  const claimsOk = [{ typ: 'oid', val: OID }, { typ: 'roles', val: 'Fleet.Admin' }];
  const cases: [string, string][] = [
    ['empty', ''],
    ['blank', '   '],
    ['not base64', '%%% not base64 %%%'],
    ['base64url alphabet', b64(JSON.stringify({ auth_typ: 'aad', claims: claimsOk, pad: '>>>???' })).replace(/\+/g, '-').replace(/\//g, '_')],
    ['one stray character', 'A'],
    ['two values joined by the host', `${json({ auth_typ: 'aad', claims: claimsOk })}, ${json({ auth_typ: 'aad', claims: claimsOk })}`],
    ['invalid UTF-8 inside a JSON string', Buffer.concat([
      Buffer.from(`{"auth_typ":"aad","claims":[{"typ":"oid","val":"${OID}"},{"typ":"roles","val":"Fleet.Admin"},{"typ":"name","val":"`),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}]}'),
    ]).toString('base64')],
    ['not JSON', b64('hello, world')],
    ['truncated JSON', json({ auth_typ: 'aad', claims: claimsOk }).slice(0, 40)],
    ['JSON null', json(null)],
    ['JSON array', json([{ auth_typ: 'aad', claims: claimsOk }])],
    ['JSON string', json('Fleet.Admin')],
    ['no claims', json({ auth_typ: 'aad', role_typ: 'roles' })],
    ['claims is an object', json({ auth_typ: 'aad', claims: { roles: 'Fleet.Admin', oid: OID } })],
    ['a claim is a string', json({ auth_typ: 'aad', claims: [...claimsOk, 'roles=Fleet.Admin'] })],
    ['a claim is null', json({ auth_typ: 'aad', claims: [...claimsOk, null] })],
    ['a claim typ is a number', json({ auth_typ: 'aad', claims: [...claimsOk, { typ: 7, val: 'x' }] })],
    ['a claim val is an array', json({ auth_typ: 'aad', claims: [...claimsOk, { typ: 'roles', val: ['Fleet.Admin'] }] })],
    ['a claim without val', json({ auth_typ: 'aad', claims: [...claimsOk, { typ: 'roles' }] })],
    ['role_typ is a number', json({ auth_typ: 'aad', claims: claimsOk, role_typ: 1 })],
    ['name_typ is an object', json({ auth_typ: 'aad', claims: claimsOk, name_typ: {} })],
    ['no auth_typ', json({ claims: claimsOk })],
    ['another identity provider', json({ auth_typ: 'github', claims: claimsOk })],
  ];

  it.each(cases)('callerOf, requireEntra: %s', (_label, value) => {
    const result = callerOf(withPrincipal(value, { 'x-ms-client-principal-id': OID }), AZURE);
    expect(result).toMatchObject({ ok: false, status: 401 });
  });

  it.each(cases)('callerOf, local (never downgraded to the function-key Admin): %s', (_label, value) => {
    const result = callerOf(withPrincipal(value, { 'x-ms-client-principal-id': OID }), LOCAL);
    expect(result).toMatchObject({ ok: false, status: 401 });
  });

  it.each(cases)('authorize is 401, not 403: %s', (_label, value) => {
    expect(authorize(withPrincipal(value), 'Fleet.Reader', LOCAL)).toMatchObject({ ok: false, status: 401 });
  });

  it('the base64url fixture really uses the url-safe alphabet', () => {
    const [, value] = cases.find(([label]) => label === 'base64url alphabet')!;
    expect(value).toMatch(/[-_]/);
    expect(value).not.toMatch(/[+/]/);
  });

  it('the well-formed version of these fixtures is accepted (the cases fail for the reason named)', () => {
    expect(callerOf(withPrincipal(json({ auth_typ: 'aad', claims: claimsOk })), AZURE)).toEqual({ ok: true, caller: { id: OID, roles: ['Fleet.Admin'], via: 'entra' } });
  });

  it('errors say what is wrong without echoing the header', () => {
    const secret = b64('{"auth_typ":"aad","claims":[{"typ":"oid","val":"leak-me"}');
    const result = callerOf(withPrincipal(secret), AZURE);
    expect(result).toMatchObject({ ok: false, status: 401 });
    expect(!result.ok && result.error).toMatch(/x-ms-client-principal.*JSON/);
    expect(!result.ok && result.error).not.toContain('leak-me');
  });

  it('a non-Entra provider is named in the error', () => {
    const result = callerOf(withPrincipal(json({ auth_typ: 'google', claims: claimsOk })), AZURE);
    expect(!result.ok && result.error).toContain("'google'");
  });
});

describe('403', () => {
  function forbidden(roles: string[], needed: FleetRole, extra: Record<string, string> = {}): string {
    const result = authorize(withPrincipal(principal({ roles }), extra), needed, AZURE);
    if (result.ok || result.status !== 403) throw new Error(`expected 403, got ${JSON.stringify(result)}`);
    return result.error;
  }

  it('names the role needed, the roles that include it, and the roles the caller has', () => {
    const error = forbidden(['Fleet.Reader'], 'Fleet.Operator');
    expect(error).toContain('requires role Fleet.Operator (or Fleet.Admin)');
    expect(error).toContain('has roles: Fleet.Reader');
    expect(error).toContain(OID);
  });

  it('lists every granted role', () => {
    expect(forbidden(['Fleet.Operator', 'Fleet.Reader'], 'Fleet.Admin')).toMatch(/requires role Fleet\.Admin;.*has roles: Fleet\.Reader, Fleet\.Operator$/);
  });

  it('says "none" for a caller without Fleet roles, and offers both stronger roles for Reader', () => {
    const error = forbidden([], 'Fleet.Reader');
    expect(error).toContain('requires role Fleet.Reader (or Fleet.Operator or Fleet.Admin)');
    expect(error).toContain('has roles: none');
  });

  it('names the caller by name and id', () => {
    expect(forbidden(['Fleet.Reader'], 'Fleet.Admin', { 'x-ms-client-principal-name': 'ada@contoso.com' })).toContain(`caller ada@contoso.com (${OID})`);
  });

  it('lists ignored roles so a casing mistake is visible', () => {
    const error = forbidden(['fleet.admin', 'Fleet.Reader'], 'Fleet.Admin');
    expect(error).toContain('has roles: Fleet.Reader');
    expect(error).toMatch(/ignored unrecognised roles \(names are case-sensitive\): fleet\.admin$/);
  });

  it('caps the list of ignored roles', () => {
    const many = Array.from({ length: 14 }, (_, i) => `Other.Role${i}`);
    const error = forbidden(many, 'Fleet.Reader');
    expect(error).toContain('Other.Role9');
    expect(error).not.toContain('Other.Role10');
    expect(error).toContain('and 4 more');
  });

  it('does not mention ignored roles when there are none', () => {
    expect(forbidden(['Fleet.Reader'], 'Fleet.Admin')).not.toContain('ignored');
  });
});

describe('header sources', () => {
  it('header names are matched case-insensitively through WHATWG Headers', () => {
    const h = new Headers({ 'X-MS-CLIENT-PRINCIPAL': principal({ roles: ['Fleet.Operator'] }), 'X-MS-CLIENT-PRINCIPAL-NAME': 'Ada' });
    expect(callerOf(h, AZURE)).toEqual({ ok: true, caller: { id: OID, name: 'Ada', roles: ['Fleet.Operator'], via: 'entra' } });
  });

  it('any object with get() will do', () => {
    const values = new Map([['x-ms-client-principal', principal({ roles: ['Fleet.Admin'] })]]);
    const source: HeaderSource = { get: (name) => values.get(name) ?? null };
    expect(authorize(source, 'Fleet.Admin', AZURE)).toMatchObject({ ok: true, caller: { roles: ['Fleet.Admin'] } });
  });

  it('tolerates whitespace around the value from a source that does not trim', () => {
    const source: HeaderSource = { get: (name) => (name === 'x-ms-client-principal' ? `  ${principal({ roles: ['Fleet.Reader'] })}\t` : null) };
    expect(callerOf(source, AZURE)).toEqual({ ok: true, caller: { id: OID, roles: ['Fleet.Reader'], via: 'entra' } });
  });

  it('the caller it returns cannot be changed to gain a role', () => {
    const caller = okCaller(callerOf(withPrincipal(principal({ roles: ['Fleet.Reader'] })), AZURE));
    expect(() => { (caller.roles as FleetRole[]).push('Fleet.Admin'); }).toThrow(TypeError);
    const local = okCaller(callerOf(headers(), LOCAL));
    expect(() => { (local as { id: string }).id = 'someone'; }).toThrow(TypeError);
  });
});
