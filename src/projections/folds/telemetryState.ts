import type { TelemetryEvent } from '../../domain/events.js';
import * as coordinationOverhead from './coordinationOverhead.js';
import { initialLedger, type LedgerState, resolveChange } from './ledger.js';
import * as liveViews from './liveViews/liveViews.js';
import * as openWorkflows from './openWorkflows.js';
import * as rollingSuccess from './rollingSuccess.js';
import * as runHistory from './runHistory.js';
import * as statistics from './statistics.js';
import * as workflowDetails from './workflowDetails.js';
import * as workflowStats from './workflowStats.js';
import * as workflowTimings from './workflowTimings.js';

/**
 * Every projection, folded together. Batch replay, the daemon and restores all use `applyEvent`.
 * Trends and best-agent fold nothing ahead: their windows and relevance depend on the
 * question, so they read the ledger's invocation columns when asked.
 */
export interface TelemetryState {
  readonly ledger: LedgerState;
  readonly statistics: statistics.StatisticsState;
  readonly workflows: workflowStats.WorkflowStatsState;
  /** When each workflow started and completed: read by overhead, gaps, estimates, filters. */
  readonly timings: workflowTimings.WorkflowTimingsState;
  readonly overhead: coordinationOverhead.OverheadState;
  readonly open: openWorkflows.OpenWorkflowsState;
  readonly rolling: rollingSuccess.RollingSuccessState;
  readonly details: workflowDetails.WorkflowDetailsState;
  /** Runs per agent per hour of the data's own time: `history` and the dashboard's charts. */
  readonly history: runHistory.RunHistoryState;
  /** What the unfiltered hand-off, gap, estimate and bottleneck views read: built when first read, then kept current per change. */
  readonly views: liveViews.LiveViewsHolder;
  readonly counts: EventCounts;
}

export interface EventCounts {
  invocations: number;
  metrics: number;
  workflowEvents: number;
  /** Workflow events of a kind we do not know: skipped by the projections, counted here. */
  unknownEventKinds: number;
}

export function initialState(): TelemetryState {
  return {
    ledger: initialLedger(),
    statistics: statistics.initial(),
    workflows: workflowStats.initial(),
    timings: workflowTimings.initial(),
    overhead: coordinationOverhead.initial(),
    open: openWorkflows.initial(),
    rolling: rollingSuccess.initial(),
    details: workflowDetails.initial(),
    history: runHistory.initial(),
    views: liveViews.unbuilt(),
    counts: { invocations: 0, metrics: 0, workflowEvents: 0, unknownEventKinds: 0 },
  };
}

/**
 * Runs `fold` (which applies events) as one batch for the live views (liveViews.openBatch):
 * what each touched workflow contributes is worked out once at the end, not per event. The
 * views are whole again when this returns or throws. Views whose settling fails (a bug) are
 * dropped, to be rebuilt from the columns when next read (they hold nothing the other folds do
 * not), and `dropped` is told why.
 */
export function foldBatch<T>(state: TelemetryState, fold: () => T, dropped: (error: unknown) => void): T {
  const views = state.views.built;
  if (views === null || !liveViews.openBatch(views)) return fold();
  try {
    return fold();
  } finally {
    try {
      liveViews.settleBatch(views, state);
    } catch (error) {
      views.batch = null;
      if (state.views.built === views) state.views.built = null;
      dropped(error);
    }
  }
}

/**
 * Folds one event into every projection. The state is owned by the fold and updated in place
 * (a copy per event would cost more than the work itself at 100k events); nothing here reads
 * the clock, the disk or anything but its arguments.
 */
export function applyEvent(state: TelemetryState, event: TelemetryEvent): TelemetryState {
  const counts = state.counts;
  if (event.kind === 'invocation') counts.invocations++;
  else if (event.kind === 'metric') counts.metrics++;
  else {
    counts.workflowEvents++;
    if (event.kind === 'unknown_workflow_event') counts.unknownEventKinds++;
  }
  const change = resolveChange(state.ledger, event);
  // Before the folds it reads from move: what the touched workflows contribute now.
  const views = state.views.built;
  const touched = views === null ? null : liveViews.before(views, state, change);
  statistics.apply(state.statistics, change);
  workflowStats.apply(state.workflows, change);
  workflowTimings.apply(state.timings, change);
  coordinationOverhead.apply(state.overhead, change);
  openWorkflows.apply(state.open, change);
  rollingSuccess.apply(state.rolling, change);
  workflowDetails.apply(state.details, change);
  runHistory.apply(state.history, change);
  if (views !== null) liveViews.after(views, state, change, touched as liveViews.Touched);
  return state;
}
