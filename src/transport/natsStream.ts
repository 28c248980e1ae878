import { connect, type JetStreamClient, type NatsConnection, nanos, RetentionPolicy, StorageType } from 'nats';
import { SOURCE_KINDS, type SourceKind } from '../domain/sources.js';

/**
 * The JetStream side of scale-out: subjects, message ids and the stream itself. Lines travel
 * as published by `oak-telemetry ship`, one message per complete line, on `oak.<kind>.<host>`.
 */

export const DEFAULT_STREAM = 'OAK';
/**
 * How long JetStream remembers message ids to drop a re-published line. It must outlast the
 * longest time a shipper can spend between publishing a line and recording its offset (a crash
 * and restart, or NATS down and back): two hours by default.
 */
export const DUPLICATE_WINDOW_MS = 2 * 60 * 60 * 1000;

/** A subject token: NATS forbids '.', '*', '>' and whitespace in one. */
export function subjectToken(text: string): string {
  const token = text.replace(/[.*>\s]/g, '_');
  return token === '' ? '_' : token;
}

export function subjectOf(kind: SourceKind, host: string): string {
  return `oak.${kind}.${subjectToken(host)}`;
}

/** The file kind of a subject `oak.<kind>.<host>`; null for anything else. */
export function kindOfSubject(subject: string): SourceKind | null {
  const kind = subject.split('.')[1];
  return (SOURCE_KINDS as readonly string[]).includes(kind ?? '') ? (kind as SourceKind) : null;
}

/** Unique per line of a file's content: host, the file's fingerprint, the line's byte offset. */
export function messageId(host: string, fingerprint: string, byteOffset: number): string {
  return `${host}:${fingerprint}:${byteOffset}`;
}

export async function connectNats(url: string): Promise<NatsConnection> {
  return connect({ servers: url, name: 'oak-telemetry', maxReconnectAttempts: -1, reconnectTimeWait: 500 });
}

/** Creates the stream over `oak.>` when it is missing (file storage); uses one an operator made. */
export async function ensureStream(nc: NatsConnection, stream: string): Promise<JetStreamClient> {
  const jsm = await nc.jetstreamManager();
  try {
    await jsm.streams.info(stream);
  } catch {
    await jsm.streams.add({
      name: stream,
      subjects: ['oak.>'],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    });
  }
  return nc.jetstream();
}
