import { parseTimestampUs } from '../domain/time.js';
import { FieldError } from './rejection.js';

/**
 * What a line may hold beyond being well-typed JSON. Every string that identifies something
 * becomes a Map key, a pooled word, a /metrics label, a snapshot key and a list entry, each
 * copied into every snapshot and checkpoint: a 1 MB agent name costs megabytes many times
 * over. Durations and times are divided by and subtracted from each other: an extreme one
 * turns a ratio into Infinity (written as null) or an age negative. A line outside these
 * limits is rejected with a reason naming the field, the limit and what it held.
 * Lengths are JavaScript string lengths (UTF-16 code units: a character outside the Basic
 * Multilingual Plane counts 2).
 * A change that rejects more lines bumps `decode` in io/stateCodec.ts, so that a
 * checkpoint folded under the old rules is replayed, not restored.
 */

/**
 * Agent names and types, task types, project names, hand-off agents, plan and executed
 * entries. Real names are a few words (the longest in the fixtures is under 30); 256 leaves
 * room for namespaced or generated names while keeping 10,000 agents' names under 5 MB.
 */
export const MAX_NAME_CHARS = 256;

/** Invocation, session and workflow ids: UUIDs are 36, trace ids 32; 256 as for names. */
export const MAX_ID_CHARS = 256;

/**
 * A timestamp string is kept as written (date_range, started_at) when it is not in the
 * canonical form; the longest ISO-8601 form read ("2026-11-24 03:02:21.123456789+05:30") is 35.
 */
export const MAX_TIMESTAMP_CHARS = 64;

/** agent_plan and agents_executed: each becomes a pattern key and is copied into views. */
export const MAX_LIST_ENTRIES = 256;

/**
 * The longest duration, in seconds (about 116 days): no agent run or workflow lasts that long,
 * and with it every sum, mean and ratio the views compute stays far inside a double.
 */
export const MAX_DURATION_SECONDS = 1e7;

/**
 * The shortest duration above 0: the log's clocks count microseconds. Durations are divisors
 * (actual / estimate, overhead / workflow time); 1e-300 would make a ratio overflow.
 */
export const MIN_DURATION_SECONDS = 1e-6;

/** Times from the Unix epoch, inclusive... */
export const EARLIEST_TIMESTAMP = '1970-01-01T00:00:00Z';
/**
 * ...to this one, exclusive: epoch microseconds stay exact integers (up to 2^53, in 2255), so
 * ages, spans and windows are exact, and no plausible clock is off by two centuries.
 */
export const LATEST_TIMESTAMP = '2200-01-01T00:00:00Z';

const EARLIEST_US = parseTimestampUs(EARLIEST_TIMESTAMP);
const LATEST_US = parseTimestampUs(LATEST_TIMESTAMP);

function tooLong(field: string, length: number, limit: number): FieldError {
  return new FieldError(`${field} is ${length} characters long; the limit is ${limit}`);
}

export function checkName(field: string, value: string): string {
  if (value.length > MAX_NAME_CHARS) throw tooLong(field, value.length, MAX_NAME_CHARS);
  return value;
}

export function checkId(field: string, value: string): string {
  if (value.length > MAX_ID_CHARS) throw tooLong(field, value.length, MAX_ID_CHARS);
  return value;
}

/** A list of names: at most MAX_LIST_ENTRIES, each a bounded name. */
export function checkNameList(field: string, values: readonly string[]): readonly string[] {
  if (values.length > MAX_LIST_ENTRIES) {
    throw new FieldError(`${field} has ${values.length} entries; the limit is ${MAX_LIST_ENTRIES}`);
  }
  values.forEach((value, i) => checkName(`${field}[${i}]`, value));
  return values;
}

/** A timestamp string's length (it may be kept as written). */
export function checkTimestampLength(field: string, value: string): string {
  if (value.length > MAX_TIMESTAMP_CHARS) throw tooLong(field, value.length, MAX_TIMESTAMP_CHARS);
  return value;
}

export function checkDuration(field: string, seconds: number): number {
  if (seconds < 0 || seconds > MAX_DURATION_SECONDS) {
    throw new FieldError(`${field} must be from 0 to ${MAX_DURATION_SECONDS} seconds, got ${seconds}`);
  }
  if (seconds > 0 && seconds < MIN_DURATION_SECONDS) {
    throw new FieldError(`${field} must be 0 or at least ${MIN_DURATION_SECONDS} seconds (a microsecond), got ${seconds}`);
  }
  return seconds;
}

/**
 * A timestamp's epoch microseconds. A string that is not an ISO-8601 time stays accepted as
 * "no time" (NaN), as the reference does: it counts in `stats` and in no time window. One that
 * parses must be a time this log can hold.
 */
export function checkedTimeUs(field: string, timestamp: string): number {
  const us = parseTimestampUs(checkTimestampLength(field, timestamp));
  if (us < EARLIEST_US || us >= LATEST_US) {
    throw new FieldError(`${field} ${timestamp} is outside ${EARLIEST_TIMESTAMP} to ${LATEST_TIMESTAMP}`);
  }
  return us;
}
