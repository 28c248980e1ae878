import { createHash } from 'node:crypto';
import { SOURCE_FILES, type SourceKind } from '../domain/sources.js';
import type { Rejection } from '../decode/rejection.js';
import type { InvocationEvent, TelemetryEvent } from '../domain/events.js';
import type { DecodeOutcome } from '../decode/decodeLine.js';
import { errorMessage, type FaultSink } from '../io/faults.js';
import type { StateLog } from '../io/stateLogs.js';
import type { Logger } from '../log.js';
import { Ingest, type SourceTally } from '../pipeline/ingest.js';
import type { RawLine } from '../pipeline/splitLines.js';
import { foldBatch, initialState } from '../projections/folds/telemetryState.js';
import type { Fold } from '../sources/source.js';
import type { RejectionReports } from './rejectionReports.js';

interface Rejected {
  readonly rejection: Rejection;
  readonly bytes: Buffer | null;
  readonly whole: boolean;
}

/**
 * The daemon's one fold: the served state (an Ingest), every line applied the same way, and
 * the state built aside during a rebuild. A fold that throws (a bug, never bad input: decoding
 * refuses that first) is caught here with its file and offset: logged, counted as a fault and as
 * a rejected line, remembered by its bytes so no later read folds it again, and a rebuild asked
 * for (the state may be half-changed).
 */
export class DaemonFold implements Fold {
  ingest: Ingest;
  rebuilds = 0;
  /** Rewrites of a file told apart record by record and applied as replacements (no rebuild). */
  rewritesAsChanges = 0;
  rebuilding = false;
  /** Bumped whenever the served state is replaced: caches of answers key on it. */
  generation = 0;
  private readonly poisoned = new Set<string>();
  private rebuildWanted: { readonly file: SourceKind; readonly why: string } | null = null;
  /** Rejections met while building aside: written when (and if) that state is adopted. */
  private asideRejections: Rejected[] = [];

  constructor(
    ingest: Ingest,
    private readonly options: {
      readonly maxLineBytes: number;
      readonly log: Logger;
      readonly faults: FaultSink;
      readonly rejected: StateLog;
      readonly rejections: RejectionReports;
      /** Lines of a stream are not read again: a line that fails stays out, no rebuild. */
      readonly rereadable: boolean;
      readonly onEvent: (event: TelemetryEvent) => void;
      /** The served state was replaced (a rebuild, a stream reset): it is news to publish. */
      readonly onAdopted: () => void;
    },
  ) {
    this.ingest = ingest;
  }

  /** The options of the served state's Ingest (rejections reported, events passed on). */
  static ingestOptions(maxLineBytes: number, rejections: RejectionReports, onEvent: (event: TelemetryEvent) => void) {
    return { maxLineBytes, onEvent, onRejection: (rejection: Rejection, bytes: Buffer | null, whole: boolean) => rejections.report(rejection, bytes, whole) };
  }

  ingestNow(): Ingest {
    return this.ingest;
  }

  get eventsApplied(): number {
    const p = this.ingest.totals.perSource;
    return p.invocations.applied + p.metrics.applied + p.workflow_events.applied;
  }

  apply(kind: SourceKind, line: RawLine, into: Ingest = this.ingest): DecodeOutcome | null {
    const key = this.poisoned.size > 0 ? poisonKey(kind, line) : null;
    if (key !== null && this.poisoned.has(key)) {
      into.refuse(kind, line, 'internal error while applying this line (see the daemon log)');
      return null;
    }
    try {
      return into.line(kind, line);
    } catch (error) {
      const file = SOURCE_FILES[kind];
      this.options.log.error({ file, line: line.line, byte_offset: line.byteOffset, err: error }, 'applying a line failed: the state is rebuilt without it');
      this.options.faults.raise(file, 'apply', Object.assign(new Error(`line ${line.line} at byte ${line.byteOffset}: ${errorMessage(error)}`), { code: 'EAPPLY' }));
      if (!this.options.rereadable) return null;
      this.poisoned.add(poisonKey(kind, line));
      this.rebuildWanted ??= { file: kind, why: `applying line ${line.line} failed` };
      return null;
    }
  }

  inBatch<T>(apply: () => T): T {
    // Logged, not a fault: nothing stays wrong (the views are rebuilt from the state when next read).
    return foldBatch(this.ingest.state, apply, (error) => this.options.log.error({ err: error }, 'settling the live views after a batch failed: they are rebuilt from the state when next read'));
  }

  /** Whether a rewrite of `kind` may be applied as changes: no line of it is refused in the served state. */
  rewritable(kind: SourceKind): boolean {
    return this.poisoned.size === 0 && this.ingest.totals.perSource[kind].rejected === 0 && this.ingest.totals.perSource[kind].skipped === 0;
  }

  applyRewrite(file: SourceKind, why: string, changes: readonly InvocationEvent[], tally: SourceTally, decoded: number): void {
    try {
      this.ingest.applyRewrite(changes, tally);
    } catch (error) {
      this.options.log.error({ file: SOURCE_FILES[file], err: error }, 'applying a rewrite as changes failed: the state is rebuilt');
      this.rebuildWanted ??= { file, why: 'applying a rewrite as changes failed' };
      return;
    }
    this.rewritesAsChanges++;
    this.generation++;
    this.options.log.info(
      { file: SOURCE_FILES[file], why, records_changed: changes.length, lines_decoded: decoded, rewrites_as_changes: this.rewritesAsChanges },
      'a file was rewritten: applied as changes, no rebuild',
    );
    this.options.onAdopted();
  }

  takeRebuildRequest(): { readonly file: SourceKind; readonly why: string } | null {
    const wanted = this.rebuildWanted;
    this.rebuildWanted = null;
    return wanted;
  }

  rebuildStarted(file: SourceKind, why: string): void {
    this.rebuilds++;
    this.options.log.warn({ file: SOURCE_FILES[file], why, rebuilds: this.rebuilds, rewrites_as_changes: this.rewritesAsChanges }, 'a file changed other than by appending: rebuilding from the files');
  }

  fresh(): Ingest {
    this.asideRejections = [];
    return new Ingest(initialState(), {
      maxLineBytes: this.options.maxLineBytes,
      onRejection: (rejection, bytes, whole) => this.asideRejections.push({ rejection, bytes, whole }),
    });
  }

  /** Replaces the served state (also at start-up, or after a stream reset, with nothing aside). */
  adopt(ingest: Ingest): void {
    // rejected.jsonl follows the adopted state from its first line.
    this.options.rejected.truncateTo(0);
    for (const r of this.asideRejections) this.options.rejections.report(r.rejection, r.bytes, r.whole);
    this.asideRejections = [];
    // The adopted state reports its own rejections (and events) from now on.
    ingest.useOptions(DaemonFold.ingestOptions(this.options.maxLineBytes, this.options.rejections, this.options.onEvent));
    this.ingest = ingest;
    this.generation++;
    // Whatever failed to apply was left out of this state: that fault is over.
    for (const file of Object.values(SOURCE_FILES)) this.options.faults.clear(file, 'apply');
    this.options.onAdopted();
  }
}

/** A failed line is known by its content, not its place: a rewritten file moves lines. */
function poisonKey(kind: SourceKind, line: RawLine): string {
  const hash = createHash('sha1');
  if (line.text !== undefined) hash.update(line.text);
  else if (line.bytes !== null) hash.update(line.bytes);
  else hash.update(`${line.byteOffset}`);
  return `${kind}:${hash.digest('hex')}`;
}
