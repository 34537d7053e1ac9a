/**
 * Authorisation of the ops HTTP API (DESIGN §7: "Mutating routes require authorisation (function keys, and in
 * Azure the Entra principal's app roles)").
 *
 * Two layers:
 * - Function keys: checked by the Functions host before a handler runs, so a handler that executes has already
 *   passed the key check. Nothing to do here for them.
 * - Entra app roles: App Service Authentication ("Easy Auth") validates the caller's token and passes the principal
 *   to the function as `x-ms-client-principal`, a base64-encoded JSON object
 *   `{ auth_typ: 'aad', claims: [{ typ, val }, …], name_typ, role_typ }`, plus `x-ms-client-principal-id` and
 *   `x-ms-client-principal-name`. The platform strips these headers from incoming requests, so only Easy Auth can
 *   set them; we therefore trust their content, but never their absence (see `requireEntra`).
 *
 * Decisions:
 * - Role names are compared exactly as registered (case-sensitive). Entra puts the app role's `value` into the token
 *   verbatim, so the only way to get a different casing is a differently registered role; treating `fleet.admin` as
 *   `Fleet.Admin` would grant rights to a role nobody registered as ours. Unrecognised roles (including case variants)
 *   are ignored, not an error; a 403 lists them so a casing mistake in the app registration is easy to spot.
 * - A principal header that is present but unreadable (bad base64, bad UTF-8, bad JSON, wrong shape, a provider other
 *   than Entra, no id) is always 401, with or without `requireEntra`: it is never downgraded to "function key only",
 *   which would turn a broken principal into Fleet.Admin locally.
 * - Role claims are read from the claim type named by `role_typ`, from `roles` (the JWT claim name) and from
 *   `http://schemas.microsoft.com/ws/2008/06/identity/claims/role` (the .NET ClaimTypes.Role URI), whichever appear.
 * - Id: `x-ms-client-principal-id`, else the `http://schemas.microsoft.com/identity/claims/objectidentifier` claim,
 *   else `oid`. Name: `x-ms-client-principal-name`, else the claim named by `name_typ`.
 * - Header names are looked up in lower case; WHATWG `Headers` (what `HttpRequest.headers` is) is case-insensitive.
 */

export type FleetRole = 'Fleet.Reader' | 'Fleet.Operator' | 'Fleet.Admin';

/** Every role, weakest first; each role includes all roles before it (Admin ⊇ Operator ⊇ Reader). */
export const FLEET_ROLES: readonly FleetRole[] = Object.freeze(['Fleet.Reader', 'Fleet.Operator', 'Fleet.Admin'] as const);

export interface Caller {
  readonly id: string;
  readonly name?: string;
  readonly roles: readonly FleetRole[];
  readonly via: 'entra' | 'functionKey';
}

/** Fits `@azure/functions` `HttpRequest.headers` (WHATWG Headers). Names are passed in lower case. */
export interface HeaderSource {
  get(name: string): string | null;
}

export interface AuthOptions {
  /** Set in Azure: a request without an Entra principal is 401. Unset locally: a function-key caller is Fleet.Admin. */
  readonly requireEntra: boolean;
}

export const PRINCIPAL_HEADER = 'x-ms-client-principal';
export const PRINCIPAL_ID_HEADER = 'x-ms-client-principal-id';
export const PRINCIPAL_NAME_HEADER = 'x-ms-client-principal-name';

export const ROLE_CLAIM_TYPES: readonly string[] = Object.freeze(['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role']);
export const OBJECT_ID_CLAIM_TYPES: readonly string[] = Object.freeze(['http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid']);

/** The caller of a local run that has only a function key (no Easy Auth in front of it). */
export const FUNCTION_KEY_CALLER: Caller = Object.freeze({ id: 'function-key', roles: Object.freeze(['Fleet.Admin'] as FleetRole[]), via: 'functionKey' as const });

const RANK: Readonly<Record<FleetRole, number>> = Object.freeze({ 'Fleet.Reader': 1, 'Fleet.Operator': 2, 'Fleet.Admin': 3 });

const isFleetRole = (value: string): value is FleetRole => Object.prototype.hasOwnProperty.call(RANK, value);

/** Standard base64 alphabet, padded or not (Easy Auth writes padded standard base64). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

/** How many unrecognised roles a 403 lists. */
const MAX_LISTED_IGNORED = 10;

type Unauthenticated = { ok: false; status: 401; error: string };
type Parsed = { ok: true; caller: Caller; ignoredRoles: readonly string[] } | Unauthenticated;

const unauthenticated = (error: string): Unauthenticated => ({ ok: false, status: 401, error });

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const nonBlank = (v: string | null | undefined): string | undefined => {
  const t = v?.trim();
  return t ? t : undefined;
};

function parse(headers: HeaderSource, options: AuthOptions): Parsed {
  const raw = headers.get(PRINCIPAL_HEADER);
  if (raw === null) {
    if (options.requireEntra) {
      return unauthenticated(`sign-in required: no Entra principal (${PRINCIPAL_HEADER} header missing; App Service Authentication must be in front of this API)`);
    }
    return { ok: true, caller: FUNCTION_KEY_CALLER, ignoredRoles: [] };
  }

  const bad = (why: string) => unauthenticated(`malformed ${PRINCIPAL_HEADER} header: ${why}`);
  const encoded = raw.trim();
  if (!encoded) return bad('it is empty');
  if (!BASE64.test(encoded)) return bad('it is not base64');

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(encoded, 'base64'));
  } catch {
    return bad('it does not decode to UTF-8 text');
  }

  let principal: unknown;
  try {
    principal = JSON.parse(text);
  } catch {
    return bad('it does not decode to JSON');
  }
  if (!isRecord(principal)) return bad('it does not decode to a JSON object');

  const { auth_typ: authType, claims, name_typ: nameType, role_typ: roleType } = principal;
  if (typeof authType !== 'string') return bad('auth_typ is missing or not a string');
  if (authType.toLowerCase() !== 'aad') return unauthenticated(`principal is from identity provider '${authType}'; only Entra ('aad') principals are accepted`);
  if (nameType !== undefined && nameType !== null && typeof nameType !== 'string') return bad('name_typ is not a string');
  if (roleType !== undefined && roleType !== null && typeof roleType !== 'string') return bad('role_typ is not a string');
  if (!Array.isArray(claims)) return bad('claims is missing or not an array');

  const typed: { typ: string; val: string }[] = [];
  for (const [i, claim] of claims.entries()) {
    if (!isRecord(claim) || typeof claim.typ !== 'string' || typeof claim.val !== 'string') {
      return bad(`claims[${i}] is not an object with string 'typ' and 'val'`);
    }
    typed.push({ typ: claim.typ, val: claim.val });
  }

  const roleTypes = new Set(ROLE_CLAIM_TYPES);
  if (typeof roleType === 'string' && roleType) roleTypes.add(roleType);
  const granted = new Set<FleetRole>();
  const ignored = new Set<string>();
  for (const { typ, val } of typed) {
    if (!roleTypes.has(typ)) continue;
    if (isFleetRole(val)) granted.add(val);
    else ignored.add(val);
  }

  const claimValue = (types: readonly string[]): string | undefined => {
    for (const t of types) {
      const found = typed.find((c) => c.typ === t && nonBlank(c.val));
      if (found) return found.val.trim();
    }
    return undefined;
  };

  const id = nonBlank(headers.get(PRINCIPAL_ID_HEADER)) ?? claimValue(OBJECT_ID_CLAIM_TYPES);
  if (!id) return unauthenticated(`principal has no id (no ${PRINCIPAL_ID_HEADER} header and no object id claim); refusing an anonymous principal`);
  const name = nonBlank(headers.get(PRINCIPAL_NAME_HEADER)) ?? (typeof nameType === 'string' && nameType ? claimValue([nameType]) : undefined);

  const roles = Object.freeze(FLEET_ROLES.filter((r) => granted.has(r)));
  const caller: Caller = Object.freeze(name === undefined ? { id, roles, via: 'entra' as const } : { id, name, roles, via: 'entra' as const });
  return { ok: true, caller, ignoredRoles: [...ignored] };
}

/**
 * Who is calling. With requireEntra (set in Azure), a request without a valid principal is 401. Without it (local
 * runs), a caller with only a function key is treated as Fleet.Admin with id 'function-key'. A malformed principal
 * header is always 401 (never silently downgraded).
 */
export function callerOf(headers: HeaderSource, options: AuthOptions): { ok: true; caller: Caller } | Unauthenticated {
  const parsed = parse(headers, options);
  return parsed.ok ? { ok: true, caller: parsed.caller } : parsed;
}

/** Whether the caller holds `needed` or a role that includes it. An unknown `needed` is never held (fails closed). */
export function hasRole(caller: Caller, needed: FleetRole): boolean {
  // For a `needed` outside FleetRole (a JS caller's typo), RANK[needed] is undefined and every comparison is false.
  return caller.roles.some((r) => isFleetRole(r) && RANK[r] >= RANK[needed]);
}

/** 403 names the role needed and the roles the caller has. */
export function authorize(
  headers: HeaderSource,
  needed: FleetRole,
  options: AuthOptions,
): { ok: true; caller: Caller } | { ok: false; status: 401 | 403; error: string } {
  const parsed = parse(headers, options);
  if (!parsed.ok) return parsed;
  const { caller, ignoredRoles } = parsed;
  if (hasRole(caller, needed)) return { ok: true, caller };

  const including = FLEET_ROLES.filter((r) => RANK[r] > RANK[needed]);
  const who = caller.name ? `${caller.name} (${caller.id})` : caller.id;
  const has = caller.roles.length ? caller.roles.join(', ') : 'none';
  let error = `forbidden: requires role ${needed}${including.length ? ` (or ${including.join(' or ')})` : ''}; caller ${who} has roles: ${has}`;
  if (ignoredRoles.length) {
    const listed = ignoredRoles.slice(0, MAX_LISTED_IGNORED).join(', ');
    const more = ignoredRoles.length > MAX_LISTED_IGNORED ? ` and ${ignoredRoles.length - MAX_LISTED_IGNORED} more` : '';
    error += `; ignored unrecognised roles (names are case-sensitive): ${listed}${more}`;
  }
  return { ok: false, status: 403, error };
}
