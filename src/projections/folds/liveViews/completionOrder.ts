import { Float64Column } from '../../store/columns.js';
import { RankedRefs } from '../../store/rankedRefs.js';
import type { LedgerState } from '../ledger.js';
import { hasComplete, type WorkflowTimingsState } from '../workflowTimings.js';
import { byText } from '../../../domain/byText.js';

/**
 * Completed workflows in completion order (time, then id), the order the overhead alert's
 * window is taken in: the newest `window` are the last members, so the windowed overhead reads
 * a few workflows instead of scanning every one on each snapshot and alert check. Workflows
 * whose complete time does not parse are left out, as the scan leaves them out. Checkpointed
 * once built.
 */
export interface CompletionOrder {
  /** The time each member was ranked by (NaN when not a member): the ranking must not read a moving key. */
  readonly rankedAt: Float64Column;
  readonly ranked: RankedRefs;
}

function empty(ledger: LedgerState): CompletionOrder {
  const ids = ledger.table.workflows;
  const rankedAt = new Float64Column(NaN);
  return { rankedAt, ranked: new RankedRefs((a, b) => rankedAt.get(a) - rankedAt.get(b) || byText(ids.at(a), ids.at(b))) };
}

/** The order as a checkpoint holds it: each member's time, and the members in order. */
export interface RankedData {
  readonly rankedAt: Float64Array;
  readonly ranked: Int32Array;
}

export function completionOrderData(order: CompletionOrder): RankedData {
  return { rankedAt: order.rankedAt.toArray(), ranked: order.ranked.toArray() };
}

export function completionOrderFrom(data: RankedData, ledger: LedgerState): CompletionOrder {
  const ids = ledger.table.workflows;
  const rankedAt = Float64Column.from(data.rankedAt, NaN);
  const ranked = new RankedRefs((a, b) => rankedAt.get(a) - rankedAt.get(b) || byText(ids.at(a), ids.at(b)));
  ranked.restore(data.ranked);
  return { rankedAt, ranked };
}

/** Built in one pass and one sort (the first read after a rebuild, or a restore of an older checkpoint). */
export function buildCompletionOrder(timings: WorkflowTimingsState, ledger: LedgerState): CompletionOrder {
  const order = empty(ledger);
  const members: number[] = [];
  for (let ref = 0; ref < timings.completeSession.length; ref++) {
    if (!hasComplete(timings, ref)) continue;
    const timeUs = timings.completeTime.get(ref);
    if (Number.isNaN(timeUs)) continue;
    order.rankedAt.set(ref, timeUs);
    members.push(ref);
  }
  const ids = ledger.table.workflows;
  members.sort((a, b) => order.rankedAt.get(a) - order.rankedAt.get(b) || byText(ids.at(a), ids.at(b)));
  order.ranked.restore(Int32Array.from(members));
  return order;
}

/** After a workflow line: the workflow takes its place by its (possibly new) complete time. */
export function placeCompletion(order: CompletionOrder, timings: WorkflowTimingsState, ref: number): void {
  const was = order.rankedAt.get(ref);
  const timeUs = hasComplete(timings, ref) ? timings.completeTime.get(ref) : NaN;
  if (Object.is(was, timeUs)) return;
  if (!Number.isNaN(was)) order.ranked.remove(ref);
  order.rankedAt.set(ref, timeUs);
  if (!Number.isNaN(timeUs)) order.ranked.add(ref);
}

/** The newest `window` completed workflows, oldest first (as the scan returns them). */
export function newestCompleted(order: CompletionOrder, window: number): number[] {
  return order.ranked.last(window);
}
