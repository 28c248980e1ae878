/**
 * What one read of a file from its start saw, as plain data: enough for a FileTail to go on
 * from where that read ended exactly as if it had made the read itself (FileTail.adoptRead).
 * The replay's decoding worker reads the files of a one-shot query in its own thread; the
 * query's tails then follow on from what it read, so a file rewritten or grown later is told
 * apart as it would be after their own read.
 */
import type { SplitterState } from '../pipeline/splitLines.js';

/** The first bytes a tail compares to see whether a file was rewritten. */
export const HEAD_WINDOW_BYTES = 4096;
/** The last bytes read a tail keeps (two windows, so one can end at a line end). */
export const RECENT_BYTES = 2 * HEAD_WINDOW_BYTES;

export interface WholeRead {
  readonly ino: number;
  /** Bytes read (the file's size, unless it grew during the read). */
  readonly bytesRead: number;
  /** The file as fstat saw it when opened. */
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  /** Date.now() just before the file was looked at (a write after it has a later ctime). */
  readonly lookedAtMs: number;
  /** The first min(HEAD_WINDOW_BYTES, bytesRead) bytes. */
  readonly head: Uint8Array;
  /** The last min(RECENT_BYTES, bytesRead) bytes, ending at bytesRead. */
  readonly recent: Uint8Array;
  /** Where the line splitting stands at the end (the unfinished last line, if any). */
  readonly splitter: SplitterState;
}

/** Keeps the head and the most recent bytes of a read, chunk by chunk (chunks are never reused). */
export class ReadWindows {
  private head: Buffer[] = [];
  private headBytes = 0;
  private recent: Buffer[] = [];
  private recentBytes = 0;

  add(chunk: Buffer): void {
    if (this.headBytes < HEAD_WINDOW_BYTES) {
      const part = chunk.subarray(0, HEAD_WINDOW_BYTES - this.headBytes);
      this.head.push(part);
      this.headBytes += part.length;
    }
    this.recent.push(chunk);
    this.recentBytes += chunk.length;
    while (this.recent.length > 1 && this.recentBytes - (this.recent[0] as Buffer).length >= RECENT_BYTES) {
      this.recentBytes -= (this.recent.shift() as Buffer).length;
    }
  }

  /** Copies of the two windows (never views of the chunks, which would carry them whole). */
  windows(): { readonly head: Uint8Array; readonly recent: Uint8Array } {
    const recent = Buffer.concat(this.recent);
    return { head: Buffer.concat(this.head), recent: Buffer.from(recent.subarray(Math.max(0, recent.length - RECENT_BYTES))) };
  }
}
