/**
 * Timestamps are kept as epoch microseconds so that comparisons match the reference, which
 * compares Python datetimes (microsecond precision). Date.parse would drop the microseconds.
 */
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/;

export const US_PER_SECOND = 1_000_000;
export const US_PER_DAY = 86_400 * US_PER_SECOND;

/** Parses an ISO-8601 timestamp to epoch microseconds; NaN when it is not one. No zone means UTC. */
export function parseTimestampUs(text: string): number {
  const m = ISO.exec(text);
  if (m === null) return NaN;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  const year = Number(y);
  // Python's datetime has years 1..9999 (no year 0).
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return NaN;
  // Not Date.UTC: it reads years 0..99 as 1900..1999.
  const ms = new Date(0).setUTCFullYear(year, month - 1, day) + ((hour * 60 + minute) * 60 + second) * 1000;
  if (Number.isNaN(ms) || new Date(ms).getUTCDate() !== day) return NaN;
  const micros = frac === undefined ? 0 : Math.floor(Number((frac + '000000').slice(0, 6)));
  let offsetMinutes = 0;
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
  }
  return (ms - offsetMinutes * 60_000) * 1000 + micros;
}

/** Formats epoch microseconds as an ISO string with microseconds, like the reference writes. */
export function formatTimestampUs(us: number): string {
  const ms = Math.floor(us / 1000);
  const micros = us - ms * 1000;
  const base = new Date(ms).toISOString(); // 2026-11-24T03:02:21.858Z
  return `${base.slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
}
