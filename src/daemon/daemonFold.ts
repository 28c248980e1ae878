import { createHash } from 'node:crypto';
import { SOURCE_FILES, type SourceKind } from '../domain/sources.js';
import type { Rejection } from '../decode/rejection.js';
import type { TelemetryEvent } from '../domain/events.js';
import { errorMessage, type FaultSink } from '../io/faults.js';
import type { StateLog } from '../io/stateLogs.js';
import type { Logger } from '../log.js';
import { Ingest } from '../pipeline/ingest.js';
import type { RawLine } from '../pipeline/splitLines.js';
import { initialState } from '../projections/folds/telemetryState.js';
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

  get eventsApplied(): number {
    const p = this.ingest.totals.perSource;
    return p.invocations.applied + p.metrics.applied + p.workflow_events.applied;
  }

  apply(kind: SourceKind, line: RawLine, into: Ingest = this.ingest): void {
    const key = this.poisoned.size > 0 ? poisonKey(kind, line) : null;
    if (key !== null && this.poisoned.has(key)) {
      into.refuse(kind, line, 'internal error while applying this line (see the daemon log)');
      return;
    }
    try {
      into.line(kind, line);
    } catch (error) {
      const file = SOURCE_FILES[kind];
      this.options.log.error({ file, line: line.line, byte_offset: line.byteOffset, err: error }, 'applying a line failed: the state is rebuilt without it');
      this.options.faults.raise(file, 'apply', Object.assign(new Error(`line ${line.line} at byte ${line.byteOffset}: ${errorMessage(error)}`), { code: 'EAPPLY' }));
      if (!this.options.rereadable) return;
      this.poisoned.add(poisonKey(kind, line));
      this.rebuildWanted ??= { file: kind, why: `applying line ${line.line} failed` };
    }
  }

  takeRebuildRequest(): { readonly file: SourceKind; readonly why: string } | null {
    const wanted = this.rebuildWanted;
    this.rebuildWanted = null;
    return wanted;
  }

  rebuildStarted(file: SourceKind, why: string): void {
    this.rebuilds++;
    this.options.log.warn({ file: SOURCE_FILES[file], why, rebuilds: this.rebuilds }, 'a file changed other than by appending: rebuilding from the files');
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
