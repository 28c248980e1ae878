import type { Checkpoint } from '../io/checkpointStore.js';
import type { Source } from '../sources/source.js';
import type { Alerting } from './alerting.js';
import type { DaemonFold } from './daemonFold.js';
import type { HookErrorReports } from './hookErrorReports.js';
import type { StateDirLogs } from './stateDirLogs.js';

/** What a checkpoint is taken of. */
export interface CheckpointParts {
  readonly source: Source;
  readonly fold: DaemonFold;
  readonly logs: StateDirLogs;
  readonly alerting: Alerting;
  readonly hookErrors: HookErrorReports;
}

/**
 * The checkpoint now: the state with where the source stands and how far the state logs were
 * written, so a restart resumes all three at the same point.
 */
export function checkpointContents(parts: CheckpointParts, savedAt: string): Checkpoint {
  const logSizes = parts.logs.sizes();
  const { positions, stream } = parts.source.position();
  return {
    dir: parts.source.origin,
    positions,
    stream,
    totals: parts.fold.ingest.totals,
    rebuilds: parts.fold.rebuilds,
    ...logSizes,
    activeAlerts: parts.alerting.list(),
    hookErrors: parts.hookErrors.saved(),
    savedAt,
    state: parts.fold.ingest.state,
  };
}
