/**
 * Route templates of HTTP-triggered functions, matched the way the Functions host's ASP.NET routing does it:
 * `<routePrefix>/<route>` with literal segments (case-insensitive), `{param}`, `{param?}`, `{param=default}`,
 * constraints `{id:int}` / `{id:int?}` / `{name:alpha:maxlength(8)}` and a trailing catch-all `{*rest}`.
 * Constraints the host knows are enforced (a value that fails one does not match the route, so the request gets 404);
 * unknown constraint names are tolerated (accepted).
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS' | 'TRACE' | 'CONNECT';

type Segment =
  | { kind: 'literal'; text: string }
  | {
      kind: 'param';
      name: string;
      optional: boolean;
      catchAll: boolean;
      defaultValue?: string;
      constraints: Array<(value: string) => boolean>;
    };

export interface CompiledRoute {
  /** The template as registered (without the route prefix). */
  template: string;
  segments: Segment[];
  /** Upper-case methods; empty means every method. */
  methods: ReadonlySet<string>;
  functionName: string;
  /** Sort key: lower sorts first (more specific). */
  precedence: number[];
}

export interface RouteMatch {
  route: CompiledRoute;
  params: Record<string, string>;
}

export type RouteLookup =
  | { kind: 'match'; route: CompiledRoute; params: Record<string, string> }
  | { kind: 'methodNotAllowed'; allow: string[] }
  | { kind: 'notFound' };

const INT = /^-?\d+$/;
const DECIMAL = /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;
const GUID_PLAIN = /^\{?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\}?$/;

function compileConstraint(text: string): ((value: string) => boolean) | undefined {
  const m = /^([A-Za-z]+)(?:\((.*)\))?$/s.exec(text);
  if (!m) return undefined;
  const name = m[1]!.toLowerCase();
  const arg = m[2];
  const nums = (arg ?? '').split(',').map((s) => Number(s.trim()));
  switch (name) {
    case 'int':
      return (v) => INT.test(v) && Math.abs(Number(v)) <= 2 ** 31;
    case 'long':
      return (v) => INT.test(v);
    case 'decimal':
    case 'double':
    case 'float':
      return (v) => DECIMAL.test(v);
    case 'bool':
      return (v) => /^(true|false)$/i.test(v);
    case 'guid':
      return (v) => GUID_PLAIN.test(v);
    case 'datetime':
      return (v) => !Number.isNaN(Date.parse(v));
    case 'alpha':
      return (v) => /^[A-Za-z]+$/.test(v);
    case 'minlength':
      return (v) => v.length >= nums[0]!;
    case 'maxlength':
      return (v) => v.length <= nums[0]!;
    case 'length':
      return nums.length === 2 ? (v) => v.length >= nums[0]! && v.length <= nums[1]! : (v) => v.length === nums[0]!;
    case 'min':
      return (v) => INT.test(v) && Number(v) >= nums[0]!;
    case 'max':
      return (v) => INT.test(v) && Number(v) <= nums[0]!;
    case 'range':
      return (v) => INT.test(v) && Number(v) >= nums[0]! && Number(v) <= nums[1]!;
    case 'regex': {
      if (arg === undefined) return undefined;
      try {
        const re = new RegExp(arg, 'i');
        return (v) => re.test(v);
      } catch {
        return undefined;
      }
    }
    default:
      return undefined; // unknown constraint: tolerated
  }
}

/** Splits `name:int:min(1)` on colons that are not inside parentheses. */
function splitConstraints(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of body) {
    if (ch === '(') depth++;
    if (ch === ')') depth = Math.max(0, depth - 1);
    if (ch === ':' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

function parseSegment(raw: string, template: string): Segment {
  if (!raw.startsWith('{') || !raw.endsWith('}')) {
    if (raw.includes('{') || raw.includes('}')) {
      throw new Error(`route "${template}": a segment mixing literal text and parameters is not supported ("${raw}")`);
    }
    return { kind: 'literal', text: raw.toLowerCase() };
  }
  let body = raw.slice(1, -1);
  let catchAll = false;
  if (body.startsWith('**')) {
    catchAll = true;
    body = body.slice(2);
  } else if (body.startsWith('*')) {
    catchAll = true;
    body = body.slice(1);
  }
  let optional = false;
  if (body.endsWith('?')) {
    optional = true;
    body = body.slice(0, -1);
  }
  let defaultValue: string | undefined;
  const eq = body.indexOf('=');
  if (eq >= 0) {
    defaultValue = body.slice(eq + 1);
    body = body.slice(0, eq);
  }
  const [name, ...constraintTexts] = splitConstraints(body);
  if (!name || !/^[A-Za-z_][\w]*$/.test(name)) {
    throw new Error(`route "${template}": bad parameter "${raw}"`);
  }
  const constraints = constraintTexts.map(compileConstraint).filter((c): c is (v: string) => boolean => !!c);
  return { kind: 'param', name, optional: optional || catchAll, catchAll, defaultValue, constraints };
}

export function compileRoute(
  functionName: string,
  routeTemplate: string | undefined,
  methods: readonly string[] | undefined,
  routePrefix: string,
): CompiledRoute {
  const template = routeTemplate ?? functionName;
  const full = [routePrefix, template]
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter((p) => p.length > 0)
    .join('/');
  const segments = full.length === 0 ? [] : full.split('/').map((s) => parseSegment(s, template));
  segments.forEach((s, i) => {
    if (s.kind === 'param' && s.catchAll && i !== segments.length - 1) {
      throw new Error(`route "${template}": a catch-all parameter must be the last segment`);
    }
  });
  const precedence = segments.map((s) => {
    if (s.kind === 'literal') return 0;
    if (s.catchAll) return 4;
    if (s.optional) return 3;
    return s.constraints.length > 0 ? 1 : 2;
  });
  return {
    template,
    segments,
    methods: new Set((methods ?? []).map((m) => m.toUpperCase())),
    functionName,
    precedence,
  };
}

function decodeSegment(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** Matches a URL path (still percent-encoded, no query) against one route. */
export function matchRoute(route: CompiledRoute, pathname: string): Record<string, string> | undefined {
  const parts = pathname.split('/').filter((p) => p.length > 0);
  const params: Record<string, string> = {};
  const segs = route.segments;
  let i = 0;
  for (let s = 0; s < segs.length; s++) {
    const seg = segs[s]!;
    if (seg.kind === 'literal') {
      const part = parts[i];
      if (part === undefined) return undefined;
      const decoded = decodeSegment(part);
      if (decoded === undefined || decoded.toLowerCase() !== seg.text) return undefined;
      i++;
      continue;
    }
    if (seg.catchAll) {
      const rest = parts.slice(i).map(decodeSegment);
      if (rest.some((r) => r === undefined)) return undefined;
      const value = rest.join('/');
      if (value.length > 0) {
        if (!seg.constraints.every((c) => c(value))) return undefined;
        params[seg.name] = value;
      } else if (seg.defaultValue !== undefined) {
        params[seg.name] = seg.defaultValue;
      }
      i = parts.length;
      continue;
    }
    const part = parts[i];
    if (part === undefined) {
      // Missing: allowed only when this and every later segment is optional or defaulted.
      const restOptional = segs
        .slice(s)
        .every((r) => r.kind === 'param' && (r.optional || r.defaultValue !== undefined));
      if (!restOptional) return undefined;
      for (const r of segs.slice(s)) {
        if (r.kind === 'param' && r.defaultValue !== undefined) params[r.name] = r.defaultValue;
      }
      return params;
    }
    const value = decodeSegment(part);
    if (value === undefined) return undefined;
    if (!seg.constraints.every((c) => c(value))) return undefined;
    params[seg.name] = value;
    i++;
  }
  return i === parts.length ? params : undefined;
}

function comparePrecedence(a: CompiledRoute, b: CompiledRoute): number {
  const n = Math.max(a.precedence.length, b.precedence.length);
  for (let i = 0; i < n; i++) {
    const x = a.precedence[i] ?? -1;
    const y = b.precedence[i] ?? -1;
    if (x !== y) return x - y;
  }
  return a.functionName.localeCompare(b.functionName);
}

export class RouteTable {
  readonly #routes: CompiledRoute[] = [];

  add(route: CompiledRoute): void {
    this.#routes.push(route);
    this.#routes.sort(comparePrecedence);
  }

  get routes(): readonly CompiledRoute[] {
    return this.#routes;
  }

  lookup(method: string, pathname: string): RouteLookup {
    const upper = method.toUpperCase();
    const allow = new Set<string>();
    let matchedAny = false;
    for (const route of this.#routes) {
      const params = matchRoute(route, pathname);
      if (!params) continue;
      matchedAny = true;
      if (route.methods.size === 0 || route.methods.has(upper)) return { kind: 'match', route, params };
      for (const m of route.methods) allow.add(m);
    }
    return matchedAny ? { kind: 'methodNotAllowed', allow: [...allow].sort() } : { kind: 'notFound' };
  }
}
