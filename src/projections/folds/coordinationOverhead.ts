import type { Change } from './changes.js';
import { ExactSumColumn, type ExactSumColumnData } from '../store/exactSumColumn.js';
import type { StoredInvocation } from '../store/invocationTable.js';

/**
 * What calculate_coordination_overhead() needs from the invocations, with our join: an
 * invocation belongs to a workflow by workflow_id; one without it belongs to every workflow
 * of its session whose start..complete interval holds its timestamp (both ends inclusive).
 * The intervals and sessions are the workflow timings (workflowTimings.ts); the join itself is
 * made when asked (views/overhead.ts), since a loose invocation may arrive before its workflow.
 */
export const schemaVersion = 3;

interface LooseInvocation {
  readonly timeUs: number;
  readonly durationSeconds: number;
}

export interface OverheadState {
  /** Truthy durations of the invocations that name each workflow, one row per workflow number. */
  readonly agentTime: ExactSumColumn;
  /** Invocations without workflow_id (and with a duration), per session number, by row. */
  readonly looseBySession: Map<number, Map<number, LooseInvocation>>;
  invocationCount: number;
  workflowEventCount: number;
}

export function initial(): OverheadState {
  return { agentTime: new ExactSumColumn(), looseBySession: new Map(), invocationCount: 0, workflowEventCount: 0 };
}

function contribute(state: OverheadState, inv: StoredInvocation, sign: 1 | -1): void {
  state.invocationCount += sign;
  if (!inv.durationSeconds) return;
  if (inv.workflowRef >= 0) {
    state.agentTime.add(inv.workflowRef, sign * inv.durationSeconds);
    return;
  }
  if (inv.sessionRef < 0) return;
  let loose = state.looseBySession.get(inv.sessionRef);
  if (sign === 1) {
    if (loose === undefined) {
      loose = new Map();
      state.looseBySession.set(inv.sessionRef, loose);
    }
    loose.set(inv.seq, { timeUs: inv.timeUs, durationSeconds: inv.durationSeconds });
  } else if (loose !== undefined) {
    loose.delete(inv.seq);
    if (loose.size === 0) state.looseBySession.delete(inv.sessionRef);
  }
}

export function apply(state: OverheadState, change: Change): OverheadState {
  if (change.kind === 'invocation') {
    if (change.prev !== undefined) contribute(state, change.prev, -1);
    contribute(state, change.next, 1);
  } else if (change.kind === 'workflow') {
    state.workflowEventCount++;
  }
  return state;
}

export interface OverheadData {
  readonly agentTime: ExactSumColumnData;
  readonly looseBySession: OverheadState['looseBySession'];
  readonly invocationCount: number;
  readonly workflowEventCount: number;
}

export function toData(state: OverheadState): OverheadData {
  return {
    agentTime: state.agentTime.toData(),
    looseBySession: state.looseBySession,
    invocationCount: state.invocationCount,
    workflowEventCount: state.workflowEventCount,
  };
}

export function fromData(data: OverheadData): OverheadState {
  return {
    agentTime: ExactSumColumn.fromData(data.agentTime),
    looseBySession: data.looseBySession,
    invocationCount: data.invocationCount,
    workflowEventCount: data.workflowEventCount,
  };
}
