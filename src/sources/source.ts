import type { Observable } from 'rxjs';
import type { SourceKind } from '../domain/sources.js';
import type { HostHealth, StreamPosition } from '../domain/streamPosition.js';
import type { SourcePositions } from '../io/sourceSet.js';
import type { DecodeOutcome } from '../decode/decodeLine.js';
import type { InvocationEvent } from '../domain/events.js';
import type { Ingest, SourceTally } from '../pipeline/ingest.js';
import type { RawLine } from '../pipeline/splitLines.js';
import type { SourceStatus } from '../queries/snapshot.js';

/**
 * What a source feeds: the daemon's one fold. A source hands it lines; when what it read
 * before no longer holds (a file rewritten, a stream made again), it builds a fresh state aside
 * (`fresh`) and puts it in place once complete (`adopt`), so the last good state is served
 * meanwhile.
 */
export interface Fold {
  /** Folds one line into the served state, or into `into` (a state being built aside). */
  apply(kind: SourceKind, line: RawLine, into?: Ingest): DecodeOutcome | null;
  /** Whether a rewrite of `kind` may be told apart record by record (nothing of it refused). */
  rewritable(kind: SourceKind): boolean;
  /** A rewrite told apart (RewriteDiff): its changed records applied as replacements, counted and logged. */
  applyRewrite(file: SourceKind, why: string, changes: readonly InvocationEvent[], tally: SourceTally, decoded: number): void;
  /** A fold of a line threw since this was last asked (the state may be half-changed): rebuild. */
  takeRebuildRequest(): { readonly file: SourceKind; readonly why: string } | null;
  /** A rebuild starts (counted and logged). */
  rebuildStarted(file: SourceKind, why: string): void;
  /** An empty state to build aside; its rejections are kept aside too until it is adopted. */
  fresh(): Ingest;
  /** Puts a state built aside in place of the served one. */
  adopt(ingest: Ingest): void;
  /** A rebuild is running (live reads wait; no checkpoint pairs the old state with half a new one). */
  rebuilding: boolean;
  /** The served state's Ingest now (it changes at each adopt). */
  ingestNow(): Ingest;
  /** Lines applied to the served state (for progress lines). */
  readonly eventsApplied: number;
  /**
   * Lines applied to the served state inside `apply` are one batch for what is kept per
   * workflow (the live views), settled before this returns; absent: line by line.
   */
  inBatch?<T>(apply: () => T): T;
}

/** What waits to be applied: cheap to ask (a stat per file), for /readyz and /metrics. */
export interface SourceLag {
  /** Bytes (files) present and not yet applied; 0 for a stream. */
  readonly bytes: number;
  readonly bytesPerFile: Readonly<Record<SourceKind, number>>;
  /** Stream mode only: messages stored and not yet applied (null before the stream is open). */
  readonly messages?: number | null;
}

/** Where the reading stands, for the snapshot (the files' fingerprints included). */
export interface SourceHealth {
  readonly lag: SourceLag;
  /** The files and how far they are read; null for a stream. */
  readonly sources: Readonly<Record<SourceKind, SourceStatus>> | null;
  /** Stream mode: the stream, the last applied sequence, and per host the last event and lag. */
  readonly stream?: { readonly name: string; readonly seq: number; readonly lag_messages: number; readonly hosts: readonly HostHealth[] };
}

/** Where a restart resumes: stored in the checkpoint beside the state. */
export interface SourcePosition {
  readonly positions: SourcePositions;
  readonly stream: StreamPosition | null;
}

/**
 * Where the log is read from: the files of a telemetry dir, or the JetStream stream shippers
 * fill. The daemon holds one and never asks which.
 */
export interface Source {
  /** What the state is of: the telemetry dir, or `nats:<stream>` (checkpoints name it). */
  readonly origin: string;
  /** Opens what must be opened (false: a stop was asked meanwhile), then reads everything there is now, in steps. */
  catchUp(fold: Fold, proceed: () => boolean): Promise<boolean>;
  /** Live: applies what comes; emits after each batch whether it applied anything. */
  follow(fold: Fold, polls$: Observable<number>): Observable<boolean>;
  position(): SourcePosition;
  /**
   * Whether position() can vouch for what was read now: false while a resume still checks that
   * the files hold what the checkpoint was built from (checkpoints wait for it). Absent: always.
   */
  positionVouched?(): boolean;
  /**
   * Live reads wait (nothing is applied, the position stays) until the returned release is
   * called; what came meanwhile is read then. Absent: the source cannot hold.
   */
  hold?(): () => void;
  lag(): SourceLag;
  /** Stream mode: per shipping host, messages applied, the last one's time and what waits; none for files. */
  hosts(): readonly HostHealth[];
  health(): SourceHealth;
  /** Gives up waiting (for a server, a stream) at once. */
  cancel(): void;
  /** Stops; a check still running on the files is finished first, so the final checkpoint can vouch for them. */
  close(): Promise<void>;
}
