import { ExactSum } from '../../domain/exactSum.js';
import { pyRound } from '../../domain/pyRound.js';
import { US_PER_SECOND } from '../../domain/time.js';
import type { LedgerState } from '../folds/ledger.js';
import { spreadOf } from '../../domain/quantiles.js';
import { byText } from '../../domain/byText.js';
import { topBy } from './topBy.js';
import { projectOf, type WorkflowDetailsState } from '../folds/workflowDetails.js';
import type { WorkflowTimingsState } from '../folds/workflowTimings.js';
import { type WorkflowFilter, workflowPredicate } from './workflowFilter.js';
import { groupRowsByWorkflow } from '../folds/workflowRows.js';

/**
 * Coordination gaps: within a workflow, its invocations ordered by timestamp; the gap of a
 * transition is next.start - (prev.start + prev.duration), floored at 0 (a negative value is
 * overlap: parallel work, reported apart). Idle time before the first agent (start event ->
 * first invocation) and after the last (last end -> complete) count too: gaps + idle time is
 * the workflow's coordination time. Worked out from the invocation columns when asked, so it
 * is the same fold for batch, daemon and checkpoint. Sums are exact and ties are broken by
 * name, so no figure depends on the order workflows were first seen in.
 */

export interface GapSpread {
  count: number;
  median_seconds: number;
  p90_seconds: number;
  total_seconds: number;
}

export interface TransitionGaps extends GapSpread {
  from_agent: string;
  to_agent: string;
}

export interface WorkflowGaps {
  workflow_id: string;
  project: string | null;
  transitions: number;
  median_gap_seconds: number | null;
  p90_gap_seconds: number | null;
  total_gap_seconds: number;
  overlap_seconds: number;
  idle_before_seconds: number | null;
  idle_after_seconds: number | null;
  coordination_seconds: number;
  /** complete - start; null unless the workflow has both. */
  span_seconds: number | null;
}

export interface GapsView {
  workflows_considered: number;
  transitions: number;
  /** Over workflows with a start, a complete and at least one invocation. */
  coordination: {
    workflows: number;
    coordination_seconds: number;
    span_seconds: number;
    coordination_pct: number;
    gap_seconds: number;
    idle_before_seconds: number;
    idle_after_seconds: number;
    overlap_seconds: number;
  };
  pairs: { count: number; items: TransitionGaps[] };
  workflows: { count: number; items: WorkflowGaps[] };
}

/**
 * Everything the views need, unrounded, in flat arrays (one entry per workflow considered,
 * one per transition): a query at 30k workflows allocates a dozen arrays, not 60k small ones.
 */
export interface GapFigures {
  readonly count: number;
  /** Workflow number of each workflow considered. */
  readonly refs: Int32Array;
  /** gaps.subarray(gapStart[i], gapStart[i + 1]) are workflow i's transition gaps (seconds, floored at 0). */
  readonly gapStart: Int32Array;
  readonly gaps: Float64Array;
  /** Agent numbers of each transition. */
  readonly fromAgent: Int32Array;
  readonly toAgent: Int32Array;
  readonly overlap: Float64Array;
  /** NaN where the workflow has no start (idleBefore, span) or no complete (idleAfter, span). */
  readonly idleBefore: Float64Array;
  readonly idleAfter: Float64Array;
  readonly span: Float64Array;
  /** The invocation row that ran last (by timestamp), -1 when none. */
  readonly lastRow: Int32Array;
}

/** Gap figures of every workflow that passes the filter and has invocations or a start and complete. */
export function workflowGapFigures(
  ledger: LedgerState,
  timings: WorkflowTimingsState,
  details: WorkflowDetailsState,
  filter: WorkflowFilter = {},
): GapFigures {
  const table = ledger.table;
  const keep = workflowPredicate(filter, details, timings);
  const { start, rows } = groupRowsByWorkflow(ledger);
  const workflows = table.workflows.size;
  const refs = new Int32Array(workflows);
  const gapStart = new Int32Array(workflows + 1);
  const gaps = new Float64Array(rows.length);
  const fromAgent = new Int32Array(rows.length);
  const toAgent = new Int32Array(rows.length);
  const overlap = new Float64Array(workflows);
  const idleBefore = new Float64Array(workflows);
  const idleAfter = new Float64Array(workflows);
  const span = new Float64Array(workflows);
  const lastRow = new Int32Array(workflows);
  let count = 0;
  let transitions = 0;
  const endOf = (row: number): number => {
    const duration = table.durationAt(row);
    return table.timeUsAt(row) + (Number.isNaN(duration) ? 0 : duration * US_PER_SECOND);
  };
  for (let ref = 0; ref < workflows; ref++) {
    const from = start[ref] as number;
    const to = start[ref + 1] as number;
    const startUs = timings.startTime.get(ref);
    const completeUs = timings.completeTime.get(ref);
    if (from === to && (Number.isNaN(startUs) || Number.isNaN(completeUs))) continue;
    if (!keep(ref)) continue;
    let overlapSeconds = 0;
    let lastEnd = -Infinity;
    for (let i = from; i < to; i++) {
      const row = rows[i] as number;
      if (i > from) {
        const prev = rows[i - 1] as number;
        const gap = (table.timeUsAt(row) - endOf(prev)) / US_PER_SECOND;
        if (gap < 0) overlapSeconds -= gap;
        gaps[transitions] = Math.max(0, gap);
        fromAgent[transitions] = table.agentRefAt(prev);
        toAgent[transitions] = table.agentRefAt(row);
        transitions++;
      }
      const end = endOf(row);
      if (end > lastEnd) lastEnd = end;
    }
    const has = from < to;
    refs[count] = ref;
    overlap[count] = overlapSeconds;
    idleBefore[count] = has ? Math.max(0, table.timeUsAt(rows[from] as number) - startUs) / US_PER_SECOND : NaN;
    idleAfter[count] = has ? Math.max(0, completeUs - lastEnd) / US_PER_SECOND : NaN;
    span[count] = (completeUs - startUs) / US_PER_SECOND;
    lastRow[count] = has ? (rows[to - 1] as number) : -1;
    count++;
    gapStart[count] = transitions;
  }
  return { count, refs, gapStart, gaps, fromAgent, toAgent, overlap, idleBefore, idleAfter, span, lastRow };
}

const seconds = (value: number): number => pyRound(value, 3);

function exactTotal(values: ArrayLike<number>): number {
  const total = new ExactSum();
  for (let i = 0; i < values.length; i++) total.add(values[i] as number);
  return total.value();
}

const orNull = (value: number): number | null => (Number.isNaN(value) ? null : seconds(value));

/** One workflow's figures, unrounded (NaN as in GapFigures): what its row is made of, by the walk or the live views. */
export interface OneWorkflowGaps {
  readonly gaps: ArrayLike<number>;
  readonly overlap: number;
  readonly idleBefore: number;
  readonly idleAfter: number;
  readonly span: number;
  readonly coordination: number;
}

export function workflowGapsRow(workflowId: string, project: string | null, f: OneWorkflowGaps): WorkflowGaps {
  const s = spreadOf(f.gaps);
  return {
    workflow_id: workflowId,
    project,
    transitions: f.gaps.length,
    median_gap_seconds: s.count > 0 ? seconds(s.median) : null,
    p90_gap_seconds: s.count > 0 ? seconds(s.p90) : null,
    total_gap_seconds: seconds(exactTotal(f.gaps)),
    overlap_seconds: seconds(f.overlap),
    idle_before_seconds: orNull(f.idleBefore),
    idle_after_seconds: orNull(f.idleAfter),
    coordination_seconds: seconds(f.coordination),
    span_seconds: orNull(f.span),
  };
}

/** The exact totals over the counted workflows (a start, a complete and an invocation) that the coordination summary rounds. */
export type CoordinationSums = Readonly<Record<'coordination' | 'span' | 'gaps' | 'before' | 'after' | 'overlap', ExactSum>>;

export function coordinationSummary(workflows: number, sums: CoordinationSums): GapsView['coordination'] {
  const span = sums.span.value();
  return {
    workflows,
    coordination_seconds: seconds(sums.coordination.value()),
    span_seconds: seconds(span),
    coordination_pct: span > 0 ? pyRound((sums.coordination.value() / span) * 100, 2) : 0,
    gap_seconds: seconds(sums.gaps.value()),
    idle_before_seconds: seconds(sums.before.value()),
    idle_after_seconds: seconds(sums.after.value()),
    overlap_seconds: seconds(sums.overlap.value()),
  };
}

/** The pairs' order: largest total gap first, ties by names. */
export function byTotalGap(a: TransitionGaps, b: TransitionGaps): number {
  return b.total_seconds - a.total_seconds || byText(a.from_agent, b.from_agent) || byText(a.to_agent, b.to_agent);
}

function spread(values: ArrayLike<number>): GapSpread {
  const s = spreadOf(values);
  return { count: s.count, median_seconds: seconds(s.median), p90_seconds: seconds(s.p90), total_seconds: seconds(exactTotal(values)) };
}

const orZero = (value: number): number => (Number.isNaN(value) ? 0 : value);

function gapsOf(figures: GapFigures, i: number): Float64Array {
  return figures.gaps.subarray(figures.gapStart[i] as number, figures.gapStart[i + 1] as number);
}

function coordinationOf(figures: GapFigures, i: number): number {
  const total = new ExactSum();
  const gaps = gapsOf(figures, i);
  for (let j = 0; j < gaps.length; j++) total.add(gaps[j] as number);
  total.add(orZero(figures.idleBefore[i] as number));
  total.add(orZero(figures.idleAfter[i] as number));
  return total.value();
}


/** Transition pairs with their gap spread, largest total gap first (ties: by names). */
export function transitionGaps(ledger: LedgerState, figures: GapFigures): TransitionGaps[] {
  const byPair = new Map<number, { from: number; to: number; gaps: number[] }>();
  const transitions = figures.gapStart[figures.count] as number;
  for (let t = 0; t < transitions; t++) {
    const from = figures.fromAgent[t] as number;
    const to = figures.toAgent[t] as number;
    // Agent numbers stay far below 2^26, so the pair fits one exact double.
    const key = from * 67_108_864 + to;
    let entry = byPair.get(key);
    if (entry === undefined) {
      entry = { from, to, gaps: [] };
      byPair.set(key, entry);
    }
    entry.gaps.push(figures.gaps[t] as number);
  }
  const words = ledger.table.words;
  return [...byPair.values()]
    .map(({ from, to, gaps }) => ({ from_agent: words.at(from), to_agent: words.at(to), ...spread(gaps) }))
    .sort(byTotalGap);
}

export function query(
  ledger: LedgerState,
  timings: WorkflowTimingsState,
  details: WorkflowDetailsState,
  filter: WorkflowFilter = {},
  limit = Infinity,
  /** Already worked out for the same filter (the snapshot shares them with bottlenecks). */
  figures: GapFigures = workflowGapFigures(ledger, timings, details, filter),
): GapsView {
  let counted = 0;
  const totals = {
    coordination: new ExactSum(),
    span: new ExactSum(),
    gaps: new ExactSum(),
    before: new ExactSum(),
    after: new ExactSum(),
    overlap: new ExactSum(),
  };
  const coordination = new Float64Array(figures.count);
  for (let i = 0; i < figures.count; i++) {
    coordination[i] = coordinationOf(figures, i);
    if (Number.isNaN(figures.span[i]) || (figures.lastRow[i] as number) < 0) continue;
    counted++;
    totals.coordination.add(coordination[i] as number);
    totals.span.add(figures.span[i] as number);
    const gaps = gapsOf(figures, i);
    for (let j = 0; j < gaps.length; j++) totals.gaps.add(gaps[j] as number);
    totals.before.add(figures.idleBefore[i] as number);
    totals.after.add(figures.idleAfter[i] as number);
    totals.overlap.add(figures.overlap[i] as number);
  }
  const workflowIds = ledger.table.workflows;
  const indexes = Array.from({ length: figures.count }, (_, i) => i);
  const items = topBy(indexes, limit, (i) => coordination[i] as number, (i) => workflowIds.at(figures.refs[i] as number)).map(
    (i): WorkflowGaps => {
      const ref = figures.refs[i] as number;
      return workflowGapsRow(workflowIds.at(ref), projectOf(details, ref), {
        gaps: gapsOf(figures, i),
        overlap: figures.overlap[i] as number,
        idleBefore: figures.idleBefore[i] as number,
        idleAfter: figures.idleAfter[i] as number,
        span: figures.span[i] as number,
        coordination: coordination[i] as number,
      });
    },
  );
  return {
    workflows_considered: figures.count,
    transitions: figures.gapStart[figures.count] as number,
    coordination: coordinationSummary(counted, totals),
    pairs: (() => {
      const pairs = transitionGaps(ledger, figures);
      return { count: pairs.length, items: pairs.slice(0, limit) };
    })(),
    workflows: { count: figures.count, items },
  };
}
