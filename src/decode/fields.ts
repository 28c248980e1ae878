import { checkDuration, checkedTimeUs, checkId, checkName, checkNameList } from './limits.js';
import { FieldError } from './rejection.js';

/** A parsed JSON object; values are unknown until a reader below checks them. */
export type JsonObject = { readonly [key: string]: unknown };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

export function requiredString(obj: JsonObject, key: string): string {
  const value = obj[key];
  if (value === undefined || value === null) throw new FieldError(`missing ${key}`);
  if (typeof value !== 'string') throw new FieldError(`${key} must be a string, got ${describe(value)}`);
  return value;
}

export function requiredId(obj: JsonObject, key: string): string {
  const value = requiredString(obj, key);
  if (value.length === 0) throw new FieldError(`missing ${key} (empty string)`);
  return checkId(key, value);
}

export function optionalString(obj: JsonObject, key: string): string | null {
  const value = obj[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new FieldError(`${key} must be a string, got ${describe(value)}`);
  return value;
}

export function optionalNumber(obj: JsonObject, key: string): number | null {
  const value = obj[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number') throw new FieldError(`${key} must be a number, got ${describe(value)}`);
  // JSON.parse turns 1e400 into Infinity.
  if (!Number.isFinite(value)) throw new FieldError(`${key} must be a finite number, got ${value}`);
  return value;
}

export function requiredNumber(obj: JsonObject, key: string): number {
  const value = optionalNumber(obj, key);
  if (value === null) throw new FieldError(`missing ${key}`);
  return value;
}

export function requiredBoolean(obj: JsonObject, key: string): boolean {
  const value = obj[key];
  if (value === undefined || value === null) throw new FieldError(`missing ${key}`);
  if (typeof value !== 'boolean') throw new FieldError(`${key} must be a boolean, got ${describe(value)}`);
  return value;
}

const EMPTY: readonly string[] = Object.freeze([]);

/** A list of strings; missing or null is the empty list. */
export function stringList(obj: JsonObject, key: string): readonly string[] {
  const value = obj[key];
  if (value === undefined || value === null) return EMPTY;
  if (!Array.isArray(value)) throw new FieldError(`${key} must be a list, got ${describe(value)}`);
  for (const item of value) {
    if (typeof item !== 'string') throw new FieldError(`${key} must hold strings, got ${describe(item)}`);
  }
  return value as string[];
}

export function optionalObject(obj: JsonObject, key: string): JsonObject | null {
  const value = obj[key];
  if (value === undefined || value === null) return null;
  if (!isObject(value)) throw new FieldError(`${key} must be an object, got ${describe(value)}`);
  return value;
}

// Readers that also hold a field to its limit (limits.ts says why each limit is what it is).

export function requiredName(obj: JsonObject, key: string): string {
  return checkName(key, requiredString(obj, key));
}

export function optionalName(obj: JsonObject, key: string, field: string = key): string | null {
  const value = optionalString(obj, key);
  return value === null ? null : checkName(field, value);
}

export function optionalId(obj: JsonObject, key: string): string | null {
  const value = optionalString(obj, key);
  return value === null ? null : checkId(key, value);
}

export function nameList(obj: JsonObject, key: string): readonly string[] {
  return checkNameList(key, stringList(obj, key));
}

export function optionalDuration(obj: JsonObject, key: string): number | null {
  const value = optionalNumber(obj, key);
  return value === null ? null : checkDuration(key, value);
}

export function requiredDuration(obj: JsonObject, key: string): number {
  return checkDuration(key, requiredNumber(obj, key));
}

/** The record's timestamp as written and as epoch microseconds (NaN when it is not a time). */
export function requiredTimestamp(obj: JsonObject, key: string): { readonly timestamp: string; readonly timeUs: number } {
  const timestamp = requiredString(obj, key);
  return { timestamp, timeUs: checkedTimeUs(key, timestamp) };
}
