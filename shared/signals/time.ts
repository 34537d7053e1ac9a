/**
 * Azure timestamps → `Date.prototype.toISOString()` form (UTC, millisecond precision).
 *
 * Seen in payloads (research/signals.md §7): 7 fractional digits ("2019-03-22T13:58:24.3713213Z"), "+00:00"
 * offsets, no offset at all ("2024-04-16T22:17:12.1032748", taken as UTC), a space instead of "T",
 * .NET `DateTime.MinValue` sentinels ("0001-01-01T00:00:00", meaning "no time"), and legacy log alerts'
 * US format ("3/22/2019 1:36:31 PM", UTC). Anything else → `undefined`.
 */

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const US = /^(\d{1,2})\/(\d{1,2})\/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(AM|PM)?$/i;

/** Years outside this range are sentinels or garbage, not event times. */
const MIN_YEAR = 1970;
const MAX_YEAR = 9998;

export function toIsoTime(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const s = value.trim();
  if (s.length === 0 || s.length > 40) return undefined;

  let m = ISO.exec(s);
  if (m) {
    const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '', zone] = m;
    const ms = Number((frac + '000').slice(0, 3));
    const offsetMin = parseZone(zone);
    if (offsetMin === undefined) return undefined;
    return build(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(sec), ms, offsetMin);
  }
  m = US.exec(s);
  if (m) {
    const [, mo, d, y, hRaw, mi, sec = '0', ampm] = m;
    let h = Number(hRaw);
    if (ampm) {
      if (h < 1 || h > 12) return undefined;
      const pm = ampm.toUpperCase() === 'PM';
      h = (h % 12) + (pm ? 12 : 0);
    }
    return build(Number(y), Number(mo), Number(d), h, Number(mi), Number(sec), 0, 0);
  }
  return undefined;
}

function parseZone(zone: string | undefined): number | undefined {
  if (zone === undefined || zone.toUpperCase() === 'Z') return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hh = Number(digits.slice(0, 2));
  const mm = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (hh > 14 || mm > 59) return undefined;
  return sign * (hh * 60 + mm);
}

function build(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  ms: number,
  offsetMin: number,
): string | undefined {
  if (y < MIN_YEAR || y > MAX_YEAR) return undefined;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const local = Date.UTC(y, mo - 1, d, h, mi, Math.min(s, 59), ms);
  const check = new Date(local);
  // Reject rolled-over dates such as 2025-02-30.
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return undefined;
  const t = local - offsetMin * 60_000;
  if (!Number.isFinite(t)) return undefined;
  return new Date(t).toISOString();
}

/** The first of `values` that is a usable time. */
export function firstTime(...values: unknown[]): string | undefined {
  for (const v of values) {
    const t = toIsoTime(v);
    if (t !== undefined) return t;
  }
  return undefined;
}
