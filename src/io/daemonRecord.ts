import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from './atomicFile.js';
import { isAlive } from './lockFile.js';
import { readRegularFile } from './regularFile.js';

/**
 * daemon.json in the state dir: where a running daemon's HTTP API listens, so a query on the
 * same state dir can ask it instead of loading the checkpoint. Written (atomically) once the
 * daemon has caught up (its API answered from part of the log before), removed at stop. A daemon killed with SIGKILL leaves it behind: a reader checks that
 * the pid is alive, and any failure to reach the API falls back to the checkpoint anyway.
 */
export const DAEMON_RECORD_FILE = 'daemon.json';

export interface DaemonRecord {
  /** http://HOST:PORT/ as logged with "http listening". */
  readonly url: string;
  /** The address the API is bound to (0.0.0.0 and :: included). */
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  /** ISO-8601. */
  readonly started: string;
  /** The telemetry directory the daemon follows; null in stream mode. */
  readonly dir: string | null;
  /** The JetStream stream the daemon follows; null in file mode. */
  readonly stream: string | null;
}

export function writeDaemonRecord(stateDir: string, record: DaemonRecord): void {
  writeFileAtomicSync(path.join(stateDir, DAEMON_RECORD_FILE), `${JSON.stringify(record)}\n`);
}

/** Removes daemon.json if it is ours (a second daemon refused by the lock must not remove the first's). */
export function removeDaemonRecord(stateDir: string, pid: number = process.pid): void {
  const file = path.join(stateDir, DAEMON_RECORD_FILE);
  if (readDaemonRecord(stateDir, () => true)?.pid !== pid) return;
  fs.rmSync(file, { force: true });
}

/**
 * The record of a live daemon, or null: no file, a file that does not parse or lacks a field, or
 * a pid that no longer runs (a stale record is ignored, not removed: it is the daemon's file).
 */
export function readDaemonRecord(stateDir: string, alive: (pid: number) => boolean = isAlive): DaemonRecord | null {
  let value: unknown;
  try {
    // Never a FIFO or a directory in its place: a query must not block on it.
    const bytes = readRegularFile(path.join(stateDir, DAEMON_RECORD_FILE));
    if (bytes === null) return null;
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return null;
  }
  if (!isRecord(value) || !alive(value.pid)) return null;
  return value;
}

function isRecord(value: unknown): value is DaemonRecord {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.url === 'string' &&
    typeof v.host === 'string' &&
    Number.isInteger(v.port) &&
    Number.isInteger(v.pid) &&
    (v.pid as number) > 0 &&
    typeof v.started === 'string' &&
    (v.dir === null || typeof v.dir === 'string') &&
    (v.stream === null || typeof v.stream === 'string')
  );
}
