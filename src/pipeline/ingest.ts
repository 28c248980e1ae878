import type { SourceKind } from '../domain/sources.js';
import { type DecodeOutcome, DEFAULT_MAX_LINE_BYTES } from '../decode/decodeLine.js';
import { decodeRawLine } from './decodeRawLine.js';
import { type Rejection, rejectionKind } from '../decode/rejection.js';
import type { InvocationEvent, TelemetryEvent } from '../domain/events.js';
import { applyEvent, type TelemetryState } from '../projections/folds/telemetryState.js';
import type { RawLine } from './splitLines.js';

/** Per-file line tallies: what was applied, ignored and refused. */
export interface SourceTally {
  applied: number;
  blank: number;
  skipped: number;
  rejected: number;
}

export interface IngestTotals {
  readonly perSource: Record<SourceKind, SourceTally>;
  /** Skipped (valid but unused) lines by reason, e.g. no_workflow_id. */
  readonly skippedByReason: Map<string, number>;
  /** Rejected lines per "file/kind" (see rejectionKind): what the metrics break them down by. */
  readonly rejectedByKind: Map<string, number>;
}

export interface IngestOptions {
  readonly maxLineBytes?: number;
  /**
   * Called for every rejected line with its bytes; for a line over the length limit, with its
   * first bytes only (`whole` false).
   */
  readonly onRejection?: (rejection: Rejection, bytes: Buffer | null, whole: boolean) => void;
  /** Called after each event is folded (the state already includes it). */
  readonly onEvent?: (event: TelemetryEvent) => void;
}

function emptyTally(): SourceTally {
  return { applied: 0, blank: 0, skipped: 0, rejected: 0 };
}

export function emptyTotals(): IngestTotals {
  return {
    perSource: { invocations: emptyTally(), metrics: emptyTally(), workflow_events: emptyTally() },
    skippedByReason: new Map(),
    rejectedByKind: new Map(),
  };
}

// Apart from the fold, so the replay's decoding worker loads no projection.
export { decodeRawLine } from './decodeRawLine.js';

/** Decodes complete lines and folds the good ones into the state; bad lines become rejections. */

export class Ingest {
  readonly totals: IngestTotals = emptyTotals();
  private readonly maxLineBytes: number;

  constructor(
    readonly state: TelemetryState,
    private options: IngestOptions = {},
  ) {
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  /** New hooks (a state built aside and then adopted reports to the daemon's own from then on). */
  useOptions(options: IngestOptions): void {
    this.options = { ...options, maxLineBytes: this.maxLineBytes };
  }

  /** Decodes and folds one line; returns what it was (a source may note which record it held). */
  line(kind: SourceKind, raw: RawLine): DecodeOutcome {
    const outcome = decodeRawLine(kind, raw, this.maxLineBytes);
    switch (outcome.type) {
      case 'event':
        this.event(kind, outcome.event);
        break;
      case 'blank':
        this.blank(kind);
        break;
      case 'skipped':
        this.skipped(kind, outcome.reason);
        break;
      case 'rejected':
        this.refuse(kind, raw, outcome.reason);
        break;
    }
    return outcome;
  }

  /** Folds an event decoded from a line of `kind` (here or, for a batch replay, in a worker). */
  event(kind: SourceKind, event: TelemetryEvent): void {
    applyEvent(this.state, event);
    this.totals.perSource[kind].applied++;
    this.options.onEvent?.(event);
  }

  blank(kind: SourceKind): void {
    this.totals.perSource[kind].blank++;
  }

  skipped(kind: SourceKind, reason: string): void {
    this.totals.perSource[kind].skipped++;
    this.totals.skippedByReason.set(reason, (this.totals.skippedByReason.get(reason) ?? 0) + 1);
  }

  /**
   * A rewritten invocations file told apart from what the state holds (see RewriteDiff): the
   * records that differ are applied as replacements, and the file's tallies become the new
   * file's, as a replay of it would count them.
   */
  applyRewrite(events: readonly InvocationEvent[], tally: SourceTally): void {
    const counts = this.state.counts;
    const before = counts.invocations;
    for (const event of events) {
      applyEvent(this.state, event);
      this.options.onEvent?.(event);
    }
    counts.invocations = before + tally.applied - this.totals.perSource.invocations.applied;
    Object.assign(this.totals.perSource.invocations, tally);
  }

  /** Counts a line as rejected for `reason` without folding it (also for a line that once failed to apply). */
  refuse(kind: SourceKind, raw: RawLine, reason: string): void {
    this.totals.perSource[kind].rejected++;
    const key = `${kind}/${rejectionKind(reason)}`;
    this.totals.rejectedByKind.set(key, (this.totals.rejectedByKind.get(key) ?? 0) + 1);
    this.options.onRejection?.({ file: kind, line: raw.line, byteOffset: raw.byteOffset, reason }, raw.bytes ?? raw.head ?? null, raw.bytes !== null);
  }

  get rejectedCount(): number {
    const p = this.totals.perSource;
    return p.invocations.rejected + p.metrics.rejected + p.workflow_events.rejected;
  }
}
