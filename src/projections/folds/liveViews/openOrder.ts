import type { LedgerState } from '../ledger.js';
import type { OpenWorkflowsState } from '../openWorkflows.js';
import { buildRanking, placeRanked, type TimeRanking } from './timeRanking.js';

/**
 * Open workflows in the order the open-workflows answer lists them (start time, a start that
 * does not parse last, then id): the snapshot's first few are a prefix, not a sort of every
 * open workflow on each snapshot. Built when first read, then kept current per workflow line;
 * checkpointed once built. A member's key is its start (Infinity: unparsed).
 */
export type OpenOrder = TimeRanking;

const keyOf = (timeUs: number): number => (Number.isNaN(timeUs) ? Infinity : timeUs);

export function buildOpenOrder(open: OpenWorkflowsState, ledger: LedgerState): OpenOrder {
  const members: Array<readonly [number, number]> = [];
  for (const [ref, start] of open.open) members.push([ref, keyOf(start.timeUs)]);
  return buildRanking(ledger, members);
}

/** After a workflow line: the workflow is listed by its start while open, and not once completed. */
export function placeOpen(order: OpenOrder, open: OpenWorkflowsState, ref: number): void {
  const start = open.open.get(ref);
  placeRanked(order, ref, start === undefined ? NaN : keyOf(start.timeUs));
}
