import fs from 'node:fs';
import path from 'node:path';

/**
 * Appends one line to a JSONL file.
 *
 * Why this shape: several agent processes append to the same file at once. With O_APPEND the
 * kernel moves the offset to end-of-file and writes atomically with respect to other appenders,
 * so as long as each record goes out in ONE write(2) call, records from different processes can
 * never interleave or tear. Writing the text and the "\n" separately (or via a buffered stream
 * that may split chunks) would break that, hence a single Buffer and a single writeSync.
 * A short write (disk full, signal) is the only case where we need a second call.
 *
 * Not handled on purpose: a writer that crashed mid-line leaves an unterminated fragment, and the
 * next record is glued to it. Checking the last byte first cannot tell such a fragment from
 * another process's write still in flight, so it would add spurious blank lines under load.
 */
export function appendLine(filePath: string, line: string): void {
  if (line.includes('\n')) throw new Error('appendLine: a line must not contain "\\n"');
  fs.mkdirSync(path.dirname(filePath), { recursive: true });
  const fd = fs.openSync(filePath, 'a');
  try {
    writeAll(fd, Buffer.from(line + '\n', 'utf8'));
  } finally {
    fs.closeSync(fd);
  }
}

function writeAll(fd: number, buf: Buffer): void {
  let offset = 0;
  while (offset < buf.length) {
    offset += fs.writeSync(fd, buf, offset, buf.length - offset);
  }
}
