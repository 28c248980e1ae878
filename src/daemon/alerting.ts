import { stringifyJson } from '../domain/jsonText.js';
import { pyRound } from '../domain/pyRound.js';
import { formatTimestampUs } from '../domain/time.js';
import type { EventStream } from '../http/eventStream.js';
import type { StateLog } from '../io/stateLogs.js';
import type { Logger } from '../log.js';
import { OVERRUN_RATIO } from '../projections/folds/workflowDetails.js';
import type { TelemetryState } from '../projections/folds/telemetryState.js';
import { projectOf } from '../projections/folds/workflowDetails.js';
import { type ActiveAlert, type AlertSettings, checkAlerts, transition } from '../queries/alerts.js';

/** Alerts that have no state to resolve: one notice per occurrence. */
export type NoticeName = 'estimate_overrun';

/**
 * The alert path: every alert raised or resolved, and every notice, goes the same way: a pino
 * line, a record in alerts.jsonl, an event on the API's stream (SSE), and a figure on /metrics.
 */
export class Alerting {
  private active = new Map<string, ActiveAlert>();
  private readonly notices = new Map<NoticeName, number>([['estimate_overrun', 0]]);

  constructor(
    private readonly settings: AlertSettings,
    private readonly log: Logger,
    private readonly alertLog: StateLog,
    private readonly events: EventStream,
  ) {}

  /** The alerts firing when a checkpoint was taken: they stay raised, not raised again. */
  restore(active: readonly ActiveAlert[]): void {
    this.active = new Map(active.map((a) => [a.key, a]));
  }

  /** The alerts firing now. */
  list(): ActiveAlert[] {
    return [...this.active.values()];
  }

  names(): string[] {
    return this.list().map((alert) => alert.alert);
  }

  /** Notices sent so far, by name (oak_alert_notices_total). */
  noticeCounts(): ReadonlyMap<NoticeName, number> {
    return this.notices;
  }

  /** Updates the active alerts; logs, records and streams each raise and resolve once. Returns whether anything changed. */
  evaluate(state: TelemetryState, nowUs: number, startUp: boolean): boolean {
    const result = transition(this.active, checkAlerts(state, this.settings, nowUs), formatTimestampUs(nowUs));
    this.active = new Map(result.active);
    for (const alert of result.raised) {
      this.log.warn({ alert: alert.alert, key: alert.key, ...alert.details, start_up: startUp || undefined }, `alert: ${alert.alert}`);
      this.alertLog.append({ at: alert.since, event: 'raised', ...alert });
      this.events.alert('alert', stringifyJson(alert));
    }
    for (const alert of result.resolved) {
      this.log.info({ alert: alert.alert, key: alert.key, resolved: true, ...alert.details }, `resolved: ${alert.alert}`);
      this.alertLog.append({ at: formatTimestampUs(nowUs), event: 'resolved', ...alert });
      this.events.alert('resolved', stringifyJson({ ...alert, resolved_at: formatTimestampUs(nowUs) }));
    }
    return result.raised.length > 0 || result.resolved.length > 0;
  }

  /**
   * A workflow that completes live at more than OVERRUN_RATIO times its estimate: a notice
   * (no state to resolve), through the same path as the alerts.
   */
  checkEstimate(state: TelemetryState, workflowId: string, actualSeconds: number, nowUs: number): void {
    const ref = state.ledger.table.workflows.find(workflowId);
    const estimate = ref < 0 ? NaN : state.details.estimate.get(ref);
    if (!(estimate > 0) || !(actualSeconds / estimate > OVERRUN_RATIO)) return;
    const details = {
      workflow_id: workflowId,
      project: projectOf(state.details, ref),
      estimate_seconds: estimate,
      actual_seconds: actualSeconds,
      ratio: pyRound(actualSeconds / estimate, 3), // as the estimates view rounds it
    };
    const notice = { alert: 'estimate_overrun' as const, key: `estimate_overrun:${workflowId}`, at: formatTimestampUs(nowUs), details };
    this.notices.set(notice.alert, (this.notices.get(notice.alert) ?? 0) + 1);
    this.log.info({ alert: notice.alert, ...details }, 'alert: estimate_overrun');
    this.alertLog.append({ at: notice.at, event: 'notice', alert: notice.alert, key: notice.key, details });
    this.events.alert('notice', stringifyJson(notice));
  }
}
