import { US_PER_SECOND } from '../../domain/time.js';
import { Int32Column, Uint8Column } from '../store/columns.js';
import type { Change } from './changes.js';
import { UNKNOWN } from '../store/invocationTable.js';
import type { LedgerState } from './ledger.js';

/**
 * Workflows started and not completed: who has worked on them so far and who is running now.
 * "Agents so far" come from the invocations that name the workflow (in invocation order);
 * an agent is running while its invocation has status "unknown" (logged, not yet updated).
 * Only open workflows keep their start; agents are read from the invocation columns when asked.
 */
export const schemaVersion = 2;

export interface OpenStart {
  readonly projectName: string | null;
  readonly timeUs: number;
  readonly timestamp: string;
  readonly plan: readonly string[];
}

export interface OpenWorkflowsState {
  /** Last start line of each workflow that is started and not completed, by workflow number. */
  readonly open: Map<number, OpenStart>;
  /** 1 once a workflow has a complete line (a complete is never taken back). */
  readonly completed: Uint8Column;
  readonly handoffs: Int32Column;
}

export function initial(): OpenWorkflowsState {
  return { open: new Map(), completed: new Uint8Column(), handoffs: new Int32Column() };
}

export function apply(state: OpenWorkflowsState, change: Change): OpenWorkflowsState {
  if (change.kind !== 'workflow') return state;
  const event = change.event;
  const ref = change.workflowRef;
  if (event.kind === 'workflow_start') {
    if (state.completed.get(ref) === 0) {
      state.open.set(ref, { projectName: event.projectName, timeUs: event.timeUs, timestamp: event.timestamp, plan: event.agentPlan });
    }
  } else if (event.kind === 'workflow_complete') {
    state.completed.set(ref, 1);
    state.open.delete(ref);
  } else if (event.kind === 'agent_handoff') {
    state.handoffs.set(ref, state.handoffs.get(ref) + 1);
  }
  return state;
}

export function openCount(state: OpenWorkflowsState): number {
  return state.open.size;
}

export interface OpenWorkflowView {
  workflow_id: string;
  project: string | null;
  started_at: string;
  age_seconds: number | null;
  agent_plan: string[];
  agents: string[];
  running_agent: string | null;
  handoffs: number;
}

/** Whole seconds since the start; null when its time does not parse. */
export function ageSeconds(start: OpenStart, nowUs: number): number | null {
  // A start after `now` (a clock ahead of ours) is a workflow that has only just begun: age 0.
  const ageUs = Math.max(0, nowUs - start.timeUs);
  return Number.isNaN(ageUs) ? null : Math.round(ageUs / US_PER_SECOND);
}

/** What the live-views fold keeps for this answer (the daemon's case). */
export interface OpenIndexes {
  /** A workflow's invocation rows in first-seen order: only the listed workflows' rows are read. */
  readonly rowsOf?: ((ref: number) => Iterable<number>) | undefined;
  /** The first `limit` open workflows in this answer's order: no sort of every open workflow. */
  readonly firstOpen?: ((limit: number) => number[]) | undefined;
}

/**
 * Open workflows, oldest start first (ties by id): the first `limit` of them (all by default).
 * Agents are worked out for the listed workflows only: from `indexes.rowsOf` when given, else
 * in one pass over every invocation.
 */
export function query(state: OpenWorkflowsState, ledger: LedgerState, nowUs: number, limit = Infinity, indexes: OpenIndexes = {}): OpenWorkflowView[] {
  if (state.open.size === 0) return [];
  const table = ledger.table;
  const ids = table.workflows;
  const { rowsOf, firstOpen } = indexes;
  let listed: number[];
  if (firstOpen !== undefined) listed = firstOpen(limit);
  else {
    const startUs = (ref: number) => {
      const timeUs = (state.open.get(ref) as OpenStart).timeUs;
      return Number.isNaN(timeUs) ? Infinity : timeUs;
    };
    const order = [...state.open.keys()].sort((a, b) => {
      const ia = ids.at(a);
      const ib = ids.at(b);
      return startUs(a) - startUs(b) || (ia < ib ? -1 : ia > ib ? 1 : 0);
    });
    listed = order.length > limit ? order.slice(0, Math.max(0, limit)) : order;
  }
  // In first-seen order: agents so far and the running one.
  const agents = new Map<number, Set<number>>();
  const running = new Map<number, number>();
  for (const ref of listed) agents.set(ref, new Set());
  const see = (seq: number, seen: Set<number>) => {
    const agentRef = table.agentRefAt(seq);
    seen.add(agentRef);
    if (table.statusAt(seq) === UNKNOWN) running.set(table.workflowRefAt(seq), agentRef);
  };
  if (rowsOf !== undefined) {
    for (const [ref, seen] of agents) for (const seq of rowsOf(ref)) see(seq, seen);
  } else {
    for (let seq = 0; seq < table.size; seq++) {
      const seen = agents.get(table.workflowRefAt(seq));
      if (seen !== undefined) see(seq, seen);
    }
  }
  return listed.map((ref) => {
    const start = state.open.get(ref) as OpenStart;
    const runningAgent = running.get(ref);
    return {
      workflow_id: ids.at(ref),
      project: start.projectName,
      started_at: start.timestamp,
      age_seconds: ageSeconds(start, nowUs),
      agent_plan: [...start.plan],
      agents: [...(agents.get(ref) as Set<number>)].map((agentRef) => table.words.at(agentRef)),
      running_agent: runningAgent === undefined ? null : table.words.at(runningAgent),
      handoffs: state.handoffs.get(ref),
    };
  });
}

export interface OpenWorkflowsData {
  readonly open: OpenWorkflowsState['open'];
  readonly completed: Uint8Array;
  readonly handoffs: Int32Array;
}

export function toData(state: OpenWorkflowsState): OpenWorkflowsData {
  return { open: state.open, completed: state.completed.toArray(), handoffs: state.handoffs.toArray() };
}

export function fromData(data: OpenWorkflowsData): OpenWorkflowsState {
  return { open: data.open, completed: Uint8Column.from(data.completed), handoffs: Int32Column.from(data.handoffs) };
}
