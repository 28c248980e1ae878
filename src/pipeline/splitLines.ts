/**
 * Bytes -> complete lines. Keeps the partial tail between pushes, so a writer that pauses
 * mid-line never produces half a record. A line that grows past `maxLineBytes` is reported
 * once (bytes: null) and its remaining bytes are dropped up to the next newline, so it is
 * never buffered without bound.
 */
export interface RawLine {
  /** The line's bytes without the newline; null for a line over the length limit. */
  readonly bytes: Buffer | null;
  /** For a line over the limit: its first bytes (at most OVERLONG_HEAD_BYTES), kept for the record of it. */
  readonly head?: Buffer;
  /** 1-based line number in the file. */
  readonly line: number;
  /** Offset of the line's first byte in the file. */
  readonly byteOffset: number;
}

const NEWLINE = 0x0a;
/** How much of an over-long line is kept to show what it was. */
export const OVERLONG_HEAD_BYTES = 64 * 1024;

export class LineSplitter {
  private pending: Buffer[] = [];
  /** Bytes of the current, unfinished line seen so far (kept or skipped). */
  private lineBytes = 0;
  private lineStart: number;
  private nextLine: number;
  private overlong = false;

  constructor(
    private readonly maxLineBytes: number,
    startOffset = 0,
    startLine = 1,
  ) {
    this.lineStart = startOffset;
    this.nextLine = startLine;
  }

  /** Offset just after the last complete line: where a reader resumes without losing a line. */
  get committedOffset(): number {
    return this.lineStart;
  }

  /** Line number the next complete line will carry. */
  get committedLine(): number {
    return this.nextLine;
  }

  /** Bytes held back for an unfinished line (none for an overlong one: its bytes are dropped). */
  get pendingLength(): number {
    let held = 0;
    for (const piece of this.pending) held += piece.length;
    return held;
  }

  push(chunk: Buffer, onLine: (line: RawLine) => void): void {
    let from = 0;
    while (from < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, from);
      const end = nl === -1 ? chunk.length : nl;
      if (!this.overlong && this.lineBytes + (end - from) > this.maxLineBytes) {
        this.overlong = true;
        // The first bytes past the limit are always here, so the head does not depend on chunking.
        const headLength = Math.min(this.maxLineBytes + 1, OVERLONG_HEAD_BYTES);
        const head = Buffer.concat([...this.pending, chunk.subarray(from, Math.min(end, from + headLength))]).subarray(0, headLength);
        this.pending = [];
        onLine({ bytes: null, head, line: this.nextLine, byteOffset: this.lineStart });
      }
      this.lineBytes += end - from;
      if (nl === -1) {
        if (!this.overlong) this.pending.push(chunk.subarray(from, end));
        return;
      }
      if (!this.overlong) {
        const piece = chunk.subarray(from, end);
        const bytes = this.pending.length === 0 ? piece : Buffer.concat([...this.pending, piece]);
        onLine({ bytes, line: this.nextLine, byteOffset: this.lineStart });
      }
      this.endLine(1);
      from = nl + 1;
    }
  }

  /** The unterminated tail, as a line (batch replay applies it, as the reference reads it). */
  flush(onLine: (line: RawLine) => void): void {
    if (this.lineBytes === 0) return;
    if (!this.overlong) onLine({ bytes: Buffer.concat(this.pending), line: this.nextLine, byteOffset: this.lineStart });
    this.endLine(0);
  }

  private endLine(newlineBytes: number): void {
    this.lineStart += this.lineBytes + newlineBytes;
    this.nextLine += 1;
    this.lineBytes = 0;
    this.pending = [];
    this.overlong = false;
  }
}
