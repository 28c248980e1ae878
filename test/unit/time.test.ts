import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatTimestampUs, parseTimestampUs, US_PER_DAY, US_PER_SECOND } from '../../src/domain/time.js';

// 2026-01-10T12:00:00Z = 1768046400 s since the epoch (Python: datetime(...).timestamp())
const NOON_US = 1_768_046_400 * US_PER_SECOND;

describe('parseTimestampUs', () => {
  it('parses UTC timestamps to epoch microseconds, keeping the microseconds', () => {
    expect(parseTimestampUs('2026-01-10T12:00:00Z')).toBe(NOON_US);
    expect(parseTimestampUs('2026-01-10T12:00:00.123456Z')).toBe(NOON_US + 123_456);
    expect(parseTimestampUs('2026-01-10T12:00:00.000001Z')).toBe(NOON_US + 1);
    // fewer digits are a fraction of a second; more than 6 are truncated (as Python does)
    expect(parseTimestampUs('2026-01-10T12:00:00.1Z')).toBe(NOON_US + 100_000);
    expect(parseTimestampUs('2026-01-10T12:00:00.123456789Z')).toBe(NOON_US + 123_456);
    expect(parseTimestampUs('2026-01-10T12:00:00,5Z')).toBe(NOON_US + 500_000);
  });

  it('no zone means UTC; space separator and missing seconds are accepted', () => {
    expect(parseTimestampUs('2026-01-10T12:00:00')).toBe(NOON_US);
    expect(parseTimestampUs('2026-01-10 12:00:00.5')).toBe(NOON_US + 500_000);
    expect(parseTimestampUs('2026-01-10T12:00Z')).toBe(NOON_US);
  });

  it('applies offsets', () => {
    expect(parseTimestampUs('2026-01-10T13:00:00+01:00')).toBe(NOON_US);
    expect(parseTimestampUs('2026-01-10T13:00:00+0100')).toBe(NOON_US);
    expect(parseTimestampUs('2026-01-10T06:30:00.000007-05:30')).toBe(NOON_US + 7);
    expect(parseTimestampUs('2026-01-10T12:00:00+00:00')).toBe(NOON_US);
    // across a day boundary
    expect(parseTimestampUs('2026-01-09T23:00:00-13:00')).toBe(NOON_US);
  });

  it('handles leap years and times before the epoch', () => {
    expect(parseTimestampUs('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29) * 1000);
    expect(parseTimestampUs('2000-02-29T00:00:00Z')).toBe(Date.UTC(2000, 1, 29) * 1000);
    expect(parseTimestampUs('1969-12-31T23:59:59.999999Z')).toBe(-1);
    expect(parseTimestampUs('1970-01-01T00:00:00Z')).toBe(0);
  });

  it('years below 100 are those years, not 19xx (Python: datetime(50, 1, 1))', () => {
    // Python: (datetime(50,1,1,tzinfo=utc) - epoch) // timedelta(microseconds=1)
    expect(parseTimestampUs('0050-01-01T00:00:00Z')).toBe(-60_589_296_000_000_000);
    expect(parseTimestampUs('0001-01-01T00:00:00Z')).toBe(-62_135_596_800_000_000);
    // Python's datetime has no year 0
    expect(parseTimestampUs('0000-06-01T00:00:00Z')).toBeNaN();
  });

  it.each([
    '2026-02-30T00:00:00Z', // no 30 February
    '2026-02-29T00:00:00Z', // 2026 is no leap year
    '1900-02-29T00:00:00Z', // nor is 1900
    '2026-04-31T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-01-00T00:00:00Z',
    '2026-01-32T00:00:00Z',
    '2026-01-10T24:00:00Z',
    '2026-01-10T12:60:00Z',
    '2026-01-10T12:00:60Z',
    '2026-01-10T12:00:00ZZ',
    '2026-01-10T12:00:00 trailing',
    '26-01-10T12:00:00Z',
    'yesterday',
    '',
  ])('%j does not parse (NaN)', (text) => {
    expect(parseTimestampUs(text)).toBeNaN();
  });

  it('a day is 86 400 000 000 microseconds', () => {
    expect(parseTimestampUs('2026-01-11T12:00:00Z') - parseTimestampUs('2026-01-10T12:00:00Z')).toBe(US_PER_DAY);
  });
});

describe('formatTimestampUs', () => {
  it('writes microseconds and Z, and round-trips', () => {
    expect(formatTimestampUs(NOON_US + 123_456)).toBe('2026-01-10T12:00:00.123456Z');
    expect(formatTimestampUs(NOON_US)).toBe('2026-01-10T12:00:00.000000Z');
    expect(formatTimestampUs(-1)).toBe('1969-12-31T23:59:59.999999Z');
    expect(parseTimestampUs(formatTimestampUs(NOON_US + 7))).toBe(NOON_US + 7);
  });
});

describe('parseTimestampUs: the fast path for the reference shape', () => {
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  const parts = fc.record({
    year: fc.integer({ min: 0, max: 9999 }),
    month: fc.integer({ min: 0, max: 13 }),
    day: fc.integer({ min: 0, max: 32 }),
    hour: fc.integer({ min: 0, max: 24 }),
    minute: fc.integer({ min: 0, max: 60 }),
    second: fc.integer({ min: 0, max: 60 }),
    micros: fc.integer({ min: 0, max: 999_999 }),
  });
  const text = (p: { year: number; month: number; day: number; hour: number; minute: number; second: number; micros: number }, zone: string) =>
    `${pad(p.year, 4)}-${pad(p.month, 2)}-${pad(p.day, 2)}T${pad(p.hour, 2)}:${pad(p.minute, 2)}:${pad(p.second, 2)}.${pad(p.micros, 6)}${zone}`;

  it('agrees with the general parser (same instant written with +00:00), valid or not', () => {
    fc.assert(
      fc.property(parts, (p) => {
        expect(Object.is(parseTimestampUs(text(p, 'Z')), parseTimestampUs(text(p, '+00:00')))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('formats back to the same string whenever it parses to an exact microsecond (years ~1685-2255)', () => {
    fc.assert(
      fc.property(parts, (p) => {
        const us = parseTimestampUs(text(p, 'Z'));
        if (Number.isSafeInteger(us)) expect(formatTimestampUs(us)).toBe(text(p, 'Z'));
      }),
      { numRuns: 3000 },
    );
  });
});
