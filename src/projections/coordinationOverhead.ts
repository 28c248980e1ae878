import { ExactSum } from '../domain/exactSum.js';
import { pyRound } from '../domain/pyRound.js';
import { US_PER_SECOND } from '../domain/time.js';
import type { Change, StoredInvocation } from './changes.js';

/**
 * calculate_coordination_overhead(), with our join: an invocation belongs to a workflow by
 * workflow_id; one without it belongs to every workflow of its session whose
 * start..complete interval holds its timestamp (both ends inclusive).
 */
export const schemaVersion = 1;

interface WorkflowTiming {
  /** Last workflow_start line: its session and time. */
  start: { sessionId: string | null; timeUs: number } | undefined;
  /** Last workflow_complete line. */
  complete: { sessionId: string | null; timeUs: number; durationSeconds: number } | undefined;
  /** Truthy durations of the invocations that name this workflow. */
  readonly agentTime: ExactSum;
}

interface LooseInvocation {
  readonly timeUs: number;
  readonly durationSeconds: number;
}

export interface OverheadState {
  readonly workflows: Map<string, WorkflowTiming>;
  /** Invocations without workflow_id (and with a duration), per session, by invocation id. */
  readonly looseBySession: Map<string, Map<string, LooseInvocation>>;
  invocationCount: number;
  workflowEventCount: number;
}

export function initial(): OverheadState {
  return { workflows: new Map(), looseBySession: new Map(), invocationCount: 0, workflowEventCount: 0 };
}

function timingFor(state: OverheadState, workflowId: string): WorkflowTiming {
  let timing = state.workflows.get(workflowId);
  if (timing === undefined) {
    timing = { start: undefined, complete: undefined, agentTime: new ExactSum() };
    state.workflows.set(workflowId, timing);
  }
  return timing;
}

function contribute(state: OverheadState, inv: StoredInvocation, sign: 1 | -1): void {
  state.invocationCount += sign;
  if (!inv.durationSeconds) return;
  if (inv.workflowId !== null) {
    timingFor(state, inv.workflowId).agentTime.add(sign * inv.durationSeconds);
    return;
  }
  if (inv.sessionId === null) return;
  let loose = state.looseBySession.get(inv.sessionId);
  if (sign === 1) {
    if (loose === undefined) {
      loose = new Map();
      state.looseBySession.set(inv.sessionId, loose);
    }
    loose.set(inv.invocationId, { timeUs: inv.timeUs, durationSeconds: inv.durationSeconds });
  } else if (loose !== undefined) {
    loose.delete(inv.invocationId);
    if (loose.size === 0) state.looseBySession.delete(inv.sessionId);
  }
}

export function apply(state: OverheadState, change: Change): OverheadState {
  if (change.kind === 'invocation') {
    if (change.prev !== undefined) contribute(state, change.prev, -1);
    contribute(state, change.next, 1);
  } else if (change.kind === 'workflow') {
    state.workflowEventCount++;
    const event = change.event;
    if (event.kind === 'workflow_start') {
      timingFor(state, event.workflowId).start = { sessionId: event.sessionId, timeUs: event.timeUs };
    } else if (event.kind === 'workflow_complete') {
      timingFor(state, event.workflowId).complete = {
        sessionId: event.sessionId,
        timeUs: event.timeUs,
        durationSeconds: event.durationSeconds,
      };
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

/** Agent time of one completed workflow, joining loose invocations by session and interval. */
function agentSeconds(state: OverheadState, timing: WorkflowTiming): ExactSum {
  const complete = timing.complete;
  if (complete === undefined) return timing.agentTime;
  const sessionId = timing.start !== undefined ? timing.start.sessionId : complete.sessionId;
  const loose = sessionId === null ? undefined : state.looseBySession.get(sessionId);
  if (loose === undefined) return timing.agentTime;
  const from = timing.start !== undefined ? timing.start.timeUs : complete.timeUs - complete.durationSeconds * US_PER_SECOND;
  const to = complete.timeUs;
  const total = new ExactSum();
  total.addAll(timing.agentTime);
  for (const inv of loose.values()) {
    if (inv.timeUs >= from && inv.timeUs <= to) total.add(inv.durationSeconds);
  }
  return total;
}

/** Every workflow that counts: a complete with duration > 0 and agent time > 0. */
export function countedWorkflows(state: OverheadState): WorkflowOverhead[] {
  const counted: WorkflowOverhead[] = [];
  for (const [workflowId, timing] of state.workflows) {
    const complete = timing.complete;
    if (complete === undefined || !(complete.durationSeconds > 0)) continue;
    const agents = agentSeconds(state, timing).value();
    if (agents > 0) counted.push({ workflowId, workflowSeconds: complete.durationSeconds, agentSeconds: agents });
  }
  return counted;
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
export function overheadOf(counted: readonly WorkflowOverhead[]): OverheadView {
  if (counted.length === 0) {
    return { coordination_overhead_pct: 0, recommendation: INSUFFICIENT_DATA, avg_coordination_minutes: 0, workflows_counted: 0 };
  }
  const workflowTime = new ExactSum();
  const coordination = new ExactSum();
  for (const wf of counted) {
    workflowTime.add(wf.workflowSeconds);
    coordination.add(wf.workflowSeconds);
    coordination.add(-wf.agentSeconds);
  }
  const pct = (coordination.value() / workflowTime.value()) * 100;
  return {
    coordination_overhead_pct: pyRound(pct, 2),
    recommendation: recommendationFor(pct),
    avg_coordination_minutes: pyRound(coordination.value() / counted.length / 60, 2),
    workflows_counted: counted.length,
  };
}

export function query(state: OverheadState): OverheadView {
  if (state.invocationCount === 0 || state.workflowEventCount === 0) return overheadOf([]);
  return overheadOf(countedWorkflows(state));
}

/**
 * Overhead over the last `window` completed workflows by completion time (ties by id), as
 * `overhead` computes it over all of them. Keeps only the newest few while scanning, so it
 * costs one pass, not a sort of every workflow.
 */
export function recentOverhead(state: OverheadState, window: number): { view: OverheadView; workflows: WorkflowOverhead[] } {
  const newest: Array<{ workflowId: string; timing: WorkflowTiming; timeUs: number }> = [];
  const before = (a: { workflowId: string; timeUs: number }, b: { workflowId: string; timeUs: number }) =>
    a.timeUs - b.timeUs || (a.workflowId < b.workflowId ? -1 : a.workflowId > b.workflowId ? 1 : 0);
  for (const [workflowId, timing] of state.workflows) {
    const complete = timing.complete;
    if (complete === undefined || Number.isNaN(complete.timeUs)) continue;
    const entry = { workflowId, timing, timeUs: complete.timeUs };
    if (newest.length === window && before(entry, newest[0] as (typeof newest)[number]) <= 0) continue;
    let at = newest.length;
    while (at > 0 && before(newest[at - 1] as (typeof newest)[number], entry) > 0) at--;
    newest.splice(at, 0, entry);
    if (newest.length > window) newest.shift();
  }
  const counted: WorkflowOverhead[] = [];
  for (const { workflowId, timing } of newest) {
    const complete = timing.complete as NonNullable<WorkflowTiming['complete']>;
    if (!(complete.durationSeconds > 0)) continue;
    const agents = agentSeconds(state, timing).value();
    if (agents > 0) counted.push({ workflowId, workflowSeconds: complete.durationSeconds, agentSeconds: agents });
  }
  return { view: overheadOf(counted), workflows: counted };
}
