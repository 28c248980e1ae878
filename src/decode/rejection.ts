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
