import { ExactSum } from '../../domain/exactSum.js';
import { US_PER_SECOND } from '../../domain/time.js';
import type { OverheadState } from './coordinationOverhead.js';
import type { LedgerState } from './ledger.js';
import { hasComplete, hasStart, type WorkflowTimingsState } from './workflowTimings.js';

/**
 * One completed workflow's coordination figures, read from the overhead and timing folds: the
 * `overhead` view sums them, the live views keep them per workflow, `history` per bucket.
 */

/** A completed workflow's own figures: time from start to complete and time inside agents. */
export interface WorkflowOverhead {
  readonly workflowId: string;
  readonly workflowSeconds: number;
  readonly agentSeconds: number;
}

/** Agent time of one completed workflow, joining loose invocations by session and interval. */
function agentSeconds(overhead: OverheadState, timings: WorkflowTimingsState, ref: number): number {
  const started = hasStart(timings, ref);
  const sessionRef = started ? timings.startSession.get(ref) : timings.completeSession.get(ref);
  const loose = sessionRef < 0 ? undefined : overhead.looseBySession.get(sessionRef);
  if (loose === undefined) return overhead.agentTime.value(ref);
  const completeTime = timings.completeTime.get(ref);
  const from = started ? timings.startTime.get(ref) : completeTime - timings.completeDuration.get(ref) * US_PER_SECOND;
  const total = new ExactSum();
  overhead.agentTime.addTo(ref, total);
  for (const inv of loose.values()) {
    if (inv.timeUs >= from && inv.timeUs <= completeTime) total.add(inv.durationSeconds);
  }
  return total.value();
}

/** The workflow's figures when it counts for overhead (completed, duration > 0, agent time > 0). */
export function counted(overhead: OverheadState, timings: WorkflowTimingsState, ledger: LedgerState, ref: number): WorkflowOverhead | undefined {
  const workflowSeconds = timings.completeDuration.get(ref);
  if (!(workflowSeconds > 0)) return undefined;
  const agents = agentSeconds(overhead, timings, ref);
  if (!(agents > 0)) return undefined;
  return { workflowId: ledger.table.workflows.at(ref), workflowSeconds, agentSeconds: agents };
}

/** Every workflow that counts: a complete with duration > 0 and agent time > 0. */
export function countedWorkflows(overhead: OverheadState, timings: WorkflowTimingsState, ledger: LedgerState): WorkflowOverhead[] {
  const all: WorkflowOverhead[] = [];
  for (let ref = 0; ref < timings.completeSession.length; ref++) {
    if (!hasComplete(timings, ref)) continue;
    const wf = counted(overhead, timings, ledger, ref);
    if (wf !== undefined) all.push(wf);
  }
  return all;
}
