import type { OtlpReceiverFigures } from '../http/metrics.js';
import type { FaultRegistry } from '../io/faults.js';
import type { Snapshot } from '../queries/snapshot.js';
import type { Source } from '../sources/source.js';
import type { Alerting } from './alerting.js';
import type { DaemonFold } from './daemonFold.js';
import type { DaemonSettings } from './daemonSettings.js';
import type { HookErrorReports } from './hookErrorReports.js';
import type { DaemonView } from './httpServer.js';

/** What the API and /metrics read from the daemon. */
export interface ApiParts {
  readonly settings: Pick<DaemonSettings, 'alerts' | 'rollingWindow'>;
  readonly fold: DaemonFold;
  readonly source: Source;
  readonly alerting: Alerting;
  readonly faults: FaultRegistry;
  readonly hookErrors: Pick<HookErrorReports, 'health'>;
  snapshot(): Snapshot;
  /** The start-up catch-up is done. */
  live(): boolean;
  /** The OTLP receiver's counts; null without one. */
  otlp(): OtlpReceiverFigures | null;
  readonly clock: () => number;
}

/** The daemon as its HTTP API sees it: every figure read at request or scrape time. */
export function apiView(parts: ApiParts): DaemonView {
  const { fold, source, alerting } = parts;
  return {
    state: () => fold.ingest.state,
    totals: () => fold.ingest.totals,
    lagBytes: () => source.lag().bytesPerFile,
    hosts: () => source.hosts(),
    activeAlertNames: () => alerting.names(),
    alertNotices: () => alerting.noticeCounts(),
    otlp: () => parts.otlp(),
    faults: parts.faults,
    hookErrors: () => parts.hookErrors.health().count,
    rewrites: () => ({ rebuilds: fold.rebuilds, asChanges: fold.rewritesAsChanges }),
    overheadWindow: parts.settings.alerts.overhead.window,
    rollingWindow: parts.settings.rollingWindow,
    snapshot: () => parts.snapshot(),
    readiness: () => {
      const lag = source.lag();
      return lag.messages === undefined ? { ready: parts.live(), lag_bytes: lag.bytes } : { ready: parts.live(), lag_bytes: 0, lag_messages: lag.messages };
    },
    // A rebuild (or a reset in stream mode) replaces the state and counts again from 0.
    version: () => fold.eventsApplied + fold.ingest.rejectedCount + fold.generation * 1e12,
    clock: parts.clock,
  };
}
