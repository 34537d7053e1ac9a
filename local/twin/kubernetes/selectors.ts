/**
 * `labelSelector` and `fieldSelector` as list calls send them (`k8s.io/apimachinery/pkg/labels`, `…/fields`):
 * label requirements `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`, ANDed; field requirements
 * `k=v`, `k==v`, `k!=v` on the fields a resource supports. A selector that does not parse, or names a field the
 * resource does not support, throws `SelectorError` (the API server answers 400 BadRequest).
 */

export class SelectorError extends Error {}

export type Matcher<T> = (item: T) => boolean;

/** Split at commas outside parentheses. */
function terms(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(current.trim());
      current = '';
    } else {
      current += ch;
    }
  }
  if (current.trim() || out.length > 0) out.push(current.trim());
  return out.filter((t) => t.length > 0);
}

const LABEL_KEY = /^([a-z0-9A-Z.-]+\/)?[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9])?$/;

export function labelMatcher(selector: string | null): Matcher<Readonly<Record<string, string>>> {
  if (!selector) return () => true;
  const reqs = terms(selector).map((term): Matcher<Readonly<Record<string, string>>> => {
    let m: RegExpExecArray | null;
    if ((m = /^(\S+?)\s*(==|=|!=)\s*(\S*)$/.exec(term))) {
      const [, key, op, value] = m as unknown as [string, string, string, string];
      if (!LABEL_KEY.test(key)) throw new SelectorError(`unable to parse requirement: invalid label key "${key}"`);
      return op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value;
    }
    if ((m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term))) {
      const [, key, op, list] = m as unknown as [string, string, string, string];
      const values = new Set(list.split(',').map((v) => v.trim()));
      return op === 'in' ? (l) => l[key] !== undefined && values.has(l[key]!) : (l) => l[key] === undefined || !values.has(l[key]!);
    }
    if ((m = /^!\s*(\S+)$/.exec(term)) && LABEL_KEY.test(m[1]!)) {
      const key = m[1]!;
      return (l) => l[key] === undefined;
    }
    if (LABEL_KEY.test(term)) return (l) => l[term] !== undefined;
    throw new SelectorError(`unable to parse requirement: found '${term}', expected: ',', '=', '==', '!=', 'in', 'notin'`);
  });
  return (labels) => reqs.every((r) => r(labels));
}

/** `fields`: the selectable fields of the resource and how to read them. */
export function fieldMatcher<T>(selector: string | null, fields: Readonly<Record<string, (item: T) => string>>): Matcher<T> {
  if (!selector) return () => true;
  const reqs = terms(selector).map((term): Matcher<T> => {
    const m = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw new SelectorError(`invalid selector: '${selector}'; can't understand '${term}'`);
    const [, key, op, value] = m as unknown as [string, string, string, string];
    const read = fields[key];
    if (!read) throw new SelectorError(`field label not supported: ${key}`);
    return op === '!=' ? (item) => read(item) !== value : (item) => read(item) === value;
  });
  return (item) => reqs.every((r) => r(item));
}
