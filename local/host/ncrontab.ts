/**
 * A small NCRONTAB parser, the 6-field format the Functions timer trigger uses:
 * `{second} {minute} {hour} {day} {month} {day-of-week}`, evaluated in UTC (the host's default time zone).
 *
 * Each field accepts `*`, a number, a name (months `Jan`…, days `Sun`…: any case-insensitive prefix of the English
 * name, as NCrontab does), a range `a-b`, a step `*\/n`, `a-b/n` or `a/n` (from a to the field's maximum), and lists of
 * these separated by commas. Ranges: second 0-59, minute 0-59, hour 0-23, day 1-31, month 1-12, day of week 0-6
 * (Sunday = 0). As in NCrontab, a time matches when every field matches — day of month AND day of week (not the
 * OR of Vixie cron).
 */

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'],
  },
  { name: 'day of week', min: 0, max: 6, names: ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] },
];

export class NcrontabError extends Error {
  override name = 'NcrontabError';
}

function parseValue(text: string, spec: FieldSpec, expression: string): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < spec.min || n > spec.max) {
      throw new NcrontabError(`'${expression}': ${spec.name} value ${n} is outside ${spec.min}-${spec.max}`);
    }
    return n;
  }
  if (spec.names && /^[A-Za-z]+$/.test(text)) {
    const lower = text.toLowerCase();
    const i = spec.names.findIndex((n) => n.toLowerCase().startsWith(lower));
    if (i >= 0) return spec.min + i;
  }
  throw new NcrontabError(`'${expression}': '${text}' is not a valid ${spec.name} value`);
}

function parseField(text: string, spec: FieldSpec, expression: string): boolean[] {
  const allowed = new Array<boolean>(spec.max + 1).fill(false);
  for (const part of text.split(',')) {
    if (part.length === 0) throw new NcrontabError(`'${expression}': empty element in the ${spec.name} field`);
    let range = part;
    let step = 1;
    const slash = part.indexOf('/');
    if (slash >= 0) {
      const stepText = part.slice(slash + 1);
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) {
        throw new NcrontabError(`'${expression}': bad step '${stepText}' in the ${spec.name} field`);
      }
      step = Number(stepText);
      range = part.slice(0, slash);
    }
    let from: number;
    let to: number;
    if (range === '*') {
      from = spec.min;
      to = spec.max;
    } else if (range.includes('-')) {
      const [a, b, ...rest] = range.split('-');
      if (rest.length > 0 || a === undefined || b === undefined) {
        throw new NcrontabError(`'${expression}': bad range '${range}' in the ${spec.name} field`);
      }
      from = parseValue(a, spec, expression);
      to = parseValue(b, spec, expression);
      if (from > to) throw new NcrontabError(`'${expression}': range '${range}' runs backwards in the ${spec.name} field`);
    } else {
      from = parseValue(range, spec, expression);
      to = slash >= 0 ? spec.max : from;
    }
    for (let v = from; v <= to; v += step) allowed[v] = true;
  }
  return allowed;
}

export interface NcrontabSchedule {
  readonly expression: string;
  /** The first occurrence strictly after `after` (whole seconds, UTC), or `undefined` if none within 50 years. */
  next(after: Date): Date | undefined;
}

const SEARCH_YEARS = 50;

export function parseNcrontab(expression: string): NcrontabSchedule {
  const tokens = expression.trim().split(/\s+/).filter((t) => t.length > 0);
  if (tokens.length !== 6) {
    throw new NcrontabError(
      `'${expression}' is not a valid NCRONTAB expression: it needs 6 fields (second minute hour day month day-of-week), got ${tokens.length}`,
    );
  }
  const [sec, min, hour, day, month, dow] = tokens.map((t, i) => parseField(t, FIELDS[i]!, expression)) as [
    boolean[],
    boolean[],
    boolean[],
    boolean[],
    boolean[],
    boolean[],
  ];

  function next(after: Date): Date | undefined {
    const start = Math.floor(after.getTime() / 1000) * 1000 + 1000;
    const limitYear = new Date(start).getUTCFullYear() + SEARCH_YEARS;
    let t = new Date(start);
    for (;;) {
      if (t.getUTCFullYear() > limitYear) return undefined;
      if (!month[t.getUTCMonth() + 1]) {
        t = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 1));
        continue;
      }
      if (!day[t.getUTCDate()] || !dow[t.getUTCDay()]) {
        t = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate() + 1));
        continue;
      }
      if (!hour[t.getUTCHours()]) {
        t = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate(), t.getUTCHours() + 1));
        continue;
      }
      if (!min[t.getUTCMinutes()]) {
        t = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate(), t.getUTCHours(), t.getUTCMinutes() + 1));
        continue;
      }
      if (!sec[t.getUTCSeconds()]) {
        t = new Date(t.getTime() + 1000);
        continue;
      }
      return t;
    }
  }

  return { expression, next };
}
