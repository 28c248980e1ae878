import type { Change } from './changes.js';
import type { StoredInvocation } from '../store/invocationTable.js';

/**
 * Runs per agent per UTC hour, by the invocation's own timestamp: what `history` and the
 * dashboard's charts draw, whatever tab was open when. One cell per (hour, agent) that ran,
 * three counters each, so the state grows with the hours and agents seen, not the invocations.
 * Days are sums of hours (every UTC day is 24 of them). A replaced record takes its counts out
 * of its own cell: counters commute, so any split or interleaving of the files folds alike.
 */
export const schemaVersion = 1;

export const US_PER_HOUR = 3_600_000_000;
/** Agent numbers stay far below 2^26 (as in the gap pairs), so hour * 2^26 + agent is one exact double. */
const AGENT_SLOTS = 67_108_864;

/** In a cell: invocations, successes, failures (decided as `stats` counts them). */
export const RUNS = 0;
export const SUCCESSES = 1;
export const FAILURES = 2;

export interface RunHistoryState {
  /** (hour since the epoch) * 2^26 + agent number -> [runs, successes, failures]. */
  readonly cells: Map<number, [number, number, number]>;
  /** Invocations whose timestamp does not parse: they have no hour, counted apart. */
  undated: number;
}

export function initial(): RunHistoryState {
  return { cells: new Map(), undated: 0 };
}

export function cellKey(hour: number, agentRef: number): number {
  return hour * AGENT_SLOTS + agentRef;
}

/** The hour and agent number of a cell key. */
export function cellOf(key: number): { hour: number; agentRef: number } {
  const hour = Math.floor(key / AGENT_SLOTS);
  return { hour, agentRef: key - hour * AGENT_SLOTS };
}

function contribute(state: RunHistoryState, inv: StoredInvocation, sign: 1 | -1): void {
  if (Number.isNaN(inv.timeUs)) {
    state.undated += sign;
    return;
  }
  const key = cellKey(Math.floor(inv.timeUs / US_PER_HOUR), inv.agentRef);
  let cell = state.cells.get(key);
  if (cell === undefined) {
    cell = [0, 0, 0];
    state.cells.set(key, cell);
  }
  cell[RUNS] += sign;
  if (inv.status === 'success') cell[SUCCESSES] += sign;
  else if (inv.status === 'failure') cell[FAILURES] += sign;
  if (cell[RUNS] === 0) state.cells.delete(key);
}

export function apply(state: RunHistoryState, change: Change): RunHistoryState {
  if (change.kind !== 'invocation') return state;
  if (change.prev !== undefined) contribute(state, change.prev, -1);
  contribute(state, change.next, 1);
  return state;
}
