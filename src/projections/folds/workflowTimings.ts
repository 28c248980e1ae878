import { Float64Column, Int32Column } from '../store/columns.js';
import type { Change } from './changes.js';

/**
 * When each workflow started and completed, and in which session: what its last start line
 * and its last complete line said, one row per workflow number (the ledger's workflow pool).
 * Kept apart from any one view because many read them: coordination overhead (the interval
 * and session that join loose invocations), gaps (idle before and after), estimates (the
 * actual duration), the `--since` filter, and the MCP workflow status.
 */
export const schemaVersion = 1;

/** In a session column: the workflow has no such line. (-1 is a line with a null session.) */
export const NO_LINE = -2;

export interface WorkflowTimingsState {
  /** Session of the last workflow_start line; NO_LINE without one. */
  readonly startSession: Int32Column;
  /** Epoch microseconds of the last start line; NaN without one (or when it does not parse). */
  readonly startTime: Float64Column;
  /** Session of the last workflow_complete line; NO_LINE until the workflow completes. */
  readonly completeSession: Int32Column;
  readonly completeTime: Float64Column;
  /** duration_seconds of the last complete line; NaN until the workflow completes. */
  readonly completeDuration: Float64Column;
}

export function initial(): WorkflowTimingsState {
  return {
    startSession: new Int32Column(NO_LINE),
    startTime: new Float64Column(NaN),
    completeSession: new Int32Column(NO_LINE),
    completeTime: new Float64Column(NaN),
    completeDuration: new Float64Column(NaN),
  };
}

export function apply(state: WorkflowTimingsState, change: Change): WorkflowTimingsState {
  if (change.kind !== 'workflow') return state;
  const event = change.event;
  const ref = change.workflowRef;
  if (event.kind === 'workflow_start') {
    state.startSession.set(ref, change.sessionRef);
    state.startTime.set(ref, event.timeUs);
  } else if (event.kind === 'workflow_complete') {
    state.completeSession.set(ref, change.sessionRef);
    state.completeTime.set(ref, event.timeUs);
    state.completeDuration.set(ref, event.durationSeconds);
  }
  return state;
}

export function hasStart(state: WorkflowTimingsState, ref: number): boolean {
  return state.startSession.get(ref) !== NO_LINE;
}

/** Whether the workflow has a complete line (its time may still be NaN: a timestamp that does not parse). */
export function hasComplete(state: WorkflowTimingsState, ref: number): boolean {
  return state.completeSession.get(ref) !== NO_LINE;
}

export interface WorkflowTimingsData {
  readonly startSession: Int32Array;
  readonly startTime: Float64Array;
  readonly completeSession: Int32Array;
  readonly completeTime: Float64Array;
  readonly completeDuration: Float64Array;
}

export function toData(state: WorkflowTimingsState): WorkflowTimingsData {
  return {
    startSession: state.startSession.toArray(),
    startTime: state.startTime.toArray(),
    completeSession: state.completeSession.toArray(),
    completeTime: state.completeTime.toArray(),
    completeDuration: state.completeDuration.toArray(),
  };
}

export function fromData(data: WorkflowTimingsData): WorkflowTimingsState {
  return {
    startSession: Int32Column.from(data.startSession, NO_LINE),
    startTime: Float64Column.from(data.startTime, NaN),
    completeSession: Int32Column.from(data.completeSession, NO_LINE),
    completeTime: Float64Column.from(data.completeTime, NaN),
    completeDuration: Float64Column.from(data.completeDuration, NaN),
  };
}
