import { ExactSum } from '../../../domain/exactSum.js';
import type { Change } from '../changes.js';
import { Float64Column, Int32Column } from '../../store/columns.js';
import { RankedRefs } from '../../store/rankedRefs.js';
import { SortedFloats } from '../../store/sortedFloats.js';
import type { InvocationTable, StoredInvocation } from '../../store/invocationTable.js';
import { insertBefore, unlinkItem } from './columnChains.js';
import { byText } from '../../../domain/byText.js';
import { groupRowsByWorkflow } from '../workflowRows.js';
import type { Adherence } from '../planAdherence.js';
import { NOT_COMPLETED, OVERRUN_RATIO, SUCCEEDED } from '../workflowDetails.js';
import { hasStart } from '../workflowTimings.js';
import { type CompletionOrder, placeCompletion } from './completionOrder.js';
import { moveRow, type RowsBySeq } from './rowsBySeq.js';
import { type PatternCounts, placePattern } from './patternCounts.js';
import type { WorkflowStatsState } from '../workflowStats.js';
import type { OpenWorkflowsState } from '../openWorkflows.js';
import { type OpenOrder, placeOpen } from './openOrder.js';
import { type Contribution, contributionOf, PAIR_BASE, RowReader, type RowOrder, type ViewSources } from './contribution.js';

/**
 * What the unfiltered hand-off, gap, estimate and bottleneck views need, kept current per
 * change: before a change, the workflows it touches take back their contribution (worked out
 * from the state as it was); after it, they add the new one. So a snapshot or an unfiltered
 * request reads sums, sorted multisets and ranked lists, and never walks every invocation.
 * Filtered views (--project, --since) still walk (views/*.ts), which is also the reference the
 * property test compares this fold with.
 */

export interface PairGaps {
  readonly from: number;
  readonly to: number;
  readonly gaps: SortedFloats;
  readonly total: ExactSum;
}

export interface HandoffPairTotals {
  readonly from: number;
  readonly to: number;
  handoffs: number;
  artifacts: number;
  workflows: number;
  completed: number;
  succeeded: number;
}

export interface RatioGroup {
  readonly ratios: SortedFloats;
  over: number;
  overruns: number;
}

export interface LiveViewsState {
  readonly order: RowOrder;
  // Gaps.
  considered: number;
  transitions: number;
  counted: number;
  readonly sums: { coordination: ExactSum; span: ExactSum; gaps: ExactSum; before: ExactSum; after: ExactSum; overlap: ExactSum };
  readonly pairs: Map<number, PairGaps>;
  /** Per workflow: coordination seconds while it is in `byCoordination`. */
  readonly coordination: Float64Column;
  readonly byCoordination: RankedRefs;
  // Bottlenecks.
  readonly durations: Map<number, SortedFloats>;
  readonly enders: Map<number, number>;
  unsuccessful: number;
  readonly overheadPct: Float64Column;
  /** calculate_coordination_overhead() over every counted workflow: their count, complete durations, and durations less agent time. */
  overheadCounted: number;
  readonly overheadSums: { workflow: ExactSum; coordination: ExactSum };
  readonly byOverhead: RankedRefs;
  /** The overhead join's session of each workflow (start's, else complete's), chained per session. */
  readonly sessionOf: Int32Column;
  readonly sessionNext: Int32Column;
  /** Per session number: its first workflow in the chain, -1 when none. */
  readonly sessionHead: Int32Column;
  // Estimates.
  readonly overall: RatioGroup;
  readonly projects: Map<number, RatioGroup>;
  withoutEstimate: number;
  readonly ratio: Float64Column;
  readonly byRatio: RankedRefs;
  // Hand-offs.
  readonly handoffPairs: Map<number, HandoffPairTotals>;
  readonly adherence: { workflows: number } & Record<Adherence, number>;
  readonly listed: RankedRefs;
  /** The overhead alert's window order: built when first read, then kept current (and checkpointed) per workflow line. */
  completions: CompletionOrder | null;
  /** The open-workflows answer's index: built when first read, then kept current (and checkpointed) per invocation. */
  rowsBySeq: RowsBySeq | null;
  /** `workflows`' pattern counts: built when first read, then kept current (and checkpointed) per workflow line. */
  patterns: PatternCounts | null;
  /** The open-workflows answer's order: built when first read, then kept current (and checkpointed) per workflow line. */
  openOrder: OpenOrder | null;
  /**
   * Inside a batch (openBatch): each workflow touched so far, with its contribution from
   * before the batch; its new one is added once, at settleBatch. null outside a batch; never
   * checkpointed (a batch opens and settles within one turn of the event loop).
   */
  batch: Map<number, Contribution> | null;
}

/**
 * The fold's state, built on first read and kept current per change from then on: a batch
 * replay that never asks for the views pays nothing for them, and a restored checkpoint
 * rebuilds them in one pass when first asked (what one walk costs today), not at restore.
 */
export interface LiveViewsHolder {
  built: LiveViewsState | null;
}

export function unbuilt(): LiveViewsHolder {
  return { built: null };
}

/** The views' state, built now (one pass over the folded columns) if it was not yet. */
export function built(holder: LiveViewsHolder, sources: ViewSources): LiveViewsState {
  holder.built ??= rebuild(sources);
  return holder.built;
}


export function initial(sources: Pick<ViewSources, 'ledger'>): LiveViewsState {
  const ids = sources.ledger.table.workflows;
  const groupSeq = sources.ledger.groupSeq;
  const coordination = new Float64Column(NaN);
  const overheadPct = new Float64Column(NaN);
  const ratio = new Float64Column(NaN);
  // As topBy and the views' sorts: larger key first, then the smaller workflow id.
  const byKey = (key: Float64Column) => (a: number, b: number) => key.get(b) - key.get(a) || byText(ids.at(a), ids.at(b));
  return {
    order: { head: new Int32Column(-1), next: new Int32Column(-1) },
    considered: 0,
    transitions: 0,
    counted: 0,
    sums: { coordination: new ExactSum(), span: new ExactSum(), gaps: new ExactSum(), before: new ExactSum(), after: new ExactSum(), overlap: new ExactSum() },
    pairs: new Map(),
    coordination,
    byCoordination: new RankedRefs(byKey(coordination)),
    durations: new Map(),
    enders: new Map(),
    unsuccessful: 0,
    overheadPct,
    overheadCounted: 0,
    overheadSums: { workflow: new ExactSum(), coordination: new ExactSum() },
    byOverhead: new RankedRefs(byKey(overheadPct)),
    sessionOf: new Int32Column(-1),
    sessionNext: new Int32Column(-1),
    sessionHead: new Int32Column(-1),
    overall: { ratios: new SortedFloats(), over: 0, overruns: 0 },
    projects: new Map(),
    withoutEstimate: 0,
    ratio,
    byRatio: new RankedRefs(byKey(ratio)),
    handoffPairs: new Map(),
    adherence: { workflows: 0, same_order: 0, reordered: 0, skipped: 0, added: 0, skipped_and_added: 0 },
    // Most recent first by the workflow's first line in workflow_events.jsonl (unique).
    listed: new RankedRefs((a, b) => groupSeq.get(b) - groupSeq.get(a)),
    completions: null,
    rowsBySeq: null,
    patterns: null,
    openOrder: null,
    batch: null,
  };
}

function count<K>(map: Map<K, number>, key: K, by: number): void {
  const n = (map.get(key) ?? 0) + by;
  if (n === 0) map.delete(key);
  else map.set(key, n);
}

function addRatio(group: RatioGroup, ratio: number, sign: 1 | -1): void {
  if (sign === 1) group.ratios.add(ratio);
  else group.ratios.remove(ratio);
  if (ratio > 1) group.over += sign;
  if (ratio > OVERRUN_RATIO) group.overruns += sign;
}

function addGaps(views: LiveViewsState, ref: number, c: Contribution, sign: 1 | -1): void {
  const g = c.gaps;
  if (g !== null) {
    views.considered += sign;
    views.transitions += sign * g.gaps.length;
    if (sign === -1) views.byCoordination.remove(ref);
    else {
      views.coordination.set(ref, g.coordination);
      views.byCoordination.add(ref);
    }
    for (let i = 0; i < g.gaps.length; i++) {
      const key = g.pairs[i] as number;
      const gap = g.gaps[i] as number;
      let pair = views.pairs.get(key);
      if (pair === undefined) {
        pair = { from: Math.floor(key / PAIR_BASE), to: key % PAIR_BASE, gaps: new SortedFloats(), total: new ExactSum() };
        views.pairs.set(key, pair);
      }
      pair.total.add(sign * gap);
      if (sign === 1) pair.gaps.add(gap);
      else {
        pair.gaps.remove(gap);
        if (pair.gaps.size === 0) views.pairs.delete(key);
      }
    }
    if (!Number.isNaN(g.span) && g.lastRow >= 0) {
      const s = views.sums;
      views.counted += sign;
      s.coordination.add(sign * g.coordination);
      s.span.add(sign * g.span);
      for (const gap of g.gaps) s.gaps.add(sign * gap);
      s.before.add(sign * g.idleBefore);
      s.after.add(sign * g.idleAfter);
      s.overlap.add(sign * g.overlap);
    }
  }
}

function addEnding(views: LiveViewsState, ref: number, c: Contribution, sign: 1 | -1): void {
  if (c.failed) views.unsuccessful += sign;
  if (c.ender >= 0) count(views.enders, c.ender, sign);
  if (!Number.isNaN(c.overheadPct)) {
    // As overheadOf adds them: the duration, and the duration less the agent time as two terms.
    views.overheadCounted += sign;
    views.overheadSums.workflow.add(sign * c.workflowSeconds);
    views.overheadSums.coordination.add(sign * c.workflowSeconds);
    views.overheadSums.coordination.add(-sign * c.agentSeconds);
    if (sign === -1) views.byOverhead.remove(ref);
    else {
      views.overheadPct.set(ref, c.overheadPct);
      views.byOverhead.add(ref);
    }
  }
}

function addEstimate(views: LiveViewsState, ref: number, c: Contribution, sign: 1 | -1): void {
  if (c.ratio !== undefined) {
    if (Number.isNaN(c.ratio)) views.withoutEstimate += sign;
    else {
      addRatio(views.overall, c.ratio, sign);
      let group = views.projects.get(c.project);
      if (group === undefined) {
        group = { ratios: new SortedFloats(), over: 0, overruns: 0 };
        views.projects.set(c.project, group);
      }
      addRatio(group, c.ratio, sign);
      if (group.ratios.size === 0) views.projects.delete(c.project);
      if (sign === -1) views.byRatio.remove(ref);
      else {
        views.ratio.set(ref, c.ratio);
        views.byRatio.add(ref);
      }
    }
  }
}

function addHandoffs(views: LiveViewsState, ref: number, c: Contribution, sign: 1 | -1, keepListed = false): void {
  if (c.listed) {
    // keepListed (replaceHandoffs): the workflow keeps its place.
    if (!keepListed) {
      if (sign === 1) views.listed.add(ref);
      else views.listed.remove(ref);
    }
    if (c.adherence !== null) {
      views.adherence.workflows += sign;
      views.adherence[c.adherence] += sign;
    }
  }
  if (c.handoffPairs !== null) {
    const completed = c.success === NOT_COMPLETED ? 0 : sign;
    const succeeded = c.success === SUCCEEDED ? sign : 0;
    for (const [key, [handoffs, artifacts]] of c.handoffPairs) {
      let pair = views.handoffPairs.get(key);
      if (pair === undefined) {
        // Kept at zero too: the view lists pairs in the order they were first seen (before its sort).
        pair = { from: Math.floor(key / PAIR_BASE) - 1, to: (key % PAIR_BASE) - 1, handoffs: 0, artifacts: 0, workflows: 0, completed: 0, succeeded: 0 };
        views.handoffPairs.set(key, pair);
      }
      pair.handoffs += sign * handoffs;
      pair.artifacts += sign * artifacts;
      pair.workflows += sign;
      pair.completed += completed;
      pair.succeeded += succeeded;
    }
  }
}

const sameNumbers = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

function sameGaps(a: Contribution, b: Contribution): boolean {
  const x = a.gaps;
  const y = b.gaps;
  if (x === null || y === null) return x === y;
  return (
    Object.is(x.overlap, y.overlap) &&
    Object.is(x.idleBefore, y.idleBefore) &&
    Object.is(x.idleAfter, y.idleAfter) &&
    Object.is(x.span, y.span) &&
    Object.is(x.coordination, y.coordination) &&
    x.lastRow === y.lastRow &&
    sameNumbers(x.gaps, y.gaps) &&
    sameNumbers(x.pairs, y.pairs)
  );
}

function samePairs(a: Contribution['handoffPairs'], b: Contribution['handoffPairs']): boolean {
  if (a === null || b === null) return a === b;
  if (a.size !== b.size) return false;
  for (const [key, [handoffs, artifacts]] of a) {
    const other = b.get(key);
    if (other === undefined || other[0] !== handoffs || other[1] !== artifacts) return false;
  }
  return true;
}

/**
 * addHandoffs(old, -1) then addHandoffs(next, 1), except that a workflow listed before and after
 * keeps its place in `listed`: that list ranks by first-seen order, fixed while a member, so
 * taking it out and in again only shifted the list (every listed workflow) twice per change.
 */
function replaceHandoffs(views: LiveViewsState, ref: number, old: Contribution, next: Contribution): void {
  const stays = old.listed && next.listed;
  addHandoffs(views, ref, old, -1, stays);
  addHandoffs(views, ref, next, 1, stays);
}

/**
 * Each part of the views a workflow feeds, with when its contribution is unchanged: most
 * changes touch one part (an invocation the gaps, a hand-off the hand-offs), and a part whose
 * contribution did not move is neither taken back nor added again (`replace`, where given, does
 * both at once, cheaper).
 */
const PARTS: ReadonlyArray<{
  readonly add: (views: LiveViewsState, ref: number, c: Contribution, sign: 1 | -1) => void;
  readonly same: (a: Contribution, b: Contribution) => boolean;
  readonly replace?: (views: LiveViewsState, ref: number, old: Contribution, next: Contribution) => void;
}> = [
  { add: addGaps, same: sameGaps },
  { add: addEnding, same: (a, b) => a.failed === b.failed && a.ender === b.ender && Object.is(a.overheadPct, b.overheadPct) && Object.is(a.agentSeconds, b.agentSeconds) },
  { add: addEstimate, same: (a, b) => Object.is(a.ratio, b.ratio) && a.project === b.project },
  {
    add: addHandoffs,
    replace: replaceHandoffs,
    same: (a, b) => a.listed === b.listed && a.adherence === b.adherence && a.success === b.success && samePairs(a.handoffPairs, b.handoffPairs),
  },
];

function addContribution(views: LiveViewsState, ref: number, c: Contribution, sign: 1 | -1): void {
  for (const part of PARTS) part.add(views, ref, c, sign);
}

function replaceContribution(views: LiveViewsState, ref: number, old: Contribution, next: Contribution): void {
  for (const part of PARTS) {
    if (part.same(old, next)) continue;
    if (part.replace !== undefined) part.replace(views, ref, old, next);
    else {
      part.add(views, ref, old, -1);
      part.add(views, ref, next, 1);
    }
  }
}

function addDuration(views: LiveViewsState, inv: StoredInvocation, sign: 1 | -1): void {
  const duration = inv.durationSeconds;
  if (!duration) return; // null and 0, as the averages of `stats`
  let list = views.durations.get(inv.agentRef);
  if (list === undefined) {
    list = new SortedFloats();
    views.durations.set(inv.agentRef, list);
  }
  if (sign === 1) list.add(duration);
  else {
    list.remove(duration);
    if (list.size === 0) views.durations.delete(inv.agentRef);
  }
}

/** Whether an invocation without workflow_id counts for the workflows of its session (overhead's join). */
function isLoose(inv: StoredInvocation): boolean {
  return inv.workflowRef < 0 && inv.sessionRef >= 0 && !!inv.durationSeconds;
}

function sessionWorkflows(views: LiveViewsState, session: number, into: number[]): void {
  for (let ref = views.sessionHead.get(session); ref >= 0; ref = views.sessionNext.get(ref)) if (!into.includes(ref)) into.push(ref);
}

/** The workflows whose contribution a change may alter. */
function touchedBy(views: LiveViewsState, change: Change): number[] {
  const touched: number[] = [];
  if (change.kind === 'workflow') touched.push(change.workflowRef);
  else if (change.kind === 'invocation') {
    for (const inv of [change.prev, change.next]) {
      if (inv === undefined) continue;
      if (inv.workflowRef >= 0 && !touched.includes(inv.workflowRef)) touched.push(inv.workflowRef);
      if (isLoose(inv)) sessionWorkflows(views, inv.sessionRef, touched);
    }
  }
  return touched;
}

/** The workflows a change touches, with their contribution before it. */
export type Touched = ReadonlyArray<{ readonly ref: number; readonly old: Contribution }>;

/** Before the other folds see `change`: what the touched workflows contribute now (taken back in `after` where it moved). */
export function before(views: LiveViewsState, sources: ViewSources, change: Change): Touched {
  const refs = touchedBy(views, change);
  const prev = change.kind === 'invocation' ? change.prev : undefined;
  if (prev !== undefined) addDuration(views, prev, -1);
  if (refs.length === 0) return [];
  const rows = new RowReader(sources.ledger, prev);
  const batch = views.batch;
  if (batch !== null) {
    // A workflow's first change in the batch is the last that sees what it contributes now:
    // nothing before it in the batch touched it.
    for (const ref of refs) if (!batch.has(ref)) batch.set(ref, contributionOf(sources, views.order, rows, ref));
    return [];
  }
  return refs.map((ref) => ({ ref, old: contributionOf(sources, views.order, rows, ref) }));
}

/**
 * From now until settleBatch, a touched workflow takes back its contribution and adds its new
 * one once, not at every change: a catch-up of many lines changes each new workflow several
 * times (start, invocations, their completions, hand-offs, complete), and each change used to
 * work out its contribution twice. The rest (row order, sessions, durations, indexes) still
 * moves per change. False when a batch is open already (the outer one settles).
 */
export function openBatch(views: LiveViewsState): boolean {
  if (views.batch !== null) return false;
  views.batch = new Map();
  return true;
}

/** Ends the batch: every workflow it touched replaces its contribution from before the batch with the one it has now. */
export function settleBatch(views: LiveViewsState, sources: ViewSources): void {
  const batch = views.batch;
  views.batch = null;
  if (batch === null || batch.size === 0) return;
  const rows = new RowReader(sources.ledger, undefined);
  for (const [ref, old] of batch) replaceContribution(views, ref, old, contributionOf(sources, views.order, rows, ref));
}

/** After every other fold has applied `change`: the row order and session index move, and the touched workflows add their contribution. */
export function after(views: LiveViewsState, sources: ViewSources & { readonly workflows: WorkflowStatsState; readonly open: OpenWorkflowsState }, change: Change, touched: Touched): void {
  if (change.kind === 'invocation') {
    const { prev, next } = change;
    if (prev !== undefined && prev.workflowRef >= 0 && !Number.isNaN(prev.timeUs)) unlinkItem(views.order.head, views.order.next, prev.workflowRef, prev.seq);
    if (next.workflowRef >= 0 && !Number.isNaN(next.timeUs)) insertBefore(views.order.head, views.order.next, next.workflowRef, next.seq, byTime, sources.ledger.table);
    addDuration(views, next, 1);
    if (views.rowsBySeq !== null) moveRow(views.rowsBySeq, prev, next);
  } else if (change.kind === 'workflow') {
    indexSession(views, sources, change.workflowRef);
    if (views.completions !== null) placeCompletion(views.completions, sources.timings, change.workflowRef);
    if (views.patterns !== null) placePattern(views.patterns, sources.workflows, change.workflowRef);
    if (views.openOrder !== null) placeOpen(views.openOrder, sources.open, change.workflowRef);
  }
  if (touched.length === 0) return;
  const rows = new RowReader(sources.ledger, undefined);
  for (const { ref, old } of touched) replaceContribution(views, ref, old, contributionOf(sources, views.order, rows, ref));
}

/** groupRowsByWorkflow's order: by timestamp, then first-seen position. */
function byTime(table: InvocationTable, row: number, other: number): boolean {
  const time = table.timeUsAt(row);
  const otherTime = table.timeUsAt(other);
  return otherTime > time || (otherTime === time && other > row);
}

/** Keeps the workflow in the chain of the session overhead joins it by. */
function indexSession(views: LiveViewsState, sources: ViewSources, ref: number): void {
  const timings = sources.timings;
  const session = hasStart(timings, ref) ? timings.startSession.get(ref) : timings.completeSession.get(ref);
  const was = views.sessionOf.get(ref);
  if (session === was) return;
  if (was >= 0) unlinkItem(views.sessionHead, views.sessionNext, was, ref);
  views.sessionOf.set(ref, session);
  if (session >= 0) {
    views.sessionNext.set(ref, views.sessionHead.get(session));
    views.sessionHead.set(session, ref);
  }
}

/**
 * The same state built from folded sources in one pass (a restored checkpoint): every row
 * linked, every workflow indexed and added once.
 */
export function rebuild(sources: ViewSources): LiveViewsState {
  const views = initial(sources);
  const table = sources.ledger.table;
  const rows = new RowReader(sources.ledger, undefined);
  // Linked from the walk's own grouping (already in order): linking row by row would cost
  // O(k^2) for a workflow of k invocations.
  const { start, rows: grouped } = groupRowsByWorkflow(sources.ledger);
  for (let ref = 0; ref + 1 < start.length; ref++) {
    const from = start[ref] as number;
    const to = start[ref + 1] as number;
    if (from === to) continue;
    views.order.head.set(ref, grouped[from] as number);
    for (let i = from; i + 1 < to; i++) views.order.next.set(grouped[i] as number, grouped[i + 1] as number);
  }
  for (let seq = 0; seq < table.size; seq++) {
    const duration = table.durationAt(seq);
    if (duration) addDuration(views, { durationSeconds: duration, agentRef: table.agentRefAt(seq) } as StoredInvocation, 1);
  }
  for (let ref = 0; ref < table.workflows.size; ref++) {
    indexSession(views, sources, ref);
    addContribution(views, ref, contributionOf(sources, views.order, rows, ref), 1);
  }
  return views;
}
