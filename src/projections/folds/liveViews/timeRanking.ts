import { Float64Column } from '../../store/columns.js';
import { RankedRefs } from '../../store/rankedRefs.js';
import type { LedgerState } from '../ledger.js';
import { byText } from '../../../domain/byText.js';

/**
 * Workflows ranked by a time (then id), kept current per workflow line: the completion order
 * and the open order are both one. The key each member was ranked by is kept beside it (NaN
 * when not a member): the ranking must not read a key that moves under it.
 */
export interface TimeRanking {
  readonly rankedAt: Float64Column;
  readonly ranked: RankedRefs;
}

/** The ranking as a checkpoint holds it: each member's key, and the members in order. */
export interface RankedData {
  readonly rankedAt: Float64Array;
  readonly ranked: Int32Array;
}

function rankingOver(rankedAt: Float64Column, ledger: LedgerState, members: Int32Array): TimeRanking {
  const ids = ledger.table.workflows;
  const ranked = new RankedRefs((a, b) => rankedAt.get(a) - rankedAt.get(b) || byText(ids.at(a), ids.at(b)));
  ranked.restore(members);
  return { rankedAt, ranked };
}

/** Built in one pass and one sort from each member's key (the first read after a rebuild, or a restore of an older checkpoint). */
export function buildRanking(ledger: LedgerState, members: Iterable<readonly [ref: number, key: number]>): TimeRanking {
  const rankedAt = new Float64Column(NaN);
  const refs: number[] = [];
  for (const [ref, key] of members) {
    rankedAt.set(ref, key);
    refs.push(ref);
  }
  const ids = ledger.table.workflows;
  refs.sort((a, b) => rankedAt.get(a) - rankedAt.get(b) || byText(ids.at(a), ids.at(b)));
  return rankingOver(rankedAt, ledger, Int32Array.from(refs));
}

export function rankingData(order: TimeRanking): RankedData {
  return { rankedAt: order.rankedAt.toArray(), ranked: order.ranked.toArray() };
}

export function rankingFrom(data: RankedData, ledger: LedgerState): TimeRanking {
  return rankingOver(Float64Column.from(data.rankedAt, NaN), ledger, data.ranked);
}

/** The workflow takes its place by its (possibly new) key; NaN takes it out. */
export function placeRanked(order: TimeRanking, ref: number, key: number): void {
  const was = order.rankedAt.get(ref);
  if (Object.is(was, key)) return;
  if (!Number.isNaN(was)) order.ranked.remove(ref);
  order.rankedAt.set(ref, key);
  if (!Number.isNaN(key)) order.ranked.add(ref);
}
