import { ExactSum } from '../../domain/exactSum.js';
import { pyRound } from '../../domain/pyRound.js';
import { Float64Column, Int32Column, Uint8Column } from '../store/columns.js';
import type { Change } from './changes.js';
import { StringPool } from '../store/stringPool.js';

/** analyze_workflows(): totals over completed workflows and their most common agent patterns. */
export const schemaVersion = 3;

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
  };
}

function contribute(state: WorkflowStatsState, ref: number, sign: 1 | -1): void {
  state.duration.add(sign * state.completeDuration.get(ref));
  state.successes += sign * state.completeSuccess.get(ref);
  state.agentsTotal += sign * state.agentsExecuted.get(ref);
  state.completedCount += sign;
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

/**
 * The `limit` most frequent patterns over completed workflows, by count descending, ties by
 * the group position of the first workflow that shows them. Counted when asked: one pass over
 * the workflows and a sort of the distinct patterns (what keeping counts would sort anyway).
 */
function mostCommonPatterns(state: WorkflowStatsState, limit: number): Array<{ pattern: string; count: number }> {
  const patterns = state.patternNames.size;
  const count = new Int32Array(patterns);
  const first = new Float64Array(patterns).fill(Infinity);
  for (let ref = 0; ref < state.completeDuration.length; ref++) {
    if (!isCompleted(state, ref)) continue;
    const p = state.pattern.get(ref);
    count[p] = (count[p] as number) + 1;
    first[p] = Math.min(first[p] as number, state.groupSeq.get(ref));
  }
  const seen: number[] = [];
  for (let p = 0; p < patterns; p++) if ((count[p] as number) > 0) seen.push(p);
  seen.sort((a, b) => (count[b] as number) - (count[a] as number) || (first[a] as number) - (first[b] as number));
  return seen.slice(0, limit).map((p) => ({ pattern: state.patternNames.at(p), count: count[p] as number }));
}

export interface WorkflowsView {
  total_workflows: number;
  avg_duration_minutes: number;
  success_rate: number;
  avg_agents_per_workflow: number;
  most_common_patterns: Array<{ pattern: string; count: number }>;
}

/** `topPatterns`, when given, ranks the patterns from counts kept elsewhere (the live-views fold), else they are counted now. */
export function query(state: WorkflowStatsState, topPatterns?: (limit: number) => Array<{ pattern: string; count: number }>): WorkflowsView {
  const total = state.completedCount;
  if (total === 0) {
    return { total_workflows: 0, avg_duration_minutes: 0, success_rate: 0, avg_agents_per_workflow: 0, most_common_patterns: [] };
  }
  return {
    total_workflows: total,
    avg_duration_minutes: pyRound(state.duration.value() / total / 60, 2),
    success_rate: pyRound(state.successes / total, 3),
    avg_agents_per_workflow: pyRound(state.agentsTotal / total, 2),
    most_common_patterns: topPatterns === undefined ? mostCommonPatterns(state, 5) : topPatterns(5),
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
  };
}

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
  };
}
