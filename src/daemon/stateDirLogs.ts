import type { Checkpoint } from '../io/checkpointStore.js';
import type { FaultSink } from '../io/faults.js';
import { alertsLog, REJECTED_LOG_GENERATIONS, REJECTED_LOG_MAX_BYTES, rejectedLog, type StateLog } from '../io/stateLogs.js';

/** How far the logs were written when a checkpoint is taken (stored in it). */
export type LogSizes = Pick<Checkpoint, 'rejectedFileSize' | 'rejectedFileId' | 'alertsFileSize'>;

/**
 * The daemon's two logs in the state dir, rejected.jsonl and alerts.jsonl, kept in step with
 * the checkpoint. They never throw: a full or read-only state dir is a fault, and the records
 * wait in memory for it to clear.
 */
export class StateDirLogs {
  readonly rejected: StateLog;
  readonly alerts: StateLog;

  constructor(stateDir: string, faults: FaultSink) {
    this.rejected = rejectedLog(stateDir, { faults, maxBytes: REJECTED_LOG_MAX_BYTES, generations: REJECTED_LOG_GENERATIONS });
    this.alerts = alertsLog(stateDir, { faults });
  }

  /** No checkpoint: rejected.jsonl starts over with the state. */
  startAfresh(): void {
    this.rejected.truncateTo(0);
  }

  /** Back to the checkpoint's sizes: lines read again after it are not logged twice. */
  resume(cp: Checkpoint): void {
    this.rejected.truncateTo(cp.rejectedFileSize, cp.rejectedFileId ?? null);
    this.alerts.truncateTo(cp.alertsFileSize);
  }

  /** Records not yet written (a full state dir): a checkpoint must follow once they land. */
  pending(): boolean {
    return this.rejected.pending() > 0 || this.alerts.pending() > 0;
  }

  /** For a checkpoint: what waits is tried first, so the sizes stored include it. */
  sizes(): LogSizes {
    this.rejected.retry();
    this.alerts.retry();
    return { rejectedFileSize: this.rejected.size(), rejectedFileId: this.rejected.fileId(), alertsFileSize: this.alerts.size() };
  }

  /** A last try at what waits (shutdown), before the sizes are checkpointed. */
  close(): void {
    this.rejected.close();
    this.alerts.close();
  }
}
