import { US_PER_SECOND } from '../../../domain/time.js';
import { ExactSum } from '../../../domain/exactSum.js';
import type { OverheadState } from '../coordinationOverhead.js';
import type { LedgerState } from '../ledger.js';
import { FAILURE, statusCode, type StoredInvocation } from '../../store/invocationTable.js';
import type { Int32Column } from '../../store/columns.js';
import { type Adherence, adherenceOf } from '../planAdherence.js';
import { counted } from '../workflowOverhead.js';
import { executedOf, FAILED, planOf, type WorkflowDetailsState } from '../workflowDetails.js';
import { hasComplete, type WorkflowTimingsState } from '../workflowTimings.js';

/**
 * What one workflow adds to the unfiltered workflow views, worked out from the state as it is
 * (O(its invocations and hand-offs)). The fold subtracts a workflow's contribution before a
 * change touches it and adds the new one after, so every aggregate stays the walk's figure.
 */

/** The folds the contribution reads (a part of TelemetryState). */
export interface ViewSources {
  readonly ledger: LedgerState;
  readonly timings: WorkflowTimingsState;
  readonly details: WorkflowDetailsState;
  readonly overhead: OverheadState;
}

/** Each workflow's timed invocations as a list ordered by (timestamp, first-seen position). */
export interface RowOrder {
  /** Per workflow: its first row, -1 when none. */
  readonly head: Int32Column;
  /** Per invocation row: the next row of its workflow, -1 at the end. */
  readonly next: Int32Column;
}

/**
 * The invocation columns, except that `old` (when given) is read as it was before the ledger
 * wrote its replacement: a retraction must see the record being replaced.
 */
export class RowReader {
  constructor(
    private readonly ledger: LedgerState,
    private readonly old: StoredInvocation | undefined,
  ) {}

  private isOld(row: number): boolean {
    return this.old !== undefined && this.old.seq === row;
  }

  timeUs(row: number): number {
    return this.isOld(row) ? (this.old as StoredInvocation).timeUs : this.ledger.table.timeUsAt(row);
  }

  duration(row: number): number {
    return this.isOld(row) ? ((this.old as StoredInvocation).durationSeconds ?? NaN) : this.ledger.table.durationAt(row);
  }

  agent(row: number): number {
    return this.isOld(row) ? (this.old as StoredInvocation).agentRef : this.ledger.table.agentRefAt(row);
  }

  status(row: number): number {
    return this.isOld(row) ? statusCode((this.old as StoredInvocation).status) : this.ledger.table.statusAt(row);
  }

  endUs(row: number): number {
    const duration = this.duration(row);
    return this.timeUs(row) + (Number.isNaN(duration) ? 0 : duration * US_PER_SECOND);
  }
}

/** Agent numbers stay far below 2^26, so a pair fits one exact double. */
export const PAIR_BASE = 67_108_864;

export interface GapContribution {
  /** Transition pair keys (from * PAIR_BASE + to, agent numbers) and their gaps, in order. */
  readonly pairs: number[];
  readonly gaps: number[];
  readonly overlap: number;
  /** NaN as in GapFigures. */
  readonly idleBefore: number;
  readonly idleAfter: number;
  readonly span: number;
  readonly lastRow: number;
  readonly coordination: number;
}

export interface Contribution {
  /** null when the gaps view leaves the workflow out (no invocations, and no start and complete). */
  readonly gaps: GapContribution | null;
  /** The agent whose failed invocation ended this unsuccessful workflow; -1 when none. */
  readonly ender: number;
  readonly failed: boolean;
  /** Completed: the complete's duration / estimate (NaN without an estimate > 0); undefined when not completed. */
  readonly ratio: number | undefined;
  /** Project group of the estimate (-1 for none). */
  readonly project: number;
  /** Hand-off view: whether listed, its adherence, its distinct pairs (key -> [hand-offs, artifacts]). */
  readonly listed: boolean;
  readonly adherence: Adherence | null;
  readonly handoffPairs: Map<number, [number, number]> | null;
  readonly success: number;
  /** Coordination overhead percent when the workflow counts for overhead; NaN otherwise. */
  readonly overheadPct: number;
  /** The workflow's own figures as overhead counts them (complete duration, agent time); NaN when it does not count. */
  readonly workflowSeconds: number;
  readonly agentSeconds: number;
}

export function gapContribution(sources: ViewSources, order: RowOrder, rows: RowReader, ref: number): GapContribution | null {
  const startUs = sources.timings.startTime.get(ref);
  const completeUs = sources.timings.completeTime.get(ref);
  const first = order.head.get(ref);
  if (first < 0 && (Number.isNaN(startUs) || Number.isNaN(completeUs))) return null;
  const pairs: number[] = [];
  const gaps: number[] = [];
  let overlap = 0;
  let lastEnd = -Infinity;
  let last = -1;
  for (let row = first; row >= 0; row = order.next.get(row)) {
    if (last >= 0) {
      const gap = (rows.timeUs(row) - rows.endUs(last)) / US_PER_SECOND;
      if (gap < 0) overlap -= gap;
      gaps.push(Math.max(0, gap));
      pairs.push(rows.agent(last) * PAIR_BASE + rows.agent(row));
    }
    const end = rows.endUs(row);
    if (end > lastEnd) lastEnd = end;
    last = row;
  }
  const has = first >= 0;
  const idleBefore = has ? Math.max(0, rows.timeUs(first) - startUs) / US_PER_SECOND : NaN;
  const idleAfter = has ? Math.max(0, completeUs - lastEnd) / US_PER_SECOND : NaN;
  const total = new ExactSum();
  for (const gap of gaps) total.add(gap);
  total.add(Number.isNaN(idleBefore) ? 0 : idleBefore);
  total.add(Number.isNaN(idleAfter) ? 0 : idleAfter);
  return { pairs, gaps, overlap, idleBefore, idleAfter, span: (completeUs - startUs) / US_PER_SECOND, lastRow: last, coordination: total.value() };
}

export function contributionOf(sources: ViewSources, order: RowOrder, rows: RowReader, ref: number): Contribution {
  const { details, timings } = sources;
  const gaps = gapContribution(sources, order, rows, ref);
  const success = details.success.get(ref);
  const failed = success === FAILED;
  let ender = -1;
  if (failed && gaps !== null && gaps.lastRow >= 0 && rows.status(gaps.lastRow) === FAILURE) ender = rows.agent(gaps.lastRow);

  const actual = timings.completeDuration.get(ref);
  const estimate = details.estimate.get(ref);
  const ratio = Number.isNaN(actual) ? undefined : estimate > 0 ? actual / estimate : NaN;
  const project = Math.max(-1, details.project.get(ref));

  const planRef = details.plan.get(ref);
  const planned = planRef >= 0 && details.names.at(planRef) !== '[]';
  const listed = planned || details.firstHandoff.get(ref) >= 0;
  let adherence: Adherence | null = null;
  let handoffPairs: Map<number, [number, number]> | null = null;
  if (listed) {
    const executed = executedOf(details, ref);
    const plan = planOf(details, ref);
    if (executed !== null && plan.length > 0) adherence = adherenceOf(plan, executed).adherence;
    for (let row = details.firstHandoff.get(ref); row >= 0; row = details.handoffNext.get(row)) {
      const key = (details.handoffFrom.get(row) + 1) * PAIR_BASE + (details.handoffTo.get(row) + 1);
      handoffPairs ??= new Map();
      const entry = handoffPairs.get(key);
      const artifacts = details.handoffArtifacts.get(row);
      if (entry === undefined) handoffPairs.set(key, [1, artifacts]);
      else {
        entry[0]++;
        entry[1] += artifacts;
      }
    }
  }

  const wf = !hasComplete(timings, ref) ? undefined : counted(sources.overhead, timings, sources.ledger, ref);
  const overheadPct = wf === undefined ? NaN : ((wf.workflowSeconds - wf.agentSeconds) * 100) / wf.workflowSeconds;
  const workflowSeconds = wf === undefined ? NaN : wf.workflowSeconds;
  const agentSeconds = wf === undefined ? NaN : wf.agentSeconds;
  return { gaps, ender, failed, ratio, project, listed, adherence, handoffPairs, success, overheadPct, workflowSeconds, agentSeconds };
}

