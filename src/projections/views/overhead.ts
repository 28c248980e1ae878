import { ExactSum } from '../../domain/exactSum.js';
import { pyRound } from '../../domain/pyRound.js';
import type { OverheadState } from '../folds/coordinationOverhead.js';
import type { LedgerState } from '../folds/ledger.js';
import { hasComplete, type WorkflowTimingsState } from '../folds/workflowTimings.js';
import { counted, countedWorkflows, type WorkflowOverhead } from '../folds/workflowOverhead.js';

/**
 * calculate_coordination_overhead(): the share of completed workflows' time spent outside
 * agents, over all of them or over the newest few (the overhead alert's window).
 */

export interface OverheadView {
  coordination_overhead_pct: number;
  recommendation: string;
  avg_coordination_minutes: number;
  workflows_counted: number;
}

export const INSUFFICIENT_DATA = 'Insufficient data';

export function recommendationFor(pct: number): string {
  if (pct > 30) return 'Consider Phase 3 (High coordination overhead)';
  if (pct > 15) return 'Monitor overhead (Moderate coordination time)';
  return 'Stay Phase 1-2 (Efficient coordination)';
}

/** Overhead over a set of counted workflows (all of them, or a window of them). */
export function overheadOf(workflows: readonly WorkflowOverhead[]): OverheadView {
  const workflowTime = new ExactSum();
  const coordination = new ExactSum();
  for (const wf of workflows) {
    workflowTime.add(wf.workflowSeconds);
    coordination.add(wf.workflowSeconds);
    coordination.add(-wf.agentSeconds);
  }
  return overheadOfSums(workflows.length, workflowTime, coordination);
}

/** The same from exact sums kept elsewhere (the live-views fold): workflow time, and workflow time less agent time. */
export function overheadOfSums(count: number, workflowTime: ExactSum, coordination: ExactSum): OverheadView {
  if (count === 0) {
    return { coordination_overhead_pct: 0, recommendation: INSUFFICIENT_DATA, avg_coordination_minutes: 0, workflows_counted: 0 };
  }
  const pct = (coordination.value() / workflowTime.value()) * 100;
  return {
    coordination_overhead_pct: pyRound(pct, 2),
    recommendation: recommendationFor(pct),
    avg_coordination_minutes: pyRound(coordination.value() / count / 60, 2),
    workflows_counted: count,
  };
}

export function query(overhead: OverheadState, timings: WorkflowTimingsState, ledger: LedgerState): OverheadView {
  if (overhead.invocationCount === 0 || overhead.workflowEventCount === 0) return overheadOf([]);
  return overheadOf(countedWorkflows(overhead, timings, ledger));
}

/** The windowed figure and the workflows it was computed over (the alert lists the largest). */
export interface RecentOverhead {
  readonly view: OverheadView;
  readonly workflows: WorkflowOverhead[];
}

/**
 * Overhead over the last `window` completed workflows by completion time (ties by id), as
 * `overhead` computes it over all of them. Keeps only the newest few while scanning, so it
 * costs one pass, not a sort of every workflow.
 */
export function recentOverhead(overhead: OverheadState, timings: WorkflowTimingsState, ledger: LedgerState, window: number): RecentOverhead {
  return recentOverheadOf(overhead, timings, ledger, newestCompletedRefs(timings, ledger, window));
}

/** The newest `window` completed workflows by completion time (ties by id), oldest first: one pass. */
function newestCompletedRefs(timings: WorkflowTimingsState, ledger: LedgerState, window: number): number[] {
  const ids = ledger.table.workflows;
  const newest: Array<{ ref: number; timeUs: number }> = [];
  const before = (a: { ref: number; timeUs: number }, b: { ref: number; timeUs: number }): number => {
    if (a.timeUs !== b.timeUs) return a.timeUs - b.timeUs;
    const ia = ids.at(a.ref);
    const ib = ids.at(b.ref);
    return ia < ib ? -1 : ia > ib ? 1 : 0;
  };
  for (let ref = 0; ref < timings.completeSession.length; ref++) {
    if (!hasComplete(timings, ref)) continue;
    const timeUs = timings.completeTime.get(ref);
    if (Number.isNaN(timeUs)) continue;
    const entry = { ref, timeUs };
    if (newest.length === window && before(entry, newest[0] as (typeof newest)[number]) <= 0) continue;
    let at = newest.length;
    while (at > 0 && before(newest[at - 1] as (typeof newest)[number], entry) > 0) at--;
    newest.splice(at, 0, entry);
    if (newest.length > window) newest.shift();
  }
  return newest.map(({ ref }) => ref);
}

/** The windowed figure over given workflows (the newest few, from the scan or from the live-views fold's completion order). */
export function recentOverheadOf(overhead: OverheadState, timings: WorkflowTimingsState, ledger: LedgerState, newest: readonly number[]): RecentOverhead {
  const workflows: WorkflowOverhead[] = [];
  for (const ref of newest) {
    const wf = counted(overhead, timings, ledger, ref);
    if (wf !== undefined) workflows.push(wf);
  }
  return { view: overheadOf(workflows), workflows };
}
