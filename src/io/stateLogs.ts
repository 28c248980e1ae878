import fs from 'node:fs';
import { basename, join } from 'node:path';
import { SOURCE_FILES } from '../domain/sources.js';
import { stringifyJson } from '../domain/jsonText.js';
import type { Rejection } from '../decode/rejection.js';
import { appendLine } from './appendOnlyWriter.js';
import { type FaultSink, IGNORE_FAULTS } from './faults.js';
import { clearAll, cutBack, fileIdentity, rotate, sizeOf } from './logGenerations.js';

/** Longest raw text kept for a rejected line. */
export const MAX_RAW_BYTES = 64 * 1024;

/**
 * rejected.jsonl is rotated beyond this size (a flood of bad lines must not fill the disk):
 * about 60,000 records of a short line each. Two old generations are kept, so at least this
 * much history is there right after a rotation, and at most three times it in all.
 */
export const REJECTED_LOG_MAX_BYTES = 8 * 1024 * 1024;
export const REJECTED_LOG_GENERATIONS = 2;

/** Records waiting while the file cannot be written: at most this many, and this many bytes. */
export const QUEUE_MAX_RECORDS = 1000;
export const QUEUE_MAX_BYTES = 1024 * 1024;
/** Retries of a failing write: the first after this long, then doubling up to the cap. */
export const RETRY_FIRST_MS = 200;
export const RETRY_MAX_MS = 5000;

export interface StateLogOptions {
  /** Where failed writes are reported (the daemon's FaultRegistry). Default: nowhere. */
  readonly faults?: FaultSink;
  /** Rotate beyond this size; null (default): never. */
  readonly maxBytes?: number | null;
  /** Rotated generations kept (file.1 ... file.N); at least 1. */
  readonly generations?: number;
}

/** A record the queue had to drop (its errno-like code names the fault). */
class QueueOverflow extends Error {
  readonly code = 'EQUEUEFULL';
}

/**
 * An append-only JSONL log in the state dir (rejected.jsonl, alerts.jsonl). Its size and the
 * identity of its current file are stored in the checkpoint; a restart cuts it back to them,
 * so lines re-read after a crash are not logged twice.
 *
 * Never throws: the state dir may be full or read-only for hours while the daemon must keep
 * going. A record that cannot be written waits in a bounded queue (the oldest dropped beyond
 * it, counted as a fault) and is written, in order, at the next attempt: after a backoff
 * (an unref'd timer, doubling to RETRY_MAX_MS) or at `retry()`. Appends made meanwhile only
 * queue, so a flood of bad lines during a fault costs no I/O. Each failed attempt goes to the
 * FaultSink, which logs a fault once when it starts and once when it clears.
 */
export class StateLog {
  /** The name faults are reported under (rejected.jsonl). */
  private readonly name: string;
  private readonly faults: FaultSink;
  private readonly maxBytes: number | null;
  private readonly generations: number;
  private readonly queue: string[] = [];
  private queuedBytes = 0;
  private droppedRecords = 0;
  /** Bytes in the current file as far as we know (we are its only writer); null: stat it. */
  private bytes: number | null = null;
  /** A cut asked for that could not be done yet: done before anything is appended. */
  private cut: { readonly size: number; readonly id: string | null } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private delayMs = RETRY_FIRST_MS;
  private closed = false;

  constructor(
    readonly path: string,
    options: StateLogOptions = {},
  ) {
    this.name = basename(path);
    this.faults = options.faults ?? IGNORE_FAULTS;
    this.maxBytes = options.maxBytes ?? null;
    this.generations = Math.max(1, options.generations ?? 1);
  }

  append(record: object): void {
    this.enqueue(stringifyJson(record, 0));
    // While a retry is scheduled the fault is still there: wait for it.
    if (this.timer === null) this.flush();
  }

  /** Writes what waits now (without waiting for the backoff); true when nothing is left waiting. */
  retry(): boolean {
    this.cancelTimer();
    this.flush();
    return this.queue.length === 0 && this.cut === null;
  }

  /** A last attempt, and no more timers (shutdown). */
  close(): void {
    this.closed = true;
    this.retry();
  }

  /** Records waiting to be written. */
  pending(): number {
    return this.queue.length;
  }

  /** Records dropped since start because the queue was full. */
  dropped(): number {
    return this.droppedRecords;
  }

  /** Bytes written to the current file (records still queued are not in it). */
  size(): number {
    try {
      return sizeOf(this.path);
    } catch {
      return this.bytes ?? 0;
    }
  }

  /** What names the current file across rotations (stored in the checkpoint with its size); null: none yet. */
  fileId(): string | null {
    try {
      return fileIdentity(this.path);
    } catch {
      return null;
    }
  }

  /**
   * Back to where the log stood when the file `fileId` (default: the current one) was `size`
   * bytes long: what was written after it goes, rotated generations included, and so do the
   * queued records (they come after the end). Size 0 of the current file empties the whole log,
   * old generations too (a fresh start logs every line again). When that file is gone (rotated
   * out since), nothing is cut. Done now or, when the dir refuses, before the next append.
   */
  truncateTo(size: number, fileId: string | null = null): void {
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.cut = { size, id: fileId };
    this.cancelTimer();
    this.flush();
  }

  private enqueue(line: string): void {
    this.queue.push(line);
    this.queuedBytes += Buffer.byteLength(line) + 1;
    while (this.queue.length > 1 && (this.queue.length > QUEUE_MAX_RECORDS || this.queuedBytes > QUEUE_MAX_BYTES)) {
      const oldest = this.queue.shift() as string;
      this.queuedBytes -= Buffer.byteLength(oldest) + 1;
      this.droppedRecords++;
      this.faults.raise(this.name, 'queue', new QueueOverflow(`${this.name} cannot be written and ${QUEUE_MAX_RECORDS} records or ${QUEUE_MAX_BYTES} bytes wait: the oldest are dropped`));
    }
  }

  private flush(): void {
    if (this.cut !== null && !this.doCut(this.cut)) return this.failed();
    while (this.queue.length > 0) {
      const line = this.queue[0] as string;
      if (!this.write(line)) return this.failed();
      this.queue.shift();
      this.queuedBytes -= Buffer.byteLength(line) + 1;
    }
    this.delayMs = RETRY_FIRST_MS;
    this.faults.clear(this.name, 'queue');
  }

  private doCut(cut: { size: number; id: string | null }): boolean {
    try {
      if (cut.size === 0 && cut.id === null) clearAll(this.path, this.generations);
      else cutBack(this.path, this.generations, cut.size, cut.id);
      this.cut = null;
      this.bytes = null;
      this.faults.clear(this.name, 'truncate');
      return true;
    } catch (error) {
      this.faults.raise(this.name, 'truncate', error);
      return false;
    }
  }

  private write(line: string): boolean {
    const length = Buffer.byteLength(line) + 1;
    let before: number;
    try {
      before = this.bytes ?? sizeOf(this.path);
      if (this.maxBytes !== null && before > 0 && before + length > this.maxBytes) {
        rotate(this.path, this.generations);
        before = 0;
      }
      this.faults.clear(this.name, 'rotate');
    } catch (error) {
      this.bytes = null;
      this.faults.raise(this.name, 'rotate', error);
      return false;
    }
    try {
      appendLine(this.path, line);
    } catch (error) {
      this.faults.raise(this.name, 'append', error);
      this.dropTornTail(before);
      return false;
    }
    this.bytes = before + length;
    this.faults.clear(this.name, 'append');
    return true;
  }

  /**
   * A write cut short by ENOSPC leaves the start of the record in the file: cut it off (we are
   * the only writer, so what lies past `before` is ours), or the next record would be glued to
   * it. If even that fails, the append-only writer starts the next record on a new line.
   */
  private dropTornTail(before: number): void {
    try {
      if (sizeOf(this.path) > before) fs.truncateSync(this.path, before);
      this.bytes = before;
    } catch {
      this.bytes = null;
    }
  }

  private failed(): void {
    if (this.closed || this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, this.delayMs);
    this.timer.unref();
    this.delayMs = Math.min(this.delayMs * 2, RETRY_MAX_MS);
  }

  private cancelTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** rejected.jsonl: the daemon passes its fault registry and caps it; others (the shipper) get the plain log. */
export function rejectedLog(stateDir: string, options: StateLogOptions = {}): StateLog {
  return new StateLog(join(stateDir, 'rejected.jsonl'), options);
}

export function alertsLog(stateDir: string, options: StateLogOptions = {}): StateLog {
  return new StateLog(join(stateDir, 'alerts.jsonl'), options);
}

/**
 * The record kept for a rejected line: where it is, why, and its text (cut at 64 KiB). For a
 * short line the fixed fields are most of it, so `truncated` is written only when true and
 * `raw_base64` only when the text does not round-trip.
 */
export function rejectedRecord(rejection: Rejection, bytes: Buffer | null, whole: boolean, at: string) {
  const kept = bytes === null ? null : bytes.subarray(0, MAX_RAW_BYTES);
  const truncated = !whole || bytes === null || bytes.length > MAX_RAW_BYTES;
  return {
    at,
    file: SOURCE_FILES[rejection.file],
    line: rejection.line,
    byte_offset: rejection.byteOffset,
    reason: rejection.reason,
    raw: kept === null ? null : kept.toString('utf8'),
    // Invalid UTF-8 cannot round-trip through a JSON string; keep the exact bytes too.
    raw_base64: kept !== null && !Buffer.from(kept.toString('utf8'), 'utf8').equals(kept) ? kept.toString('base64') : undefined,
    truncated: truncated || undefined,
  };
}
