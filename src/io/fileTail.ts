import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import type { SourceKind } from '../domain/sources.js';
import { LineSplitter, type RawLine } from '../pipeline/splitLines.js';
import { hashRange, PrefixCheck } from './prefixCheck.js';
import { FileFault, fileFault, openRegularFile } from './regularFile.js';
import { HEAD_WINDOW_BYTES, type WholeRead } from './wholeRead.js';

/**
 * Follows one append-only file. chokidar only says "look again"; the truth is stat + read from
 * the stored offset to EOF. Before reading on, it checks that what it already read is still
 * there: same inode, size not below the offset, and the same bytes in two windows (the head
 * of the file and the bytes just before the offset). Any difference means the file was not
 * appended to but rewritten (the reference logger truncates and rewrites it), truncated,
 * or replaced, and the caller must rebuild.
 *
 * The windows cannot see a change in the middle that keeps the size (the reference's
 * update_invocation turning "unknown"/null into "success"/12.5, or "success" into "failure").
 * Live, a file whose modification time moved while its size did not is checked: the bytes read
 * so far are hashed again, in steps of CHECK_STEP bytes per read (so a big file never blocks the
 * event loop), and compared with the running sha1 of what was read. Only different bytes are a
 * rewrite: a `touch` is not (it used to cost a full rebuild each time). Checks start at most
 * once per CHECK_INTERVAL_MS per file, so touching a file in a loop costs a bounded share of
 * the CPU. A look must see the same size twice in a row (two reads) to start a check: a look
 * in the middle of an append sees the new mtime and the old size. (Known limit: such a rewrite
 * followed by an append before the second look is not seen.) On resume, a sha1 of every byte
 * read before the checkpoint is compared, so a rewrite while nobody was watching is always seen.
 *
 * Faults never escape as exceptions: a path that is not a regular file (a directory, a FIFO,
 * a socket) is never opened or read, and any failing stat, open or read comes back as a
 * `fault` result naming the operation, for the caller to report and retry.
 *
 * `quick` tails keep no prefix hash (~1 ms per MB read): for readers whose positions are never
 * checkpointed (a one-shot CLI replay). A quick resume checks only inode, size and windows, the
 * checks the live daemon makes on every read; its positions cannot vouch for a later full resume.
 *
 * `once` tails (a query from the checkpoint) prove on resume, as a full one does, that the bytes
 * before the checkpoint are unchanged, then go on as quick tails. The proof is cheap when the
 * file is settled: the checkpoint saw the file whole (read to its size), and the file had been
 * quiet for SETTLED_MS when it was looked at. Then the same inode, size and change time (ctime,
 * which every write moves and no call can set back) mean no byte changed, as git's index and
 * make trust; otherwise the prefix is hashed. (A full tail always hashes: it needs the running
 * hash to vouch for its own later positions.)
 *
 * `deferred` tails (the daemon) make a full resume's proof after the daemon serves: the first
 * read checks inode, size and windows and reads on; the prefix is hashed in steps by
 * `checkPrefix` (see PrefixCheck), which says 'rewritten' if the bytes differ (the caller
 * rebuilds). Until it is done the tail's positions cannot vouch for the file (no prefix hash).
 */
export type ResumeCheck = 'full' | 'quick' | 'once' | 'deferred';
/**
 * A file whose last change is at least this much older than the look at it is settled: a write
 * after the look moves its ctime past the recorded one, even on a coarse file-system clock.
 */
export const SETTLED_MS = 1000;
// One constant with the windows a read elsewhere keeps for a tail to adopt (wholeRead.ts).
const WINDOW = HEAD_WINDOW_BYTES;
const CHUNK = 64 * 1024;
/**
 * A scan's one read buffer (see FileTail's `scan`): 292 MB read in fresh 64 KiB Buffers per
 * rewrite at 100k workflows was external memory that V8 answered with full collections of the
 * whole (large) heap.
 */
const SCAN_CHUNK = 1024 * 1024;
/** Bytes hashed per read while checking a file whose modification time moved at the same size. */
const CHECK_STEP = 8 * 1024 * 1024;
const CHECK_INTERVAL_MS = 1000;

/** What identifies the bytes read so far; stored in checkpoints to resume safely. */
export interface TailFingerprint {
  readonly ino: number;
  readonly headLength: number;
  readonly headHash: string;
  /** Window of bytes ending at `offset`. */
  readonly tailLength: number;
  readonly tailHash: string;
  /** sha1 of the bytes from 0 to `prefixLength` (all bytes read, a partial last line included). */
  readonly prefixLength: number;
  readonly prefixHash: string;
  /** The file as last seen when it was read whole (see `once`); absent when it was not. */
  readonly settled?: FileLook;
}

/** A file's size and change time at a look that read it to its end, and when that look began. */
export interface FileLook {
  readonly size: number;
  readonly ctimeMs: number;
  readonly lookedAtMs: number;
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
  | { readonly kind: 'rewritten'; readonly why: string }
  | { readonly kind: 'fault'; readonly fault: FileFault };

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

/** readAt into `buffer` (used again by the next read). */
function readInto(fd: number, buffer: Buffer, offset: number, length: number): Buffer {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buffer, done, length - done, offset + done);
    if (n === 0) break;
    done += n;
  }
  return buffer.subarray(0, done);
}

/** The file is exactly as when the fingerprint's look read it whole, and that look was not racy. */
function unchangedSince(fp: TailFingerprint, stat: fs.Stats): boolean {
  const look = fp.settled;
  if (look === undefined || look === null || typeof look !== 'object') return false;
  return (
    look.size === fp.prefixLength &&
    look.ctimeMs + SETTLED_MS <= look.lookedAtMs &&
    stat.size === look.size &&
    stat.ctimeMs === look.ctimeMs
  );
}

export class FileTail {
  private splitter: LineSplitter;
  private ino = -1;
  /** First bytes of the file as read (up to WINDOW). */
  private head: Buffer = Buffer.alloc(0);
  /** Last bytes read, ending at `readOffset` (up to 2 x WINDOW, so a window can end at a line end). */
  private recent: Buffer = Buffer.alloc(0);
  private readOffset: number;
  /** sha1 of every byte from 0 to `readOffset`; null after a quick resume (not known). */
  private prefix: Hash | null = createHash('sha1');
  /** Size and modification time at the last read; null before the first. */
  private seen: { readonly size: number; readonly mtimeMs: number } | null = null;
  /** A read found a newer modification time at the same size: the bytes read are to be checked. */
  private checkWanted = false;
  /** The check in progress: bytes [0, upTo) hashed so far up to `at`, to equal `expected`. */
  private check: { readonly upTo: number; readonly expected: string; readonly hash: Hash; at: number } | null = null;
  private lastCheckEndMs = -Infinity;
  /**
   * The last read saw a newer mtime at the same size: only a second look at a file still that
   * size convicts it (a quick tail calls it rewritten, a full one checks the bytes read).
   */
  private suspect = false;
  /** The last read's look at the file when it read it to its end; null when it did not. */
  private lastLook: FileLook | null = null;
  /** A deferred resume's proof of the bytes before the checkpoint, still to be made. */
  private prefixCheck: PrefixCheck | null = null;

  constructor(
    readonly kind: SourceKind,
    readonly path: string,
    private readonly maxLineBytes: number,
    start: TailPosition = { offset: 0, line: 1, fingerprint: null },
    private readonly resumeCheck: ResumeCheck = 'full',
    /**
     * A scan (a rewrite's reader, which decodes few lines): lines carry no text (see
     * LineSplitter), and are read into one buffer used again for every read, so a line handed
     * over is valid only during the callback. followLive() ends it.
     */
    scan = false,
  ) {
    this.splitter = new LineSplitter(maxLineBytes, start.offset, start.line, !scan);
    this.scanBuffer = scan ? Buffer.allocUnsafe(SCAN_CHUNK) : null;
    this.readOffset = start.offset;
    this.resumeFrom = start;
    if (resumeCheck === 'quick') this.prefix = null;
  }

  /** A scan's read buffer; null for a live tail (a fresh Buffer per read). */
  private scanBuffer: Buffer | null;

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
      fingerprint: {
        ino: this.ino,
        headLength: head.length,
        headHash: hash(head),
        tailLength: tail.length,
        tailHash: hash(tail),
        // After a quick resume the prefix is unknown: a length no file has makes a later full check fail safe.
        prefixLength: this.prefix === null ? -1 : this.readOffset,
        prefixHash: this.prefix === null ? '' : this.prefix.copy().digest('hex'),
        // A look taken while an edit is suspected or being checked is not one the prefix hash
        // answers for: a later resume must hash the bytes, not trust the look.
        ...(this.lastLook !== null && this.lastLook.size === this.readOffset && !this.unsettled() ? { settled: this.lastLook } : {}),
      },
    };
  }

  /** A same-size change was seen and is not yet cleared by a check of the bytes read. */
  private unsettled(): boolean {
    return this.suspect || this.checkWanted || this.check !== null;
  }

  /**
   * This quick tail, before its first read, takes the place of one that made `read` (a read of
   * the whole file made elsewhere: the replay's decoding worker): the same identity, windows,
   * offsets, unfinished line and look at the file, so its next read behaves as after its own.
   */
  adoptRead(read: WholeRead): void {
    if (this.resumeCheck !== 'quick' || this.scanBuffer !== null || this.resumeFrom?.offset !== 0 || this.ino !== -1) throw new Error('adoptRead: only a quick tail that has read nothing');
    this.resumeFrom = null;
    this.ino = read.ino;
    this.splitter = LineSplitter.from(this.maxLineBytes, read.splitter);
    this.head = Buffer.from(read.head);
    this.recent = Buffer.from(read.recent);
    this.readOffset = read.bytesRead;
    this.seen = { size: read.size, mtimeMs: read.mtimeMs };
    this.lastLook = read.bytesRead === read.size ? { size: read.size, ctimeMs: read.ctimeMs, lookedAtMs: read.lookedAtMs } : null;
  }

  /** A scan goes on as a live tail: lines carry their text and may be kept after the callback. */
  followLive(): void {
    this.splitter.decodeText = true;
    this.scanBuffer = null;
  }

  /** A deferred resume has not yet proven the bytes before its checkpoint unchanged. */
  get prefixUnchecked(): boolean {
    return this.prefixCheck !== null;
  }

  /**
   * A step (about `budget` bytes hashed) of a deferred resume's proof. 'ok' with `more` while it
   * goes on; 'rewritten' when the bytes differ (the tail then vouches for nothing).
   */
  checkPrefix(budget: number): TailResult & { more?: boolean } {
    const check = this.prefixCheck;
    if (check === null) return { kind: 'ok', size: -1, more: false };
    let opened: ReturnType<typeof openRegularFile>;
    try {
      opened = openRegularFile(this.path);
    } catch (error) {
      return { kind: 'fault', fault: fileFault(this.path, 'open', error) };
    }
    if (opened === null) return this.failPrefix('file deleted');
    const { fd, stat } = opened;
    try {
      if (stat.ino !== this.ino) return this.failPrefix('file replaced (inode changed)');
      const step = check.step(fd, this.readOffset, budget);
      if (step.kind === 'changed') return this.failPrefix(step.why);
      if (step.kind === 'more') return { kind: 'ok', size: stat.size, more: true };
      this.prefix = step.prefix;
      this.prefixCheck = null;
      return { kind: 'ok', size: stat.size, more: false };
    } catch (error) {
      return { kind: 'fault', fault: error instanceof FileFault ? error : fileFault(this.path, 'read', error) };
    } finally {
      fs.closeSync(fd);
    }
  }

  private failPrefix(why: string): TailResult {
    this.prefixCheck = null;
    this.prefix = null;
    return { kind: 'rewritten', why };
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
    let opened: ReturnType<typeof openRegularFile>;
    // Taken before the stat: a write after it has a ctime at or after this moment.
    const lookedAtMs = Date.now();
    try {
      opened = openRegularFile(this.path);
    } catch (error) {
      return { kind: 'fault', fault: fileFault(this.path, 'open', error) };
    }
    if (opened === null) {
      return this.readOffset > 0 || this.resumeFrom?.offset ? { kind: 'rewritten', why: 'file deleted' } : { kind: 'missing' };
    }
    const { fd } = opened;
    try {
      const stat = this.settledLook(fd, opened.stat);
      const changed = this.verify(fd, stat) ?? this.checkContent(fd, stat);
      if (changed !== null) return { kind: 'rewritten', why: changed };
      let remaining = budget;
      while (this.readOffset < stat.size && remaining > 0) {
        const scanBuffer = this.scanBuffer;
        const length = Math.min(scanBuffer === null ? CHUNK : scanBuffer.length, stat.size - this.readOffset, remaining);
        const chunk = scanBuffer === null ? readAt(fd, this.readOffset, length) : readInto(fd, scanBuffer, this.readOffset, length);
        if (chunk.length === 0) break;
        this.remember(chunk);
        this.splitter.push(chunk, onLine);
        remaining -= chunk.length;
      }
      // Under suspicion the old look stays the reference, so the next read compares with it.
      if (!this.suspect) this.seen = { size: stat.size, mtimeMs: stat.mtimeMs };
      this.lastLook = this.readOffset === stat.size ? { size: stat.size, ctimeMs: stat.ctimeMs, lookedAtMs } : null;
      return { kind: 'ok', size: stat.size, more: this.readOffset < stat.size };
    } catch (error) {
      // A read that fails half-way keeps what it handed over: offsets only move past bytes read.
      return { kind: 'fault', fault: error instanceof FileFault ? error : fileFault(this.path, 'read', error) };
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * The stat a read goes by. write(2) moves the modification time before the size, so a stat in
   * between sees an append as a same-size change; on a 306 MB file that cost a check of every
   * byte read (~0.5 s of sha1 in 8 MiB steps, each a 15-25 ms stall of the event loop) a few
   * times a minute under a steady writer. Such a look is taken once more: a file grown by then
   * was being appended to. (A file still the same size waits for the next read: see
   * checkContent. So the known limit above reads: a same-size rewrite followed by an append
   * before the second look after it is not seen.)
   */
  private settledLook(fd: number, stat: fs.Stats): fs.Stats {
    const seen = this.seen;
    if (seen === null || stat.size !== seen.size || stat.mtimeMs === seen.mtimeMs) return stat;
    return fs.fstatSync(fd);
  }

  /**
   * A newer modification time at the same size asks for a check of the bytes read so far; the
   * check runs a step per read and says 'rewritten' only when they differ.
   */
  private checkContent(fd: number, stat: fs.Stats): string | null {
    const seen = this.seen;
    const touched = seen !== null && stat.size === seen.size && stat.mtimeMs !== seen.mtimeMs && this.readOffset > 0;
    // An append moves the mtime a moment before the size (longer than settledLook's second stat
    // when the writer waits in the kernel, on a busy machine), so only a second look at a file
    // still the same size convicts it. A quick tail (no running hash) calls it a rewrite (a false
    // call costs a rebuild, never a wrong answer); a full one checks the bytes read.
    const convicted = touched && this.suspect;
    this.suspect = touched && !convicted;
    if (this.prefix === null) return convicted ? 'modified without growing' : null;
    if (convicted) this.checkWanted = true;
    if (this.check === null && this.checkWanted && Date.now() - this.lastCheckEndMs >= CHECK_INTERVAL_MS) {
      this.checkWanted = false;
      this.check = { upTo: this.readOffset, expected: this.prefix.copy().digest('hex'), hash: createHash('sha1'), at: 0 };
    }
    const check = this.check;
    if (check === null) return null;
    const to = Math.min(check.upTo, check.at + CHECK_STEP);
    if (!hashRange(fd, check.at, to, check.hash)) return 'file shrank';
    check.at = to;
    if (check.at < check.upTo) return null;
    this.check = null;
    this.lastCheckEndMs = Date.now();
    return check.hash.digest('hex') === check.expected ? null : 'modified without growing (bytes read before changed)';
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
      if (this.resumeCheck === 'quick' || (this.resumeCheck === 'once' && unchangedSince(fp, stat))) {
        this.prefix = null;
        return null;
      }
      // Checkpoints written before the prefix hash existed cannot prove the middle unchanged.
      if (typeof fp.prefixHash !== 'string' || typeof fp.prefixLength !== 'number' || fp.prefixLength < resume.offset) {
        return 'no prefix hash in the checkpoint';
      }
      if (this.resumeCheck === 'deferred') {
        this.prefix = null;
        this.prefixCheck = new PrefixCheck(resume.offset, fp.prefixLength, fp.prefixHash);
        return null;
      }
      const upToOffset = createHash('sha1');
      if (!hashRange(fd, 0, resume.offset, upToOffset)) return 'file shrank';
      const whole = upToOffset.copy();
      if (!hashRange(fd, resume.offset, fp.prefixLength, whole)) return 'file shrank';
      if (whole.digest('hex') !== fp.prefixHash) return 'bytes read before the checkpoint changed';
      this.prefix = upToOffset;
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
    this.prefix?.update(chunk);
    this.prefixCheck?.read.update(chunk);
    this.recent =
      chunk.length >= keep ? Buffer.from(chunk.subarray(chunk.length - keep)) : Buffer.concat([this.recent, chunk]).subarray(-keep);
    this.readOffset += chunk.length;
  }
}
