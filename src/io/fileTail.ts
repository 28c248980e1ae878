import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { SourceKind } from '../domain/sources.js';
import { LineSplitter, type RawLine } from '../pipeline/splitLines.js';

/**
 * Follows one append-only file. chokidar only says "look again"; the truth is stat + read from
 * the stored offset to EOF. Before reading on, it checks that what it already read is still
 * there: same inode, size not below the offset, and the same bytes in two windows (the head
 * of the file and the bytes just before the offset). Any difference means the file was not
 * appended to but rewritten (the reference logger truncates and rewrites it), truncated,
 * or replaced, and the caller must rebuild.
 */
const WINDOW = 4096;
const CHUNK = 4 * 1024 * 1024;

/** What identifies the bytes read so far; stored in checkpoints to resume safely. */
export interface TailFingerprint {
  readonly ino: number;
  readonly headLength: number;
  readonly headHash: string;
  /** Window of bytes ending at `offset`. */
  readonly tailLength: number;
  readonly tailHash: string;
}

export interface TailPosition {
  /** Offset just after the last complete line applied. */
  readonly offset: number;
  /** Number of the next line. */
  readonly line: number;
  readonly fingerprint: TailFingerprint | null;
}

export type TailResult =
  | { readonly kind: 'ok'; readonly size: number }
  | { readonly kind: 'missing' }
  | { readonly kind: 'rewritten'; readonly why: string };

function hash(bytes: Buffer): string {
  return createHash('sha1').update(bytes).digest('hex');
}

function readAt(fd: number, offset: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buffer, done, length - done, offset + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? buffer : buffer.subarray(0, done);
}

export class FileTail {
  private splitter: LineSplitter;
  private ino = -1;
  /** First bytes of the file as read (up to WINDOW). */
  private head: Buffer = Buffer.alloc(0);
  /** Last bytes read, ending at `readOffset` (up to 2 x WINDOW, so a window can end at a line end). */
  private recent: Buffer = Buffer.alloc(0);
  private readOffset: number;

  constructor(
    readonly kind: SourceKind,
    readonly path: string,
    private readonly maxLineBytes: number,
    start: TailPosition = { offset: 0, line: 1, fingerprint: null },
  ) {
    this.splitter = new LineSplitter(maxLineBytes, start.offset, start.line);
    this.readOffset = start.offset;
    this.resumeFrom = start;
  }

  /** A checkpointed position not yet verified against the file; checked on the first read. */
  private resumeFrom: TailPosition | null;

  /** Where a restart may resume: after the last complete line, with what identifies the bytes before it. */
  position(): TailPosition {
    const offset = this.splitter.committedOffset;
    if (offset === 0 || this.ino === -1) return { offset, line: this.splitter.committedLine, fingerprint: null };
    const pending = this.readOffset - offset;
    const upToLine = this.recent.subarray(0, Math.max(0, this.recent.length - pending));
    const tail = upToLine.subarray(Math.max(0, upToLine.length - WINDOW));
    const head = this.head.subarray(0, Math.min(this.head.length, offset));
    return {
      offset,
      line: this.splitter.committedLine,
      fingerprint: { ino: this.ino, headLength: head.length, headHash: hash(head), tailLength: tail.length, tailHash: hash(tail) },
    };
  }

  /** Bytes in the file beyond the last complete line applied (the lag). */
  get committedOffset(): number {
    return this.splitter.committedOffset;
  }

  /**
   * Reads what was appended since the last call and hands over its complete lines. At most
   * `budget` bytes are read per call; `more` says whether the file has more.
   */
  read(onLine: (line: RawLine) => void, budget = Number.POSITIVE_INFINITY): TailResult & { more?: boolean } {
    let fd: number;
    try {
      fd = fs.openSync(this.path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return this.readOffset > 0 || this.resumeFrom?.offset ? { kind: 'rewritten', why: 'file deleted' } : { kind: 'missing' };
    }
    try {
      const stat = fs.fstatSync(fd);
      const changed = this.verify(fd, stat);
      if (changed !== null) return { kind: 'rewritten', why: changed };
      let remaining = budget;
      while (this.readOffset < stat.size && remaining > 0) {
        const length = Math.min(CHUNK, stat.size - this.readOffset, remaining);
        const chunk = readAt(fd, this.readOffset, length);
        if (chunk.length === 0) break;
        this.remember(chunk);
        this.splitter.push(chunk, onLine);
        remaining -= chunk.length;
      }
      return { kind: 'ok', size: stat.size, more: this.readOffset < stat.size };
    } finally {
      fs.closeSync(fd);
    }
  }

  private verify(fd: number, stat: fs.Stats): string | null {
    const resume = this.resumeFrom;
    if (resume !== null) {
      this.resumeFrom = null;
      this.ino = stat.ino;
      if (resume.offset === 0) return null;
      const fp = resume.fingerprint;
      if (fp === null) return 'no fingerprint for a non-zero offset';
      if (stat.ino !== fp.ino) return 'file replaced (inode changed)';
      if (stat.size < resume.offset) return 'file shrank';
      if (hash(readAt(fd, 0, fp.headLength)) !== fp.headHash) return 'head bytes changed';
      const tail = readAt(fd, resume.offset - fp.tailLength, fp.tailLength);
      if (hash(tail) !== fp.tailHash) return 'bytes before the offset changed';
      this.head = readAt(fd, 0, Math.min(WINDOW, resume.offset));
      this.recent = tail;
      return null;
    }
    if (this.ino === -1) {
      this.ino = stat.ino;
      return null;
    }
    if (stat.ino !== this.ino) return 'file replaced (inode changed)';
    if (stat.size < this.readOffset) return 'file shrank';
    if (this.readOffset === 0) return null;
    if (!readAt(fd, 0, this.head.length).equals(this.head)) return 'head bytes changed';
    const window = this.recent.subarray(Math.max(0, this.recent.length - WINDOW));
    if (!readAt(fd, this.readOffset - window.length, window.length).equals(window)) return 'bytes before the offset changed';
    return null;
  }

  private remember(chunk: Buffer): void {
    if (this.head.length < WINDOW) {
      this.head = Buffer.concat([this.head, chunk.subarray(0, WINDOW - this.head.length)]);
    }
    const keep = 2 * WINDOW;
    this.recent =
      chunk.length >= keep ? Buffer.from(chunk.subarray(chunk.length - keep)) : Buffer.concat([this.recent, chunk]).subarray(-keep);
    this.readOffset += chunk.length;
  }
}
