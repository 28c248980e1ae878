import type { LedgerState } from '../ledger.js';
import { hasComplete, type WorkflowTimingsState } from '../workflowTimings.js';
import { buildRanking, placeRanked, type TimeRanking } from './timeRanking.js';

/**
 * Completed workflows in completion order (time, then id), the order the overhead alert's
 * window is taken in: the newest `window` are the last members, so the windowed overhead reads
 * a few workflows instead of scanning every one on each snapshot and alert check. Workflows
 * whose complete time does not parse are left out, as the scan leaves them out. Checkpointed
 * once built.
 */
export type CompletionOrder = TimeRanking;

export function buildCompletionOrder(timings: WorkflowTimingsState, ledger: LedgerState): CompletionOrder {
  const members: Array<readonly [number, number]> = [];
  for (let ref = 0; ref < timings.completeSession.length; ref++) {
    if (!hasComplete(timings, ref)) continue;
    const timeUs = timings.completeTime.get(ref);
    if (!Number.isNaN(timeUs)) members.push([ref, timeUs]);
  }
  return buildRanking(ledger, members);
}

/** After a workflow line: the workflow takes its place by its (possibly new) complete time. */
export function placeCompletion(order: CompletionOrder, timings: WorkflowTimingsState, ref: number): void {
  placeRanked(order, ref, hasComplete(timings, ref) ? timings.completeTime.get(ref) : NaN);
}

/** The newest `window` completed workflows, oldest first (as the scan returns them). */
export function newestCompleted(order: CompletionOrder, window: number): number[] {
  return order.ranked.last(window);
}
