import type { FaultRegistry } from '../io/faults.js';
import { buildSnapshot, type Snapshot, type WorkflowViews } from '../queries/snapshot.js';
import type { Source } from '../sources/source.js';
import type { Alerting } from './alerting.js';
import type { DaemonFold } from './daemonFold.js';
import type { DaemonSettings } from './daemonSettings.js';
import type { HookErrorReports } from './hookErrorReports.js';

/** What the daemon's snapshot is made of, read when one is built. */
export interface SnapshotParts {
  readonly settings: Pick<DaemonSettings, 'alerts' | 'snapshotListLimit' | 'rollingWindow'>;
  readonly fold: DaemonFold;
  readonly source: Source;
  readonly alerting: Alerting;
  readonly faults: FaultRegistry;
  readonly hookErrors: Pick<HookErrorReports, 'health'>;
  readonly startedAt: string;
  lastEventAt(): string | null;
}

/** The snapshot document (snapshot.json, the API's /snapshot): the state's answers, the source's health, the daemon's own. */
export function snapshotDocument(parts: SnapshotParts, workflowViews: WorkflowViews, nowMs: number): Snapshot {
  const { settings, fold } = parts;
  const health = parts.source.health();
  return buildSnapshot({
    state: fold.ingest.state,
    nowUs: nowMs * 1000,
    workflowViews,
    overheadAlert: { window: settings.alerts.overhead.window, thresholdPct: settings.alerts.overhead.thresholdPct },
    dir: parts.source.origin,
    sources: health.sources,
    health: {
      events_applied: fold.eventsApplied,
      lines_rejected: fold.ingest.rejectedCount,
      lag_bytes: health.lag.bytes,
      ...(health.stream ? { stream: health.stream } : {}),
      last_event_at: parts.lastEventAt(),
      started_at: parts.startedAt,
      rebuilds: fold.rebuilds,
      rewrites_as_changes: fold.rewritesAsChanges,
      faults: parts.faults.faults(),
      hook_errors: parts.hookErrors.health(),
    },
    alerts: parts.alerting.list(),
    listLimit: settings.snapshotListLimit,
    rollingWindow: settings.rollingWindow,
  });
}
