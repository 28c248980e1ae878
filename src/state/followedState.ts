import type { TelemetryState } from '../projections/folds/telemetryState.js';

/**
 * The state every surface answers from (a CLI query, the MCP server), however it was loaded: the
 * daemon's checkpoint plus what the log gained since, or a replay, of the files or the stream.
 * One loader for every surface, so they cannot drift apart in how they start or catch up.
 */
export interface FollowedState {
  /** Applies what the log gained since the last call (a rewritten file: a fresh replay) and returns the state. */
  current(): TelemetryState;
  /** Where the state now in use began: 'checkpoint' or 'replay' (of the files or the stream). */
  origin(): StateOrigin;
  /** A replay of the files whose lines a worker thread decoded (the state is the same; how it was read differs). */
  decodedInWorker?(): boolean;
  /** Bad lines the state skips so far. */
  rejectedCount(): number;
  close(): Promise<void>;
}

export type StateOrigin = 'checkpoint' | 'replay';

/** auto: the checkpoint when it still matches the log, else a replay; replay: always from the start. */
export type StateSource = 'auto' | 'replay';
