import { ExactSum } from '../../domain/exactSum.js';
import { pyRound } from '../../domain/pyRound.js';
import { US_PER_SECOND } from '../../domain/time.js';
import type { Change } from './changes.js';
import type { StoredInvocation } from '../store/invocationTable.js';
import { Float64Column, Int32Column } from '../store/columns.js';
import { ExactSumColumn, type ExactSumColumnData } from '../store/exactSumColumn.js';
import type { LedgerState } from './ledger.js';

/**
 * calculate_coordination_overhead(), with our join: an invocation belongs to a workflow by
 * workflow_id; one without it belongs to every workflow of its session whose
 * start..complete interval holds its timestamp (both ends inclusive).
 */
export const schemaVersion = 2;

/** In a session column: the workflow has no such line. (-1 is a line with a null session.) */
const NONE = -2;

interface LooseInvocation {
  readonly timeUs: number;
  readonly durationSeconds: number;
}

/** One row per workflow number (the ledger's workflow pool). */
export interface OverheadState {
  /** Last workflow_start line: its session and time. */
  readonly startSession: Int32Column;
  readonly startTime: Float64Column;
  /** Last workflow_complete line. */
  readonly completeSession: Int32Column;
  readonly completeTime: Float64Column;
  readonly completeDuration: Float64Column;
  /** Truthy durations of the invocations that name each workflow. */
  readonly agentTime: ExactSumColumn;
  /** Invocations without workflow_id (and with a duration), per session number, by row. */
  readonly looseBySession: Map<number, Map<number, LooseInvocation>>;
  invocationCount: number;
  workflowEventCount: number;
}

export function initial(): OverheadState {
  return {
    startSession: new Int32Column(NONE),
    startTime: new Float64Column(NaN),
    completeSession: new Int32Column(NONE),
    completeTime: new Float64Column(NaN),
    completeDuration: new Float64Column(NaN),
    agentTime: new ExactSumColumn(),
    looseBySession: new Map(),
    invocationCount: 0,
    workflowEventCount: 0,
  };
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
  }
  return state;
}

/** A completed workflow's own figures: time from start to complete and time inside agents. */
export interface WorkflowOverhead {
  readonly workflowId: string;
  readonly workflowSeconds: number;
  readonly agentSeconds: number;
}

function hasComplete(state: OverheadState, ref: number): boolean {
  return state.completeSession.get(ref) !== NONE;
}

/** Agent time of one completed workflow, joining loose invocations by session and interval. */
function agentSeconds(state: OverheadState, ref: number): number {
  const started = state.startSession.get(ref) !== NONE;
  const sessionRef = started ? state.startSession.get(ref) : state.completeSession.get(ref);
  const loose = sessionRef < 0 ? undefined : state.looseBySession.get(sessionRef);
  if (loose === undefined) return state.agentTime.value(ref);
  const completeTime = state.completeTime.get(ref);
  const from = started ? state.startTime.get(ref) : completeTime - state.completeDuration.get(ref) * US_PER_SECOND;
  const total = new ExactSum();
  state.agentTime.addTo(ref, total);
  for (const inv of loose.values()) {
    if (inv.timeUs >= from && inv.timeUs <= completeTime) total.add(inv.durationSeconds);
  }
  return total.value();
}

function counted(state: OverheadState, ledger: LedgerState, ref: number): WorkflowOverhead | undefined {
  const workflowSeconds = state.completeDuration.get(ref);
  if (!(workflowSeconds > 0)) return undefined;
  const agents = agentSeconds(state, ref);
  if (!(agents > 0)) return undefined;
  return { workflowId: ledger.table.workflows.at(ref), workflowSeconds, agentSeconds: agents };
}

/** Every workflow that counts: a complete with duration > 0 and agent time > 0. */
export function countedWorkflows(state: OverheadState, ledger: LedgerState): WorkflowOverhead[] {
  const all: WorkflowOverhead[] = [];
  for (let ref = 0; ref < state.completeSession.length; ref++) {
    if (!hasComplete(state, ref)) continue;
    const wf = counted(state, ledger, ref);
    if (wf !== undefined) all.push(wf);
  }
  return all;
}

export interface OverheadView {
  coordination_overhead_pct: number;
  recommendation: string;
  avg_coordination_minutes: number;
  workflows_counted: number;
}

export const INSUFFICIENT_DATA = 'Insufficient data';

export function recommendationFor(pct: number): string {
  if (pct > 30) return 'Consider Phase 3 (High coordination overhead)';
  if (pct > 15) return 'Monitor overhead (Moderate coordination time)';
  return 'Stay Phase 1-2 (Efficient coordination)';
}

/** Overhead over a set of counted workflows (all of them, or a window of them). */
export function overheadOf(workflows: readonly WorkflowOverhead[]): OverheadView {
  if (workflows.length === 0) {
    return { coordination_overhead_pct: 0, recommendation: INSUFFICIENT_DATA, avg_coordination_minutes: 0, workflows_counted: 0 };
  }
  const workflowTime = new ExactSum();
  const coordination = new ExactSum();
  for (const wf of workflows) {
    workflowTime.add(wf.workflowSeconds);
    coordination.add(wf.workflowSeconds);
    coordination.add(-wf.agentSeconds);
  }
  const pct = (coordination.value() / workflowTime.value()) * 100;
  return {
    coordination_overhead_pct: pyRound(pct, 2),
    recommendation: recommendationFor(pct),
    avg_coordination_minutes: pyRound(coordination.value() / workflows.length / 60, 2),
    workflows_counted: workflows.length,
  };
}

export function query(state: OverheadState, ledger: LedgerState): OverheadView {
  if (state.invocationCount === 0 || state.workflowEventCount === 0) return overheadOf([]);
  return overheadOf(countedWorkflows(state, ledger));
}

/**
 * Overhead over the last `window` completed workflows by completion time (ties by id), as
 * `overhead` computes it over all of them. Keeps only the newest few while scanning, so it
 * costs one pass, not a sort of every workflow.
 */
export function recentOverhead(
  state: OverheadState,
  ledger: LedgerState,
  window: number,
): { view: OverheadView; workflows: WorkflowOverhead[] } {
  const ids = ledger.table.workflows;
  const newest: Array<{ ref: number; timeUs: number }> = [];
  const before = (a: { ref: number; timeUs: number }, b: { ref: number; timeUs: number }): number => {
    if (a.timeUs !== b.timeUs) return a.timeUs - b.timeUs;
    const ia = ids.at(a.ref);
    const ib = ids.at(b.ref);
    return ia < ib ? -1 : ia > ib ? 1 : 0;
  };
  for (let ref = 0; ref < state.completeSession.length; ref++) {
    if (!hasComplete(state, ref)) continue;
    const timeUs = state.completeTime.get(ref);
    if (Number.isNaN(timeUs)) continue;
    const entry = { ref, timeUs };
    if (newest.length === window && before(entry, newest[0] as (typeof newest)[number]) <= 0) continue;
    let at = newest.length;
    while (at > 0 && before(newest[at - 1] as (typeof newest)[number], entry) > 0) at--;
    newest.splice(at, 0, entry);
    if (newest.length > window) newest.shift();
  }
  const workflows: WorkflowOverhead[] = [];
  for (const { ref } of newest) {
    const wf = counted(state, ledger, ref);
    if (wf !== undefined) workflows.push(wf);
  }
  return { view: overheadOf(workflows), workflows };
}

export interface OverheadData {
  readonly startSession: Int32Array;
  readonly startTime: Float64Array;
  readonly completeSession: Int32Array;
  readonly completeTime: Float64Array;
  readonly completeDuration: Float64Array;
  readonly agentTime: ExactSumColumnData;
  readonly looseBySession: OverheadState['looseBySession'];
  readonly invocationCount: number;
  readonly workflowEventCount: number;
}

export function toData(state: OverheadState): OverheadData {
  return {
    startSession: state.startSession.toArray(),
    startTime: state.startTime.toArray(),
    completeSession: state.completeSession.toArray(),
    completeTime: state.completeTime.toArray(),
    completeDuration: state.completeDuration.toArray(),
    agentTime: state.agentTime.toData(),
    looseBySession: state.looseBySession,
    invocationCount: state.invocationCount,
    workflowEventCount: state.workflowEventCount,
  };
}

export function fromData(data: OverheadData): OverheadState {
  return {
    startSession: Int32Column.from(data.startSession, NONE),
    startTime: Float64Column.from(data.startTime, NaN),
    completeSession: Int32Column.from(data.completeSession, NONE),
    completeTime: Float64Column.from(data.completeTime, NaN),
    completeDuration: Float64Column.from(data.completeDuration, NaN),
    agentTime: ExactSumColumn.fromData(data.agentTime),
    looseBySession: data.looseBySession,
    invocationCount: data.invocationCount,
    workflowEventCount: data.workflowEventCount,
  };
}
