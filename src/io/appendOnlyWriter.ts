import fs from 'node:fs';
import path from 'node:path';

/**
 * Appends one line to a JSONL file.
 *
 * Why this shape: several agent processes append to the same file at once. With O_APPEND the
 * kernel moves the offset to end-of-file and writes atomically with respect to other appenders,
 * so as long as each record goes out in ONE write(2) call, records from different processes can
 * never interleave. Writing the text and the "\n" separately (or via a buffered stream that may
 * split chunks, or a retry of the rest after a short write) would break that, hence a single
 * Buffer and a single writeSync; a short write is an error, never continued.
 *
 * A fragment left at the end of the file (a writer that crashed, or a write the disk had room
 * for only part of) would swallow the next record glued onto it. So when the file does not end
 * in "\n", the record starts with one: the fragment becomes a bad line of its own and the record
 * survives. Checking the last byte cannot tell a fragment from another process's record whose
 * write is still in flight (a big record is copied into the file in pieces, and we may look
 * mid-copy), but with O_APPEND each write(2) is serialized after any other: ours lands after
 * that record has ended in "\n", and our extra "\n" makes an empty line, which every reader
 * skips. At worst a blank line under load; nothing is glued, nothing is lost.
 */
export function appendLine(filePath: string, line: string): void {
  if (line.includes('\n')) throw new Error('appendLine: a line must not contain "\\n"');
  fs.mkdirSync(path.dirname(filePath), { recursive: true });
  // 'a+': O_APPEND for the writes, readable for the last-byte check.
  const fd = fs.openSync(filePath, 'a+');
  try {
    const record = Buffer.from(line + '\n', 'utf8');
    writeOnce(fd, endsMidLine(fd) ? Buffer.concat([NEWLINE, record]) : record);
  } finally {
    fs.closeSync(fd);
  }
}

const NEWLINE = Buffer.from('\n');

function endsMidLine(fd: number): boolean {
  const size = fs.fstatSync(fd).size;
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  return fs.readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== NEWLINE[0];
}

function writeOnce(fd: number, bytes: Buffer): void {
  const written = fs.writeSync(fd, bytes, 0, bytes.length);
  if (written !== bytes.length) throw new ShortAppendError(written, bytes.length);
}

/**
 * Only part of a record reached the file (the disk had room for that much). The next append
 * starts on a new line, so the fragment stays a bad line of its own.
 */
export class ShortAppendError extends Error {
  override readonly name = 'ShortAppendError';
  /** Like an errno code, for fault reports; the usual cause is a full disk. */
  readonly code = 'ESHORTWRITE';

  constructor(
    readonly written: number,
    readonly total: number,
  ) {
    super(`short write: ${written} of ${total} bytes reached the file (is the disk full?)`);
  }
}
