import type { FaultRegistry } from '../io/faults.js';
import type { Source } from '../sources/source.js';
import type { Alerting } from './alerting.js';
import type { Checkpointer } from './checkpointer.js';
import type { DaemonFold } from './daemonFold.js';
import type { HookErrorReports } from './hookErrorReports.js';
import type { LiveJobs } from './livePipeline.js';
import type { SnapshotPublisher } from './snapshotPublisher.js';
import type { StateDirLock } from './stateDirLock.js';

/** What the live jobs act on. */
export interface LiveParts {
  readonly source: Source;
  readonly fold: DaemonFold;
  readonly alerting: Alerting;
  readonly snapshots: SnapshotPublisher;
  readonly checkpointer: Checkpointer;
  readonly lock: StateDirLock;
  readonly hookErrors: HookErrorReports;
  readonly faults: Pick<FaultRegistry, 'failedAttempts'>;
  /** Something was applied now (the snapshot's last_event_at). */
  noteEvent(): void;
  readonly clock: () => number;
}

/** What the daemon does on the source's batches and its timers (LivePipeline runs them). */
export function liveJobs(parts: LiveParts): LiveJobs {
  const { source, fold, alerting, snapshots, checkpointer, lock } = parts;
  const nowUs = () => parts.clock() * 1000;
  let attemptsShown = parts.faults.failedAttempts();
  return {
    follow: (polls$) => source.follow(fold, polls$),
    changed: () => {
      parts.noteEvent();
      checkpointer.markChanged();
    },
    publish: () => {
      alerting.evaluate(fold.ingest.state, nowUs(), false);
      snapshots.request();
    },
    // Time alone can fire an alert (a workflow open too long); the hooks' errors come by
    // their own file; a snapshot that failed to be
    // written is tried again on each poll, changes or not.
    poll: () => {
      lock.retry();
      const hookErrors = parts.hookErrors.poll();
      if (hookErrors) checkpointer.markChanged();
      // A fault is logged and announced once; its attempts since show at the next poll.
      const attempts = parts.faults.failedAttempts();
      const retried = attempts !== attemptsShown;
      attemptsShown = attempts;
      if (alerting.evaluate(fold.ingest.state, nowUs(), false) || hookErrors || retried) snapshots.request();
      else snapshots.retryIfStale();
    },
    // No checkpoint pairs the old state with a rebuild's half-read files; it waits for the swap.
    checkpoint: () => {
      checkpointer.tick(() => !fold.rebuilding && !lock.lost);
    },
  };
}
