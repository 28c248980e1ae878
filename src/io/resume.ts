import { SOURCE_KINDS } from '../domain/sources.js';
import { Ingest, type IngestOptions } from '../pipeline/ingest.js';
import { initialState } from '../projections/folds/telemetryState.js';
import { type Checkpoint, loadCheckpoint } from './checkpointStore.js';
import type { CheckpointRead } from './checkpointPrefetch.js';
import type { ResumeCheck } from './fileTail.js';
import { SourceSet } from './sourceSet.js';
import type { FaultSink } from './faults.js';

/** State and file positions to continue from: a checkpoint's, or the beginning. */
export interface Resumed {
  readonly sources: SourceSet;
  readonly ingest: Ingest;
  readonly checkpoint: Checkpoint | null;
  /** Why the checkpoint was not used (when it was not). */
  readonly why: string | null;
}

export function startFresh(
  dir: string,
  maxLineBytes: number,
  options: IngestOptions,
  why: string | null = null,
  check: ResumeCheck = 'full',
  faults?: FaultSink,
): Resumed {
  const sources = new SourceSet(dir, maxLineBytes, undefined, check, faults);
  return { sources, ingest: new Ingest(initialState(), { ...options, maxLineBytes }), checkpoint: null, why };
}

/**
 * Restores the checkpoint's state and positions. Whether the files still match it is checked
 * on the first read of each file (FileTail compares the fingerprints); a mismatch reads as
 * "rewritten" and the caller starts fresh. The same code serves a daemon restart and the
 * CLI's `--source auto`.
 */
export function resume(
  stateDir: string,
  dir: string,
  maxLineBytes: number,
  options: IngestOptions,
  check: ResumeCheck = 'full',
  faults?: FaultSink,
  /** Decode each projection only when first read: a query reads one or two. */
  lazyState = false,
): Resumed {
  const loaded = loadCheckpoint(stateDir, dir, lazyState);
  if (!loaded.ok) return startFresh(dir, maxLineBytes, options, loaded.why, check, faults);
  const cp = loaded.checkpoint;
  return { sources: new SourceSet(dir, maxLineBytes, cp.positions, check, faults), ingest: ingestOf(cp, maxLineBytes, options), checkpoint: cp, why: null };
}

/**
 * The checkpoint's state and totals in an Ingest, or an empty one (with why) when there is no
 * usable checkpoint. Where reading goes on from is the caller's (the checkpoint's positions).
 */
export function restoreState(
  stateDir: string,
  origin: string,
  maxLineBytes: number,
  options: IngestOptions,
  /** The checkpoint's bytes read already (prefetchCheckpoint). */
  read?: CheckpointRead,
): { readonly ingest: Ingest; readonly checkpoint: Checkpoint | null; readonly why: string | null } {
  const loaded = loadCheckpoint(stateDir, origin, false, read);
  if (!loaded.ok) return { ingest: new Ingest(initialState(), { ...options, maxLineBytes }), checkpoint: null, why: loaded.why };
  return { ingest: ingestOf(loaded.checkpoint, maxLineBytes, options), checkpoint: loaded.checkpoint, why: null };
}

/** An Ingest over the checkpoint's state, with its tallies. */
function ingestOf(cp: Checkpoint, maxLineBytes: number, options: IngestOptions): Ingest {
  const ingest = new Ingest(cp.state, { ...options, maxLineBytes });
  for (const kind of SOURCE_KINDS) Object.assign(ingest.totals.perSource[kind], cp.totals.perSource[kind]);
  for (const [reason, count] of cp.totals.skippedByReason) ingest.totals.skippedByReason.set(reason, count);
  for (const [key, count] of cp.totals.rejectedByKind) ingest.totals.rejectedByKind.set(key, count);
  return ingest;
}

/** Reads every file to its end into the ingest; false if a file no longer matches (start fresh). */
export function readToEnd(resumed: Resumed): boolean {
  const outcome = resumed.sources.readAll((kind, line) => resumed.ingest.line(kind, line));
  return outcome.kind === 'ok';
}
