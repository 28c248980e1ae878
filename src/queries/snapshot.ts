import type { SourceKind } from '../domain/sources.js';
import type { HostHealth } from '../domain/streamPosition.js';
import { formatTimestampUs } from '../domain/time.js';
import type { TelemetryState } from '../projections/folds/telemetryState.js';
import type { ActiveAlert } from './alerts.js';
import type { Fault } from '../io/faults.js';
import type { HookErrorsHealth } from '../io/hookErrorFollower.js';
import * as q from './telemetryQueries.js';

/** The small document agents and tools read for instant answers (config/snapshot.schema.json). */
export const SNAPSHOT_SCHEMA_VERSION = 1;

export interface SourceStatus {
  readonly file: string;
  readonly size: number;
  readonly offset: number;
  readonly fingerprint: string | null;
}

export interface Health {
  readonly events_applied: number;
  readonly lines_rejected: number;
  readonly lag_bytes: number;
  readonly last_event_at: string | null;
  readonly started_at: string;
  readonly rebuilds: number;
  /** Times the invocations file was rewritten and only its changed records were applied (no rebuild). */
  readonly rewrites_as_changes?: number;
  /** I/O faults now active (a file unreadable, the state dir full...): the daemon serves the last good state meanwhile. */
  readonly faults?: readonly Fault[];
  /** Lines the Claude Code hook wrote to <stateDir>/hook-errors.jsonl (it never fails the agent), and the last one. */
  readonly hook_errors?: HookErrorsHealth;
  /** Stream mode: the stream, the last applied sequence, and per shipping host the last event and lag. */
  readonly stream?: {
    readonly name: string;
    readonly seq: number;
    readonly lag_messages: number;
    readonly hosts: readonly HostHealth[];
  };
}

export interface SnapshotInput {
  readonly state: TelemetryState;
  readonly nowUs: number;
  readonly dir: string;
  /** The files and how far they are read; null in stream mode (see health.stream). */
  readonly sources: Readonly<Record<SourceKind, SourceStatus>> | null;
  readonly health: Health;
  readonly alerts: Iterable<ActiveAlert>;
  /** Longest list kept in the snapshot; the full count is given beside it. */
  readonly listLimit: number;
  readonly rollingWindow: number;
  /** The overhead alert's window and threshold: the snapshot carries the windowed figure too. */
  readonly overheadAlert?: { readonly window: number; readonly thresholdPct: number };
  /** The hand-off, gap, estimate and bottleneck sections (see workflowViews), computed when fresh enough. */
  readonly workflowViews: WorkflowViews;
}

/** The four workflow views as the snapshot carries them, with the moment they describe. */
export function workflowViews(state: TelemetryState, nowUs: number, listLimit: number, thresholdPct: number) {
  const args = { limit: listLimit };
  return {
    as_of: formatTimestampUs(nowUs),
    handoffs: q.handoffs(state, args),
    gaps: q.gaps(state, args),
    estimates: q.estimates(state, args),
    bottlenecks: q.bottlenecks(state, { ...args, thresholdPct }),
  };
}

export type WorkflowViews = ReturnType<typeof workflowViews>;

export function buildSnapshot(input: SnapshotInput) {
  const { state, nowUs, listLimit } = input;
  const open = q.openPage(state, nowUs, listLimit);
  const agents = q.agents(state, input.rollingWindow);
  return {
    schema_version: SNAPSHOT_SCHEMA_VERSION,
    generated_at: formatTimestampUs(nowUs),
    dir: input.dir,
    sources: input.sources,
    health: input.health,
    stats: q.stats(state),
    workflows: q.workflows(state),
    overhead: q.overhead(state),
    overhead_window: overheadWindow(state, input.overheadAlert ?? { window: 50, thresholdPct: 30 }),
    open_workflows: open,
    agents: { count: agents.length, items: agents.slice(0, listLimit) },
    alerts: { active: [...input.alerts] },
    workflow_views_as_of: input.workflowViews.as_of,
    handoffs: input.workflowViews.handoffs,
    gaps: input.workflowViews.gaps,
    estimates: input.workflowViews.estimates,
    bottlenecks: input.workflowViews.bottlenecks,
  };
}

/** Overhead over the alert's window of recent completed workflows, as the alert sees it. */
function overheadWindow(state: TelemetryState, alert: { readonly window: number; readonly thresholdPct: number }) {
  const { view } = q.recentOverhead(state, alert.window);
  return { window: alert.window, threshold_pct: alert.thresholdPct, ...view };
}

export type Snapshot = ReturnType<typeof buildSnapshot>;
