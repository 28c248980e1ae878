import { ChunkLine, type RawLine } from '../pipeline/splitLines.js';
import { hashBytes, type LineHash } from './lineHash.js';

export type { LineHash } from './lineHash.js';

/** No invocation on this line (blank, rejected, or not known). */
export const NO_ROW = -1;

/**
 * What the served state remembers of each line of the invocations file, so that a rewrite of
 * it (the reference logger's update_invocation writes every record back) can be told apart line
 * by line without decoding: a 64-bit hash of the line's bytes and the ledger row its record
 * went to, plus for each row the last line that wrote it (a line that is not the last one of
 * its row says nothing about the row). 16 bytes per line; lines before `knownFrom` (read by an
 * earlier process, before a checkpoint) are not known and are decoded when compared.
 */
export class InvocationLines {
  private hashLo: Uint32Array<ArrayBuffer>;
  private hashHi: Uint32Array<ArrayBuffer>;
  private rows: Int32Array<ArrayBuffer>;
  private lastLineOfRow: Int32Array<ArrayBuffer>;
  /** Lines noted so far end before this (1-based line number of the next line). */
  private next: number;

  /**
   * @param knownFrom the first line this index is told about (1 when reading from the start).
   * @param capacity lines (and rows) to make room for at once (a rewrite's: the file's lines before).
   */
  constructor(
    readonly knownFrom = 1,
    capacity = 1024,
  ) {
    this.next = knownFrom;
    this.hashLo = new Uint32Array(capacity);
    this.hashHi = new Uint32Array(capacity);
    this.rows = new Int32Array(capacity);
    this.lastLineOfRow = new Int32Array(capacity);
  }

  /** The number of the line after the last one noted. */
  get nextLine(): number {
    return this.next;
  }

  /** Lines are noted in order: `line` must be the next one. */
  note(line: RawLine, row: number, scratch: LineHash = { lo: 0, hi: 0 }): void {
    if (line.line !== this.next) return;
    hashLine(line, scratch);
    this.noteHashed(line.line, scratch, row);
  }

  /** note() for a line whose hash the caller made already (hashLine). */
  noteHashed(lineNumber: number, hash: LineHash, row: number): void {
    if (lineNumber !== this.next) return;
    const at = lineNumber - this.knownFrom;
    if (at >= this.rows.length) this.growLines(at + 1);
    this.hashLo[at] = hash.lo;
    this.hashHi[at] = hash.hi;
    this.rows[at] = row;
    if (row >= 0) {
      if (row >= this.lastLineOfRow.length) this.lastLineOfRow = grown(this.lastLineOfRow, row + 1);
      this.lastLineOfRow[row] = lineNumber;
    }
    this.next++;
  }

  /**
   * The row whose current record is exactly line `lineNumber`'s, given its hash (hashLine): same
   * hash as the line noted at the same number, and that line was the last one to write its row;
   * null when that cannot be said without decoding it. NO_ROW for a line that held no invocation
   * and still has the same text.
   */
  sameLineAs(lineNumber: number, hash: LineHash): number | null {
    if (lineNumber < this.knownFrom || lineNumber >= this.next) return null;
    const at = lineNumber - this.knownFrom;
    if (hash.lo !== this.hashLo[at] || hash.hi !== this.hashHi[at]) return null;
    const row = this.rows[at] as number;
    if (row < 0) return NO_ROW;
    return this.lastLineOfRow[row] === lineNumber ? row : null;
  }

  private growLines(min: number): void {
    this.hashLo = grownU(this.hashLo, min);
    this.hashHi = grownU(this.hashHi, min);
    this.rows = grown(this.rows, min);
  }
}

function grown(a: Int32Array<ArrayBuffer>, min: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(Math.max(min, a.length * 2));
  b.set(a);
  return b;
}

function grownU(a: Uint32Array<ArrayBuffer>, min: number): Uint32Array<ArrayBuffer> {
  const b = new Uint32Array(Math.max(min, a.length * 2));
  b.set(a);
  return b;
}

/**
 * The line's 64-bit hash (hashBytes), into `into`, read from the splitter's chunk in place.
 */
export function hashLine(line: RawLine, into: LineHash): void {
  if (line instanceof ChunkLine) {
    hashBytes(line.chunk, line.start, line.end, into);
    return;
  }
  const bytes = line.bytes;
  if (bytes === null) {
    // An over-long line: never the same as anything (it is decoded, and rejected, again).
    into.lo = 0;
    into.hi = (0x80000000 | (line.byteOffset & 0x7fffffff)) >>> 0;
    return;
  }
  hashBytes(bytes, 0, bytes.length, into);
}
