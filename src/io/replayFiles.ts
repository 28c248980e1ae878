import fs from 'node:fs';
import path from 'node:path';
import { SOURCE_FILES, SOURCE_KINDS, type SourceKind } from '../domain/sources.js';
import { DEFAULT_MAX_LINE_BYTES } from '../decode/decodeLine.js';
import { Ingest, type IngestOptions } from '../pipeline/ingest.js';
import { LineSplitter, type RawLine } from '../pipeline/splitLines.js';
import { initialState } from '../projections/folds/telemetryState.js';
import { fileFault, openRegularFile } from './regularFile.js';

const CHUNK_BYTES = 64 * 1024;

/**
 * Reads a file in chunks and hands over its complete lines; a missing file has none. Bytes
 * after the last newline are an unfinished line: not handed over (the daemon waits for their
 * newline too, so both agree), only reported through `onUnfinished`. Returns the file size.
 */
export function readLines(
  filePath: string,
  maxLineBytes: number,
  onLine: (line: RawLine) => void,
  onUnfinished?: (byteOffset: number, bytes: number) => void,
): number {
  // Never opens a FIFO or a directory (it would block, or fail half-way): a FileFault instead.
  const opened = openRegularFile(filePath);
  if (opened === null) return 0;
  const fd = opened.fd;
  try {
    const splitter = new LineSplitter(maxLineBytes);
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
      splitter.push(buffer.subarray(0, n), onLine);
      offset += n;
    }
    if (offset > splitter.committedOffset) onUnfinished?.(splitter.committedOffset, offset - splitter.committedOffset);
    return offset;
  } finally {
    fs.closeSync(fd);
  }
}

export interface ReplayOptions extends IngestOptions {
  /** A file ends without a newline: its last `bytes` bytes, from `byteOffset`, are not counted yet. */
  readonly onUnfinished?: (kind: SourceKind, byteOffset: number, bytes: number) => void;
}

/** Batch replay: every complete line of the three files through decode and every projection. */
export function replayDirectory(dir: string, options: ReplayOptions = {}): Ingest {
  const ingest = new Ingest(initialState(), options);
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  for (const kind of SOURCE_KINDS) {
    readLines(
      path.join(dir, SOURCE_FILES[kind]),
      maxLineBytes,
      (line) => ingest.line(kind, line),
      (byteOffset, bytes) => options.onUnfinished?.(kind, byteOffset, bytes),
    );
  }
  return ingest;
}
