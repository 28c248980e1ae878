import { US_PER_SECOND } from '../domain/time.js';
import type { Change, StoredInvocation } from './changes.js';
import { FirstSeenCounts } from './firstSeenCounts.js';
import type { LedgerState } from './ledger.js';

/**
 * Workflows started and not completed: who has worked on them so far and who is running now.
 * "Agents so far" come from the invocations that name the workflow (in invocation order);
 * an agent is running while its invocation has status "unknown" (logged, not yet updated).
 */
export const schemaVersion = 1;

interface OpenWorkflowTrack {
  start: { projectName: string | null; timeUs: number; timestamp: string; sessionId: string | null; plan: readonly string[] } | undefined;
  completed: boolean;
  readonly agents: FirstSeenCounts<string>;
  /** Running invocations by id. */
  readonly running: Map<string, { agent: string; seq: number; timeUs: number }>;
  handoffs: number;
}

export interface OpenWorkflowsState {
  readonly workflows: Map<string, OpenWorkflowTrack>;
  /** How many tracked workflows are started and not completed. */
  openCount: number;
}

export function initial(): OpenWorkflowsState {
  return { workflows: new Map(), openCount: 0 };
}

function isOpen(track: OpenWorkflowTrack): boolean {
  return track.start !== undefined && !track.completed;
}

function trackFor(state: OpenWorkflowsState, workflowId: string): OpenWorkflowTrack {
  let track = state.workflows.get(workflowId);
  if (track === undefined) {
    track = { start: undefined, completed: false, agents: new FirstSeenCounts(), running: new Map(), handoffs: 0 };
    state.workflows.set(workflowId, track);
  }
  return track;
}

function contribute(state: OpenWorkflowsState, inv: StoredInvocation, sign: 1 | -1): void {
  if (inv.workflowId === null) return;
  const track = trackFor(state, inv.workflowId);
  if (sign === 1) {
    track.agents.add(inv.agentName, inv.seq);
    if (inv.status === 'unknown') track.running.set(inv.invocationId, { agent: inv.agentName, seq: inv.seq, timeUs: inv.timeUs });
  } else {
    track.agents.remove(inv.agentName, inv.seq);
    track.running.delete(inv.invocationId);
  }
}

export function apply(state: OpenWorkflowsState, change: Change): OpenWorkflowsState {
  if (change.kind === 'invocation') {
    if (change.prev !== undefined) contribute(state, change.prev, -1);
    contribute(state, change.next, 1);
    return state;
  }
  if (change.kind !== 'workflow') return state;
  const event = change.event;
  const track = trackFor(state, event.workflowId);
  const wasOpen = isOpen(track);
  if (event.kind === 'workflow_start') {
    track.start = {
      projectName: event.projectName,
      timeUs: event.timeUs,
      timestamp: event.timestamp,
      sessionId: event.sessionId,
      plan: event.agentPlan,
    };
  } else if (event.kind === 'workflow_complete') {
    track.completed = true;
  } else if (event.kind === 'agent_handoff') {
    track.handoffs++;
  }
  state.openCount += Number(isOpen(track)) - Number(wasOpen);
  return state;
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

/** Open workflows, oldest start first (ties by id). */
export function query(state: OpenWorkflowsState, ledger: LedgerState, nowUs: number): OpenWorkflowView[] {
  const open: Array<OpenWorkflowView & { startUs: number }> = [];
  for (const [workflowId, track] of state.workflows) {
    if (!isOpen(track) || track.start === undefined) continue;
    const start = track.start;
    if (track.agents.needsRefresh) {
      track.agents.refresh((visit) => {
        for (const inv of ledger.invocations.values()) if (inv.workflowId === workflowId) visit(inv.agentName, inv.seq);
      });
    }
    let running: { agent: string; seq: number; timeUs: number } | undefined;
    for (const candidate of track.running.values()) {
      if (running === undefined || candidate.seq > running.seq) running = candidate;
    }
    const ageUs = nowUs - start.timeUs;
    open.push({
      workflow_id: workflowId,
      project: start.projectName,
      started_at: start.timestamp,
      age_seconds: Number.isNaN(ageUs) ? null : Math.round(ageUs / US_PER_SECOND),
      agent_plan: [...start.plan],
      agents: track.agents.keysInFirstSeenOrder(),
      running_agent: running?.agent ?? null,
      handoffs: track.handoffs,
      startUs: Number.isNaN(start.timeUs) ? Infinity : start.timeUs,
    });
  }
  open.sort((a, b) => (a.startUs - b.startUs) || (a.workflow_id < b.workflow_id ? -1 : a.workflow_id > b.workflow_id ? 1 : 0));
  return open.map(({ startUs: _startUs, ...view }) => view);
}
