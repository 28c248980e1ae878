import fs from 'node:fs';
import { LineSplitter, type RawLine } from '../pipeline/splitLines.js';
import { fileFault, openRegularFile } from './regularFile.js';
import { ReadWindows, type WholeRead } from './wholeRead.js';

const CHUNK_BYTES = 64 * 1024;

/**
 * Reads a file in chunks and hands over its complete lines; a missing file has none. Bytes
 * after the last newline are an unfinished line: not handed over (the daemon waits for their
 * newline too, so both agree), only reported through `onUnfinished`. Returns the file size.
 * `onRead`, at the end, gets what the read saw of the file (not called for a missing file).
 */
export function readLines(
  filePath: string,
  maxLineBytes: number,
  onLine: (line: RawLine) => void,
  onUnfinished?: (byteOffset: number, bytes: number) => void,
  onRead?: (read: WholeRead) => void,
): number {
  // Taken before the look, as a FileTail does: a write after it has a later ctime.
  const lookedAtMs = Date.now();
  // Never opens a FIFO or a directory (it would block, or fail half-way): a FileFault instead.
  const opened = openRegularFile(filePath);
  if (opened === null) return 0;
  const { fd, stat } = opened;
  try {
    const splitter = new LineSplitter(maxLineBytes);
    const windows = onRead === undefined ? null : new ReadWindows();
    let offset = 0;
    for (;;) {
      // A fresh buffer per chunk: lines handed over may point into it after the next read.
      const buffer = Buffer.allocUnsafeSlow(CHUNK_BYTES);
      let n: number;
      try {
        n = fs.readSync(fd, buffer, 0, CHUNK_BYTES, offset);
      } catch (error) {
        throw fileFault(filePath, 'read', error);
      }
      if (n === 0) break;
      const chunk = buffer.subarray(0, n);
      windows?.add(chunk);
      splitter.push(chunk, onLine);
      offset += n;
    }
    if (offset > splitter.committedOffset) onUnfinished?.(splitter.committedOffset, offset - splitter.committedOffset);
    if (windows !== null) {
      const { ino, size, mtimeMs, ctimeMs } = stat;
      onRead?.({ ino, bytesRead: offset, size, mtimeMs, ctimeMs, lookedAtMs, ...windows.windows(), splitter: splitter.state() });
    }
    return offset;
  } finally {
    fs.closeSync(fd);
  }
}
