import { ExactSum } from '../domain/exactSum.js';
import { pyRound } from '../domain/pyRound.js';
import type { WorkflowCompleteEvent } from '../domain/events.js';
import type { Change } from './changes.js';
import { FirstSeenCounts } from './firstSeenCounts.js';

/** analyze_workflows(): totals over completed workflows and their most common agent patterns. */
export const schemaVersion = 1;

/** The pattern separator the reference uses (U+2192). */
export const PATTERN_ARROW = '\u2192';

interface CompletedWorkflow {
  readonly groupSeq: number;
  readonly complete: WorkflowCompleteEvent;
}

export interface WorkflowStatsState {
  /** The last complete of each workflow: a later complete line replaces the earlier one. */
  readonly completed: Map<string, CompletedWorkflow>;
  readonly duration: ExactSum;
  successes: number;
  agentsTotal: number;
  /** Patterns ordered by the group position of the workflows that show them. */
  readonly patterns: FirstSeenCounts<string>;
}

export function initial(): WorkflowStatsState {
  return { completed: new Map(), duration: new ExactSum(), successes: 0, agentsTotal: 0, patterns: new FirstSeenCounts() };
}

function contribute(state: WorkflowStatsState, wf: CompletedWorkflow, sign: 1 | -1): void {
  const { complete } = wf;
  state.duration.add(sign * complete.durationSeconds);
  if (complete.success) state.successes += sign;
  state.agentsTotal += sign * complete.agentsExecuted.length;
  const pattern = complete.agentsExecuted.join(PATTERN_ARROW);
  if (sign === 1) state.patterns.add(pattern, wf.groupSeq);
  else state.patterns.remove(pattern, wf.groupSeq);
}

export function apply(state: WorkflowStatsState, change: Change): WorkflowStatsState {
  if (change.kind !== 'workflow' || change.event.kind !== 'workflow_complete') return state;
  const previous = state.completed.get(change.event.workflowId);
  if (previous !== undefined) contribute(state, previous, -1);
  const next = { groupSeq: change.groupSeq, complete: change.event };
  state.completed.set(change.event.workflowId, next);
  contribute(state, next, 1);
  return state;
}

export interface WorkflowsView {
  total_workflows: number;
  avg_duration_minutes: number;
  success_rate: number;
  avg_agents_per_workflow: number;
  most_common_patterns: Array<{ pattern: string; count: number }>;
}

export function query(state: WorkflowStatsState): WorkflowsView {
  const total = state.completed.size;
  if (total === 0) {
    return { total_workflows: 0, avg_duration_minutes: 0, success_rate: 0, avg_agents_per_workflow: 0, most_common_patterns: [] };
  }
  state.patterns.refresh((visit) => {
    for (const wf of state.completed.values()) visit(wf.complete.agentsExecuted.join(PATTERN_ARROW), wf.groupSeq);
  });
  return {
    total_workflows: total,
    avg_duration_minutes: pyRound(state.duration.value() / total / 60, 2),
    success_rate: pyRound(state.successes / total, 3),
    avg_agents_per_workflow: pyRound(state.agentsTotal / total, 2),
    most_common_patterns: state.patterns.mostCommon(5).map(({ key, count }) => ({ pattern: key, count })),
  };
}
