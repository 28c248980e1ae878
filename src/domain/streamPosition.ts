/** Where an aggregating daemon stands in a JetStream stream: kept in its checkpoint. */

export interface HostPosition {
  readonly host: string;
  /** Messages of this host applied so far. */
  readonly messages: number;
  /** When JetStream stored the last applied message of this host. */
  readonly lastEventAt: string | null;
}

export interface StreamPosition {
  readonly stream: string;
  /** The stream's creation time: a stream deleted and made again under the same name starts over. */
  readonly created: string;
  /** Last applied stream sequence (0: none). */
  readonly seq: number;
  readonly hosts: readonly HostPosition[];
}

/** Where one shipping host stands, as the snapshot's health.stream.hosts and /metrics give it. */
export interface HostHealth {
  readonly host: string;
  /** Messages of this host applied. */
  readonly messages: number;
  /** When JetStream stored the last applied message of this host. */
  readonly last_event_at: string | null;
  /** Messages of this host in the stream and not yet applied (as of the last look at the stream). */
  readonly lag_messages: number;
}

/** The checkpoint's `dir` for a daemon that follows a stream rather than a directory. */
export function streamOrigin(stream: string): string {
  return `nats:${stream}`;
}
