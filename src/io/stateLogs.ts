import fs from 'node:fs';
import path from 'node:path';
import { SOURCE_FILES } from '../domain/sources.js';
import type { Rejection } from '../decode/rejection.js';
import { appendLine } from './appendOnlyWriter.js';

/** Longest raw text kept for a rejected line. */
export const MAX_RAW_BYTES = 64 * 1024;

/**
 * An append-only JSONL log in the state dir (rejected.jsonl, alerts.jsonl). Its size is stored
 * in the checkpoint; a restart cuts it back to that size, so lines re-read after a crash are
 * not logged twice.
 */
export class StateLog {
  constructor(readonly path: string) {}

  append(record: object): void {
    appendLine(this.path, JSON.stringify(record));
  }

  size(): number {
    try {
      return fs.statSync(this.path).size;
    } catch {
      return 0;
    }
  }

  truncateTo(size: number): void {
    try {
      if (fs.statSync(this.path).size > size) fs.truncateSync(this.path, size);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

export function rejectedLog(stateDir: string): StateLog {
  return new StateLog(path.join(stateDir, 'rejected.jsonl'));
}

export function alertsLog(stateDir: string): StateLog {
  return new StateLog(path.join(stateDir, 'alerts.jsonl'));
}

/** The record kept for a rejected line: where it is, why, and its text (cut at 64 KiB). */
export function rejectedRecord(rejection: Rejection, bytes: Buffer | null, whole: boolean, at: string) {
  const kept = bytes === null ? null : bytes.subarray(0, MAX_RAW_BYTES);
  return {
    at,
    file: SOURCE_FILES[rejection.file],
    line: rejection.line,
    byte_offset: rejection.byteOffset,
    reason: rejection.reason,
    raw: kept === null ? null : kept.toString('utf8'),
    // Invalid UTF-8 cannot round-trip through a JSON string; keep the exact bytes too.
    raw_base64: kept !== null && !Buffer.from(kept.toString('utf8'), 'utf8').equals(kept) ? kept.toString('base64') : undefined,
    truncated: !whole || bytes === null || bytes.length > MAX_RAW_BYTES,
  };
}
