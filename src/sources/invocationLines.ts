import type { RawLine } from '../pipeline/splitLines.js';

/** No invocation on this line (blank, rejected, or not known). */
export const NO_ROW = -1;

/**
 * What the served state remembers of each line of the invocations file, so that a rewrite of
 * it (the reference logger's update_invocation writes every record back) can be told apart line
 * by line without decoding: a 64-bit hash of the line's text and the ledger row its record
 * went to, plus for each row the last line that wrote it (a line that is not the last one of
 * its row says nothing about the row). 16 bytes per line; lines before `knownFrom` (read by an
 * earlier process, before a checkpoint) are not known and are decoded when compared.
 */
export class InvocationLines {
  private hashLo = new Uint32Array(1024);
  private hashHi = new Uint32Array(1024);
  private rows = new Int32Array(1024);
  private lastLineOfRow = new Int32Array(1024);
  /** Lines noted so far end before this (1-based line number of the next line). */
  private next: number;

  /** @param knownFrom the first line this index is told about (1 when reading from the start). */
  constructor(readonly knownFrom = 1) {
    this.next = knownFrom;
  }

  /** Lines are noted in order: `line` must be the next one. */
  note(line: RawLine, row: number): void {
    if (line.line !== this.next) return;
    const at = line.line - this.knownFrom;
    if (at >= this.rows.length) this.growLines(at + 1);
    lineHash(line, this.hashLo, this.hashHi, at);
    this.rows[at] = row;
    if (row >= 0) {
      if (row >= this.lastLineOfRow.length) this.lastLineOfRow = grown(this.lastLineOfRow, row + 1);
      this.lastLineOfRow[row] = line.line;
    }
    this.next++;
  }

  /**
   * The row whose current record is exactly this line's (same hash as the line noted at the same
   * number, and that line was the last one to write its row); null when that cannot be said
   * without decoding it. NO_ROW for a line that held no invocation and still has the same text.
   */
  sameLineAs(line: RawLine, scratch: HashScratch): number | null {
    const at = line.line - this.knownFrom;
    if (line.line < this.knownFrom || line.line >= this.next) return null;
    lineHash(line, scratch.lo, scratch.hi, 0);
    if (scratch.lo[0] !== this.hashLo[at] || scratch.hi[0] !== this.hashHi[at]) return null;
    const row = this.rows[at] as number;
    if (row < 0) return NO_ROW;
    return this.lastLineOfRow[row] === line.line ? row : null;
  }

  private growLines(min: number): void {
    this.hashLo = grownU(this.hashLo, min);
    this.hashHi = grownU(this.hashHi, min);
    this.rows = grown(this.rows, min);
  }
}

export interface HashScratch {
  readonly lo: Uint32Array;
  readonly hi: Uint32Array;
}

export function hashScratch(): HashScratch {
  return { lo: new Uint32Array(1), hi: new Uint32Array(1) };
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
 * Two independent 32-bit lanes (FNV-1a and a multiply-xorshift one) over the line's UTF-16
 * text, or its bytes when the splitter gave no text: a changed line passes as the same with a
 * chance of about 2^-64. Text and bytes of one line hash differently, so a line seen once as
 * text and once as bytes only costs a decode.
 */
function lineHash(line: RawLine, lo: Uint32Array, hi: Uint32Array, at: number): void {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  const text = line.text;
  if (text !== undefined) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
    b ^= text.length;
  } else {
    const bytes = line.bytes;
    if (bytes === null) {
      // An over-long line: never the same as anything (it is decoded, and rejected, again).
      a = 0;
      b = 0x80000000 | (line.byteOffset & 0x7fffffff);
    } else {
      for (let i = 0; i < bytes.length; i++) {
        const c = bytes[i] as number;
        a = Math.imul(a ^ c, 0x01000193);
        b = Math.imul(b ^ c, 0x5bd1e995);
        b ^= b >>> 15;
      }
      b ^= ~bytes.length;
    }
  }
  lo[at] = a >>> 0;
  hi[at] = b >>> 0;
}
