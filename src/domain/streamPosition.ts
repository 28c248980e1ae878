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

/** The checkpoint's `dir` for a daemon that follows a stream rather than a directory. */
export function streamOrigin(stream: string): string {
  return `nats:${stream}`;
}
