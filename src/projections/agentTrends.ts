import { pyRound } from '../domain/pyRound.js';
import { US_PER_DAY } from '../domain/time.js';
import type { Change, StoredInvocation } from './changes.js';

/** get_agent_performance_trends(agent, days) for any `now`: recent week against the window before it. */
export const schemaVersion = 1;

interface TrendPoint {
  /** Epoch microseconds; NaN when the timestamp did not parse (counted, never windowed). */
  readonly timeUs: number;
  readonly success: boolean;
}

export interface TrendsState {
  /** Per agent, per invocation id: when it ran and whether it succeeded. */
  readonly agents: Map<string, Map<string, TrendPoint>>;
}

export function initial(): TrendsState {
  return { agents: new Map() };
}

function contribute(state: TrendsState, inv: StoredInvocation, sign: 1 | -1): void {
  let points = state.agents.get(inv.agentName);
  if (sign === 1) {
    if (points === undefined) {
      points = new Map();
      state.agents.set(inv.agentName, points);
    }
    points.set(inv.invocationId, { timeUs: inv.timeUs, success: inv.status === 'success' });
  } else if (points !== undefined) {
    points.delete(inv.invocationId);
    if (points.size === 0) state.agents.delete(inv.agentName);
  }
}

export function apply(state: TrendsState, change: Change): TrendsState {
  if (change.kind !== 'invocation') return state;
  if (change.prev !== undefined) contribute(state, change.prev, -1);
  contribute(state, change.next, 1);
  return state;
}

export type TrendVerdict = 'improving' | 'declining' | 'stable' | 'insufficient_data';

export interface TrendView {
  trend: TrendVerdict;
  success_rate_change: number;
  recent_success_rate: number;
  historical_success_rate: number;
}

const RECENT_DAYS = 7;

export function query(state: TrendsState, agent: string, days: number, nowUs: number): TrendView {
  const points = state.agents.get(agent);
  if (points === undefined || points.size < 2) {
    return { trend: 'insufficient_data', success_rate_change: 0, recent_success_rate: 0, historical_success_rate: 0 };
  }
  const recentFrom = nowUs - RECENT_DAYS * US_PER_DAY;
  const historicalFrom = nowUs - days * US_PER_DAY;
  let recent = 0;
  let recentOk = 0;
  let historical = 0;
  let historicalOk = 0;
  for (const point of points.values()) {
    if (point.timeUs >= recentFrom) {
      recent++;
      if (point.success) recentOk++;
    } else if (point.timeUs >= historicalFrom) {
      historical++;
      if (point.success) historicalOk++;
    }
  }
  const recentRate = recent > 0 ? recentOk / recent : 0;
  const historicalRate = historical > 0 ? historicalOk / historical : 0;
  const change = recentRate - historicalRate;
  const trend: TrendVerdict = Math.abs(change) < 0.05 ? 'stable' : change > 0 ? 'improving' : 'declining';
  return {
    trend,
    success_rate_change: pyRound(change, 3),
    recent_success_rate: pyRound(recentRate, 3),
    historical_success_rate: pyRound(historicalRate, 3),
  };
}
