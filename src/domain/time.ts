/**
 * Timestamps are kept as epoch microseconds so that comparisons match the reference, which
 * compares Python datetimes (microsecond precision). Date.parse would drop the microseconds.
 */
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/;

export const US_PER_SECOND = 1_000_000;
export const US_PER_DAY = 86_400 * US_PER_SECOND;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digitsAt(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * The shape the reference writes ("2026-11-24T03:02:21.858123Z"), read without a regex or a
 * Date: this runs once per line. Undefined for any other shape (the general parser decides).
 */
function parseCanonical(text: string): number | undefined {
  if (text.length !== 27 || text.charCodeAt(26) !== 90) return undefined;
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84) return undefined;
  if (text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58 || text.charCodeAt(19) !== 46) return undefined;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  const micros = digitsAt(text, 20, 6);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 || micros < 0) return undefined;
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return NaN;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number))) return NaN;
  // The same arithmetic as the general path below, so both give the same double at any year.
  const ms = daysFromCivil(year, month, day) * 86_400_000 + ((hour * 60 + minute) * 60 + second) * 1000;
  return ms * 1000 + micros;
}

/** Parses an ISO-8601 timestamp to epoch microseconds; NaN when it is not one. No zone means UTC. */
export function parseTimestampUs(text: string): number {
  const canonical = parseCanonical(text);
  if (canonical !== undefined) return canonical;
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
