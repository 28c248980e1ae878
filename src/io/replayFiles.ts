import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SOURCE_FILES, SOURCE_KINDS, type SourceKind } from '../domain/sources.js';
import { DEFAULT_MAX_LINE_BYTES } from '../decode/decodeLine.js';
import { Ingest, type IngestOptions } from '../pipeline/ingest.js';
import { initialState } from '../projections/folds/telemetryState.js';
import { findDecodeWorker, replayWithWorker } from './parallelReplay.js';
import { readLines } from './readLines.js';
import type { SourceSet } from './sourceSet.js';
import type { WholeRead } from './wholeRead.js';

export { readLines } from './readLines.js';

/**
 * Below this many bytes in the three files a replay stays on one thread: starting the decoding
 * worker (loading and compiling its code again, tens of ms on a free machine, several hundred on
 * a busy one) costs more than it saves. At 3k generated workflows (15 MB) it measured slower.
 */
export const PARALLEL_REPLAY_MIN_BYTES = 64 * 1024 * 1024;

export interface ReplayOptions extends IngestOptions {
  /** A file ends without a newline: its last `bytes` bytes, from `byteOffset`, are not counted yet. */
  readonly onUnfinished?: (kind: SourceKind, byteOffset: number, bytes: number) => void;
  /**
   * Decode in a worker thread while this one folds: 'auto' for files of PARALLEL_REPLAY_MIN_BYTES
   * or more on a machine with two cores or more (when the worker's script is there), 'never', or
   * a worker script to use whatever the size. Either way the outcome is the same; the worker costs
   * ~20% more CPU in all for a replay that ends sooner when a second core is free.
   */
  readonly decodeWorker?: DecodeWorkerChoice;
}

/** See ReplayOptions.decodeWorker. */
export type DecodeWorkerChoice = 'auto' | 'never' | URL;

function totalBytes(dir: string): number {
  let total = 0;
  for (const kind of SOURCE_KINDS) {
    try {
      total += fs.statSync(path.join(dir, SOURCE_FILES[kind])).size;
    } catch {
      // A file that cannot be looked at is the reader's to report.
    }
  }
  return total;
}

function workerFor(dir: string, choice: ReplayOptions['decodeWorker'] = 'auto'): URL | null {
  if (choice instanceof URL) return choice;
  // One core: the two halves would only take turns, and the hand-over costs CPU of its own.
  if (choice === 'never' || os.availableParallelism() < 2 || totalBytes(dir) < PARALLEL_REPLAY_MIN_BYTES) return null;
  return findDecodeWorker();
}

/**
 * The first read of a fresh SourceSet, whose faults end the read (THROW_FAULTS), made by the
 * decoding worker when one applies (as for replayDirectory): its lines folded into `ingest`,
 * and every tail left where its own read would have left it, so reading goes on from there
 * the same. False, having read nothing, when no worker applies or it did not start: the caller
 * reads on one thread.
 */
export function readFirstWithWorker(sources: SourceSet, ingest: Ingest, maxLineBytes: number, choice: DecodeWorkerChoice = 'auto'): boolean {
  const worker = workerFor(sources.dir, choice);
  if (worker === null) return false;
  const reads = new Map<SourceKind, WholeRead | null>();
  const noteRead = (kind: SourceKind, read: WholeRead | null): void => void reads.set(kind, read);
  if (!replayWithWorker(sources.dir, maxLineBytes, ingest, worker, () => undefined, {}, noteRead)) return false;
  sources.adoptReads(reads);
  return true;
}

/** Batch replay: every complete line of the three files through decode and every projection. */
export function replayDirectory(dir: string, options: ReplayOptions = {}): Ingest {
  const ingest = new Ingest(initialState(), options);
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const onUnfinished = (kind: SourceKind, byteOffset: number, bytes: number): void => options.onUnfinished?.(kind, byteOffset, bytes);
  const worker = workerFor(dir, options.decodeWorker);
  if (worker !== null && replayWithWorker(dir, maxLineBytes, ingest, worker, onUnfinished)) return ingest;
  for (const kind of SOURCE_KINDS) {
    readLines(
      path.join(dir, SOURCE_FILES[kind]),
      maxLineBytes,
      (line) => ingest.line(kind, line),
      (byteOffset, bytes) => onUnfinished(kind, byteOffset, bytes),
    );
  }
  return ingest;
}
