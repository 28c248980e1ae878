import * as agentTrends from '../projections/views/agentTrends.js';
import * as bestAgent from '../projections/views/bestAgent.js';
import * as bottleneckView from '../projections/views/bottlenecks.js';
import * as coordinationGaps from '../projections/views/coordinationGaps.js';
import * as estimateAccuracy from '../projections/views/estimateAccuracy.js';
import * as handoffsView from '../projections/views/handoffs.js';
import * as liveViews from '../projections/folds/liveViews/liveViews.js';
import * as liveWorkflowViews from '../projections/views/liveWorkflowViews.js';
import { buildCompletionOrder, newestCompleted } from '../projections/folds/liveViews/completionOrder.js';
import { buildRowsBySeq, rowsOf } from '../projections/folds/liveViews/rowsBySeq.js';
import { topPatterns } from '../projections/folds/liveViews/patternCounts.js';
import { buildOpenOrder, type OpenOrder } from '../projections/folds/liveViews/openOrder.js';
import * as overheadView from '../projections/views/overhead.js';
import * as runHistory from '../projections/views/runHistory.js';
import * as workflowTimeline from '../projections/views/workflowTimeline.js';
import * as openWorkflows from '../projections/folds/openWorkflows.js';
import { rankAgents, type RankedAgent } from '../projections/views/ranking.js';
import * as rollingSuccess from '../projections/folds/rollingSuccess.js';
import * as statistics from '../projections/folds/statistics.js';
import type { TelemetryState } from '../projections/folds/telemetryState.js';
import type { WorkflowFilter } from '../projections/views/workflowFilter.js';
import * as workflowStats from '../projections/folds/workflowStats.js';
import { DEFAULT_MIN_CONFIDENCE, DEFAULT_TREND_DAYS } from './queryDefaults.js';

export { DEFAULT_MIN_CONFIDENCE, DEFAULT_TREND_DAYS } from './queryDefaults.js';

/**
 * The questions, as functions of state and arguments. Every surface (CLI, snapshots, later
 * HTTP) asks through these, so one state gives one answer everywhere. `nowUs` is epoch
 * microseconds; nothing here reads the clock.
 */

export function stats(state: TelemetryState): statistics.StatisticsView {
  return statistics.query(state.statistics, state.ledger);
}

export function workflows(state: TelemetryState): workflowStats.WorkflowsView {
  // The daemon's case: pattern counts kept by the live-views fold (no pass over every workflow).
  const views = state.views.built;
  if (views !== null) return workflowStats.query(state.workflows, (limit) => topPatterns(views, state.workflows, limit));
  return workflowStats.query(state.workflows);
}

export function overhead(state: TelemetryState): overheadView.OverheadView {
  // From the live-views fold when it is built (the daemon's case): its sums are the walk's, exactly.
  const views = state.views.built;
  if (views !== null && state.overhead.invocationCount > 0 && state.overhead.workflowEventCount > 0) {
    return overheadView.overheadOfSums(views.overheadCounted, views.overheadSums.workflow, views.overheadSums.coordination);
  }
  return overheadView.query(state.overhead, state.timings, state.ledger);
}

/**
 * Overhead over the last `window` completed workflows (the overhead alert's window), with the
 * workflows it counted. The alert, the snapshot, /metrics and MCP all show this one figure.
 */
export function recentOverhead(state: TelemetryState, window: number): overheadView.RecentOverhead {
  // The daemon's case: the live-views fold keeps completed workflows in window order (no scan of every workflow).
  const views = state.views.built;
  if (views !== null) {
    views.completions ??= buildCompletionOrder(state.timings, state.ledger);
    return overheadView.recentOverheadOf(state.overhead, state.timings, state.ledger, newestCompleted(views.completions, window));
  }
  return overheadView.recentOverhead(state.overhead, state.timings, state.ledger, window);
}

export function trends(state: TelemetryState, agent: string, days: number, nowUs: number): agentTrends.TrendView {
  return agentTrends.query(state.ledger, agent, days, nowUs);
}

/** The runs each trend window holds: the table says "no runs" where the rate would read 0%. */
export function trendWindows(state: TelemetryState, agent: string, days: number, nowUs: number): agentTrends.TrendWindows {
  return agentTrends.windows(state.ledger, agent, days, nowUs);
}

export function ranking(state: TelemetryState, taskType?: string): RankedAgent[] {
  return rankAgents(statistics.agentStatistics(state.statistics, state.ledger), taskType);
}

export interface BestAgentArgs {
  readonly task: string;
  readonly domain?: string | undefined;
  readonly minConfidence?: number | undefined;
  readonly nowUs: number;
}

/** Every agent at or above the minimum confidence, best first (the `--all` listing). */
export function bestAgents(state: TelemetryState, args: BestAgentArgs): bestAgent.AgentMatch[] {
  let trendOf: ((agent: string) => agentTrends.TrendView) | undefined;
  return bestAgent.query(state.ledger, {
    task: args.task,
    domain: args.domain,
    minConfidence: args.minConfidence ?? DEFAULT_MIN_CONFIDENCE,
    recentPerformance: (agent) => (trendOf ??= agentTrends.queryAll(state.ledger, DEFAULT_TREND_DAYS, args.nowUs))(agent).trend,
  });
}

/** The best agent for a task, or null when none reaches the minimum confidence. */
export function bestAgentFor(state: TelemetryState, args: BestAgentArgs): bestAgent.AgentMatch | null {
  return bestAgents(state, args)[0] ?? null;
}

export function open(state: TelemetryState, nowUs: number): openWorkflows.OpenWorkflowView[] {
  return openPage(state, nowUs, Infinity).items;
}

/** The oldest `limit` open workflows and how many there are (the snapshot's list): agents read for the listed ones only. */
export function openPage(state: TelemetryState, nowUs: number, limit: number): { count: number; items: openWorkflows.OpenWorkflowView[] } {
  return { count: openWorkflows.openCount(state.open), items: openWorkflows.query(state.open, state.ledger, nowUs, limit, openIndexes(state)) };
}

/**
 * Open workflows older than `maxAgeSeconds` (the open-too-long alert): how many, and the
 * oldest `limit`. With the live-views fold they are a prefix of its open order (oldest first),
 * so only they are read.
 */
export function openOlderThan(state: TelemetryState, nowUs: number, maxAgeSeconds: number, limit: number): { count: number; items: openWorkflows.OpenWorkflowView[] } {
  const indexes = openIndexes(state);
  if (indexes.order === undefined) {
    const all = openWorkflows.query(state.open, state.ledger, nowUs).filter((w) => w.age_seconds !== null && w.age_seconds > maxAgeSeconds);
    return { count: all.length, items: all.slice(0, limit) };
  }
  const count = indexes.order.ranked.countWhile((ref) => (openWorkflows.ageSeconds(state.open.open.get(ref) as openWorkflows.OpenStart, nowUs) ?? -Infinity) > maxAgeSeconds);
  return { count, items: openWorkflows.query(state.open, state.ledger, nowUs, Math.min(count, limit), indexes) };
}

/** The daemon's case: the live-views fold's per-workflow rows and open order, so only the listed workflows are read. */
function openIndexes(state: TelemetryState): openWorkflows.OpenIndexes & { order?: OpenOrder } {
  const views = state.views.built;
  if (views === null) return {};
  const rows = (views.rowsBySeq ??= buildRowsBySeq(state.ledger));
  const order = (views.openOrder ??= buildOpenOrder(state.open, state.ledger));
  return { rowsOf: (ref) => rowsOf(rows, ref), firstOpen: (n) => order.ranked.first(n), order };
}

export function agents(state: TelemetryState, window = rollingSuccess.DEFAULT_WINDOW): rollingSuccess.RollingSuccessView[] {
  return rollingSuccess.query(state.rolling, state.ledger, window);
}

/** The seed promises: hand-offs, coordination gaps, estimate accuracy, bottlenecks. */
export interface WorkflowViewArgs {
  readonly filter?: WorkflowFilter | undefined;
  /** Longest list returned (the full count is given beside it). */
  readonly limit?: number | undefined;
}

/**
 * Without --project or --since, the views are read from the live-views fold (no walk); a
 * filtered question walks the workflows it asks about.
 */
function unfiltered(filter: WorkflowFilter | undefined): boolean {
  return filter === undefined || (filter.project === undefined && filter.sinceUs === undefined);
}

function live(state: TelemetryState): liveWorkflowViews.LiveSources {
  const { ledger, timings, details, overhead } = state;
  return { ledger, timings, details, overhead, views: liveViews.built(state.views, state) };
}

export function handoffs(state: TelemetryState, args: WorkflowViewArgs = {}): handoffsView.HandoffsView {
  if (unfiltered(args.filter)) return liveWorkflowViews.handoffs(live(state), args.limit);
  return handoffsView.query(state.ledger, state.timings, state.details, args.filter, args.limit);
}

/** The per-workflow gap figures gaps and bottlenecks are built from (to share between them). */
export function gapFigures(state: TelemetryState, filter?: WorkflowFilter): coordinationGaps.GapFigures {
  return coordinationGaps.workflowGapFigures(state.ledger, state.timings, state.details, filter);
}

export function gaps(state: TelemetryState, args: WorkflowViewArgs = {}, figures?: coordinationGaps.GapFigures): coordinationGaps.GapsView {
  if (figures === undefined && unfiltered(args.filter)) return liveWorkflowViews.gaps(live(state), args.limit);
  return coordinationGaps.query(state.ledger, state.timings, state.details, args.filter, args.limit, figures);
}

export function estimates(state: TelemetryState, args: WorkflowViewArgs = {}): estimateAccuracy.EstimatesView {
  if (unfiltered(args.filter)) return liveWorkflowViews.estimates(live(state), args.limit);
  return estimateAccuracy.query(state.ledger, state.timings, state.details, args.filter, args.limit);
}

/** The overhead alert's default threshold, percent. */
export const DEFAULT_OVERHEAD_THRESHOLD_PCT = 30;

export function bottlenecks(
  state: TelemetryState,
  args: WorkflowViewArgs & { readonly thresholdPct?: number | undefined } = {},
  figures?: coordinationGaps.GapFigures,
): bottleneckView.BottlenecksView {
  const thresholdPct = args.thresholdPct ?? DEFAULT_OVERHEAD_THRESHOLD_PCT;
  if (figures === undefined && unfiltered(args.filter)) return liveWorkflowViews.bottlenecks(live(state), args.limit ?? Infinity, thresholdPct);
  return bottleneckView.query(state.ledger, state.overhead, state.timings, state.details, figures ?? gapFigures(state, args.filter), {
    filter: args.filter ?? {},
    limit: args.limit ?? Infinity,
    thresholdPct,
  });
}

/** Runs, success rate and overhead per hour or day of the data's own time (see docs/history.md). */
export function history(state: TelemetryState, args: runHistory.HistoryArgs = {}): runHistory.HistoryView {
  return runHistory.query(state.history, state.overhead, state.timings, state.details, state.ledger, args);
}

/** One workflow's agents on its time axis, with the gaps and idle time between them; null when unknown. */
export function timeline(state: TelemetryState, workflowId: string): workflowTimeline.TimelineView | null {
  return workflowTimeline.query(state.ledger, state.timings, state.details, workflowId);
}
