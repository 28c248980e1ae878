import { ExactSum } from '../../domain/exactSum.js';
import { pyRound } from '../../domain/pyRound.js';
import { formatTimestampUs, US_PER_SECOND } from '../../domain/time.js';
import type { LedgerState } from '../folds/ledger.js';
import { FAILED, NOT_COMPLETED, projectOf, type WorkflowDetailsState } from '../folds/workflowDetails.js';
import type { WorkflowTimingsState } from '../folds/workflowTimings.js';
import { FAILURE, SUCCESS } from '../store/invocationTable.js';

/**
 * One workflow on its time axis: each invocation a bar (start, end), and between them what
 * `gaps` counts, by the same rules (coordinationGaps.ts): invocations by timestamp; the gap
 * before a bar is its start minus the previous bar's end, floored at 0 (below 0 is overlap);
 * idle before the first bar (from the start line) and after the last end (to the complete
 * line). Read from the invocation columns when asked, like `gaps`.
 */

/** Bars listed at most: a workflow with more invocations says how many it has. */
export const MAX_BARS = 1000;

export interface TimelineBar {
  agent_name: string;
  status: string;
  start: string;
  end: string;
  /** null when the record has no duration (drawn as a point). */
  duration_seconds: number | null;
  /** Time since the previous bar ended, floored at 0; null for the first. */
  gap_before_seconds: number | null;
}

export interface TimelineView {
  workflow_id: string;
  project: string | null;
  started_at: string | null;
  completed_at: string | null;
  span_seconds: number | null;
  /** null until the workflow completes. */
  success: boolean | null;
  invocations: number;
  idle_before_seconds: number | null;
  idle_after_seconds: number | null;
  total_gap_seconds: number;
  overlap_seconds: number;
  /** Gaps + idle before + idle after: the time no agent of the workflow was running. */
  coordination_seconds: number;
  bars: TimelineBar[];
}

const seconds = (value: number): number => pyRound(value, 3);
const orNull = (value: number): number | null => (Number.isNaN(value) ? null : seconds(value));
const timeOrNull = (us: number): string | null => (Number.isNaN(us) ? null : formatTimestampUs(us));

function statusName(code: number): string {
  return code === SUCCESS ? 'success' : code === FAILURE ? 'failure' : code === 2 ? 'partial' : 'unknown';
}

export function query(ledger: LedgerState, timings: WorkflowTimingsState, details: WorkflowDetailsState, workflowId: string): TimelineView | null {
  const table = ledger.table;
  const ref = table.workflows.find(workflowId);
  if (ref < 0) return null;
  const rows: number[] = [];
  for (let seq = 0; seq < table.size; seq++) {
    if (table.workflowRefAt(seq) === ref && !Number.isNaN(table.timeUsAt(seq))) rows.push(seq);
  }
  // A replaced record may leave an id in the pool that nothing names any more.
  if (rows.length === 0 && ledger.groupSeq.get(ref) < 0) return null;
  // By time, ties by first-seen position, as groupRowsByWorkflow orders them for `gaps`.
  rows.sort((a, b) => table.timeUsAt(a) - table.timeUsAt(b) || a - b);
  const startUs = timings.startTime.get(ref);
  const completeUs = timings.completeTime.get(ref);
  const endOf = (row: number): number => {
    const duration = table.durationAt(row);
    return table.timeUsAt(row) + (Number.isNaN(duration) ? 0 : duration * US_PER_SECOND);
  };
  const gaps = new ExactSum();
  // Each gap added on its own, as `gaps` adds them, so both give the same double.
  const coordination = new ExactSum();
  let overlap = 0;
  let lastEnd = -Infinity;
  const bars: TimelineBar[] = [];
  rows.forEach((row, i) => {
    let gapBefore: number | null = null;
    if (i > 0) {
      const gap = (table.timeUsAt(row) - endOf(rows[i - 1] as number)) / US_PER_SECOND;
      if (gap < 0) overlap -= gap;
      gapBefore = Math.max(0, gap);
      gaps.add(gapBefore);
      coordination.add(gapBefore);
    }
    lastEnd = Math.max(lastEnd, endOf(row));
    if (bars.length < MAX_BARS) {
      const duration = table.durationAt(row);
      bars.push({
        agent_name: table.words.at(table.agentRefAt(row)),
        status: statusName(table.statusAt(row)),
        start: formatTimestampUs(table.timeUsAt(row)),
        end: formatTimestampUs(endOf(row)),
        duration_seconds: orNull(duration),
        gap_before_seconds: gapBefore === null ? null : seconds(gapBefore),
      });
    }
  });
  const has = rows.length > 0;
  const idleBefore = has ? Math.max(0, table.timeUsAt(rows[0] as number) - startUs) / US_PER_SECOND : NaN;
  const idleAfter = has ? Math.max(0, completeUs - lastEnd) / US_PER_SECOND : NaN;
  if (!Number.isNaN(idleBefore)) coordination.add(idleBefore);
  if (!Number.isNaN(idleAfter)) coordination.add(idleAfter);
  const success = details.success.get(ref);
  return {
    workflow_id: workflowId,
    project: projectOf(details, ref),
    started_at: timeOrNull(startUs),
    completed_at: timeOrNull(completeUs),
    span_seconds: orNull((completeUs - startUs) / US_PER_SECOND),
    success: success === NOT_COMPLETED ? null : success !== FAILED,
    invocations: rows.length,
    idle_before_seconds: orNull(idleBefore),
    idle_after_seconds: orNull(idleAfter),
    total_gap_seconds: seconds(gaps.value()),
    overlap_seconds: seconds(overlap),
    coordination_seconds: seconds(coordination.value()),
    bars,
  };
}
