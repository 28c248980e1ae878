import { ExactSum } from '../domain/exactSum.js';
import { pyRound } from '../domain/pyRound.js';
import { Float64Column, Int32Column, Uint8Column } from './columns.js';
import type { Change } from './changes.js';
import { FirstSeenCounts } from './firstSeenCounts.js';
import { StringPool } from './stringPool.js';

/** analyze_workflows(): totals over completed workflows and their most common agent patterns. */
export const schemaVersion = 2;

/** The pattern separator the reference uses (U+2192). */
export const PATTERN_ARROW = '\u2192';

/**
 * The last complete of each workflow (a later complete line replaces the earlier one), one
 * row per workflow number: what the totals need to take it back.
 */
export interface WorkflowStatsState {
  /** Complete duration_seconds; NaN while the workflow has no complete. */
  readonly completeDuration: Float64Column;
  readonly completeSuccess: Uint8Column;
  readonly agentsExecuted: Int32Column;
  /** Pattern number in `patternNames`. */
  readonly pattern: Int32Column;
  readonly groupSeq: Int32Column;
  readonly patternNames: StringPool;
  completedCount: number;
  readonly duration: ExactSum;
  successes: number;
  agentsTotal: number;
  /** Patterns ordered by the group position of the workflows that show them. */
  readonly patterns: FirstSeenCounts<string>;
}

export function initial(): WorkflowStatsState {
  return {
    completeDuration: new Float64Column(NaN),
    completeSuccess: new Uint8Column(),
    agentsExecuted: new Int32Column(),
    pattern: new Int32Column(-1),
    groupSeq: new Int32Column(-1),
    patternNames: new StringPool(),
    completedCount: 0,
    duration: new ExactSum(),
    successes: 0,
    agentsTotal: 0,
    patterns: new FirstSeenCounts(),
  };
}

function contribute(state: WorkflowStatsState, ref: number, sign: 1 | -1): void {
  state.duration.add(sign * state.completeDuration.get(ref));
  state.successes += sign * state.completeSuccess.get(ref);
  state.agentsTotal += sign * state.agentsExecuted.get(ref);
  state.completedCount += sign;
  const pattern = state.patternNames.at(state.pattern.get(ref));
  if (sign === 1) state.patterns.add(pattern, state.groupSeq.get(ref));
  else state.patterns.remove(pattern, state.groupSeq.get(ref));
}

export function apply(state: WorkflowStatsState, change: Change): WorkflowStatsState {
  if (change.kind !== 'workflow' || change.event.kind !== 'workflow_complete') return state;
  const ref = change.workflowRef;
  const complete = change.event;
  if (!Number.isNaN(state.completeDuration.get(ref))) contribute(state, ref, -1);
  state.completeDuration.set(ref, complete.durationSeconds);
  state.completeSuccess.set(ref, complete.success ? 1 : 0);
  state.agentsExecuted.set(ref, complete.agentsExecuted.length);
  state.pattern.set(ref, state.patternNames.ref(complete.agentsExecuted.join(PATTERN_ARROW)));
  state.groupSeq.set(ref, change.groupSeq);
  contribute(state, ref, 1);
  return state;
}

/** Whether the workflow (by number) has a complete line. */
export function isCompleted(state: WorkflowStatsState, ref: number): boolean {
  return !Number.isNaN(state.completeDuration.get(ref));
}

export interface WorkflowsView {
  total_workflows: number;
  avg_duration_minutes: number;
  success_rate: number;
  avg_agents_per_workflow: number;
  most_common_patterns: Array<{ pattern: string; count: number }>;
}

export function query(state: WorkflowStatsState): WorkflowsView {
  const total = state.completedCount;
  if (total === 0) {
    return { total_workflows: 0, avg_duration_minutes: 0, success_rate: 0, avg_agents_per_workflow: 0, most_common_patterns: [] };
  }
  state.patterns.refresh((visit) => {
    for (let ref = 0; ref < state.completeDuration.length; ref++) {
      if (isCompleted(state, ref)) visit(state.patternNames.at(state.pattern.get(ref)), state.groupSeq.get(ref));
    }
  });
  return {
    total_workflows: total,
    avg_duration_minutes: pyRound(state.duration.value() / total / 60, 2),
    success_rate: pyRound(state.successes / total, 3),
    avg_agents_per_workflow: pyRound(state.agentsTotal / total, 2),
    most_common_patterns: state.patterns.mostCommon(5).map(({ key, count }) => ({ pattern: key, count })),
  };
}

export interface WorkflowStatsData {
  readonly completeDuration: Float64Array;
  readonly completeSuccess: Uint8Array;
  readonly agentsExecuted: Int32Array;
  readonly pattern: Int32Array;
  readonly groupSeq: Int32Array;
  readonly patternNames: readonly string[];
  readonly completedCount: number;
  readonly duration: readonly number[];
  readonly successes: number;
  readonly agentsTotal: number;
  readonly patterns: FirstSeenCounts<string>;
}

export function toData(state: WorkflowStatsState): WorkflowStatsData {
  return {
    completeDuration: state.completeDuration.toArray(),
    completeSuccess: state.completeSuccess.toArray(),
    agentsExecuted: state.agentsExecuted.toArray(),
    pattern: state.pattern.toArray(),
    groupSeq: state.groupSeq.toArray(),
    patternNames: state.patternNames.toData(),
    completedCount: state.completedCount,
    duration: state.duration.toJSON(),
    successes: state.successes,
    agentsTotal: state.agentsTotal,
    patterns: state.patterns,
  };
}

/** `patterns` arrives without its prototype (v8 serialization); FirstSeenCounts.revive puts it back. */
export function fromData(data: WorkflowStatsData): WorkflowStatsState {
  return {
    completeDuration: Float64Column.from(data.completeDuration, NaN),
    completeSuccess: Uint8Column.from(data.completeSuccess),
    agentsExecuted: Int32Column.from(data.agentsExecuted),
    pattern: Int32Column.from(data.pattern, -1),
    groupSeq: Int32Column.from(data.groupSeq, -1),
    patternNames: StringPool.fromData(data.patternNames),
    completedCount: data.completedCount,
    duration: ExactSum.fromPartials(data.duration),
    successes: data.successes,
    agentsTotal: data.agentsTotal,
    patterns: FirstSeenCounts.revive(data.patterns),
  };
}
