/**
 * Bytes -> complete lines. Keeps the partial tail between pushes, so a writer that pauses
 * mid-line never produces half a record. A line that grows past `maxLineBytes` is reported
 * once (bytes: null) and its remaining bytes are dropped up to the next newline, so it is
 * never buffered without bound.
 */
import { isUtf8 } from 'node:buffer';

export interface RawLine {
  /** The line's bytes without the newline; null for a line over the length limit. */
  readonly bytes: Buffer | null;
  /** The line as text, when the splitter already knows its bytes are valid UTF-8. */
  readonly text?: string;
  /** For a line over the limit: its first bytes (at most OVERLONG_HEAD_BYTES), kept for the record of it. */
  readonly head?: Buffer;
  /** 1-based line number in the file. */
  readonly line: number;
  /** Offset of the line's first byte in the file. */
  readonly byteOffset: number;
}

/**
 * A line that lies inside one chunk: its text is decoded straight from the chunk and its
 * bytes are only cut out if someone asks (a rejected line). Why: a Buffer view per line was a
 * measurable share of replay time and garbage. Readers that only look at the bytes (a hash)
 * read chunk[start, end) in place.
 */
export class ChunkLine implements RawLine {
  constructor(
    readonly line: number,
    readonly byteOffset: number,
    readonly chunk: Buffer,
    readonly start: number,
    readonly end: number,
    readonly text: string | undefined,
  ) {}

  get bytes(): Buffer {
    return this.chunk.subarray(this.start, this.end);
  }
}

const NEWLINE = 0x0a;
/** How much of an over-long line is kept to show what it was. */
export const OVERLONG_HEAD_BYTES = 64 * 1024;

/**
 * A splitter between pushes, as plain data: what another splitter needs to go on exactly where
 * this one stands (a file read in the replay's decoding worker, followed on in the main thread).
 */
export interface SplitterState {
  readonly lineStart: number;
  readonly nextLine: number;
  /** Bytes of the unfinished line seen so far. */
  readonly lineBytes: number;
  readonly overlong: boolean;
  /** The unfinished line's bytes held back (empty for an overlong one). */
  readonly pending: Uint8Array;
}

export class LineSplitter {
  private pending: Buffer[] = [];
  /** Bytes of the current, unfinished line seen so far (kept or skipped). */
  private lineBytes = 0;
  private lineStart: number;
  private nextLine: number;
  private overlong = false;

  /**
   * @param decodeText whether lines carry their text; a reader that decodes few of the lines
   *   (a rewrite told apart by hashes) decodes those from their bytes instead of every chunk.
   *   It may be turned on later (the rewrite's reader then follows the file live).
   */
  constructor(
    private readonly maxLineBytes: number,
    startOffset = 0,
    startLine = 1,
    public decodeText = true,
  ) {
    this.lineStart = startOffset;
    this.nextLine = startLine;
  }

  /** A splitter that goes on from `state` (see SplitterState). */
  static from(maxLineBytes: number, state: SplitterState, decodeText = true): LineSplitter {
    const splitter = new LineSplitter(maxLineBytes, state.lineStart, state.nextLine, decodeText);
    splitter.lineBytes = state.lineBytes;
    splitter.overlong = state.overlong;
    if (state.pending.length > 0) splitter.pending = [Buffer.from(state.pending)];
    return splitter;
  }

  state(): SplitterState {
    return { lineStart: this.lineStart, nextLine: this.nextLine, lineBytes: this.lineBytes, overlong: this.overlong, pending: Buffer.concat(this.pending) };
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
    // The whole lines of this chunk are checked for UTF-8 and decoded at once; lines inside get
    // their text as a slice of it (one decode per chunk instead of one per line: ~6% of a replay).
    // A newline byte is never part of a multi-byte character, so the text's newlines are the bytes'.
    const firstEnd = this.decodeText ? chunk.indexOf(NEWLINE) : -1;
    const lastEnd = firstEnd === -1 ? -1 : chunk.lastIndexOf(NEWLINE);
    const wholeFrom = firstEnd + 1;
    const wholeText = lastEnd > wholeFrom && isUtf8(chunk.subarray(wholeFrom, lastEnd)) ? chunk.toString('utf8', wholeFrom, lastEnd) : undefined;
    /** Where the line starting at `from` starts in wholeText, once `from` is inside it. */
    let textFrom = 0;
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
        // Copied: a reader may fill the same chunk again (a scan's one buffer).
        if (!this.overlong) this.pending.push(Buffer.from(chunk.subarray(from, end)));
        return;
      }
      let text: string | undefined;
      if (wholeText !== undefined && from >= wholeFrom) {
        const textEnd = end === lastEnd ? wholeText.length : wholeText.indexOf('\n', textFrom);
        if (!this.overlong) text = wholeText.slice(textFrom, textEnd);
        textFrom = textEnd + 1;
      }
      if (!this.overlong) {
        if (this.pending.length === 0) {
          onLine(new ChunkLine(this.nextLine, this.lineStart, chunk, from, end, text));
        } else {
          onLine({ bytes: Buffer.concat([...this.pending, chunk.subarray(from, end)]), line: this.nextLine, byteOffset: this.lineStart });
        }
      }
      this.endLine(1);
      from = nl + 1;
    }
  }

  /**
   * The unterminated tail, as a line. Readers of files that are still being written do not
   * call this (an unfinished line waits for its newline); it is for input known to be whole.
   */
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
