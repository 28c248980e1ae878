import { Float64Column } from '../../store/columns.js';
import { RankedRefs } from '../../store/rankedRefs.js';
import type { LedgerState } from '../ledger.js';
import type { OpenWorkflowsState } from '../openWorkflows.js';
import { byText } from '../../../domain/byText.js';
import type { RankedData } from './completionOrder.js';

/**
 * Open workflows in the order the open-workflows answer lists them (start time, a start that
 * does not parse last, then id): the snapshot's first few are a prefix, not a sort of every
 * open workflow on each snapshot. Built when first read, then kept current per workflow line;
 * checkpointed once built.
 */
export interface OpenOrder {
  /** The start each member was ranked by (Infinity: unparsed), NaN when not a member. */
  readonly rankedAt: Float64Column;
  readonly ranked: RankedRefs;
}

const keyOf = (timeUs: number): number => (Number.isNaN(timeUs) ? Infinity : timeUs);

export function openOrderData(order: OpenOrder): RankedData {
  return { rankedAt: order.rankedAt.toArray(), ranked: order.ranked.toArray() };
}

export function openOrderFrom(data: RankedData, ledger: LedgerState): OpenOrder {
  const ids = ledger.table.workflows;
  const rankedAt = Float64Column.from(data.rankedAt, NaN);
  const ranked = new RankedRefs((a, b) => rankedAt.get(a) - rankedAt.get(b) || byText(ids.at(a), ids.at(b)));
  ranked.restore(data.ranked);
  return { rankedAt, ranked };
}

export function buildOpenOrder(open: OpenWorkflowsState, ledger: LedgerState): OpenOrder {
  const ids = ledger.table.workflows;
  const rankedAt = new Float64Column(NaN);
  const before = (a: number, b: number) => rankedAt.get(a) - rankedAt.get(b) || byText(ids.at(a), ids.at(b));
  const members: number[] = [];
  for (const [ref, start] of open.open) {
    rankedAt.set(ref, keyOf(start.timeUs));
    members.push(ref);
  }
  members.sort(before);
  const ranked = new RankedRefs(before);
  ranked.restore(Int32Array.from(members));
  return { rankedAt, ranked };
}

/** After a workflow line: the workflow is listed by its start while open, and not once completed. */
export function placeOpen(order: OpenOrder, open: OpenWorkflowsState, ref: number): void {
  const start = open.open.get(ref);
  const key = start === undefined ? NaN : keyOf(start.timeUs);
  const was = order.rankedAt.get(ref);
  if (Object.is(was, key)) return;
  if (!Number.isNaN(was)) order.ranked.remove(ref);
  order.rankedAt.set(ref, key);
  if (!Number.isNaN(key)) order.ranked.add(ref);
}
