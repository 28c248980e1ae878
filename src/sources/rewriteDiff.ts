import type { InvocationEvent } from '../domain/events.js';
import { decodeRawLine, type SourceTally } from '../pipeline/ingest.js';
import type { RawLine } from '../pipeline/splitLines.js';
import type { TelemetryState } from '../projections/folds/telemetryState.js';
import { hashLine, InvocationLines, type LineHash, NO_ROW } from './invocationLines.js';

/**
 * A rewritten invocations file, read again from its start and compared with the served state
 * built from what it held before. A batch replay of the new file gives the served state with
 * some records replaced exactly when: the invocation ids first appear in the same order (the
 * ledger's rows, its first-seen positions), every id the state holds is still there, and no
 * line is refused (rejections name byte offsets, which a rewrite moves). New ids after all the
 * old ones are appended records. Then only the rows whose last record differs from what the
 * state holds are applied, as replacements (a later record with the same invocation_id replaces
 * the earlier one, and leaves no trace of it). Anything else is a `mismatch`: rebuild.
 *
 * Lines whose text hashes as the same line did (see InvocationLines) are not decoded: that is
 * what keeps one changed record of n from costing n decodes.
 */
export class RewriteDiff {
  /** Rows of the state met so far, in first-seen order: the next new one must be this. */
  private rowsMet = 0;
  /** Per row (or new id), its last record so far when that differs from the state's. */
  private readonly changed = new Map<number, InvocationEvent>();
  private readonly added = new Map<string, InvocationEvent>();
  private readonly addedAt = new Map<string, number>();
  private readonly hash: LineHash = { lo: 0, hi: 0 };
  readonly tally: SourceTally = { applied: 0, blank: 0, skipped: 0, rejected: 0 };
  /** What the new file's lines are, for the rewrite after this one. */
  readonly lines: InvocationLines;
  mismatch: string | null = null;
  decoded = 0;

  constructor(
    private readonly state: TelemetryState,
    private readonly before: InvocationLines | null,
    private readonly maxLineBytes: number,
  ) {
    // Sized for as many lines as before: a rewrite of one record keeps the count.
    this.lines = new InvocationLines(1, Math.max(1024, (before?.nextLine ?? 1) + 64));
  }

  line(raw: RawLine): void {
    if (this.mismatch !== null) return;
    // Hashed once: to compare with the line read before, and noted for the next rewrite.
    hashLine(raw, this.hash);
    const same = this.before?.sameLineAs(raw.line, this.hash) ?? null;
    if (same !== null) {
      this.lines.noteHashed(raw.line, this.hash, same);
      if (same === NO_ROW) {
        this.tally.blank++;
        return;
      }
      this.tally.applied++;
      this.meet(same);
      if (this.changed.size > 0) this.changed.delete(same);
      return;
    }
    this.decoded++;
    const outcome = decodeRawLine('invocations', raw, this.maxLineBytes);
    if (outcome.type === 'blank') {
      this.tally.blank++;
      this.lines.noteHashed(raw.line, this.hash, NO_ROW);
      return;
    }
    if (outcome.type !== 'event' || outcome.event.kind !== 'invocation') {
      this.mismatch = `line ${raw.line} is ${outcome.type === 'event' ? 'not an invocation' : outcome.type}`;
      return;
    }
    this.tally.applied++;
    const event = outcome.event;
    const ids = this.state.ledger.invocationIds;
    const row = ids.find(event.invocationId);
    if (row < 0) {
      if (this.rowsMet < ids.size) {
        this.mismatch = `new invocation ${event.invocationId} before an earlier one`;
        return;
      }
      // Its row is where the replay will put it: after the state's, in the order new ids come
      // (Map.set keeps a key's first place, and takes its last record).
      let index = this.addedAt.get(event.invocationId);
      if (index === undefined) {
        index = this.addedAt.size;
        this.addedAt.set(event.invocationId, index);
      }
      this.added.set(event.invocationId, event);
      this.lines.noteHashed(raw.line, this.hash, ids.size + index);
      return;
    }
    this.lines.noteHashed(raw.line, this.hash, row);
    this.meet(row);
    if (this.mismatch !== null) return;
    if (storedEquals(this.state, row, event)) this.changed.delete(row);
    else this.changed.set(row, event);
  }

  /** Every invocation the state holds was met (so far): nothing is missing. */
  holdsEveryRow(): boolean {
    return this.rowsMet >= this.state.ledger.invocationIds.size;
  }

  /** After the last line: the mismatch, if any (an invocation of the state no longer there). */
  finish(): string | null {
    if (this.mismatch === null && this.rowsMet < this.state.ledger.invocationIds.size) {
      this.mismatch = `${this.state.ledger.invocationIds.size - this.rowsMet} invocations removed`;
    }
    return this.mismatch;
  }

  /** The records to apply, in the order a replay reaches them: replaced rows, then new ids. */
  changes(): InvocationEvent[] {
    return [...[...this.changed].sort((a, b) => a[0] - b[0]).map(([, event]) => event), ...this.added.values()];
  }

  private meet(row: number): void {
    if (row === this.rowsMet) this.rowsMet++;
    else if (row > this.rowsMet) this.mismatch = 'invocations in another order';
  }
}

/** Whether applying `event` would leave row `row` as it is (the row keeps only what questions read). */
function storedEquals(state: TelemetryState, row: number, event: InvocationEvent): boolean {
  const table = state.ledger.table;
  const stored = table.read(row);
  const sessionRef = stored.sessionRef;
  return (
    stored.timestamp === event.timestamp &&
    Object.is(stored.timeUs, event.timeUs) &&
    (sessionRef < 0 ? event.sessionId === null : event.sessionId !== null && table.sessions.keyAt(sessionRef) === event.sessionId) &&
    stored.workflowId === event.workflowId &&
    stored.agentName === event.agentName &&
    stored.agentType === event.agentType &&
    stored.taskLower === event.taskDescription.toLowerCase() &&
    stored.taskType === event.taskType &&
    stored.status === event.status &&
    Object.is(stored.durationSeconds, event.durationSeconds) &&
    stored.errorMessage === event.errorMessage
  );
}
