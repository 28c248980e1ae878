import { Float64Column, Int32Column, Uint8Column } from '../store/columns.js';
import type { Change } from './changes.js';
import { StringPool } from '../store/stringPool.js';

/**
 * What the workflow events say beyond timing: project, plan and estimate (last start line),
 * the agents executed and success (last complete line), and every hand-off in file order.
 * One row per workflow number; hand-offs are rows of their own, chained per workflow. The
 * hand-off, plan-adherence and estimate views read it; coordination gaps and bottlenecks
 * join it with the invocation columns when asked.
 */
export const schemaVersion = 1;

/** In `project`: the workflow has no start line. (-1 is a start without project_name.) */
export const NO_START = -2;
/** In `success`. */
export const NOT_COMPLETED = 0;
export const FAILED = 1;
export const SUCCEEDED = 2;

/** A workflow that finishes at more than this many times its estimate is an overrun. */
export const OVERRUN_RATIO = 2;

export interface WorkflowDetailsState {
  /** Project names, plans and agent lists (as JSON arrays), hand-off agent names. */
  readonly names: StringPool;
  readonly project: Int32Column;
  /** estimated_duration in seconds; NaN when absent. */
  readonly estimate: Float64Column;
  /** agent_plan as a JSON array in `names`; -1 without a start. */
  readonly plan: Int32Column;
  /** agents_executed as a JSON array in `names`; -1 until completed. */
  readonly executed: Int32Column;
  readonly success: Uint8Column;
  /** Hand-off rows: workflow, from, to (names, -1 for null), artifacts listed, time, next row of the same workflow. */
  readonly handoffWorkflow: Int32Column;
  readonly handoffFrom: Int32Column;
  readonly handoffTo: Int32Column;
  readonly handoffArtifacts: Int32Column;
  readonly handoffTime: Float64Column;
  readonly handoffNext: Int32Column;
  /** Per workflow: its first and last hand-off row, -1 when none. */
  readonly firstHandoff: Int32Column;
  readonly lastHandoff: Int32Column;
  handoffCount: number;
}

export function initial(): WorkflowDetailsState {
  return {
    names: new StringPool(),
    project: new Int32Column(NO_START),
    estimate: new Float64Column(NaN),
    plan: new Int32Column(-1),
    executed: new Int32Column(-1),
    success: new Uint8Column(NOT_COMPLETED),
    handoffWorkflow: new Int32Column(-1),
    handoffFrom: new Int32Column(-1),
    handoffTo: new Int32Column(-1),
    handoffArtifacts: new Int32Column(),
    handoffTime: new Float64Column(NaN),
    handoffNext: new Int32Column(-1),
    firstHandoff: new Int32Column(-1),
    lastHandoff: new Int32Column(-1),
    handoffCount: 0,
  };
}

export function apply(state: WorkflowDetailsState, change: Change): WorkflowDetailsState {
  if (change.kind !== 'workflow') return state;
  const event = change.event;
  const ref = change.workflowRef;
  switch (event.kind) {
    case 'workflow_start':
      state.project.set(ref, state.names.refOrNull(event.projectName));
      state.estimate.set(ref, event.estimatedDuration ?? NaN);
      state.plan.set(ref, state.names.ref(JSON.stringify(event.agentPlan)));
      break;
    case 'workflow_complete':
      state.executed.set(ref, state.names.ref(JSON.stringify(event.agentsExecuted)));
      state.success.set(ref, event.success ? SUCCEEDED : FAILED);
      break;
    case 'agent_handoff': {
      const row = state.handoffCount++;
      state.handoffWorkflow.set(row, ref);
      state.handoffFrom.set(row, state.names.refOrNull(event.fromAgent));
      state.handoffTo.set(row, state.names.refOrNull(event.toAgent));
      state.handoffArtifacts.set(row, event.artifacts.length);
      state.handoffTime.set(row, event.timeUs);
      const last = state.lastHandoff.get(ref);
      if (last < 0) state.firstHandoff.set(ref, row);
      else state.handoffNext.set(last, row);
      state.lastHandoff.set(ref, row);
      break;
    }
    default:
      break;
  }
  return state;
}

/** The workflow's plan (empty without a start). */
export function planOf(state: WorkflowDetailsState, ref: number): string[] {
  const plan = state.plan.get(ref);
  return plan < 0 ? [] : (JSON.parse(state.names.at(plan)) as string[]);
}

/** The workflow's agents_executed; null until it completes. */
export function executedOf(state: WorkflowDetailsState, ref: number): string[] | null {
  const executed = state.executed.get(ref);
  return executed < 0 ? null : (JSON.parse(state.names.at(executed)) as string[]);
}

export function projectOf(state: WorkflowDetailsState, ref: number): string | null {
  return state.names.atOrNull(state.project.get(ref));
}

export interface WorkflowDetailsData {
  readonly names: readonly string[];
  readonly columns: Readonly<Record<string, Int32Array | Float64Array | Uint8Array>>;
  readonly handoffCount: number;
}

const INT_COLUMNS = ['project', 'plan', 'executed', 'handoffWorkflow', 'handoffFrom', 'handoffTo', 'handoffArtifacts', 'handoffNext', 'firstHandoff', 'lastHandoff'] as const;
const FLOAT_COLUMNS = ['estimate', 'handoffTime'] as const;

export function toData(state: WorkflowDetailsState): WorkflowDetailsData {
  const columns: Record<string, Int32Array | Float64Array | Uint8Array> = { success: state.success.toArray() };
  for (const name of INT_COLUMNS) columns[name] = state[name].toArray();
  for (const name of FLOAT_COLUMNS) columns[name] = state[name].toArray();
  return { names: state.names.toData(), columns, handoffCount: state.handoffCount };
}

export function fromData(data: WorkflowDetailsData): WorkflowDetailsState {
  const fresh = initial();
  const column = <T>(name: string, kind: new (...args: never[]) => T): T => {
    const value = data.columns[name];
    if (!(value instanceof (kind as unknown as typeof Int32Array))) throw new Error(`workflow details: column ${name} missing`);
    return value as unknown as T;
  };
  const ints = Object.fromEntries(
    INT_COLUMNS.map((name) => [name, Int32Column.from(column(name, Int32Array), name === 'project' ? NO_START : name === 'handoffArtifacts' ? 0 : -1)]),
  ) as Record<(typeof INT_COLUMNS)[number], Int32Column>;
  const floats = Object.fromEntries(FLOAT_COLUMNS.map((name) => [name, Float64Column.from(column(name, Float64Array), NaN)])) as Record<
    (typeof FLOAT_COLUMNS)[number],
    Float64Column
  >;
  return {
    ...fresh,
    ...ints,
    ...floats,
    names: StringPool.fromData(data.names),
    success: Uint8Column.from(column('success', Uint8Array), NOT_COMPLETED),
    handoffCount: data.handoffCount,
  };
}
