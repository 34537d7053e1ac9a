import { describe, expect, it } from 'vitest';
import { NcrontabError, parseNcrontab } from '../../../local/host/ncrontab.js';
import { parseTimerSchedule } from '../../../local/host/timers.js';

const at = (iso: string) => new Date(iso);

describe('NCRONTAB next occurrence (UTC)', () => {
  // [expression, after, expected next]
  const table: Array<[string, string, string]> = [
    ['* * * * * *', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z'],
    ['* * * * * *', '2026-01-01T00:00:00.500Z', '2026-01-01T00:00:01.000Z'],
    ['0 * * * * *', '2026-01-01T00:00:00.000Z', '2026-01-01T00:01:00.000Z'],
    ['0 */5 * * * *', '2026-03-10T10:07:30.000Z', '2026-03-10T10:10:00.000Z'],
    ['0 */5 * * * *', '2026-03-10T10:55:00.000Z', '2026-03-10T11:00:00.000Z'],
    ['*/15 * * * * *', '2026-03-10T10:07:44.000Z', '2026-03-10T10:07:45.000Z'],
    ['30 0 9 * * *', '2026-03-10T09:00:30.000Z', '2026-03-11T09:00:30.000Z'],
    ['30 0 9 * * *', '2026-03-10T08:59:59.000Z', '2026-03-10T09:00:30.000Z'],
    ['0 0 0 1 * *', '2026-01-15T12:00:00.000Z', '2026-02-01T00:00:00.000Z'],
    ['0 0 0 1 1 *', '2026-06-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['0 0 12 * * 1-5', '2026-11-27T13:00:00.000Z', '2026-11-30T12:00:00.000Z'], // Fri after noon → Mon
    ['0 0 12 * * Mon', '2026-11-27T13:00:00.000Z', '2026-11-30T12:00:00.000Z'],
    ['0 0 0 * * 0', '2026-11-28T10:00:00.000Z', '2026-11-29T00:00:00.000Z'], // Sunday = 0
    ['0 15,45 * * * *', '2026-01-01T00:16:00.000Z', '2026-01-01T00:45:00.000Z'],
    ['0 15,45 * * * *', '2026-01-01T00:45:00.000Z', '2026-01-01T01:15:00.000Z'],
    ['0 0 8-10 * * *', '2026-01-01T10:30:00.000Z', '2026-01-02T08:00:00.000Z'],
    ['0 0 0-23/6 * * *', '2026-01-01T07:00:00.000Z', '2026-01-01T12:00:00.000Z'],
    ['0 0 3/10 * * *', '2026-01-01T14:00:00.000Z', '2026-01-01T23:00:00.000Z'], // a/n = a..max step n
    ['0 0 0 31 * *', '2026-04-01T00:00:00.000Z', '2026-05-31T00:00:00.000Z'], // April has 30 days
    ['0 0 0 29 2 *', '2026-03-01T00:00:00.000Z', '2028-02-29T00:00:00.000Z'], // leap day
    ['0 0 0 29 Feb *', '2026-03-01T00:00:00.000Z', '2028-02-29T00:00:00.000Z'],
    ['0 0 0 13 * 5', '2026-01-01T00:00:00.000Z', '2026-02-13T00:00:00.000Z'], // Friday the 13th: AND, not OR
    ['0 59 23 31 12 *', '2026-12-31T23:59:00.000Z', '2027-12-31T23:59:00.000Z'],
  ];

  it.each(table)('%s after %s → %s', (expression, after, expected) => {
    expect(parseNcrontab(expression).next(at(after))?.toISOString()).toBe(expected);
  });

  it('returns undefined for a date that never exists', () => {
    expect(parseNcrontab('0 0 0 30 2 *').next(at('2026-01-01T00:00:00Z'))).toBeUndefined();
  });

  it.each([
    ['0 */5 * * *', /6 fields/],
    ['0 0 0 0 * *', /day value 0 is outside 1-31/],
    ['60 * * * * *', /second value 60/],
    ['0 0 24 * * *', /hour value 24/],
    ['0 0 0 * 13 *', /month value 13/],
    ['0 0 0 * * 7', /day of week value 7/],
    ['0 */0 * * * *', /bad step/],
    ['0 10-5 * * * *', /backwards/],
    ['0 0 0 * Foo *', /not a valid month value/],
    ['0 1,,2 * * * *', /empty element/],
  ])('rejects %s', (expression, message) => {
    expect(() => parseNcrontab(expression)).toThrow(NcrontabError);
    expect(() => parseNcrontab(expression)).toThrow(message);
  });
});

describe('timer schedule text', () => {
  it('accepts a TimeSpan interval', () => {
    const s = parseTimerSchedule('00:00:30');
    expect(s.next(at('2026-01-01T00:00:00Z'))?.toISOString()).toBe('2026-01-01T00:00:30.000Z');
    expect(parseTimerSchedule('1.02:00:00').next(at('2026-01-01T00:00:00Z'))?.toISOString()).toBe('2026-01-02T02:00:00.000Z');
    expect(s.adjustForDST).toBe(false);
  });
  it('uses NCRONTAB otherwise', () => {
    const s = parseTimerSchedule('0 */5 * * * *');
    expect(s.adjustForDST).toBe(true);
    expect(s.next(at('2026-01-01T00:01:00Z'))?.toISOString()).toBe('2026-01-01T00:05:00.000Z');
  });
});
