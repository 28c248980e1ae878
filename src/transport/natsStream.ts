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

/** The host of a subject `oak.<kind>.<host>` (as its subject token). */
export function hostOfSubject(subject: string): string {
  return subject.split('.').slice(2).join('.');
}

/** Unique per line of a file's content: host, the file's fingerprint, the line's byte offset. */
export function messageId(host: string, fingerprint: string, byteOffset: number): string {
  return `${host}:${fingerprint}:${byteOffset}`;
}

/** Connects to one server or a cluster (URLs separated by commas); reconnects for as long as it takes. */
export async function connectNats(url: string): Promise<NatsConnection> {
  const servers = url.split(',').map((u) => u.trim()).filter((u) => u !== '');
  return connect({ servers, name: 'oak-telemetry', maxReconnectAttempts: -1, reconnectTimeWait: 500, noAsyncTraces: true });
}

/** The stream a shipper creates when it is missing (config `nats`). */
export interface StreamSettings {
  readonly name: string;
  /** Copies kept in a cluster (1 on a single server). */
  readonly replicas: number;
  /** Oldest message kept, in hours; 0: no limit. */
  readonly maxAgeHours: number;
  /** Most bytes kept; -1: no limit. */
  readonly maxBytes: number;
}

/** Creates the stream over `oak.>` when it is missing (file storage, the given limits); uses one an operator made. */
export async function ensureStream(nc: NatsConnection, settings: StreamSettings): Promise<JetStreamClient> {
  const jsm = await nc.jetstreamManager();
  try {
    await jsm.streams.info(settings.name);
  } catch (error) {
    if (!/stream not found/i.test((error as Error).message)) throw error;
    await jsm.streams.add({
      name: settings.name,
      subjects: ['oak.>'],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      num_replicas: settings.replicas,
      max_age: settings.maxAgeHours > 0 ? nanos(settings.maxAgeHours * 3600 * 1000) : 0,
      max_bytes: settings.maxBytes,
      // JetStream wants the window within the age limit.
      duplicate_window: nanos(settings.maxAgeHours > 0 ? Math.min(DUPLICATE_WINDOW_MS, settings.maxAgeHours * 3600 * 1000) : DUPLICATE_WINDOW_MS),
    });
  }
  return nc.jetstream();
}
