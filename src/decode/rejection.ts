import type { SourceKind } from '../domain/sources.js';

/** Where a line sits in its file: 1-based line number and the byte offset of its first byte. */
export interface LinePosition {
  readonly file: SourceKind;
  readonly line: number;
  readonly byteOffset: number;
}

/** A line we could not use, with why. Never fatal: it is counted and reported. */
export interface Rejection extends LinePosition {
  readonly reason: string;
}

/** Thrown inside field readers and caught by decodeLine; never escapes the decode layer. */
export class FieldError extends Error {}

/** A rejection's reason as a small fixed set (a metric label; the text itself varies). */
export type RejectionKind = 'not_json' | 'not_object' | 'too_long' | 'invalid_utf8' | 'bad_field';

export function rejectionKind(reason: string): RejectionKind {
  if (reason.startsWith('not JSON')) return 'not_json';
  if (reason === 'not a JSON object') return 'not_object';
  if (reason.startsWith('line longer than')) return 'too_long';
  if (reason === 'invalid UTF-8') return 'invalid_utf8';
  return 'bad_field';
}
