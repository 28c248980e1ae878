import { ExactSum } from '../../../domain/exactSum.js';
import { Float64Column, Int32Column } from '../../store/columns.js';
import { SortedFloats } from '../../store/sortedFloats.js';
import type { Adherence } from '../planAdherence.js';
import { PAIR_BASE, type ViewSources } from './contribution.js';
import { type HandoffPairTotals, initial, type LiveViewsHolder, type LiveViewsState, type RatioGroup } from './liveViews.js';
import { type RankedData, rankingData, rankingFrom } from './timeRanking.js';
import { type PatternCountsData, patternCountsData, patternCountsFrom } from './patternCounts.js';
import { type RowsBySeqData, rowsBySeqData, rowsBySeqFrom } from './rowsBySeq.js';

/**
 * The live-views state as plain arrays for the checkpoint, so a restart serves its first
 * snapshot without the one pass a rebuild costs (~0.2 s at 30k workflows). Sorted sets and
 * ranked lists are stored in their order and adopted as they are.
 */
export const schemaVersion = 2;

type SumName = keyof LiveViewsState['sums'];
const SUMS: readonly SumName[] = ['coordination', 'span', 'gaps', 'before', 'after', 'overlap'];

interface RatioGroupData {
  readonly ratios: Float64Array;
  readonly over: number;
  readonly overruns: number;
}

export interface LiveViewsData {
  readonly head: Int32Array;
  readonly next: Int32Array;
  readonly counts: readonly [considered: number, transitions: number, counted: number, unsuccessful: number, withoutEstimate: number, overheadCounted: number];
  readonly overheadSums: readonly [workflow: readonly number[], coordination: readonly number[]];
  readonly sums: Readonly<Record<SumName, readonly number[]>>;
  /** Pair key, its gaps in order, the partials of their exact total. */
  readonly pairs: ReadonlyArray<readonly [number, Float64Array, readonly number[]]>;
  readonly durations: ReadonlyArray<readonly [number, Float64Array]>;
  readonly enders: ReadonlyArray<readonly [number, number]>;
  readonly coordination: Float64Array;
  readonly overheadPct: Float64Array;
  readonly ratio: Float64Array;
  readonly ranked: Readonly<Record<'byCoordination' | 'byOverhead' | 'byRatio' | 'listed', Int32Array>>;
  readonly sessionOf: Int32Array;
  readonly sessionNext: Int32Array;
  readonly sessionHead: Int32Array;
  readonly overall: RatioGroupData;
  readonly projects: ReadonlyArray<readonly [number, RatioGroupData]>;
  readonly handoffPairs: ReadonlyArray<readonly [number, HandoffPairTotals]>;
  readonly adherence: { workflows: number } & Record<Adherence, number>;
  /**
   * The indexes the snapshot and the alerts read, each when it was built (null: built when
   * first read). Absent in checkpoints written before they were kept: built when first read.
   * Kept so a restart's first snapshot and alert check do not build them from every row and
   * workflow (~50 ms at 30k workflows).
   */
  readonly indexes?: {
    readonly rowsBySeq: RowsBySeqData | null;
    readonly completions: RankedData | null;
    readonly openOrder: RankedData | null;
    readonly patterns: PatternCountsData | null;
  };
}

const groupData = (group: RatioGroup): RatioGroupData => ({ ratios: group.ratios.toArray(), over: group.over, overruns: group.overruns });
const groupFrom = (data: RatioGroupData): RatioGroup => ({ ratios: SortedFloats.from(data.ratios), over: data.over, overruns: data.overruns });

/** null when the views were never built (a replay that did not ask): the restore builds them when first read. */
export function toData(holder: LiveViewsHolder): LiveViewsData | null {
  const v = holder.built;
  if (v === null) return null;
  return {
    head: v.order.head.toArray(),
    next: v.order.next.toArray(),
    counts: [v.considered, v.transitions, v.counted, v.unsuccessful, v.withoutEstimate, v.overheadCounted],
    overheadSums: [v.overheadSums.workflow.toJSON(), v.overheadSums.coordination.toJSON()],
    sums: Object.fromEntries(SUMS.map((name) => [name, v.sums[name].toJSON()])) as Record<SumName, number[]>,
    pairs: [...v.pairs].map(([key, pair]) => [key, pair.gaps.toArray(), pair.total.toJSON()] as const),
    durations: [...v.durations].map(([agent, list]) => [agent, list.toArray()] as const),
    enders: [...v.enders],
    coordination: v.coordination.toArray(),
    overheadPct: v.overheadPct.toArray(),
    ratio: v.ratio.toArray(),
    ranked: { byCoordination: v.byCoordination.toArray(), byOverhead: v.byOverhead.toArray(), byRatio: v.byRatio.toArray(), listed: v.listed.toArray() },
    sessionOf: v.sessionOf.toArray(),
    sessionNext: v.sessionNext.toArray(),
    sessionHead: v.sessionHead.toArray(),
    overall: groupData(v.overall),
    projects: [...v.projects].map(([project, group]) => [project, groupData(group)] as const),
    handoffPairs: [...v.handoffPairs].map(([key, pair]) => [key, { ...pair }] as const),
    adherence: { ...v.adherence },
    indexes: {
      rowsBySeq: v.rowsBySeq === null ? null : rowsBySeqData(v.rowsBySeq),
      completions: v.completions === null ? null : rankingData(v.completions),
      openOrder: v.openOrder === null ? null : rankingData(v.openOrder),
      patterns: v.patterns === null ? null : patternCountsData(v.patterns),
    },
  };
}

export function fromData(data: LiveViewsData | null | undefined, sources: Pick<ViewSources, 'ledger'>): LiveViewsHolder {
  if (data === null || data === undefined) return { built: null };
  const fresh = initial(sources);
  const [considered, transitions, counted, unsuccessful, withoutEstimate, overheadCounted] = data.counts;
  const views: LiveViewsState = {
    ...fresh,
    order: { head: Int32Column.from(data.head, -1), next: Int32Column.from(data.next, -1) },
    considered,
    transitions,
    counted,
    unsuccessful,
    withoutEstimate,
    overheadCounted,
    overheadSums: { workflow: ExactSum.fromPartials(data.overheadSums[0]), coordination: ExactSum.fromPartials(data.overheadSums[1]) },
    sums: Object.fromEntries(SUMS.map((name) => [name, ExactSum.fromPartials(data.sums[name])])) as LiveViewsState['sums'],
    pairs: new Map(data.pairs.map(([key, gaps, total]) => [key, { from: Math.floor(key / PAIR_BASE), to: key % PAIR_BASE, gaps: SortedFloats.from(gaps), total: ExactSum.fromPartials(total) }])),
    durations: new Map(data.durations.map(([agent, list]) => [agent, SortedFloats.from(list)])),
    enders: new Map(data.enders),
    sessionOf: Int32Column.from(data.sessionOf, -1),
    sessionNext: Int32Column.from(data.sessionNext, -1),
    sessionHead: Int32Column.from(data.sessionHead, -1),
    overall: groupFrom(data.overall),
    projects: new Map(data.projects.map(([project, group]) => [project, groupFrom(group)])),
    handoffPairs: new Map(data.handoffPairs.map(([key, pair]) => [key, { ...pair }])),
    adherence: { ...data.adherence },
    rowsBySeq: data.indexes?.rowsBySeq ? rowsBySeqFrom(data.indexes.rowsBySeq) : null,
    completions: data.indexes?.completions ? rankingFrom(data.indexes.completions, sources.ledger) : null,
    openOrder: data.indexes?.openOrder ? rankingFrom(data.indexes.openOrder, sources.ledger) : null,
    patterns: data.indexes?.patterns ? patternCountsFrom(data.indexes.patterns) : null,
  };
  // The ranked lists compare by these columns: adopt them into the fresh state's columns in place.
  restoreColumn(fresh.coordination, data.coordination);
  restoreColumn(fresh.overheadPct, data.overheadPct);
  restoreColumn(fresh.ratio, data.ratio);
  fresh.byCoordination.restore(data.ranked.byCoordination);
  fresh.byOverhead.restore(data.ranked.byOverhead);
  fresh.byRatio.restore(data.ranked.byRatio);
  fresh.listed.restore(data.ranked.listed);
  return { built: views };
}

function restoreColumn(column: Float64Column, rows: Float64Array): void {
  for (let row = 0; row < rows.length; row++) column.set(row, rows[row] as number);
}
